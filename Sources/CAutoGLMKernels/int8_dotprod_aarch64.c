// Q8_0 and per-channel INT8 matmuls with the Armv8.2 dot product (SDOT, vdotq_s32) for
// aarch64 CPUs that have it (FEAT_DotProd: Cortex-A55/A76/A78, Raspberry Pi 5, Jetson
// Orin) but no i8mm. One SDOT adds four int8 products into each of four int32 lanes, so a
// 32-column block of one (row, token) pair is two SDOTs, summed across lanes with ADDP.
//
// Only these functions are compiled for Armv8.2 with dotprod (a target attribute: GCC's
// arm_neon.h defines vdotq_s32 for "armv8.2-a+dotprod", and inlining needs the caller to
// have at least that), so an armv8.0 build contains SDOT here alone and runs it only when
// the CPU reports it.
#include "aarch64_int8_common.h"

#if defined(__aarch64__)

#define ROWS_KERNEL __attribute__((target("arch=armv8.2-a+dotprod")))
#define ROWS_NAME(name) aglm_dotprod_##name

// Σ w·x over one 32-column block, in four lanes to be added up later.
ROWS_KERNEL static inline int32x4_t dot32_lanes(const int8_t *w, const int8_t *x) {
    const int32x4_t s = vdotq_s32(vdupq_n_s32(0), vld1q_s8(w), vld1q_s8(x));
    return vdotq_s32(s, vld1q_s8(w + 16), vld1q_s8(x + 16));
}

ROWS_KERNEL static inline int32x4_t tile_2x2(const int8_t *w0, const int8_t *w1, const int8_t *x0, const int8_t *x1,
                                             int exact) {
    (void)exact;
    return aglm_a64_lane_sums(dot32_lanes(w0, x0), dot32_lanes(w0, x1), dot32_lanes(w1, x0), dot32_lanes(w1, x1));
}

ROWS_KERNEL static inline int32x4_t tile_4x1(const int8_t *w0, const int8_t *w1, const int8_t *w2, const int8_t *w3,
                                             const int8_t *x, int exact) {
    (void)exact;
    return aglm_a64_lane_sums(dot32_lanes(w0, x), dot32_lanes(w1, x), dot32_lanes(w2, x), dot32_lanes(w3, x));
}

#include "aarch64_int8_rows.h"

#endif
