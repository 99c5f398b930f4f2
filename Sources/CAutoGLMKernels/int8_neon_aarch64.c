// Q8_0 and per-channel INT8 matmuls for every aarch64 CPU: armv8.0 Advanced SIMD only
// (Cortex-A53/A57/A72, Raspberry Pi 4, older Jetsons), no SDOT, no SMMLA. Products are
// widened with SMULL (8 int8 × int8 → int16), pairs of them summed with SMLAL2, and the
// int16 pair sums accumulated into int32 with SADALP.
//
// Two products fit an int16 lane unless both are (−128)·(−128) = 16384: 32768 wraps. That
// needs −128 in the activations, which quantizeRow produces only from non-finite values,
// so one scan per call decides; when an activation is −128 each product is accumulated on
// its own (SMULL, SADALP), exactly, at one more instruction per 16 columns.
#include "aarch64_int8_common.h"

#if defined(__aarch64__)

#define ROWS_KERNEL
#define ROWS_NAME(name) aglm_neon_##name
#define ROWS_MAY_NEED_EXACT 1

// Σ a·b over 16 int8 pairs, added into the four int32 lanes of acc.
static inline int32x4_t dot16(int32x4_t acc, int8x16_t a, int8x16_t b, int exact) {
    const int16x8_t low = vmull_s8(vget_low_s8(a), vget_low_s8(b));
    if (exact) return vpadalq_s16(vpadalq_s16(acc, low), vmull_high_s8(a, b));
    return vpadalq_s16(acc, vmlal_high_s8(low, a, b));
}

// Σ w·x over one 32-column block, in four lanes to be added up later.
static inline int32x4_t dot32_lanes(const int8_t *w, const int8_t *x, int exact) {
    const int32x4_t s = dot16(vdupq_n_s32(0), vld1q_s8(w), vld1q_s8(x), exact);
    return dot16(s, vld1q_s8(w + 16), vld1q_s8(x + 16), exact);
}

static inline int32x4_t tile_2x2(const int8_t *w0, const int8_t *w1, const int8_t *x0, const int8_t *x1, int exact) {
    return aglm_a64_lane_sums(dot32_lanes(w0, x0, exact), dot32_lanes(w0, x1, exact), dot32_lanes(w1, x0, exact),
                     dot32_lanes(w1, x1, exact));
}

static inline int32x4_t tile_4x1(const int8_t *w0, const int8_t *w1, const int8_t *w2, const int8_t *w3, const int8_t *x,
                                 int exact) {
    return aglm_a64_lane_sums(dot32_lanes(w0, x, exact), dot32_lanes(w1, x, exact), dot32_lanes(w2, x, exact),
                     dot32_lanes(w3, x, exact));
}

// Whether any of the n activations is −128.
static inline int rows_need_exact(const int8_t *xq, int64_t n) {
    int8x16_t low = vdupq_n_s8(0);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) low = vminq_s8(low, vld1q_s8(xq + i));
    int8_t m = vminvq_s8(low);
    for (; i < n; i++) m = xq[i] < m ? xq[i] : m;
    return m == INT8_MIN;
}

#include "aarch64_int8_rows.h"

#endif
