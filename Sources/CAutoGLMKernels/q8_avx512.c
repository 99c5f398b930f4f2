// Q8_0 matmul on the repacked layout with AVX-512 VNNI. See CAutoGLMKernels.h for the
// contract. Compiled for every target; the x86 code is built with per-function target
// attributes, so the rest of the program needs no special flags and runs anywhere.
#include "kernel_prologue.h"
#include "x86_kernels.h"
#include <string.h>

#define BLOCK 32
#define QUADS (BLOCK / 4)
#define GROUP AGLM_Q8_GROUP_ROWS
// Tokens computed together against one loaded block of weights: 8 float and 8 int
// accumulators plus 8 weight registers fit AVX-512's 32 vector registers.
#define TOKEN_TILE 8
// Batched decode (2–8 tokens) streams every weight byte from DRAM once per step, like a
// 1-token decode, but spends ~8× the compute on each block. Left to the hardware
// prefetcher, the stream stalls while the core computes: an 8-row step cost the 1-row
// memory time plus the 8-token compute time (no overlap). Prefetching into L2 this far
// ahead (~70 KB, beyond what the L2 streamer covers) keeps DRAM busy during the compute:
// the 8-row matmul went from ~65–90 ms to ~45 ms on the 1B-shaped Q8_0 file
// (BENCHMARKS.md, "Batched decode: software prefetch"). A 1-token decode keeps up on the
// hardware prefetcher alone, and later token tiles find the group in cache, so only the
// first tile of a multi-token call prefetches.
#define PREFETCH_AHEAD_BYTES (128 * AGLM_Q8_PACKED_BLOCK_BYTES)

void aglm_q8_repack_group(const void *src, void *dst, int64_t cols) {
    const uint8_t *s = (const uint8_t *)src;
    uint8_t *d = (uint8_t *)dst;
    const int64_t blocks = cols / BLOCK;
    const int64_t row_bytes = blocks * 34;
    for (int64_t b = 0; b < blocks; b++) {
        uint8_t *out = d + b * AGLM_Q8_PACKED_BLOCK_BYTES;
        for (int r = 0; r < GROUP; r++) memcpy(out + 2 * r, s + r * row_bytes + b * 34, 2);
        uint8_t *values = out + 2 * GROUP;
        for (int q = 0; q < QUADS; q++)
            for (int r = 0; r < GROUP; r++)
                for (int j = 0; j < 4; j++)
                    values[(q * GROUP + r) * 4 + j] = (uint8_t)(s[r * row_bytes + b * 34 + 2 + q * 4 + j] ^ 0x80);
    }
}

void aglm_i8_repack_group(const int8_t *src, void *dst, int64_t cols) {
    uint8_t *d = (uint8_t *)dst;
    const int64_t blocks = cols / BLOCK;
    for (int64_t b = 0; b < blocks; b++) {
        uint8_t *values = d + b * GROUP * BLOCK;
        for (int q = 0; q < QUADS; q++)
            for (int r = 0; r < GROUP; r++)
                for (int j = 0; j < 4; j++)
                    values[(q * GROUP + r) * 4 + j] = (uint8_t)src[r * cols + b * BLOCK + q * 4 + j] ^ 0x80;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define X86_KERNEL __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c")))

// One group (16 rows) against `nt` ≤ TOKEN_TILE tokens. For row r and token t, per block:
//   sum = Σ (w+128)·x − 128·Σx  (= Σ w·x exactly, int32)
//   acc = acc + (float)sum * (d_w · d_x)
// which is ReferenceDot.q8_0's order; lanes are rows, so no cross-lane reduction.
// Prefetches (into L2) the `bytes` of weights PREFETCH_AHEAD_BYTES after `at`. Prefetches
// never fault, so running past the end of the matrix is harmless.
X86_KERNEL static inline void prefetch_ahead(const uint8_t *at, int bytes) {
    const char *ahead = (const char *)at + PREFETCH_AHEAD_BYTES;
    for (int l = 0; l < bytes; l += 64) _mm_prefetch(ahead + l, _MM_HINT_T2);
}

X86_KERNEL static inline void group_tile(const uint8_t *group, int64_t blocks, const int8_t *xq, const float *xd,
                                         const int32_t *xsum, int64_t cols, int nt, float *out, int64_t out_stride,
                                         int prefetch) {
    __m512 acc[TOKEN_TILE];
    for (int t = 0; t < TOKEN_TILE; t++) acc[t] = _mm512_setzero_ps();
    const int64_t scale_count = cols / BLOCK;
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *blk = group + b * AGLM_Q8_PACKED_BLOCK_BYTES;
        if (prefetch) prefetch_ahead(blk, AGLM_Q8_PACKED_BLOCK_BYTES);
        const __m512 wd = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)blk));
        __m512i w[QUADS];
        for (int q = 0; q < QUADS; q++) w[q] = _mm512_loadu_si512((const void *)(blk + 2 * GROUP + 64 * q));
        for (int t = 0; t < nt; t++) {
            const int8_t *x = xq + t * cols + b * BLOCK;
            int32_t x4[QUADS];
            memcpy(x4, x, sizeof x4);
            // Two independent chains shorten the dependency on VNNI's latency.
            __m512i s0 = _mm512_set1_epi32(-128 * xsum[t * scale_count + b]);
            __m512i s1 = _mm512_setzero_si512();
            for (int q = 0; q < QUADS; q += 2) {
                s0 = _mm512_dpbusd_epi32(s0, w[q], _mm512_set1_epi32(x4[q]));
                s1 = _mm512_dpbusd_epi32(s1, w[q + 1], _mm512_set1_epi32(x4[q + 1]));
            }
            const __m512i sum = _mm512_add_epi32(s0, s1);
            const __m512 scale = _mm512_mul_ps(wd, _mm512_set1_ps(xd[t * scale_count + b]));
            acc[t] = _mm512_add_ps(acc[t], _mm512_mul_ps(_mm512_cvtepi32_ps(sum), scale));
        }
    }
    for (int t = 0; t < nt; t++) _mm512_storeu_ps(out + t * out_stride, acc[t]);
}

X86_KERNEL void aglm_q8_packed_matmul_avx512(const void *packed, int64_t cols, int64_t group_begin, int64_t group_end,
                                             const int8_t *xq, const float *xd, const int32_t *xsum, int64_t tokens,
                                             float *out, int64_t out_stride) {
    const int64_t blocks = cols / BLOCK;
    const int64_t group_bytes = blocks * AGLM_Q8_PACKED_BLOCK_BYTES;
    // Groups outside, token tiles inside: a group's weights (16 rows) stay in L2 while
    // every token tile of the chunk passes over them.
    for (int64_t g = group_begin; g < group_end; g++) {
        const uint8_t *group = (const uint8_t *)packed + g * group_bytes;
        for (int64_t t0 = 0; t0 < tokens; t0 += TOKEN_TILE) {
            const int nt = (int)(tokens - t0 < TOKEN_TILE ? tokens - t0 : TOKEN_TILE);
            // Two call sites with constant flags: each inlined copy keeps its own loop.
            if (t0 == 0 && tokens > 1)
                group_tile(group, blocks, xq + t0 * cols, xd + t0 * blocks, xsum + t0 * blocks, cols, nt,
                           out + t0 * out_stride + g * GROUP, out_stride, 1);
            else
                group_tile(group, blocks, xq + t0 * cols, xd + t0 * blocks, xsum + t0 * blocks, cols, nt,
                           out + t0 * out_stride + g * GROUP, out_stride, 0);
        }
    }
}

// INT8 rows: per block S_b = Σ (w+128)·x − (128 + z_r)·Σx, acc = acc + (float)S_b · d_b,
// then one multiply by the row scale — ReferenceDot.int8's order, lanes being rows.
X86_KERNEL static inline void i8_group_tile(const uint8_t *group, int64_t blocks, __m512i offset, const int8_t *xq,
                                            const float *xd, const int32_t *xsum, int64_t cols, int nt, __m512 scale,
                                            float *out, int64_t out_stride, int prefetch) {
    __m512 acc[TOKEN_TILE];
    for (int t = 0; t < TOKEN_TILE; t++) acc[t] = _mm512_setzero_ps();
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *blk = group + b * GROUP * BLOCK;
        if (prefetch) prefetch_ahead(blk, GROUP * BLOCK);
        __m512i w[QUADS];
        for (int q = 0; q < QUADS; q++) w[q] = _mm512_loadu_si512((const void *)(blk + 64 * q));
        for (int t = 0; t < nt; t++) {
            int32_t x4[QUADS];
            memcpy(x4, xq + t * cols + b * BLOCK, sizeof x4);
            __m512i s0 = _mm512_mullo_epi32(offset, _mm512_set1_epi32(-xsum[t * blocks + b]));
            __m512i s1 = _mm512_setzero_si512();
            for (int q = 0; q < QUADS; q += 2) {
                s0 = _mm512_dpbusd_epi32(s0, w[q], _mm512_set1_epi32(x4[q]));
                s1 = _mm512_dpbusd_epi32(s1, w[q + 1], _mm512_set1_epi32(x4[q + 1]));
            }
            const __m512 sum = _mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1));
            acc[t] = _mm512_add_ps(acc[t], _mm512_mul_ps(sum, _mm512_set1_ps(xd[t * blocks + b])));
        }
    }
    for (int t = 0; t < nt; t++) _mm512_storeu_ps(out + t * out_stride, _mm512_mul_ps(acc[t], scale));
}

X86_KERNEL void aglm_i8_packed_matmul_avx512(const void *packed, int64_t cols, int64_t group_begin, int64_t group_end,
                                             const float *row_scales, const int8_t *zero_points,
                                             const int8_t *xq, const float *xd, const int32_t *xsum, int64_t tokens,
                                             float *out, int64_t out_stride) {
    const int64_t blocks = cols / BLOCK;
    const int64_t group_bytes = blocks * GROUP * BLOCK;
    for (int64_t g = group_begin; g < group_end; g++) {
        const uint8_t *group = (const uint8_t *)packed + g * group_bytes;
        __m512i offset = _mm512_set1_epi32(128);
        if (zero_points != NULL)
            offset = _mm512_add_epi32(offset, _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(zero_points + g * GROUP))));
        const __m512 scale = _mm512_loadu_ps(row_scales + g * GROUP);
        for (int64_t t0 = 0; t0 < tokens; t0 += TOKEN_TILE) {
            const int nt = (int)(tokens - t0 < TOKEN_TILE ? tokens - t0 : TOKEN_TILE);
            if (t0 == 0 && tokens > 1)
                i8_group_tile(group, blocks, offset, xq + t0 * cols, xd + t0 * blocks, xsum + t0 * blocks, cols, nt,
                              scale, out + t0 * out_stride + g * GROUP, out_stride, 1);
            else
                i8_group_tile(group, blocks, offset, xq + t0 * cols, xd + t0 * blocks, xsum + t0 * blocks, cols, nt,
                              scale, out + t0 * out_stride + g * GROUP, out_stride, 0);
        }
    }
}

#endif
