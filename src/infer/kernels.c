/* Instances of the transition kernels (kernels.h) and the choice among them at run time.
 *
 * The build targets baseline x86-64 (SSE2), but the transition's unit loops are 80% of an
 * epoch and run 2-4x faster with AVX2 or AVX-512. With GCC or Clang the kernels are compiled
 * once per instruction set (function target attributes, no global flags) and the widest one
 * the CPU supports is picked once. Every instance computes the same floating-point operations
 * in the same order (see kernels.h); AVX2 and AVX-512 fuse the multiply-adds, so their results
 * agree bit for bit with each other and differ from the 128-bit instance's by rounding only.
 * Other compilers get the plain-C instance. */
#include <math.h>
#include <string.h>

#include "infer/rows.h"
#include "infer/smc_internal.h"
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#endif

#if defined(__GNUC__)
/* Vector parameters of always-inline helpers never cross a real call: no ABI concern. */
#pragma GCC diagnostic ignored "-Wpsabi"

#if defined(__x86_64__) && defined(LRNN_HAVE_LIBMVEC)
/* tanh of whole vectors from glibc's libmvec (within 4 ulp; core/vmath.h): the tanh
 * activation's lanes otherwise go one by one through libm. */
typedef double kt_v2 __attribute__((vector_size(16)));
typedef double kt_v4 __attribute__((vector_size(32)));
typedef double kt_v8 __attribute__((vector_size(64)));
kt_v2 _ZGVbN2v_tanh(kt_v2);
__attribute__((target("avx2,fma"))) kt_v4 _ZGVdN4v_tanh(kt_v4);
__attribute__((target("avx512f,fma"))) kt_v8 _ZGVeN8v_tanh(kt_v8);
#define KT_MVEC 1
#endif

#define KT_VW 2
#define KT_NAME(x) x##_v2
#define KT_TARGET
#ifdef KT_MVEC
#define KT_TANH(v) ((vec)_ZGVbN2v_tanh((kt_v2)(v)))
#endif
#include "infer/kernels.h"
#undef KT_VW
#undef KT_NAME
#undef KT_TARGET
#undef KT_TANH

#if defined(__x86_64__)
#define LRNN_KERNELS_X86 1
/* The AVX2 and AVX-512 instances use fused multiply-adds (one rounding instead of two) at the
 * same places (KT_FMA): 10-15% faster on the unit loops; the two agree bit for bit. */
#define KT_VW 4
#define KT_NAME(x) x##_avx2
#define KT_TARGET __attribute__((target("avx2,fma")))
#define KT_FMA(a, b, c) ((vec)_mm256_fmadd_pd((__m256d)(a), (__m256d)(b), (__m256d)(c)))
#ifdef KT_MVEC
#define KT_TANH(v) ((vec)_ZGVdN4v_tanh((kt_v4)(v)))
#endif
#include "infer/kernels.h"
#undef KT_VW
#undef KT_NAME
#undef KT_TARGET
#undef KT_FMA
#undef KT_TANH

#define KT_VW 8
#define KT_NAME(x) x##_avx512
#define KT_TARGET __attribute__((target("avx512f,fma")))
#define KT_FMA(a, b, c) ((vec)_mm512_fmadd_pd((__m512d)(a), (__m512d)(b), (__m512d)(c)))
#ifdef KT_MVEC
#define KT_TANH(v) ((vec)_ZGVeN8v_tanh((kt_v8)(v)))
#endif
#include "infer/kernels.h"
#undef KT_VW
#undef KT_NAME
#undef KT_TARGET
#undef KT_FMA
#undef KT_TANH
#endif

static const smc_kernels generic = {"vector128", forward_v2, backward_v2, resid_forward_v2,
                                    resid_backward_v2};
#else
#define KT_VW 1
#define KT_NAME(x) x##_c
#define KT_TARGET
#include "infer/kernels.h"
#undef KT_VW
#undef KT_NAME
#undef KT_TARGET

static const smc_kernels generic = {"c", forward_c, backward_c, resid_forward_c, resid_backward_c};
#endif

#ifdef LRNN_KERNELS_X86
static const smc_kernels avx2 = {"avx2", forward_avx2, backward_avx2, resid_forward_avx2,
                                 resid_backward_avx2};
static const smc_kernels avx512 = {"avx512", forward_avx512, backward_avx512,
                                   resid_forward_avx512, resid_backward_avx512};
#endif

const smc_kernels *smc_kernels_pick(const char *name) {
#ifdef LRNN_KERNELS_X86
    __builtin_cpu_init();
    bool has512 = __builtin_cpu_supports("avx512f"), has2 = __builtin_cpu_supports("avx2");
    if (name) {
        if (!strcmp(name, generic.name)) return &generic;
        if (!strcmp(name, avx2.name)) return has2 ? &avx2 : NULL;
        if (!strcmp(name, avx512.name)) return has512 ? &avx512 : NULL;
        return NULL;
    }
    return has512 ? &avx512 : has2 ? &avx2 : &generic;
#else
    return !name || !strcmp(name, generic.name) ? &generic : NULL;
#endif
}
