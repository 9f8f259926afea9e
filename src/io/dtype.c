#include "io/dtype.h"

#include <immintrin.h>

#include <string.h>

// Every dtype string of the safetensors spec (safetensors/src/tensor.rs, enum Dtype) with its
// size in bits. Strings are matched exactly: the reference reader rejects "f32".
static const fc_dtype_info dtype_table[] = {
    {"F64", FC_DTYPE_F64, 64},
    {"F32", FC_DTYPE_F32, 32},
    {"F16", FC_DTYPE_F16, 16},
    {"BF16", FC_DTYPE_BF16, 16},
    {"I64", FC_DTYPE_I64, 64},
    {"I32", FC_DTYPE_I32, 32},
    {"I16", FC_DTYPE_I16, 16},
    {"I8", FC_DTYPE_I8, 8},
    {"U8", FC_DTYPE_U8, 8},
    {"BOOL", FC_DTYPE_BOOL, 8},
    {"U16", FC_DTYPE_OTHER, 16},
    {"U32", FC_DTYPE_OTHER, 32},
    {"U64", FC_DTYPE_OTHER, 64},
    {"F8_E4M3", FC_DTYPE_OTHER, 8},
    {"F8_E5M2", FC_DTYPE_OTHER, 8},
    {"F8_E8M0", FC_DTYPE_OTHER, 8},
    {"F8_E4M3FNUZ", FC_DTYPE_OTHER, 8},
    {"F8_E5M2FNUZ", FC_DTYPE_OTHER, 8},
    {"C64", FC_DTYPE_OTHER, 64},
    {"F4", FC_DTYPE_OTHER, 4},
    {"F6_E2M3", FC_DTYPE_OTHER, 6},
    {"F6_E3M2", FC_DTYPE_OTHER, 6},
};

const fc_dtype_info *fc_dtype_lookup(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof dtype_table / sizeof dtype_table[0]; i++) {
        if (strcmp(dtype_table[i].name, name) == 0) return &dtype_table[i];
    }
    return NULL;
}

// The table entry of a named dtype; FC_DTYPE_OTHER stands for several strings, so none.
static const fc_dtype_info *named_entry(fc_dtype dtype) {
    if (dtype == FC_DTYPE_OTHER) return NULL;
    for (size_t i = 0; i < sizeof dtype_table / sizeof dtype_table[0]; i++) {
        if (dtype_table[i].dtype == dtype) return &dtype_table[i];
    }
    return NULL;
}

const char *fc_dtype_name(fc_dtype dtype) {
    const fc_dtype_info *info = named_entry(dtype);
    return info ? info->name : NULL;
}

size_t fc_dtype_size(fc_dtype dtype) {
    const fc_dtype_info *info = named_entry(dtype);
    return info ? (size_t)info->bits / 8 : 0;
}

static float float_from_bits(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint32_t bits_from_float(float f) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits;
}

float fc_bf16_to_f32(uint16_t bits) {
    return float_from_bits((uint32_t)bits << 16);
}

uint16_t fc_f32_to_bf16(float value) {
    uint32_t x = bits_from_float(value);
    if ((x & 0x7fffffffu) > 0x7f800000u) {
        // NaN: plain truncation could clear every payload bit left and turn it into infinity,
        // so set the quiet bit, as PyTorch's round_to_nearest_even does.
        return (uint16_t)((x >> 16) | 0x0040u);
    }
    // Round to nearest even: add just under half an ulp of the result, plus one when the
    // result's last kept bit is odd, and truncate. A carry into the exponent is the correct
    // rounding, up to infinity from the largest finite values.
    uint32_t lsb = (x >> 16) & 1u;
    x += 0x7fffu + lsb;
    return (uint16_t)(x >> 16);
}

void fc_f32_array_to_bf16(const float *src, uint16_t *dst, size_t n) {
    const __m256i one = _mm256_set1_epi32(1), half = _mm256_set1_epi32(0x7fff);
    const __m256i magnitude = _mm256_set1_epi32(0x7fffffff), inf = _mm256_set1_epi32(0x7f800000);
    const __m256i quiet = _mm256_set1_epi32(0x00400000);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i x = _mm256_castps_si256(_mm256_loadu_ps(src + i));
        // As fc_f32_to_bf16: round to nearest even, NaNs keep their payload with the quiet bit.
        __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), one);
        __m256i rounded = _mm256_add_epi32(x, _mm256_add_epi32(lsb, half));
        __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(x, magnitude), inf);
        __m256i bits = _mm256_blendv_epi8(rounded, _mm256_or_si256(x, quiet), nan);
        __m256i high = _mm256_srli_epi32(bits, 16);
        __m256i packed = _mm256_packus_epi32(high, high); // 0-3 0-3 | 4-7 4-7 per 128-bit lane
        _mm_storeu_si128((__m128i *)(dst + i),
                         _mm256_castsi256_si128(_mm256_permute4x64_epi64(packed, 0x08)));
    }
    for (; i < n; i++) dst[i] = fc_f32_to_bf16(src[i]);
}

void fc_f32_array_to_f16(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    for (; i < n; i++) dst[i] = fc_f32_to_f16(src[i]);
}

float fc_f16_to_f32(uint16_t bits) {
    uint32_t sign = (uint32_t)(bits & 0x8000u) << 16;
    uint32_t exponent = (bits >> 10) & 0x1fu;
    uint32_t mantissa = bits & 0x3ffu;
    if (exponent == 0x1f) {
        // ±inf, or NaN with its payload moved to the top of the float32 mantissa.
        return float_from_bits(sign | 0x7f800000u | (mantissa << 13));
    }
    if (exponent == 0) {
        // ±0 and subnormals: mantissa × 2^-24, exact in float32 (11 bits of precision suffice).
        float magnitude = (float)mantissa * 0x1p-24f;
        return float_from_bits(sign | bits_from_float(magnitude));
    }
    // Normal: rebias the exponent from 15 to 127 and widen the 10-bit mantissa to 23 bits.
    return float_from_bits(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

// Shifts m right by shift (1..31) rounding to nearest, ties to even.
static uint32_t shift_right_round_even(uint32_t m, int shift) {
    uint32_t kept = m >> shift;
    uint32_t rest = m & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1);
    if (rest > half || (rest == half && (kept & 1u))) kept++;
    return kept;
}

uint16_t fc_f32_to_f16(float value) {
    uint32_t x = bits_from_float(value);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t magnitude = x & 0x7fffffffu;
    if (magnitude > 0x7f800000u) {
        // NaN: keep the top 10 payload bits and set the quiet bit so that the result cannot
        // become infinity.
        return (uint16_t)(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
    }
    if (magnitude == 0x7f800000u) return (uint16_t)(sign | 0x7c00u);

    int exponent = (int)(magnitude >> 23) - 127;
    uint32_t mantissa = magnitude & 0x7fffffu;
    if (exponent > 15) return (uint16_t)(sign | 0x7c00u);
    if (exponent >= -14) {
        // Normal in binary16: drop 13 mantissa bits with rounding. A carry out of the mantissa
        // bumps the exponent, which is again the right answer (up to 0x7c00 = inf from 65520).
        uint32_t half = ((uint32_t)(exponent + 15) << 10) | (mantissa >> 13);
        uint32_t rest = mantissa & 0x1fffu;
        if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) half++;
        return (uint16_t)(sign | half);
    }
    // Below 2^-25 (half the smallest subnormal, 2^-24) everything rounds to ±0; float32
    // subnormals land here too.
    if (exponent < -25) return sign;
    // Subnormal in binary16: the value is (2^23 + mantissa) × 2^(exponent-23), in units of
    // 2^-24 that is (2^23 + mantissa) >> (-1 - exponent). A round-up to 0x400 is the smallest
    // normal, encoded correctly by the same bits.
    uint32_t full = mantissa | 0x800000u;
    return (uint16_t)(sign | shift_right_round_even(full, -1 - exponent));
}

void fc_f16_array_to_f32(const void *src, float *dst, size_t n) {
    const unsigned char *bytes = src;
    for (size_t i = 0; i < n; i++) {
        uint16_t bits = (uint16_t)(bytes[2 * i] | (bytes[2 * i + 1] << 8));
        dst[i] = fc_f16_to_f32(bits);
    }
}

void fc_bf16_array_to_f32(const void *src, float *dst, size_t n) {
    const unsigned char *bytes = src;
    for (size_t i = 0; i < n; i++) {
        uint16_t bits = (uint16_t)(bytes[2 * i] | (bytes[2 * i + 1] << 8));
        dst[i] = fc_bf16_to_f32(bits);
    }
}
