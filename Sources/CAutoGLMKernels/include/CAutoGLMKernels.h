// Hand-vectorised integer kernels for x86 (AVX-512 VNNI), chosen at run time by CPU
// detection. They compute exactly ReferenceDot's arithmetic — an exact int32 sum per
// 32-block, then acc += (float)sum * (d_w * d_x) block by block in order — so their
// results are bit-identical to the Swift kernels that aarch64 (NEON/SDOT) runs. On other
// architectures every entry point reports "unavailable" and the Swift kernels run — except
// aglm_i8mm_*, the aarch64 SMMLA kernels for CPUs with i8mm (same contract, same bits).
#ifndef CAUTOGLMKERNELS_H
#define CAUTOGLMKERNELS_H

#include <stdint.h>

/// Rows per interleaved group of the repacked Q8_0 layout (one AVX-512 lane per row).
#define AGLM_Q8_GROUP_ROWS 16
/// Bytes of one repacked block: 16 f16 row scales, then 16 rows × 32 int8 (+128 offset).
#define AGLM_Q8_PACKED_BLOCK_BYTES (AGLM_Q8_GROUP_ROWS * 34)

/// 1 when this CPU (and OS) runs the AVX-512 VNNI kernels below, else 0.
int32_t aglm_q8_fast_kernels_available(void);

/// Repacks 16 consecutive Q8_0 rows of `cols` columns (cols % 32 == 0; `src` row-major,
/// 34-byte blocks) into the interleaved group layout at `dst` (16 × cols/32 × 34 bytes):
/// per block, the 16 rows' f16 scales, then for each 4-column quad the 16 rows' 4 values,
/// each stored as value + 128 (an unsigned byte, VNNI's first operand).
void aglm_q8_repack_group(const void *src, void *dst, int64_t cols);

/// out[t * out_stride + g * 16 + r] = dot(row g*16+r, token t) for groups g in
/// [group_begin, group_end) and t < tokens. `packed` is the repacked matrix (group g at
/// g × 16 × cols/32 × 34 bytes); xq/xd are the quantized activations (token t at
/// xq + t*cols, xd + t*cols/32), xsum their per-block sums (token t at xsum + t*cols/32).
void aglm_q8_packed_matmul(const void *packed, int64_t cols, int64_t group_begin, int64_t group_end,
                           const int8_t *xq, const float *xd, const int32_t *xsum, int64_t tokens,
                           float *out, int64_t out_stride);

/// Per-output-channel INT8 (ReferenceDot.int8): 16 consecutive rows of `cols` int8 values
/// (cols % 32 == 0) into the same interleaved order as Q8_0 without the scales: per block
/// of 32 columns, for each 4-column quad the 16 rows' 4 values, each + 128.
void aglm_i8_repack_group(const int8_t *src, void *dst, int64_t cols);

/// The INT8 matmul on that layout: for row r = 16g + l and token t,
///   S_b = Σ w·x − z_r·Σx  per block,  acc = acc + (float)S_b · d_x[b],  out = acc · s_r.
/// `zero_points` may be NULL (symmetric). Other parameters as aglm_q8_packed_matmul.
void aglm_i8_packed_matmul(const void *packed, int64_t cols, int64_t group_begin, int64_t group_end,
                           const float *row_scales, const int8_t *zero_points,
                           const int8_t *xq, const float *xd, const int32_t *xsum, int64_t tokens,
                           float *out, int64_t out_stride);

/// aarch64 with i8mm (SMMLA), file layout (no repacking): out[t * out_stride + r] =
/// VectorDot.q8_0(row r, token t) for r in [row_begin, row_end), t < tokens — bit for bit.
/// `weights` is the Q8_0 matrix (rows of `row_bytes`), xq/xd the quantized activations
/// (token t at xq + t*cols, xd + t*cols/32). Returns 1 when it ran, 0 when this build has no
/// i8mm code (not aarch64). The caller checks aglm_cpu_has_i8mm() first.
int32_t aglm_i8mm_q8_0_rows(const void *weights, int64_t row_bytes, int64_t cols, int64_t row_begin, int64_t row_end,
                            const int8_t *xq, const float *xd, int64_t tokens, float *out, int64_t out_stride);

/// The same for per-channel INT8 rows (`cols` int8 values each): VectorDot.int8 with
/// row_scales[r] and zero_points[r] (zero_points may be NULL: symmetric).
int32_t aglm_i8mm_int8_rows(const int8_t *weights, int64_t cols, int64_t row_begin, int64_t row_end,
                            const float *row_scales, const int8_t *zero_points, const int8_t *xq, const float *xd,
                            int64_t tokens, float *out, int64_t out_stride);

#define AGLM_FLOAT_F32 0
#define AGLM_FLOAT_F16 1
#define AGLM_FLOAT_BF16 2

/// Float weights (AGLM_FLOAT_*; rows of `row_bytes` in the file layout) against Float
/// activations: out[t * out_stride + r] = ReferenceDot.floatWeights(row r, token t) for
/// r in [row_begin, row_end), t < tokens — the same 8-lane order, bit for bit. Returns 1
/// when it ran, 0 when this CPU lacks the instructions (the Swift kernel runs instead).
int32_t aglm_float_matmul(int32_t type, const void *weights, int64_t row_bytes, int64_t cols, int64_t row_begin,
                          int64_t row_end, const float *x, int64_t x_stride, int64_t tokens, float *out,
                          int64_t out_stride);

/// ActivationQuantization.quantizeRow for `tokens` rows of `cols` (cols % 32 == 0) floats
/// at x + t * x_stride into values + t * cols and scales + t * cols/32, plus the block sums
/// of the int8 values into sums (when not NULL); bit-identical. Returns 1 when it ran, 0
/// when this CPU lacks AVX-512.
int32_t aglm_quantize_rows(const float *x, int64_t x_stride, int64_t tokens, int64_t cols, int8_t *values, float *scales,
                           int32_t *sums);

/// ActivationQuantization.rmsNormQuantizeRow for `tokens` rows of `cols` (cols % 32 == 0)
/// floats at x + t * x_stride with the norm weight `weight` (cols floats): RMSNorm and
/// quantization in one pass, output as aglm_quantize_rows; bit-identical to Ops.rmsNorm
/// followed by quantizeRow. Returns 1 when it ran, 0 when this CPU lacks AVX-512.
int32_t aglm_rmsnorm_quantize_rows(const float *x, int64_t x_stride, const float *weight, float eps, int64_t tokens,
                                   int64_t cols, int8_t *values, float *scales, int32_t *sums);

/// out[i] = out[i] + weights[j] · row_j[i] for j < count in order, i < width, where row_j
/// is `width` f32 or f16 (AGLM_FLOAT_F32 / _F16) values at rows + j · row_bytes: the
/// product rounded, then added, as attention's scalar value loop does, bit for bit. Returns
/// 1 when it ran, 0 for another type or when this CPU lacks AVX-512 (the Swift loop runs).
int32_t aglm_weighted_row_sum(int32_t type, const void *rows, int64_t row_bytes, int64_t count, const float *weights,
                              float *out, int64_t width);

/// Ops.softmax in place over `count` floats (max, e^(x − max) with DeterministicMath.exp,
/// the sum in index order, the division), bit for bit, the exps 8 lanes at a time. Returns
/// 1 when it ran, 0 when this CPU lacks AVX-512 (the caller then runs the Swift loop).
int32_t aglm_softmax(float *x, int64_t count);

/// *sum = Σ_i DeterministicMath.expDouble((double)x[i] − shift), added in index order as
/// Perplexity.negativeLogLikelihood's loop adds it: the same bits. Returns 1 when it ran,
/// 0 when this CPU lacks AVX-512 (the caller then runs the Swift loop).
int32_t aglm_sum_exp_shifted(const float *x, int64_t count, double shift, double *sum);

/// out[i] = silu(gate[i]) · up[i] for i < count, exactly as Ops.swiGLU with
/// DeterministicMath.silu computes it (e^x in Double through the same range reduction and
/// degree-13 Horner polynomial, rounded once to Float), 8 lanes at a time. Returns 1 when
/// it ran, 0 when this CPU lacks AVX-512 (the caller then runs the Swift loop).
int32_t aglm_swiglu(const float *gate, const float *up, int64_t count, float *out);

#endif
