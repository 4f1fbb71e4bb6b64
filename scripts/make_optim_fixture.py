#!/usr/bin/env python3
"""Reference trajectories of torch.optim.Adam and torch.optim.RAdam for tests/test_optim.c.

There is no torch here, so the update rules are written out from PyTorch's single-tensor code
paths (torch/optim/adam.py::_single_tensor_adam, radam.py::_single_tensor_radam, amsgrad and
maximize off, L2 weight decay) in their floating-point evaluation order, with the elementwise
ATen kernels spelled out:

    lerp(a, b, w)       = a + w (b - a)            if |w| < 0.5 else  b - (b - a) (1 - w)
    addcmul(v, g, g, c) = v + (c g) g
    addcdiv(t, m, d, c) = t + (c m) / d
    add(g, t, alpha=a)  = g + a t

Python floats are IEEE doubles, `x ** y` is C pow() and math.sqrt is sqrt(), so the C port
reproduces these numbers bit for bit. As an independent check each trajectory is also run with
the textbook formulas of the specs (smc_rnn_method.md 5.1, lint_method.md "Optimiser") and
must agree to 1e-12 relative.

The problem: 7 trainable doubles, loss 0.5 sum_i A_i (theta_i - C_i)^2, and at step k (1-based)
the gradient A_i (theta_i - C_i) + d_{k,i} with d_{k,i} = (((7 k + 3 i) mod 11) - 5) * 0.01, a
fixed perturbation sequence the C test recomputes exactly.

Run:  /usr/bin/python3 scripts/make_optim_fixture.py  and paste the output into the test.
"""
import math

A = [1.0, 2.5, 0.5, 4.0, 0.25, 1.5, 3.0]
C = [0.5, -1.0, 2.0, 0.0, -0.75, 1.25, -0.3]
THETA0 = [0.1, 0.2, -0.3, 0.4, -0.5, 0.6, -0.7]
STEPS = 8


def gradient(theta, k):
    return [A[i] * (theta[i] - C[i]) + (((7 * k + 3 * i) % 11) - 5) * 0.01
            for i in range(len(theta))]


def lerp(a, b, w):
    return a + w * (b - a) if abs(w) < 0.5 else b - (b - a) * (1 - w)


def moments(m, v, g, beta1, beta2):
    m = lerp(m, g, 1 - beta1)          # exp_avg.lerp_(grad, 1 - beta1)
    v = v * beta2                      # exp_avg_sq.mul_(beta2)
    v = v + (1 - beta2) * g * g        # .addcmul_(grad, grad, value=1 - beta2)
    return m, v


def adam_step(theta, g, st, lr, beta1, beta2, eps, wd):
    st["step"] += 1.0
    step = st["step"]
    for i in range(len(theta)):
        gi = g[i] + wd * theta[i] if wd != 0 else g[i]     # grad.add(param, alpha=wd)
        st["m"][i], st["v"][i] = moments(st["m"][i], st["v"][i], gi, beta1, beta2)
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = math.sqrt(bias_correction2)     # _dispatch_sqrt
    for i in range(len(theta)):
        denom = math.sqrt(st["v"][i]) / bias_correction2_sqrt + eps
        theta[i] = theta[i] + (-step_size) * st["m"][i] / denom   # addcdiv_(value=-step_size)


def radam_step(theta, g, st, lr, beta1, beta2, eps, wd):
    st["step"] += 1.0
    step = st["step"]
    for i in range(len(theta)):
        gi = g[i] + wd * theta[i] if wd != 0 else g[i]
        st["m"][i], st["v"][i] = moments(st["m"][i], st["v"][i], gi, beta1, beta2)
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
    st["rho"].append(rho_t)
    for i in range(len(theta)):
        bias_corrected_exp_avg = st["m"][i] / bias_correction1
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive_lr = (bias_correction2 ** 0.5) / (math.sqrt(st["v"][i]) + eps)
            theta[i] = theta[i] + -1.0 * (bias_corrected_exp_avg * lr * adaptive_lr * rect)
        else:
            theta[i] = theta[i] + -1.0 * (bias_corrected_exp_avg * lr)


def textbook_step(kind, theta, g, st, lr, beta1, beta2, eps, wd):
    """The specs' formulas, written the obvious way (not torch's order)."""
    st["step"] += 1
    s = st["step"]
    for i in range(len(theta)):
        gi = g[i] + wd * theta[i]
        st["m"][i] = beta1 * st["m"][i] + (1 - beta1) * gi
        st["v"][i] = beta2 * st["v"][i] + (1 - beta2) * gi * gi
        mhat = st["m"][i] / (1 - beta1 ** s)
        if kind == "adam":
            vhat = st["v"][i] / (1 - beta2 ** s)
            theta[i] -= lr * mhat / (math.sqrt(vhat) + eps)
            continue
        rho_inf = 2 / (1 - beta2) - 1
        rho_s = rho_inf - 2 * s * beta2 ** s / (1 - beta2 ** s)
        if rho_s > 5:
            r = math.sqrt((rho_s - 4) * (rho_s - 2) * rho_inf
                          / ((rho_inf - 4) * (rho_inf - 2) * rho_s))
            theta[i] -= lr * mhat * r * math.sqrt(1 - beta2 ** s) / (math.sqrt(st["v"][i]) + eps)
        else:
            theta[i] -= lr * mhat


def run(kind, lr, beta1, beta2, eps, wd):
    n = len(THETA0)
    theta, ref = list(THETA0), list(THETA0)
    st = {"step": 0.0, "m": [0.0] * n, "v": [0.0] * n, "rho": []}
    st_ref = {"step": 0, "m": [0.0] * n, "v": [0.0] * n}
    traj = []
    step_fn = adam_step if kind == "adam" else radam_step
    for k in range(1, STEPS + 1):
        step_fn(theta, gradient(theta, k), st, lr, beta1, beta2, eps, wd)
        textbook_step(kind, ref, gradient(ref, k), st_ref, lr, beta1, beta2, eps, wd)
        for a, b in zip(theta, ref):
            assert abs(a - b) <= 1e-12 * max(abs(a), abs(b), 1e-300), (kind, k, a, b)
        traj.append(list(theta))
    return traj, st


def c_array(name, rows):
    print(f"static const double {name}[{len(rows)}][{len(rows[0])}] = {{")
    for row in rows:
        print("    {" + ", ".join(format(x, ".17g") for x in row) + "},")
    print("};")


def main():
    cases = [
        ("adam", "expect_adam", dict(lr=0.05, beta1=0.9, beta2=0.999, eps=1e-8, wd=0.0)),
        ("adam", "expect_adam_wd", dict(lr=0.05, beta1=0.3, beta2=0.99, eps=1e-3, wd=0.1)),
        ("radam", "expect_radam", dict(lr=0.05, beta1=0.9, beta2=0.999, eps=1e-8, wd=0.0)),
    ]
    print("/* Generated by scripts/make_optim_fixture.py: theta after steps 1..%d. */" % STEPS)
    for kind, name, kw in cases:
        traj, st = run(kind, **kw)
        print(f"/* {kind}: {kw} */")
        if kind == "radam":
            print("/* rho_s per step: " + ", ".join("%.4f" % r for r in st["rho"]) + " */")
        c_array(name, traj)
        if kind == "radam":
            c_array(name + "_m", [st["m"]])
            c_array(name + "_v", [st["v"]])


if __name__ == "__main__":
    main()
