// Q8_0 and per-channel INT8 matmuls with the Armv8.6 int8 matrix multiply (SMMLA,
// vmmlaq_s32) for aarch64 CPUs that have it (i8mm: Cortex-A710/X2 and later, Neoverse
// V1/N2). One SMMLA multiplies a 2×8 block of two weight rows by a 2×8 block of two
// tokens' activations and adds the 2×2 int32 dot products, so a 2-row × 2-token tile
// takes 4 SMMLAs per 32-column block where SDOT takes 8 dot instructions for the same sums.
// Integer sums are exact, and each (row, token) then takes ReferenceDot's float steps in
// its order — acc = acc + (float)sum · (d_w · d_x) block by block (Q8_0), or
// acc = acc + (float)(sum − z·Σx) · d_x and a final · s_r (INT8) — so the results are bit
// for bit those of the SDOT path (VectorDot) and of x86's emulation.
//
// Only these functions are compiled with the i8mm feature (a target attribute, so the rest
// of the program, and any aarch64 build, needs no special flags); the caller checks the CPU
// (aglm_cpu_has_i8mm in CAutoGLMSys) before calling them. On other architectures the entry
// points report "unavailable" and VectorDot runs.
#include "kernel_prologue.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>

#define I8MM_KERNEL __attribute__((target("+i8mm")))

#define BLOCK 32
#define Q8_BLOCK_BYTES 34

// HalfFloat.toFloat, bit for bit (NaN payloads included).
static inline float half_to_float(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    const uint32_t exponent = (h >> 10) & 0x1F;
    const uint32_t mantissa = h & 0x3FF;
    uint32_t bits;
    float f;
    if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa << 13);
    } else if (exponent == 0) {
        f = (float)mantissa * (1.0f / 16777216.0f);
        return sign != 0 ? -f : f;
    } else {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    }
    memcpy(&f, &bits, 4);
    return f;
}

// [w0·x0, w0·x1, w1·x0, w1·x1] over 32 int8 columns: four 8-column SMMLAs.
I8MM_KERNEL static inline int32x4_t tile_dot32(const int8_t *w0, const int8_t *w1, const int8_t *x0, const int8_t *x1) {
    int32x4_t s = vdupq_n_s32(0);
    for (int k = 0; k < BLOCK; k += 8) {
        const int8x16_t a = vcombine_s8(vld1_s8(w0 + k), vld1_s8(w1 + k));
        const int8x16_t b = vcombine_s8(vld1_s8(x0 + k), vld1_s8(x1 + k));
        s = vmmlaq_s32(s, a, b);
    }
    return s;
}

I8MM_KERNEL static inline int32_t sum32(const int8_t *x) {
    return vaddlvq_s16(vaddq_s16(vpaddlq_s8(vld1q_s8(x)), vpaddlq_s8(vld1q_s8(x + 16))));
}

// A tile's [r·t, r·t1, r1·t, r1·t1] into out, skipping the duplicates of an unpaired row or token.
static inline void store_tile(float32x4_t acc, float *out, int64_t out_stride, int64_t r, int64_t r1, int64_t t, int64_t t1) {
    out[t * out_stride + r] = vgetq_lane_f32(acc, 0);
    if (t1 != t) out[t1 * out_stride + r] = vgetq_lane_f32(acc, 1);
    if (r1 != r) {
        out[t * out_stride + r1] = vgetq_lane_f32(acc, 2);
        if (t1 != t) out[t1 * out_stride + r1] = vgetq_lane_f32(acc, 3);
    }
}

// Rows come in pairs and tokens in pairs; an odd last row or token is paired with itself
// and its duplicate result dropped.
I8MM_KERNEL int32_t aglm_i8mm_q8_0_rows(const void *weights, int64_t row_bytes, int64_t cols, int64_t row_begin, int64_t row_end,
                            const int8_t *xq, const float *xd, int64_t tokens, float *out, int64_t out_stride) {
    const int64_t blocks = cols / BLOCK;
    for (int64_t r = row_begin; r < row_end; r += 2) {
        const int64_t r1 = r + 1 < row_end ? r + 1 : r;
        const uint8_t *row0 = (const uint8_t *)weights + r * row_bytes;
        const uint8_t *row1 = (const uint8_t *)weights + r1 * row_bytes;
        for (int64_t t = 0; t < tokens; t += 2) {
            const int64_t t1 = t + 1 < tokens ? t + 1 : t;
            const int8_t *x0 = xq + t * cols, *x1 = xq + t1 * cols;
            float32x4_t acc = vdupq_n_f32(0.0f);  // [r·t, r·t1, r1·t, r1·t1]
            for (int64_t b = 0; b < blocks; b++) {
                const uint8_t *blk0 = row0 + b * Q8_BLOCK_BYTES, *blk1 = row1 + b * Q8_BLOCK_BYTES;
                const int32x4_t s = tile_dot32((const int8_t *)(blk0 + 2), (const int8_t *)(blk1 + 2), x0 + b * BLOCK,
                                               x1 + b * BLOCK);
                const float d0 = half_to_float(blk0), d1 = half_to_float(blk1);
                const float e0 = xd[t * blocks + b], e1 = xd[t1 * blocks + b];
                const float32x4_t wd = {d0, d0, d1, d1}, xdv = {e0, e1, e0, e1};
                acc = vaddq_f32(acc, vmulq_f32(vcvtq_f32_s32(s), vmulq_f32(wd, xdv)));
            }
            store_tile(acc, out, out_stride, r, r1, t, t1);
        }
    }
    return 1;
}

I8MM_KERNEL int32_t aglm_i8mm_int8_rows(const int8_t *weights, int64_t cols, int64_t row_begin, int64_t row_end,
                            const float *row_scales, const int8_t *zero_points, const int8_t *xq, const float *xd,
                            int64_t tokens, float *out, int64_t out_stride) {
    const int64_t blocks = cols / BLOCK;
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
                int32x4_t s = tile_dot32(row0 + b * BLOCK, row1 + b * BLOCK, x0 + b * BLOCK, x1 + b * BLOCK);
                if (zero_points != NULL) {
                    const int32_t sx0 = sum32(x0 + b * BLOCK), sx1 = sum32(x1 + b * BLOCK);
                    const int32x4_t sx = {sx0, sx1, sx0, sx1};
                    s = vsubq_s32(s, vmulq_s32(z, sx));  // wrapping, as Swift's &- and &*
                }
                const float e0 = xd[t * blocks + b], e1 = xd[t1 * blocks + b];
                const float32x4_t xdv = {e0, e1, e0, e1};
                acc = vaddq_f32(acc, vmulq_f32(vcvtq_f32_s32(s), xdv));
            }
            const float32x4_t scale = {row_scales[r], row_scales[r], row_scales[r1], row_scales[r1]};
            acc = vmulq_f32(acc, scale);
            store_tile(acc, out, out_stride, r, r1, t, t1);
        }
    }
    return 1;
}

#else

int32_t aglm_i8mm_q8_0_rows(const void *weights, int64_t row_bytes, int64_t cols, int64_t row_begin, int64_t row_end,
                            const int8_t *xq, const float *xd, int64_t tokens, float *out, int64_t out_stride) {
    (void)weights; (void)row_bytes; (void)cols; (void)row_begin; (void)row_end; (void)xq; (void)xd; (void)tokens;
    (void)out; (void)out_stride;
    return 0;
}

int32_t aglm_i8mm_int8_rows(const int8_t *weights, int64_t cols, int64_t row_begin, int64_t row_end,
                            const float *row_scales, const int8_t *zero_points, const int8_t *xq, const float *xd,
                            int64_t tokens, float *out, int64_t out_stride) {
    (void)weights; (void)cols; (void)row_begin; (void)row_end; (void)row_scales; (void)zero_points; (void)xq; (void)xd;
    (void)tokens; (void)out; (void)out_stride;
    return 0;
}

#endif
