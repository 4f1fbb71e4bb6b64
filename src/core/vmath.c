/* Array versions of exp, log, log1p and tanh (vmath.h). */
#include "core/vmath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef void (*vm_fn)(size_t n, const double *x, double *y);

typedef struct vm_table {
    const char *name;
    vm_fn exp, log, log1p, tanh;
} vm_table;

/* libm one element at a time: the portable fallback. */
#define VM_SCALAR(f)                                                                           \
    static void f##_libm(size_t n, const double *x, double *y) {                               \
        for (size_t i = 0; i < n; i++) y[i] = f(x[i]);                                         \
    }
VM_SCALAR(exp)
VM_SCALAR(log)
VM_SCALAR(log1p)
VM_SCALAR(tanh)
static const vm_table libm_table = {"libm", exp_libm, log_libm, log1p_libm, tanh_libm};

/* LRNN_VMATH=libm forces the fallback (tests compare the two). */
static int forced_libm(void) {
    const char *v = getenv("LRNN_VMATH");
    return v && !strcmp(v, "libm");
}

#if defined(__x86_64__) && defined(LRNN_HAVE_LIBMVEC)
/* libmvec's vector-ABI entry points _ZGV<isa>N<lanes>v_<name>: 'e' AVX-512 (8 lanes), 'd' AVX2
 * (4), 'b' SSE2 (2). Whole vectors run in place; the tail goes through a padded vector (pad 1:
 * every function is finite there). */
typedef double v8 __attribute__((vector_size(64)));
typedef double v4 __attribute__((vector_size(32)));
typedef double v2 __attribute__((vector_size(16)));

#define VM_VECTOR(vt, lanes, target, f, entry)                                                 \
    target vt entry(vt);                                                                       \
    target static void f##_##vt(size_t n, const double *x, double *y) {                        \
        size_t i = 0;                                                                          \
        vt v;                                                                                  \
        for (; i + lanes <= n; i += lanes) {                                                   \
            memcpy(&v, x + i, sizeof v);                                                       \
            v = entry(v);                                                                      \
            memcpy(y + i, &v, sizeof v);                                                       \
        }                                                                                      \
        if (i == n) return;                                                                    \
        double tail[lanes];                                                                    \
        for (size_t j = 0; j < lanes; j++) tail[j] = i + j < n ? x[i + j] : 1.0;               \
        memcpy(&v, tail, sizeof v);                                                            \
        v = entry(v);                                                                          \
        memcpy(tail, &v, sizeof v);                                                            \
        memcpy(y + i, tail, (n - i) * sizeof *y);                                              \
    }
#define AVX512 __attribute__((target("avx512f")))
#define AVX2 __attribute__((target("avx2,fma")))
#define SSE2
VM_VECTOR(v8, 8, AVX512, exp, _ZGVeN8v_exp)
VM_VECTOR(v8, 8, AVX512, log, _ZGVeN8v_log)
VM_VECTOR(v8, 8, AVX512, log1p, _ZGVeN8v_log1p)
VM_VECTOR(v8, 8, AVX512, tanh, _ZGVeN8v_tanh)
VM_VECTOR(v4, 4, AVX2, exp, _ZGVdN4v_exp)
VM_VECTOR(v4, 4, AVX2, log, _ZGVdN4v_log)
VM_VECTOR(v4, 4, AVX2, log1p, _ZGVdN4v_log1p)
VM_VECTOR(v4, 4, AVX2, tanh, _ZGVdN4v_tanh)
VM_VECTOR(v2, 2, SSE2, exp, _ZGVbN2v_exp)
VM_VECTOR(v2, 2, SSE2, log, _ZGVbN2v_log)
VM_VECTOR(v2, 2, SSE2, log1p, _ZGVbN2v_log1p)
VM_VECTOR(v2, 2, SSE2, tanh, _ZGVbN2v_tanh)
static const vm_table avx512_table = {"avx512", exp_v8, log_v8, log1p_v8, tanh_v8};
static const vm_table avx2_table = {"avx2", exp_v4, log_v4, log1p_v4, tanh_v4};
static const vm_table sse2_table = {"sse2", exp_v2, log_v2, log1p_v2, tanh_v2};

static const vm_table *pick(void) {
    if (forced_libm()) return &libm_table;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return &avx512_table;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &avx2_table;
    return &sse2_table;
}
#else
static const vm_table *pick(void) {
    (void)forced_libm();
    return &libm_table;
}
#endif

/* Picked on first use; a race between threads writes the same pointer. */
static const vm_table *table(void) {
    static const vm_table *chosen;
    const vm_table *t = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
    if (!t) {
        t = pick();
        __atomic_store_n(&chosen, t, __ATOMIC_RELEASE);
    }
    return t;
}

void vm_exp(size_t n, const double *x, double *y) {
    table()->exp(n, x, y);
}
void vm_log(size_t n, const double *x, double *y) {
    table()->log(n, x, y);
}
void vm_log1p(size_t n, const double *x, double *y) {
    table()->log1p(n, x, y);
}
void vm_tanh(size_t n, const double *x, double *y) {
    table()->tanh(n, x, y);
}
const char *vm_variant(void) {
    return table()->name;
}
