#!/usr/bin/python3
"""Fixture of tests/cli/lint.sh: trajectories of a known rank-1 rate network (spec
lint_method.md 1.1, no noise) for `lrnn lint fit --data` / `lrnn lint eval --data`.

  x_{t+1} = x_t + alpha (-x_t + m n^T tanh(x_t) / N + wi u_t),  x_0 = 0,  alpha = 0.2

24 trials x 40 steps x 16 units; the input (U = 1) is a pulse of amplitude c ~ U(-1, 1) on
steps [5, 15). Writes traj.npy (trials x time x units, the states x_1..x_T, float64),
inputs.npy (trials x time x 1), mask.npy (trials x time, 0 on the first 10 steps) and
allnan.npy (2 x 3 x 4, every value NaN: a bad data file). Run: /usr/bin/python3 make_traj.py (numpy only, seed 7)."""
import numpy as np

rng = np.random.default_rng(7)
B, T, N, alpha = 24, 40, 16, 0.2
m = rng.standard_normal(N)
n = 1.5 * m + 0.5 * rng.standard_normal(N)  # overlap n.m / N ~ 1.5: slow, input-driven dynamics
wi = rng.standard_normal(N)
u = np.zeros((B, T, 1))
u[:, 5:15, 0] = rng.uniform(-1, 1, size=(B, 1))
x = np.zeros((B, N))
traj = np.zeros((B, T, N))
for t in range(T):
    x = x + alpha * (-x + np.outer(np.tanh(x) @ n / N, m) + np.outer(u[:, t, 0], wi))
    traj[:, t] = x
np.save("traj.npy", traj)
np.save("inputs.npy", u)
# a mask (trials x time) that leaves out the first 10 steps, and a bad file: all NaN
mask = np.ones((B, T))
mask[:, :10] = 0
np.save("mask.npy", mask)
np.save("allnan.npy", np.full((2, 3, 4), np.nan))
print("traj", traj.shape, "std", traj.std())
