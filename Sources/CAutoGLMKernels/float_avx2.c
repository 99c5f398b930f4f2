// F32 / F16 / BF16 weights against Float activations with ReferenceDot.floatWeights'
// arithmetic: element i goes to lane i % 8, each product rounded then added (no FMA), the
// 8 lanes reduced as ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)). One 8-lane register per
// (row, token) pair is that loop exactly; a tile of rows × tokens reuses every load.
// AVX2 + F16C only: the order is 8 lanes wide, so wider registers would not change the
// work, and the AVX-512 path runs this same code.
#include "kernel_prologue.h"
#include "x86_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define X86_KERNEL __attribute__((target("avx2,f16c")))
#define ROW_TILE 4
#define TOKEN_TILE 3
// Tokens whose partial sums are carried across column spans (a multiple of TOKEN_TILE),
// and the columns per span: 48 tokens × 256 columns of activations is 48 KiB, kept in L2
// while every token tile of the block passes over one span of the row tile's weights.
#define TOKEN_BLOCK 48
#define K_SPAN 256

#define FLOAT_LANES_KERNEL X86_KERNEL static inline
#include "float_lanes.h"

// Partial sums of one row tile × one token tile over columns [k0, k1) (a multiple of 8),
// carried in `state` (ROW_TILE × TOKEN_BLOCK registers' worth, [r][t]) between column spans.
// Inlined into each call site: with the type and a full tile's sizes constant there, the
// 12 accumulators stay in registers and the type switch leaves the loop (an out-of-line
// copy kept them on the stack, a load and a store per add).
X86_KERNEL static inline __attribute__((always_inline)) void tile_span(int32_t type, const uint8_t *w, int64_t row_bytes,
                                                                      int nr, const float *x, int64_t x_stride, int nt,
                                                                      int64_t k0, int64_t k1, __m256 *state) {
    __m256 acc[ROW_TILE][TOKEN_TILE];
    for (int r = 0; r < nr; r++)
        for (int t = 0; t < nt; t++) acc[r][t] = state[r * TOKEN_BLOCK + t];
    for (int64_t i = k0; i < k1; i += 8) {
        __m256 xv[TOKEN_TILE];
        for (int t = 0; t < nt; t++) xv[t] = _mm256_loadu_ps(x + t * x_stride + i);
        for (int r = 0; r < nr; r++) {
            const __m256 wv = load8(type, w + r * row_bytes, i);
            for (int t = 0; t < nt; t++) acc[r][t] = _mm256_add_ps(acc[r][t], _mm256_mul_ps(wv, xv[t]));
        }
    }
    for (int r = 0; r < nr; r++)
        for (int t = 0; t < nt; t++) state[r * TOKEN_BLOCK + t] = acc[r][t];
}

X86_KERNEL void aglm_float_matmul_avx2(int32_t type, const void *weights, int64_t row_bytes, int64_t cols,
                                       int64_t row_begin, int64_t row_end, const float *x, int64_t x_stride, int64_t tokens,
                                       float *out, int64_t out_stride) {
    const int64_t body = cols - cols % 8;  // the 8-lane part; the rest is the tail
    __m256 state[ROW_TILE * TOKEN_BLOCK];
    for (int64_t r0 = row_begin; r0 < row_end; r0 += ROW_TILE) {
        const int nr = (int)(row_end - r0 < ROW_TILE ? row_end - r0 : ROW_TILE);
        const uint8_t *w = (const uint8_t *)weights + r0 * row_bytes;
        for (int64_t b0 = 0; b0 < tokens; b0 += TOKEN_BLOCK) {
            const int nb = (int)(tokens - b0 < TOKEN_BLOCK ? tokens - b0 : TOKEN_BLOCK);
            for (int i = 0; i < ROW_TILE * TOKEN_BLOCK; i++) state[i] = _mm256_setzero_ps();
            // Column spans outside, token tiles inside: the block's activations for one
            // span stay in cache while each token tile passes, instead of every row tile
            // streaming all tokens' whole rows. Each lane still adds its products in
            // column order, so the sums are the same bits.
            for (int64_t k0 = 0; k0 < body; k0 += K_SPAN) {
                const int64_t k1 = body - k0 < K_SPAN ? body : k0 + K_SPAN;
                for (int t0 = 0; t0 < nb; t0 += TOKEN_TILE) {
                    const int nt = nb - t0 < TOKEN_TILE ? nb - t0 : TOKEN_TILE;
                    const float *xt = x + (b0 + t0) * x_stride;
                    if (nr == ROW_TILE && nt == TOKEN_TILE) {
                        switch (type) {
                        case AGLM_FLOAT_F32:
                            tile_span(AGLM_FLOAT_F32, w, row_bytes, ROW_TILE, xt, x_stride, TOKEN_TILE, k0, k1, state + t0);
                            break;
                        case AGLM_FLOAT_F16:
                            tile_span(AGLM_FLOAT_F16, w, row_bytes, ROW_TILE, xt, x_stride, TOKEN_TILE, k0, k1, state + t0);
                            break;
                        default:
                            tile_span(AGLM_FLOAT_BF16, w, row_bytes, ROW_TILE, xt, x_stride, TOKEN_TILE, k0, k1, state + t0);
                        }
                    } else {
                        tile_span(type, w, row_bytes, nr, xt, x_stride, nt, k0, k1, state + t0);  // edges
                    }
                }
            }
            for (int r = 0; r < nr; r++) {
                for (int t = 0; t < nb; t++) {
                    float lanes[8];
                    _mm256_storeu_ps(lanes, state[r * TOKEN_BLOCK + t]);
                    // Tail elements land in lanes 0..<(cols − body), as in ReferenceDot.
                    const float *xt = x + (b0 + t) * x_stride;
                    for (int64_t j = body; j < cols; j++) {
                        const float product = load1(type, w + r * row_bytes, j) * xt[j];
                        lanes[j - body] = lanes[j - body] + product;
                    }
                    out[(b0 + t) * out_stride + r0 + r] = reduce8(_mm256_loadu_ps(lanes));
                }
            }
        }
    }
}

#endif
