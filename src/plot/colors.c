/* The default colour cycle (matplotlib's "tab10") and a sequential map (viridis). */
#include <math.h>

#include "plot/internal.h"

lrnn_rgba lrnn_plot_cycle(int i) {
    static const unsigned tab10[10] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                       0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
    unsigned c = tab10[((i % 10) + 10) % 10];
    return (lrnn_rgba){((c >> 16) & 0xff) / 255.0, ((c >> 8) & 0xff) / 255.0, (c & 0xff) / 255.0,
                       1.0};
}

/* viridis sampled at 9 evenly spaced points, linearly interpolated in between: close enough to
 * the full 256-entry table for arrows and markers, and still perceptually ordered. */
lrnn_rgba lrnn_plot_colormap(double t) {
    static const double v[9][3] = {
        {0.267004, 0.004874, 0.329415}, {0.282623, 0.140926, 0.457517},
        {0.229739, 0.322361, 0.545706}, {0.172719, 0.448791, 0.557885},
        {0.127568, 0.566949, 0.550556}, {0.157851, 0.683765, 0.501686},
        {0.369214, 0.788888, 0.382914}, {0.678489, 0.863742, 0.189503},
        {0.993248, 0.906157, 0.143936},
    };
    if (t != t) return (lrnn_rgba){0.6, 0.6, 0.6, 1.0};
    t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
    double s = t * 8.0;
    int k = (int)floor(s);
    if (k >= 8) k = 7;
    double f = s - k;
    return (lrnn_rgba){v[k][0] + f * (v[k + 1][0] - v[k][0]), v[k][1] + f * (v[k + 1][1] - v[k][1]),
                       v[k][2] + f * (v[k + 1][2] - v[k][2]), 1.0};
}
