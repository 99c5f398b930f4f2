// The lane helpers both float matmul kernels share (float_avx2.c, float_avx512.c): an
// 8-lane load of F32/F16/BF16 weights, a single element, and ReferenceDot.floatWeights'
// reduction order. The includer defines FLOAT_LANES_KERNEL (its target attribute, static
// inline) first, so each kernel file compiles them for its own instruction set.
#ifndef AGLM_FLOAT_LANES_H
#define AGLM_FLOAT_LANES_H

FLOAT_LANES_KERNEL __m256 load8(const int32_t type, const uint8_t *row, int64_t i) {
    switch (type) {
    case AGLM_FLOAT_F32: return _mm256_loadu_ps((const float *)row + i);
    case AGLM_FLOAT_F16: return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)row + i)));
    default: {
        const __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)((const uint16_t *)row + i)));
        return _mm256_castsi256_ps(_mm256_slli_epi32(h, 16));
    }
    }
}

FLOAT_LANES_KERNEL float load1(const int32_t type, const uint8_t *row, int64_t i) {
    switch (type) {
    case AGLM_FLOAT_F32: return ((const float *)row)[i];
    case AGLM_FLOAT_F16: return _cvtsh_ss(((const uint16_t *)row)[i]);
    default: {
        const uint32_t bits = (uint32_t)((const uint16_t *)row)[i] << 16;
        float f;
        __builtin_memcpy(&f, &bits, 4);
        return f;
    }
    }
}

FLOAT_LANES_KERNEL float reduce8(__m256 acc) {
    // ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7))
    const __m128 half = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));  // l_i + l_{i+4}
    const __m128 quarter = _mm_add_ps(half, _mm_movehl_ps(half, half));                          // (0)+(2), (1)+(3)
    return _mm_cvtss_f32(_mm_add_ss(quarter, _mm_shuffle_ps(quarter, quarter, 1)));
}

#endif
