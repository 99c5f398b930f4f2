// Hand-vectorised kernels, one set per CPU feature level (a "kernel path": AVX-512 VNNI,
// AVX2 + FMA + F16C on x86; armv8.0 NEON, SDOT and SMMLA on aarch64). Every one computes
// exactly ReferenceDot's arithmetic — an exact int32 sum per 32-block, then
// acc += (float)sum * (d_w * d_x) block by block in order — so the results are
// bit-identical on every path. The path is chosen once at start-up (KernelPath in
// AutoGLMCore, from aglm_kernel_path_supported) and passed to each entry point; an
// entry point returns 0 ("did not run") for a path it has no code for, and the caller runs
// the Swift kernel instead.
#ifndef CAUTOGLMKERNELS_H
#define CAUTOGLMKERNELS_H

#include <stdint.h>

/// Kernel paths (KernelPath's raw values). A path names the fastest instruction set a
/// CPU offers for these kernels; the scalar path runs none of them.
#define AGLM_PATH_SCALAR 0
#define AGLM_PATH_AVX2 1
#define AGLM_PATH_AVX512VNNI 2
#define AGLM_PATH_NEON 3
#define AGLM_PATH_NEON_DOTPROD 4
#define AGLM_PATH_NEON_I8MM 5

/// 1 when this CPU (and OS, and build) can run kernel path `path`, else 0.
int32_t aglm_kernel_path_supported(int32_t path);

/// Rows per interleaved group of the repacked Q8_0 layout (one AVX-512 lane per row).
#define AGLM_Q8_GROUP_ROWS 16
/// Bytes of one repacked block: 16 f16 row scales, then 16 rows × 32 int8 (+128 offset).
#define AGLM_Q8_PACKED_BLOCK_BYTES (AGLM_Q8_GROUP_ROWS * 34)

/// 1 when `path` has matmul kernels for the repacked layout below (avx512vnni, avx2).
int32_t aglm_path_has_packed_kernels(int32_t path);

/// Repacks 16 consecutive Q8_0 rows of `cols` columns (cols % 32 == 0; `src` row-major,
/// 34-byte blocks) into the interleaved group layout at `dst` (16 × cols/32 × 34 bytes):
/// per block, the 16 rows' f16 scales, then for each 4-column quad the 16 rows' 4 values,
/// each stored as value + 128 (an unsigned byte, VNNI's first operand).
void aglm_q8_repack_group(const void *src, void *dst, int64_t cols);

/// On a path with packed kernels (aglm_path_has_packed_kernels; otherwise nothing runs):
/// out[t * out_stride + g * 16 + r] = dot(row g*16+r, token t) for groups g in
/// [group_begin, group_end) and t < tokens. `packed` is the repacked matrix (group g at
/// g × 16 × cols/32 × 34 bytes); xq/xd are the quantized activations (token t at
/// xq + t*cols, xd + t*cols/32), xsum their per-block sums (token t at xsum + t*cols/32).
void aglm_q8_packed_matmul(int32_t path, const void *packed, int64_t cols, int64_t group_begin, int64_t group_end,
                           const int8_t *xq, const float *xd, const int32_t *xsum, int64_t tokens,
                           float *out, int64_t out_stride);

/// Per-output-channel INT8 (ReferenceDot.int8): 16 consecutive rows of `cols` int8 values
/// (cols % 32 == 0) into the same interleaved order as Q8_0 without the scales: per block
/// of 32 columns, for each 4-column quad the 16 rows' 4 values, each + 128.
void aglm_i8_repack_group(const int8_t *src, void *dst, int64_t cols);

/// The INT8 matmul on that layout: for row r = 16g + l and token t,
///   S_b = Σ w·x − z_r·Σx  per block,  acc = acc + (float)S_b · d_x[b],  out = acc · s_r.
/// `zero_points` may be NULL (symmetric). Other parameters as aglm_q8_packed_matmul.
void aglm_i8_packed_matmul(int32_t path, const void *packed, int64_t cols, int64_t group_begin, int64_t group_end,
                           const float *row_scales, const int8_t *zero_points,
                           const int8_t *xq, const float *xd, const int32_t *xsum, int64_t tokens,
                           float *out, int64_t out_stride);

/// The aarch64 int8 matmul paths (MatmulTask maps KernelPath to these): none elsewhere.
#define AGLM_AARCH64_NONE 0
/// armv8.0 Advanced SIMD: SMULL/SMLAL2 widening products, SADALP accumulation.
#define AGLM_AARCH64_NEON 1
/// Armv8.2 dot product (SDOT).
#define AGLM_AARCH64_NEON_DOTPROD 2
/// Armv8.6 int8 matrix multiply (SMMLA) for several tokens, SDOT for one (needs both).
#define AGLM_AARCH64_NEON_I8MM 3

/// Q8_0 matmul on aarch64 path `path` (AGLM_AARCH64_*; the CPU must have it), file layout
/// (no repacking): out[t * out_stride + r] = VectorDot.q8_0(row r, token t) for r in
/// [row_begin, row_end), t < tokens — bit for bit, on every path. `weights` is the Q8_0
/// matrix (rows of `row_bytes`), xq/xd the quantized activations (token t at xq + t*cols,
/// xd + t*cols/32). Returns 1 when it ran, 0 when `path` is AGLM_AARCH64_NONE or this build
/// is not for aarch64.
int32_t aglm_aarch64_q8_0_rows(int32_t path, const void *weights, int64_t row_bytes, int64_t cols, int64_t row_begin,
                               int64_t row_end, const int8_t *xq, const float *xd, int64_t tokens, float *out,
                               int64_t out_stride);

/// The same for Q4_0 rows (18-byte blocks): VectorDot.q4_0 (ReferenceDot.q4_0's arithmetic).
int32_t aglm_aarch64_q4_0_rows(int32_t path, const void *weights, int64_t row_bytes, int64_t cols, int64_t row_begin,
                               int64_t row_end, const int8_t *xq, const float *xd, int64_t tokens, float *out,
                               int64_t out_stride);

/// The same for per-channel INT8 rows (`cols` int8 values each): VectorDot.int8 with
/// row_scales[r] and zero_points[r] (zero_points may be NULL: symmetric).
int32_t aglm_aarch64_int8_rows(int32_t path, const int8_t *weights, int64_t cols, int64_t row_begin, int64_t row_end,
                               const float *row_scales, const int8_t *zero_points, const int8_t *xq, const float *xd,
                               int64_t tokens, float *out, int64_t out_stride);

#define AGLM_FLOAT_F32 0
#define AGLM_FLOAT_F16 1
#define AGLM_FLOAT_BF16 2

/// Float weights (AGLM_FLOAT_*; rows of `row_bytes` in the file layout) against Float
/// activations: out[t * out_stride + r] = ReferenceDot.floatWeights(row r, token t) for
/// r in [row_begin, row_end), t < tokens — the same 8-lane order, bit for bit. Returns 1
/// when it ran, 0 when `path` has no float kernel (the Swift kernel runs instead).
int32_t aglm_float_matmul(int32_t path, int32_t type, const void *weights, int64_t row_bytes, int64_t cols, int64_t row_begin,
                          int64_t row_end, const float *x, int64_t x_stride, int64_t tokens, float *out,
                          int64_t out_stride);

/// ActivationQuantization.quantizeRow for `tokens` rows of `cols` (cols % 32 == 0) floats
/// at x + t * x_stride into values + t * cols and scales + t * cols/32, plus the block sums
/// of the int8 values into sums (when not NULL); bit-identical. Returns 1 when it ran, 0
/// when `path` has no such kernel.
int32_t aglm_quantize_rows(int32_t path, const float *x, int64_t x_stride, int64_t tokens, int64_t cols, int8_t *values, float *scales,
                           int32_t *sums);

/// ActivationQuantization.rmsNormQuantizeRow for `tokens` rows of `cols` (cols % 32 == 0)
/// floats at x + t * x_stride with the norm weight `weight` (cols floats): RMSNorm and
/// quantization in one pass, output as aglm_quantize_rows; bit-identical to Ops.rmsNorm
/// followed by quantizeRow. Returns 1 when it ran, 0 when `path` has no such kernel.
int32_t aglm_rmsnorm_quantize_rows(int32_t path, const float *x, int64_t x_stride, const float *weight, float eps, int64_t tokens,
                                   int64_t cols, int8_t *values, float *scales, int32_t *sums);

/// out[i] = out[i] + weights[j] · row_j[i] for j < count in order, i < width, where row_j
/// is `width` f32 or f16 (AGLM_FLOAT_F32 / _F16) values at rows + j · row_bytes: the
/// product rounded, then added, as attention's scalar value loop does, bit for bit. Returns
/// 1 when it ran, 0 for another type or a path other than AGLM_PATH_AVX512VNNI (the only
/// one with this kernel so far; the Swift loop runs).
int32_t aglm_weighted_row_sum(int32_t path, int32_t type, const void *rows, int64_t row_bytes, int64_t count,
                              const float *weights, float *out, int64_t width);

/// Ops.softmax in place over `count` floats (max, e^(x − max) with DeterministicMath.exp,
/// the sum in index order, the division), bit for bit, the exps 8 lanes at a time. Returns
/// 1 when it ran, 0 on a path other than AGLM_PATH_AVX512VNNI (the caller then runs the
/// Swift loop).
int32_t aglm_softmax(int32_t path, float *x, int64_t count);

/// *sum = Σ_i DeterministicMath.expDouble((double)x[i] − shift), added in index order as
/// Perplexity.negativeLogLikelihood's loop adds it: the same bits. Returns 1 when it ran,
/// 0 on a path other than AGLM_PATH_AVX512VNNI (the caller then runs the Swift loop).
int32_t aglm_sum_exp_shifted(int32_t path, const float *x, int64_t count, double shift, double *sum);

/// out[i] = silu(gate[i]) · up[i] for i < count, exactly as Ops.swiGLU with
/// DeterministicMath.silu computes it (e^x in Double through the same range reduction and
/// degree-13 Horner polynomial, rounded once to Float), 8 lanes at a time. Returns 1 when
/// it ran, 0 when `path` has no such kernel (the caller then runs the Swift loop).
int32_t aglm_swiglu(int32_t path, const float *gate, const float *up, int64_t count, float *out);

#endif
