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

// Two 16-byte rows as the two 2×8 operands SMMLA takes for their columns 0–7 and 8–15.
ROWS_KERNEL static inline void pair_halves(const int8_t *r0, const int8_t *r1, int8x16_t *low, int8x16_t *high) {
    const int64x2_t a = vreinterpretq_s64_s8(vld1q_s8(r0)), b = vreinterpretq_s64_s8(vld1q_s8(r1));
    *low = vreinterpretq_s8_s64(vzip1q_s64(a, b));
    *high = vreinterpretq_s8_s64(vzip2q_s64(a, b));
}

// [w0·x0, w0·x1, w1·x0, w1·x1] over 32 int8 columns: four 8-column SMMLAs on operands
// zipped from 16-byte loads.
ROWS_KERNEL static inline int32x4_t tile_2x2(const int8_t *w0, const int8_t *w1, const int8_t *x0, const int8_t *x1,
                                             int exact) {
    (void)exact;
    int32x4_t s = vdupq_n_s32(0);
    for (int k = 0; k < AGLM_A64_BLOCK; k += 16) {
        int8x16_t a0, a1, b0, b1;
        pair_halves(w0 + k, w1 + k, &a0, &a1);
        pair_halves(x0 + k, x1 + k, &b0, &b1);
        s = vmmlaq_s32(vmmlaq_s32(s, a0, b0), a1, b1);
    }
    return s;
}

// One token against four rows: two 2×2 tiles of the token with itself, of which the
// even lanes are [w0·x, w1·x] and [w2·x, w3·x]. Half the products are wasted, so the
// dispatcher sends one-token calls to the SDOT kernel (int8_aarch64_paths.c).
ROWS_KERNEL static inline int32x4_t tile_4x1(const int8_t *w0, const int8_t *w1, const int8_t *w2, const int8_t *w3,
                                             const int8_t *x, int exact) {
    return vuzp1q_s32(tile_2x2(w0, w1, x, x, exact), tile_2x2(w2, w3, x, x, exact));
}

#include "aarch64_int8_rows.h"

#endif
