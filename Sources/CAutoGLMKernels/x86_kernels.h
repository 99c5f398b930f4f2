// The per-path x86 implementations behind the public entry points (kernel_dispatch.c
// chooses among them by the kernel path its caller passes). Private to this target.
// Each is compiled with its own target attribute, so the package builds for generic
// x86-64; the caller has checked (aglm_kernel_path_supported) that the CPU runs it.
#ifndef AGLM_X86_KERNELS_H
#define AGLM_X86_KERNELS_H

#include <stdint.h>

#if defined(__x86_64__)

void aglm_q8_packed_matmul_avx512(const void *packed, int64_t cols, int64_t group_begin, int64_t group_end,
                                  const int8_t *xq, const float *xd, const int32_t *xsum, int64_t tokens, float *out,
                                  int64_t out_stride);
void aglm_q8_packed_matmul_avx2(const void *packed, int64_t cols, int64_t group_begin, int64_t group_end,
                                const int8_t *xq, const float *xd, const int32_t *xsum, int64_t tokens, float *out,
                                int64_t out_stride);

void aglm_i8_packed_matmul_avx512(const void *packed, int64_t cols, int64_t group_begin, int64_t group_end,
                                  const float *row_scales, const int8_t *zero_points, const int8_t *xq, const float *xd,
                                  const int32_t *xsum, int64_t tokens, float *out, int64_t out_stride);
void aglm_i8_packed_matmul_avx2(const void *packed, int64_t cols, int64_t group_begin, int64_t group_end,
                                const float *row_scales, const int8_t *zero_points, const int8_t *xq, const float *xd,
                                const int32_t *xsum, int64_t tokens, float *out, int64_t out_stride);

/// The same arithmetic (8 lanes, the same order) with the larger tile AVX-512VL's 32
/// registers hold: the avx512vnni path's float matmul.
void aglm_float_matmul_avx512(int32_t type, const void *weights, int64_t row_bytes, int64_t cols, int64_t row_begin,
                              int64_t row_end, const float *x, int64_t x_stride, int64_t tokens, float *out,
                              int64_t out_stride);
/// 256-bit code, 16 registers: the avx2 path's float matmul.
void aglm_float_matmul_avx2(int32_t type, const void *weights, int64_t row_bytes, int64_t cols, int64_t row_begin,
                            int64_t row_end, const float *x, int64_t x_stride, int64_t tokens, float *out,
                            int64_t out_stride);

void aglm_quantize_rows_avx512(const float *x, int64_t x_stride, int64_t tokens, int64_t cols, int8_t *values,
                               float *scales, int32_t *sums);
void aglm_quantize_rows_avx2(const float *x, int64_t x_stride, int64_t tokens, int64_t cols, int8_t *values,
                             float *scales, int32_t *sums);

void aglm_rmsnorm_quantize_rows_avx512(const float *x, int64_t x_stride, const float *weight, float eps, int64_t tokens,
                                       int64_t cols, int8_t *values, float *scales, int32_t *sums);
void aglm_rmsnorm_quantize_rows_avx2(const float *x, int64_t x_stride, const float *weight, float eps, int64_t tokens,
                                     int64_t cols, int8_t *values, float *scales, int32_t *sums);

void aglm_swiglu_avx512(const float *gate, const float *up, int64_t count, float *out);
void aglm_swiglu_avx2(const float *gate, const float *up, int64_t count, float *out);

#endif

#endif
