#!/usr/bin/env python3
"""Fixtures of tests/test_eval_spectrum.c: scipy smoothing and the reference D_H.

Run with /usr/bin/python3 (numpy, scipy) from anywhere; writes the .npy files next to itself.
The D_H function below is the reference algorithm as specs/smc_rnn_method.md §8.2 states it
(evaluation/pse.py), written out in numpy with the FFT in double precision.
"""
import os

import numpy as np
from scipy.ndimage import convolve1d, gaussian_filter1d
from scipy.signal.windows import hann

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240611)


def save(name, a):
    np.save(os.path.join(HERE, name), np.ascontiguousarray(a, dtype=np.float64))


# ---- gaussian_filter1d (mode reflect, truncate 4): keep the sigmas in sync with the test ----
SIGMAS_200 = [0.5, 2.0, 7.3, 60.0]  # 60: radius 240 > n, the reflection repeats
SIGMAS_37 = [3.0, 20.0]             # 20: radius 80 > 2 n
x200 = np.cumsum(rng.standard_normal(200))
x37 = rng.standard_normal(37)
save("gauss_x200.npy", x200)
save("gauss_y200.npy", np.stack([gaussian_filter1d(x200, s, mode="reflect", truncate=4.0)
                                 for s in SIGMAS_200]))
save("gauss_x37.npy", x37)
save("gauss_y37.npy", np.stack([gaussian_filter1d(x37, s, mode="reflect", truncate=4.0)
                                for s in SIGMAS_37]))

# ---- Hann smoothing: convolve1d(x, hann(W), mode reflect) along time, per trial ----
hx = rng.standard_normal((2, 50, 3))
save("hann_x.npy", hx)
for w in (15, 4):
    save(f"hann_w{w}.npy", convolve1d(hx, hann(w), axis=1, mode="reflect"))
hs = rng.standard_normal((1, 10, 1))  # shorter than the window
save("hann_short_x.npy", hs)
save("hann_short_w15.npy", convolve1d(hs, hann(15), axis=1, mode="reflect"))


# ---- D_H (reference algorithm) ----
def spectra(x, sigma):
    """x: trials x time for one channel -> mean normalised spectrum."""
    out = []
    for traj in x:
        z = (traj - traj.mean()) / traj.std()
        if len(z) % 2:
            z = z[:-1]
        p = np.abs(np.fft.rfft(z, norm="ortho")) ** 2 * 2
        if sigma > 0:
            p = gaussian_filter1d(p, sigma)
        p[p < 0] = 0
        out.append(p / (p.sum() + 1e-8))
    return np.nanmean(np.array(out), axis=0)


def dh(real, gen, sigma, cutoff):
    hs = []
    for i in range(real.shape[2]):
        a, b = spectra(real[:, :, i], sigma), spectra(gen[:, :, i], sigma)
        if cutoff != 0:  # Python slicing; 0 means "all" in lrnn
            a, b = a[:cutoff], b[:cutoff]
        a, b = a / a.sum(), b / b.sum()
        hs.append(np.sqrt(np.sum((np.sqrt(b) - np.sqrt(a)) ** 2)) / np.sqrt(2))
    return [np.mean(hs)] + hs


def ar2(trials, steps, chans, r, period):
    """Noisy damped oscillators with a given period (distinct spectra)."""
    a1, a2 = 2 * r * np.cos(2 * np.pi / period), -r * r
    x = np.zeros((trials, steps + 100, chans))
    e = rng.standard_normal(x.shape)
    for t in range(2, steps + 100):
        x[:, t] = a1 * x[:, t - 1] + a2 * x[:, t - 2] + e[:, t]
    return x[:, 100:] + 3.0  # an offset the z-scoring removes


DH_CASES = [(20.0, 0), (3.0, -1), (0.0, 50)]  # (sigma, cutoff); keep in sync with the test
real = ar2(3, 257, 2, 0.95, 16.0)  # odd length: the last sample is dropped
gen = ar2(4, 257, 2, 0.9, 11.0)
save("dh_real.npy", real)
save("dh_gen.npy", gen)
save("dh_expected.npy", np.array([dh(real, gen, s, c) for s, c in DH_CASES]))
print("fixtures written to", HERE)
