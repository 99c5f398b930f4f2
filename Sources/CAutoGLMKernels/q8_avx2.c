// Q8_0 and per-channel INT8 matmuls on the repacked layout (aglm_q8_repack_group) with
// AVX2: the avx2 kernel path, for x86 CPUs without AVX-512 VNNI. Same contract and bits as
// the VNNI kernels: an exact int32 sum per 32-block, then ReferenceDot's float steps.
//
// Why vpmaddwd and not vpmaddubsw: the repacked weights are w + 128 (0…255) and the
// activations any int8, so a vpmaddubsw pair (up to 2·255·128) would saturate its int16.
// Zero-extending the weights and sign-extending the activations to int16 makes every
// vpmaddwd pair an exact int32 — the same number of multiply instructions per 32 products
// as llama.cpp's sign trick, without its exceptions. As with VNNI, 128·Σx is taken off
// each block's sum after.
//
// A 256-bit register holds 8 rows' int32 sums, so a 16-row group runs as two halves of 8
// rows. Per 4-column quad the 4 rows' 4 weights widen to one register of int16, and
// vpmaddwd leaves two partial sums per row; one vphaddd per block joins them, leaving the
// rows in the order 0,1,4,5,2,3,6,7 — the float steps run in that order (they are per
// lane) and one permutation restores the row order at the store.
#include "kernel_prologue.h"
#include "x86_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define X86_KERNEL __attribute__((target("avx2,fma,f16c")))
#define ALWAYS_INLINE __attribute__((always_inline))
#define BLOCK 32
#define QUADS (BLOCK / 4)
#define GROUP AGLM_Q8_GROUP_ROWS
#define HALF_ROWS 8
// Tokens per pass over a half-group's block: 4 tokens × (2 int + 1 float accumulators)
// plus 2 weight registers and the activations fit AVX2's 16 vector registers.
#define TOKEN_TILE 4
// Swaps the middle 64-bit chunks: rows 0,1,4,5,2,3,6,7 ↔ 0…7 (its own inverse).
#define ROW_ORDER _MM_SHUFFLE(3, 1, 2, 0)

// sums[t] = Σ over the block of (w + 128)·x for the half's 8 rows (in ROW_ORDER) and
// token t < nt; `values` is the half's first quad, x token 0's block (token t at x + t·cols).
X86_KERNEL static inline ALWAYS_INLINE void block_sums(const uint8_t *values, const int8_t *x, int64_t cols, int nt,
                                                       __m256i *sums) {
    __m256i lo[TOKEN_TILE], hi[TOKEN_TILE];  // rows 0–3 and 4–7, two partial sums per row
    for (int t = 0; t < nt; t++) lo[t] = hi[t] = _mm256_setzero_si256();
    for (int q = 0; q < QUADS; q++) {
        const __m256i w03 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(values + 4 * GROUP * q)));
        const __m256i w47 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(values + 4 * GROUP * q + 16)));
        for (int t = 0; t < nt; t++) {
            int32_t x4;
            memcpy(&x4, x + t * cols + 4 * q, 4);
            const __m256i xv = _mm256_cvtepi8_epi16(_mm_set1_epi32(x4));  // the quad, once per row
            lo[t] = _mm256_add_epi32(lo[t], _mm256_madd_epi16(w03, xv));
            hi[t] = _mm256_add_epi32(hi[t], _mm256_madd_epi16(w47, xv));
        }
    }
    for (int t = 0; t < nt; t++) sums[t] = _mm256_hadd_epi32(lo[t], hi[t]);
}

// 8 floats of `p`, reordered to ROW_ORDER (or back).
X86_KERNEL static inline ALWAYS_INLINE __m256 row_order(__m256 v) {
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), ROW_ORDER));
}

// Q8_0: rows 8·half… of one group against nt tokens; per block and lane
//   acc = acc + (float)(Σ(w+128)·x − 128·Σx) * (d_w · d_x), ReferenceDot.q8_0's order.
X86_KERNEL static inline ALWAYS_INLINE void q8_half_tile(const uint8_t *group, int half, int64_t blocks, const int8_t *xq,
                                                         const float *xd, const int32_t *xsum, int64_t cols, int nt,
                                                         float *out, int64_t out_stride) {
    __m256 acc[TOKEN_TILE];
    for (int t = 0; t < nt; t++) acc[t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *blk = group + b * AGLM_Q8_PACKED_BLOCK_BYTES;
        const __m256 wd = row_order(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(blk + 2 * HALF_ROWS * half))));
        __m256i sums[TOKEN_TILE];
        block_sums(blk + 2 * GROUP + 4 * HALF_ROWS * half, xq + b * BLOCK, cols, nt, sums);
        for (int t = 0; t < nt; t++) {
            const __m256i sum = _mm256_sub_epi32(sums[t], _mm256_set1_epi32(128 * xsum[t * blocks + b]));
            const __m256 scale = _mm256_mul_ps(wd, _mm256_set1_ps(xd[t * blocks + b]));
            acc[t] = _mm256_add_ps(acc[t], _mm256_mul_ps(_mm256_cvtepi32_ps(sum), scale));
        }
    }
    for (int t = 0; t < nt; t++) _mm256_storeu_ps(out + t * out_stride + HALF_ROWS * half, row_order(acc[t]));
}

// INT8: per block S_b = Σ(w+128)·x − (128 + z_r)·Σx, acc = acc + (float)S_b · d_b, then
// one multiply by the row scale — ReferenceDot.int8's order.
X86_KERNEL static inline ALWAYS_INLINE void i8_half_tile(const uint8_t *group, int half, int64_t blocks, __m256i offset,
                                                         const int8_t *xq, const float *xd, const int32_t *xsum,
                                                         int64_t cols, int nt, __m256 scale, float *out,
                                                         int64_t out_stride) {
    __m256 acc[TOKEN_TILE];
    for (int t = 0; t < nt; t++) acc[t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *blk = group + b * GROUP * BLOCK;
        __m256i sums[TOKEN_TILE];
        block_sums(blk + 4 * HALF_ROWS * half, xq + b * BLOCK, cols, nt, sums);
        for (int t = 0; t < nt; t++) {
            const __m256i sum = _mm256_sub_epi32(sums[t], _mm256_mullo_epi32(offset, _mm256_set1_epi32(xsum[t * blocks + b])));
            acc[t] = _mm256_add_ps(acc[t], _mm256_mul_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(xd[t * blocks + b])));
        }
    }
    for (int t = 0; t < nt; t++)
        _mm256_storeu_ps(out + t * out_stride + HALF_ROWS * half, _mm256_mul_ps(row_order(acc[t]), scale));
}

// Token tiles of constant size, so each inlined copy keeps its accumulators in registers.
#define FOR_TOKEN_TILES(tokens, CALL)                                                                  \
    for (int64_t t0 = 0; t0 < (tokens); t0 += TOKEN_TILE) {                                             \
        switch ((tokens) - t0 < TOKEN_TILE ? (int)((tokens) - t0) : TOKEN_TILE) {                        \
        case 4: CALL(4); break;                                                                          \
        case 3: CALL(3); break;                                                                          \
        case 2: CALL(2); break;                                                                          \
        default: CALL(1); break;                                                                         \
        }                                                                                                \
    }

X86_KERNEL void aglm_q8_packed_matmul_avx2(const void *packed, int64_t cols, int64_t group_begin, int64_t group_end,
                                           const int8_t *xq, const float *xd, const int32_t *xsum, int64_t tokens,
                                           float *out, int64_t out_stride) {
    const int64_t blocks = cols / BLOCK;
    const int64_t group_bytes = blocks * AGLM_Q8_PACKED_BLOCK_BYTES;
    // Half-groups outside, token tiles inside: 8 rows' weights stay in L1/L2 while every
    // token tile passes over them.
    for (int64_t g = group_begin; g < group_end; g++) {
        const uint8_t *group = (const uint8_t *)packed + g * group_bytes;
        for (int half = 0; half < 2; half++) {
#define Q8_TILE(nt) q8_half_tile(group, half, blocks, xq + t0 * cols, xd + t0 * blocks, xsum + t0 * blocks, cols, nt, \
                                 out + t0 * out_stride + g * GROUP, out_stride)
            FOR_TOKEN_TILES(tokens, Q8_TILE)
#undef Q8_TILE
        }
    }
}

X86_KERNEL void aglm_i8_packed_matmul_avx2(const void *packed, int64_t cols, int64_t group_begin, int64_t group_end,
                                           const float *row_scales, const int8_t *zero_points, const int8_t *xq,
                                           const float *xd, const int32_t *xsum, int64_t tokens, float *out,
                                           int64_t out_stride) {
    const int64_t blocks = cols / BLOCK;
    const int64_t group_bytes = blocks * GROUP * BLOCK;
    for (int64_t g = group_begin; g < group_end; g++) {
        const uint8_t *group = (const uint8_t *)packed + g * group_bytes;
        for (int half = 0; half < 2; half++) {
            const int64_t first = g * GROUP + HALF_ROWS * half;
            __m256i offset = _mm256_set1_epi32(128);
            if (zero_points != NULL) {
                const __m256i z = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(zero_points + first)));
                offset = _mm256_add_epi32(offset, _mm256_permute4x64_epi64(z, ROW_ORDER));
            }
            const __m256 scale = _mm256_loadu_ps(row_scales + first);
#define I8_TILE(nt) i8_half_tile(group, half, blocks, offset, xq + t0 * cols, xd + t0 * blocks, xsum + t0 * blocks, cols, \
                                 nt, scale, out + t0 * out_stride + g * GROUP, out_stride)
            FOR_TOKEN_TILES(tokens, I8_TILE)
#undef I8_TILE
        }
    }
}

#endif
