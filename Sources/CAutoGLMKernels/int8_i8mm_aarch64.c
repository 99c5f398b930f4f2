// Q8_0 and per-channel INT8 matmuls with the Armv8.6 int8 matrix multiply (SMMLA,
// vmmlaq_s32) for aarch64 CPUs that have it (i8mm: Cortex-A710/X2 and later, Neoverse
// V1/N2). One SMMLA multiplies a 2×8 block of two weight rows by a 2×8 block of two
// tokens' activations and adds the 2×2 int32 dot products, so a 2-row × 2-token tile
// takes 4 SMMLAs per 32-column block where SDOT takes 8 dot instructions for the same sums.
//
// Only these functions are compiled for Armv8.2 with i8mm (a target attribute, so the rest
// of the program, and any aarch64 build, needs no special flags); the dispatcher
// (int8_aarch64_paths.c) runs them only when the CPU reports i8mm.
#include "aarch64_int8_common.h"

#if defined(__aarch64__)

#define ROWS_KERNEL __attribute__((target("arch=armv8.2-a+i8mm")))
#define ROWS_NAME(name) aglm_i8mm_##name

// [w0·x0, w0·x1, w1·x0, w1·x1] over 32 int8 columns: four 8-column SMMLAs.
ROWS_KERNEL static inline int32x4_t tile_2x2(const int8_t *w0, const int8_t *w1, const int8_t *x0, const int8_t *x1,
                                             int exact) {
    (void)exact;
    int32x4_t s = vdupq_n_s32(0);
#pragma GCC unroll 4
    for (int k = 0; k < AGLM_A64_BLOCK; k += 8) {
        const int8x16_t a = vcombine_s8(vld1_s8(w0 + k), vld1_s8(w1 + k));
        const int8x16_t b = vcombine_s8(vld1_s8(x0 + k), vld1_s8(x1 + k));
        s = vmmlaq_s32(s, a, b);
    }
    return s;
}

// One token against four rows: two 2×2 tiles of the token with itself, of which the
// even lanes are [w0·x, w1·x] and [w2·x, w3·x].
ROWS_KERNEL static inline int32x4_t tile_4x1(const int8_t *w0, const int8_t *w1, const int8_t *w2, const int8_t *w3,
                                             const int8_t *x, int exact) {
    return vuzp1q_s32(tile_2x2(w0, w1, x, x, exact), tile_2x2(w2, w3, x, x, exact));
}

#include "aarch64_int8_rows.h"

#endif
