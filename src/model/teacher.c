/* Ready-made teacher networks for student-teacher studies (spec 1.5, 9.2). */
#include <math.h>
#include <string.h>

#include "model/internal.h"

/* z' = 0.9 z + n tanh(m z) + eps, currents observed one-to-one with N(0, 0.1^2) noise. m has two
 * orthonormal cos/sin columns over the units, scaled by 3 so tanh saturates; n = A m^T / 9 with
 * A = s Rot(theta) - 0.9 I, so at the origin the map is s Rot(theta): an outward spiral
 * (s = 1.1) turning 2 pi / turn per step, bounded by the saturation into a limit cycle (turn 20
 * gives a period of about 33 steps). Process noise std 0.07, initial std 1. */
static lrnn_status oscillator(int units, double turn, bool poisson, lrnn_model **out) {
    *out = NULL;
    if (units < 2 || !(turn > 2.0))
        return lrnn_fail(LRNN_ERR_ARG, "oscillator: needs units >= 2 and a turn period > 2 "
                                       "(got %d, %g)", units, turn);
    const int N = units, R = 2;
    lrnn_model_config c = lrnn_model_default_config();
    c.rank = R, c.units = N, c.channels = N;
    c.activation = LRNN_ACT_TANH, c.decay_init = 0.9;
    c.readout = LRNN_READOUT_ONE_TO_ONE, c.readout_from = LRNN_FROM_CURRENTS;
    c.noise_z = LRNN_NOISE_FULL, c.init_noise_z = 0.07;
    c.noise_z0 = LRNN_NOISE_FULL, c.init_noise_z0 = 1.0;
    c.noise_x = LRNN_NOISE_DIAG, c.init_noise_x = 0.1;
    c.init_state = LRNN_INIT_ZERO;
    if (poisson) {
        c.obs = LRNN_OBS_POISSON, c.obs_nonlin = LRNN_G_SOFTPLUS;
        c.noise_z = c.noise_z0 = LRNN_NOISE_DIAG; /* the encoder proposal's (spec 3.5) */
    }
    lrnn_model *model = NULL;
    lrnn_status s = lrnn_model_create(&c, &model);
    if (s) return s;
    lrnn_param_view p = lrnn_model_view(model);
    double norm0 = 0.0, norm1 = 0.0;
    for (int i = 0; i < N; i++) {
        double phase = 2.0 * M_PI * i / N + 0.3;
        p.m[i * R] = cos(phase), p.m[i * R + 1] = sin(phase);
        norm0 += p.m[i * R] * p.m[i * R], norm1 += p.m[i * R + 1] * p.m[i * R + 1];
    }
    const double scale = 3.0, spiral = 1.1, a = 0.9, theta = 2.0 * M_PI / turn;
    const double A[4] = {spiral * cos(theta) - a, -spiral * sin(theta), spiral * sin(theta),
                         spiral * cos(theta) - a};
    for (int i = 0; i < N; i++) {
        double u0 = p.m[i * R] / sqrt(norm0), u1 = p.m[i * R + 1] / sqrt(norm1);
        p.m[i * R] = scale * u0, p.m[i * R + 1] = scale * u1;
        for (int r = 0; r < R; r++) p.n[r * N + i] = (A[r * 2] * u0 + A[r * 2 + 1] * u1) / scale;
    }
    memset(p.h, 0, (size_t)N * sizeof *p.h);
    /* Poisson: rates softplus(4 U z - 3 + o_i) with U the orthonormal loadings (spec 9.2),
     * i.e. 4/3 of the currents m z = 3 U z. The offsets o_i = cos(2.7 i) in [-1, 1] spread
     * the neurons' mean rates (with o = 0 the evenly spaced loadings would make every neuron's
     * statistics the same, and nothing per neuron could be compared). */
    for (int i = 0; i < N; i++) {
        p.bias_obs[i] = poisson ? -3.0 + cos(2.7 * i) : 0.0;
        if (poisson) p.B_obs[i] = 4.0 / scale;
    }
    *out = model;
    return LRNN_OK;
}

lrnn_status lrnn_model_oscillator(int units, double turn, lrnn_model **out) {
    return oscillator(units, turn, false, out);
}

lrnn_status lrnn_model_oscillator_poisson(int units, double turn, lrnn_model **out) {
    return oscillator(units, turn, true, out);
}
