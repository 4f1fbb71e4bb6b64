/* Elementwise transcendental functions over arrays, vectorised through glibc's libmvec where
 * the CPU and C library have it (x86-64: AVX-512, AVX2 or SSE2 variants, picked once), else
 * libm one element at a time. libmvec's results are within 4 ulp of the exact value; they can
 * differ in the last bits between instruction sets, never between runs or thread counts.
 * LRNN_VMATH=libm in the environment forces libm. */
#ifndef LRNN_CORE_VMATH_H
#define LRNN_CORE_VMATH_H

#include <stddef.h>

/* y[i] = f(x[i]) for i < n; y may equal x. */
void vm_exp(size_t n, const double *x, double *y);
void vm_log(size_t n, const double *x, double *y);
void vm_log1p(size_t n, const double *x, double *y);
void vm_tanh(size_t n, const double *x, double *y);
/* Which variant runs: "avx512", "avx2", "sse2" or "libm". */
const char *vm_variant(void);

#endif
