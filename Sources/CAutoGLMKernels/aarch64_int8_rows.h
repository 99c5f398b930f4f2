// The row loops every aarch64 int8 matmul path shares (armv8.0 NEON, SDOT, SMMLA), a private
// template header: each path's .c file includes it once, after aarch64_int8_common.h, defining
//
//   ROWS_KERNEL            the path's function attribute (its target features), or nothing
//   ROWS_NAME(name)        the path's prefix for the two entry points
//   tile_2x2(w0, w1, x0, x1, exact)      -> int32x4_t [w0·x0, w0·x1, w1·x0, w1·x1]
//   tile_4x1(w0, w1, w2, w3, x, exact)   -> int32x4_t [w0·x, w1·x, w2·x, w3·x]
//                          exact int32 dot products over 32 int8 columns (one block)
//   ROWS_MAY_NEED_EXACT    (only when the tiles have a faster variant that is not exact for
//                          every input: armv8.0 NEON) and rows_need_exact(xq, n), whether
//                          these n activations need the exact variant
//
// A tile holds four (row, token) dot products in the four lanes of one vector, so each
// block's float step — acc = acc + (float)sum · (d_w · d_x) for Q8_0, acc = acc +
// (float)(sum − z·Σx) · d_x then · s_r for INT8 — is one lane-wise multiply/add per lane in
// VectorDot's order (no FMA: kernel_prologue.h), and every path gives its bits. Several
// tokens (prefill) take 2-row × 2-token tiles, which read each weight and activation block
// once for two products; one token (decode) takes 4-row tiles. Rows or tokens that do not
// fill a tile are paired with themselves and their duplicate results dropped.

#ifndef ROWS_MAY_NEED_EXACT
// SDOT and SMMLA sum in int32: exact for every input.
static inline int rows_need_exact(const int8_t *xq, int64_t n) {
    (void)xq; (void)n;
    return 0;
}
#endif

// Q8_0 block scales (IEEE binary16) as floats, gathered into one vector and widened by
// one FCVTL. FCVTL is exact for every number; it quiets a signalling NaN that a bit-for-bit
// widening would keep, but the first multiply quiets it with the same payload anyway, so
// the products are the same bits either way.
static inline uint16x4_t q8_scale_lane(uint16x4_t v, const int8_t *block, const int lane) {
    uint16_t h;
    memcpy(&h, block, sizeof h);
    return vset_lane_u16(h, v, lane);
}

// [d(b0), d(b1), d(b2), d(b3)] of four Q8_0 blocks.
static inline float32x4_t q8_scales4(const int8_t *b0, const int8_t *b1, const int8_t *b2, const int8_t *b3) {
    uint16x4_t v = vdup_n_u16(0);
    v = q8_scale_lane(v, b0, 0);
    v = q8_scale_lane(v, b1, 1);
    v = q8_scale_lane(v, b2, 2);
    v = q8_scale_lane(v, b3, 3);
    return vcvt_f32_f16(vreinterpret_f16_u16(v));
}

// [d0, d0, d1, d1] of two Q8_0 blocks: a 2×2 tile's row scales.
static inline float32x4_t q8_scales_2x2(const int8_t *b0, const int8_t *b1) {
    uint16x4_t v = vdup_n_u16(0);
    v = q8_scale_lane(v, b0, 0);
    v = q8_scale_lane(v, b1, 1);
    const float32x4_t d = vcvt_f32_f16(vreinterpret_f16_u16(v));
    return vzip1q_f32(d, d);
}

// [e0, e1, e0, e1]: a 2×2 tile's token scales.
static inline float32x4_t token_scales_2x2(const float *e0, const float *e1) {
    const float32x2_t e = vld1_lane_f32(e1, vld1_dup_f32(e0), 1);
    return vcombine_f32(e, e);
}

ROWS_KERNEL static inline float32x4_t q8_block_step(float32x4_t acc, int32x4_t sums, float32x4_t wd, float32x4_t xd) {
    return vaddq_f32(acc, vmulq_f32(vcvtq_f32_s32(sums), vmulq_f32(wd, xd)));
}

ROWS_KERNEL static inline int32_t block_sum(const int8_t *x) {
    return vaddlvq_s16(vaddq_s16(vpaddlq_s8(vld1q_s8(x)), vpaddlq_s8(vld1q_s8(x + AGLM_A64_BLOCK / 2))));
}

// S − z·Σx per lane, wrapping as Swift's &- and &*.
ROWS_KERNEL static inline int32x4_t int8_block_sums(int32x4_t sums, int32x4_t z, int32x4_t xsum) {
    return vsubq_s32(sums, vmulq_s32(z, xsum));
}

// The 32 int8 weights of a Q8_0 or Q4_0 block: in place for Q8_0 (after its scale),
// unpacked into `buffer` for Q4_0 (column j in byte j's low nibble, column j+16 in its high
// one, each minus 8), as ReferenceDot.q4_0 reads them.
ROWS_KERNEL static inline const int8_t *block_weights(const uint8_t *block, int nibbles, int8_t buffer[AGLM_A64_BLOCK]) {
    if (!nibbles) return (const int8_t *)(block + 2);
    const uint8x16_t packed = vld1q_u8(block + 2);
    const int8x16_t eight = vdupq_n_s8(8);
    vst1q_s8(buffer, vsubq_s8(vreinterpretq_s8_u8(vandq_u8(packed, vdupq_n_u8(0x0F))), eight));
    vst1q_s8(buffer + AGLM_A64_BLOCK / 2, vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(packed, 4)), eight));
    return buffer;
}

// Q8_0 (block_bytes 34) or Q4_0 (18, nibbles): blocks that start with an f16 scale d_w,
// acc = acc + (float)sum · (d_w · d_x) block by block.
ROWS_KERNEL static inline __attribute__((always_inline)) void scaled_block_rows(
    const uint8_t *weights, int64_t row_bytes, int64_t cols, int64_t row_begin, int64_t row_end, const int8_t *xq,
    const float *xd, int64_t tokens, float *out, int64_t out_stride, int64_t block_bytes, int nibbles, int exact) {
    int8_t unpacked[4][AGLM_A64_BLOCK] __attribute__((aligned(16)));
    const int64_t blocks = cols / AGLM_A64_BLOCK;
    if (tokens == 1) {
        for (int64_t r = row_begin; r < row_end; r += 4) {
            int64_t rr[4];
            const int8_t *w[4];
            aglm_a64_quad_rows(r, row_end, weights, row_bytes, rr, w);
            float32x4_t acc = vdupq_n_f32(0.0f);
            for (int64_t b = 0; b < blocks; b++) {
                const int64_t o = b * block_bytes;
                const int32x4_t s = tile_4x1(block_weights((const uint8_t *)w[0] + o, nibbles, unpacked[0]),
                                             block_weights((const uint8_t *)w[1] + o, nibbles, unpacked[1]),
                                             block_weights((const uint8_t *)w[2] + o, nibbles, unpacked[2]),
                                             block_weights((const uint8_t *)w[3] + o, nibbles, unpacked[3]),
                                             xq + b * AGLM_A64_BLOCK, exact);
                const float32x4_t wd = q8_scales4(w[0] + o, w[1] + o, w[2] + o, w[3] + o);
                acc = q8_block_step(acc, s, wd, vld1q_dup_f32(xd + b));
            }
            aglm_a64_store_quad(acc, out, rr);
        }
        return;
    }
    for (int64_t r = row_begin; r < row_end; r += 2) {
        const int64_t r1 = r + 1 < row_end ? r + 1 : r;
        const uint8_t *row0 = weights + r * row_bytes, *row1 = weights + r1 * row_bytes;
        for (int64_t t = 0; t < tokens; t += 2) {
            const int64_t t1 = t + 1 < tokens ? t + 1 : t;
            const int8_t *x0 = xq + t * cols, *x1 = xq + t1 * cols;
            float32x4_t acc = vdupq_n_f32(0.0f);  // [r·t, r·t1, r1·t, r1·t1]
            for (int64_t b = 0; b < blocks; b++) {
                const uint8_t *blk0 = row0 + b * block_bytes, *blk1 = row1 + b * block_bytes;
                const int32x4_t s = tile_2x2(block_weights(blk0, nibbles, unpacked[0]), block_weights(blk1, nibbles, unpacked[1]),
                                             x0 + b * AGLM_A64_BLOCK, x1 + b * AGLM_A64_BLOCK, exact);
                const float32x4_t wd = q8_scales_2x2((const int8_t *)blk0, (const int8_t *)blk1);
                acc = q8_block_step(acc, s, wd, token_scales_2x2(xd + t * blocks + b, xd + t1 * blocks + b));
            }
            aglm_a64_store_tile(acc, out, out_stride, r, r1, t, t1);
        }
    }
}

ROWS_KERNEL static inline __attribute__((always_inline)) void int8_rows(const int8_t *weights, int64_t cols, int64_t row_begin, int64_t row_end,
                                         const float *row_scales, const int8_t *zero_points, const int8_t *xq,
                                         const float *xd, int64_t tokens, float *out, int64_t out_stride, int exact) {
    const int64_t blocks = cols / AGLM_A64_BLOCK;
    if (tokens == 1) {
        for (int64_t r = row_begin; r < row_end; r += 4) {
            int64_t rr[4];
            const int8_t *w[4];
            aglm_a64_quad_rows(r, row_end, weights, cols, rr, w);
            const int32x4_t z = zero_points != NULL
                ? (int32x4_t){zero_points[rr[0]], zero_points[rr[1]], zero_points[rr[2]], zero_points[rr[3]]}
                : vdupq_n_s32(0);
            float32x4_t acc = vdupq_n_f32(0.0f);
            for (int64_t b = 0; b < blocks; b++) {
                const int64_t o = b * AGLM_A64_BLOCK;
                int32x4_t s = tile_4x1(w[0] + o, w[1] + o, w[2] + o, w[3] + o, xq + o, exact);
                if (zero_points != NULL) s = int8_block_sums(s, z, vdupq_n_s32(block_sum(xq + o)));
                acc = vaddq_f32(acc, vmulq_f32(vcvtq_f32_s32(s), vld1q_dup_f32(xd + b)));
            }
            const float32x4_t scale = {row_scales[rr[0]], row_scales[rr[1]], row_scales[rr[2]], row_scales[rr[3]]};
            aglm_a64_store_quad(vmulq_f32(acc, scale), out, rr);
        }
        return;
    }
    for (int64_t r = row_begin; r < row_end; r += 2) {
        const int64_t r1 = r + 1 < row_end ? r + 1 : r;
        const int8_t *row0 = weights + r * cols, *row1 = weights + r1 * cols;
        const int32_t z0 = zero_points != NULL ? zero_points[r] : 0, z1 = zero_points != NULL ? zero_points[r1] : 0;
        const int32x4_t z = {z0, z0, z1, z1};
        for (int64_t t = 0; t < tokens; t += 2) {
            const int64_t t1 = t + 1 < tokens ? t + 1 : t;
            const int8_t *x0 = xq + t * cols, *x1 = xq + t1 * cols;
            float32x4_t acc = vdupq_n_f32(0.0f);  // [r·t, r·t1, r1·t, r1·t1]
            for (int64_t b = 0; b < blocks; b++) {
                const int64_t o = b * AGLM_A64_BLOCK;
                int32x4_t s = tile_2x2(row0 + o, row1 + o, x0 + o, x1 + o, exact);
                if (zero_points != NULL) {
                    const int32_t sx0 = block_sum(x0 + o), sx1 = block_sum(x1 + o);
                    s = int8_block_sums(s, z, (int32x4_t){sx0, sx1, sx0, sx1});
                }
                acc = vaddq_f32(acc, vmulq_f32(vcvtq_f32_s32(s), token_scales_2x2(xd + t * blocks + b, xd + t1 * blocks + b)));
            }
            const float32x4_t scale = {row_scales[r], row_scales[r], row_scales[r1], row_scales[r1]};
            aglm_a64_store_tile(vmulq_f32(acc, scale), out, out_stride, r, r1, t, t1);
        }
    }
}

// The exact/inexact choice is made once per call, outside the loops, so each loop is
// compiled twice with the choice constant (always inlined: the instructions of each path
// then lie inside its entry points, where the cross-check's objdump looks for them).
ROWS_KERNEL int32_t ROWS_NAME(q8_0_rows)(const void *weights, int64_t row_bytes, int64_t cols, int64_t row_begin,
                                         int64_t row_end, const int8_t *xq, const float *xd, int64_t tokens, float *out,
                                         int64_t out_stride) {
    if (rows_need_exact(xq, tokens * cols)) {
        scaled_block_rows(weights, row_bytes, cols, row_begin, row_end, xq, xd, tokens, out, out_stride,
                          AGLM_A64_Q8_BLOCK_BYTES, 0, 1);
    } else {
        scaled_block_rows(weights, row_bytes, cols, row_begin, row_end, xq, xd, tokens, out, out_stride,
                          AGLM_A64_Q8_BLOCK_BYTES, 0, 0);
    }
    return 1;
}

// Q4_0 weights lie in [−8, 7]: two products never leave an int16 lane, so no exact variant.
ROWS_KERNEL int32_t ROWS_NAME(q4_0_rows)(const void *weights, int64_t row_bytes, int64_t cols, int64_t row_begin,
                                         int64_t row_end, const int8_t *xq, const float *xd, int64_t tokens, float *out,
                                         int64_t out_stride) {
    scaled_block_rows(weights, row_bytes, cols, row_begin, row_end, xq, xd, tokens, out, out_stride,
                      AGLM_A64_Q4_BLOCK_BYTES, 1, 0);
    return 1;
}

ROWS_KERNEL int32_t ROWS_NAME(int8_rows)(const int8_t *weights, int64_t cols, int64_t row_begin, int64_t row_end,
                                         const float *row_scales, const int8_t *zero_points, const int8_t *xq,
                                         const float *xd, int64_t tokens, float *out, int64_t out_stride) {
    if (rows_need_exact(xq, tokens * cols)) {
        int8_rows(weights, cols, row_begin, row_end, row_scales, zero_points, xq, xd, tokens, out, out_stride, 1);
    } else {
        int8_rows(weights, cols, row_begin, row_end, row_scales, zero_points, xq, xd, tokens, out, out_stride, 0);
    }
    return 1;
}
