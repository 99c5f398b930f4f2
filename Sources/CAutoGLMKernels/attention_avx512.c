// Attention's weighted sum of value rows, out += Σ_j p_j · V_j, for f32 and f16 KV rows:
// each output element is accumulated over j in order, the product rounded then added (no
// FMA), exactly as AttentionTask's scalar loop; the vector only spans the head's width,
// and a block of 64 outputs stays in registers over every j instead of a load and store
// per product.
#include "kernel_prologue.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define X86_KERNEL __attribute__((target("avx2,f16c,avx512f,avx512vl")))
#define INLINE_KERNEL X86_KERNEL static inline __attribute__((always_inline))
// 8 ymm accumulators: 64 outputs, a whole head of the common head_dim 64.
#define CHUNKS 8

static int attention_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx512f")
        && __builtin_cpu_supports("avx512vl");
}

INLINE_KERNEL __m256 load8(const int32_t type, const uint8_t *row, int64_t i) {
    if (type == AGLM_FLOAT_F16) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)row + i)));
    return _mm256_loadu_ps((const float *)row + i);
}

/// out[0 ..< 8·chunks] += Σ_j w[j] · row_j[0 ..< 8·chunks]; `type` and `chunks` constant.
INLINE_KERNEL void block(const int32_t type, const uint8_t *rows, int64_t row_bytes, int64_t count, const float *w,
                         float *out, const int chunks) {
    __m256 acc[CHUNKS];
    for (int c = 0; c < chunks; c++) acc[c] = _mm256_loadu_ps(out + 8 * c);
    for (int64_t j = 0; j < count; j++) {
        const __m256 p = _mm256_set1_ps(w[j]);
        const uint8_t *row = rows + j * row_bytes;
        for (int c = 0; c < chunks; c++) acc[c] = _mm256_add_ps(acc[c], _mm256_mul_ps(p, load8(type, row, 8 * c)));
    }
    for (int c = 0; c < chunks; c++) _mm256_storeu_ps(out + 8 * c, acc[c]);
}

INLINE_KERNEL void weighted_row_sum_of_type(const int32_t type, const uint8_t *rows, int64_t row_bytes, int64_t count,
                                            const float *w, float *out, int64_t width) {
    const int64_t element_bytes = type == AGLM_FLOAT_F16 ? 2 : 4;
    int64_t i = 0;
    for (; i + 8 * CHUNKS <= width; i += 8 * CHUNKS) block(type, rows + i * element_bytes, row_bytes, count, w, out + i, CHUNKS);
    switch ((width - i) / 8) {
    case 1: block(type, rows + i * element_bytes, row_bytes, count, w, out + i, 1); break;
    case 2: block(type, rows + i * element_bytes, row_bytes, count, w, out + i, 2); break;
    case 3: block(type, rows + i * element_bytes, row_bytes, count, w, out + i, 3); break;
    case 4: block(type, rows + i * element_bytes, row_bytes, count, w, out + i, 4); break;
    case 5: block(type, rows + i * element_bytes, row_bytes, count, w, out + i, 5); break;
    case 6: block(type, rows + i * element_bytes, row_bytes, count, w, out + i, 6); break;
    case 7: block(type, rows + i * element_bytes, row_bytes, count, w, out + i, 7); break;
    default: break;
    }
    i += (width - i) / 8 * 8;
    for (; i < width; i++) {
        float o = out[i];
        for (int64_t j = 0; j < count; j++) {
            const uint8_t *row = rows + j * row_bytes;
            const float v = type == AGLM_FLOAT_F16 ? _cvtsh_ss(((const uint16_t *)row)[i]) : ((const float *)row)[i];
            o = o + w[j] * v;
        }
        out[i] = o;
    }
}

X86_KERNEL static void weighted_row_sum(int32_t type, const uint8_t *rows, int64_t row_bytes, int64_t count,
                                        const float *weights, float *out, int64_t width) {
    if (type == AGLM_FLOAT_F16) {
        weighted_row_sum_of_type(AGLM_FLOAT_F16, rows, row_bytes, count, weights, out, width);
    } else {
        weighted_row_sum_of_type(AGLM_FLOAT_F32, rows, row_bytes, count, weights, out, width);
    }
}

int32_t aglm_weighted_row_sum(int32_t path, int32_t type, const void *rows, int64_t row_bytes, int64_t count,
                              const float *weights, float *out, int64_t width) {
    static int available = -1;
    if (path != AGLM_PATH_AVX512VNNI) return 0;
    if (available < 0) available = attention_available();
    if (!available || (type != AGLM_FLOAT_F32 && type != AGLM_FLOAT_F16)) return 0;
    weighted_row_sum(type, (const uint8_t *)rows, row_bytes, count, weights, out, width);
    return 1;
}

#else

int32_t aglm_weighted_row_sum(int32_t path, int32_t type, const void *rows, int64_t row_bytes, int64_t count,
                              const float *weights, float *out, int64_t width) {
    (void)path; (void)type; (void)rows; (void)row_bytes; (void)count; (void)weights; (void)out; (void)width;
    return 0;
}

#endif
