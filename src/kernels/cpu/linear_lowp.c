#include "kernels/cpu/linear_lowp.h"

#include <dnnl.h>
#include <cpuid.h>
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/dtype.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/kernels.h"
#include "util/alloc.h"

// Widens a 16-bit matrix into fp32, rows split across threads. bf16 is the top half of a
// float32; f16 goes through F16C's vcvtph2ps (part of x86-64-v3).
static void widen(float *dst, const uint16_t *src, size_t rows, size_t cols, fc_half_kind kind) {
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < rows; r++) {
        const uint16_t *s = src + r * cols;
        float *d = dst + r * cols;
        size_t i = 0;
        if (kind == FC_HALF_BF16) {
            for (; i < cols; i++) {
                uint32_t bits = (uint32_t)s[i] << 16;
                memcpy(&d[i], &bits, sizeof bits);
            }
        } else {
            for (; i + 8 <= cols; i += 8)
                _mm256_storeu_ps(d + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(s + i))));
            for (; i < cols; i++) d[i] = fc_f16_to_f32(s[i]);
        }
    }
}

void fc_linear_forward_half(float *out, const float *in, const uint16_t *weight, fc_half_kind kind,
                            const float *bias, int T, int in_dim, int out_dim, float *panel) {
    if (T <= 0) return;
    widen(panel, weight, (size_t)out_dim, (size_t)in_dim, kind);
    fc_linear_forward(out, in, panel, bias, T, in_dim, out_dim);
}

int fc_int8_weights_quantize(fc_int8_weights *w, const float *weight, int out_dim, int in_dim) {
    w->in_dim = in_dim;
    w->out_dim = out_dim;
    w->q = fc_try_calloc((size_t)out_dim, (size_t)in_dim);
    w->scale = fc_try_calloc((size_t)out_dim, sizeof(float));
    if (!w->q || !w->scale) {
        fc_int8_weights_free(w);
        return -1;
    }
#pragma omp parallel for schedule(static)
    for (int n = 0; n < out_dim; n++) {
        const float *row = weight + (size_t)n * in_dim;
        float max = 0.0f;
        for (int k = 0; k < in_dim; k++) max = fmaxf(max, fabsf(row[k]));
        float scale = max > 0.0f ? max / 127.0f : 1.0f;
        float inv = 1.0f / scale;
        int8_t *q = w->q + (size_t)n * in_dim;
        for (int k = 0; k < in_dim; k++) q[k] = (int8_t)lrintf(row[k] * inv);
        w->scale[n] = scale;
    }
    return 0;
}

void fc_int8_weights_free(fc_int8_weights *w) {
    free(w->q);
    free(w->scale);
    memset(w, 0, sizeof *w);
}

void fc_int8_scratch_free(fc_int8_scratch *s) {
    free(s->activations);
    free(s->row_scale);
    free(s->acc);
    memset(s, 0, sizeof *s);
}

static void reserve(void **buf, size_t *capacity, size_t bytes) {
    if (bytes > *capacity) {
        *buf = fc_realloc(*buf, bytes);
        *capacity = bytes;
    }
}

// AVX-VNNI (the VEX form, on CPUs without AVX-512): CPUID leaf 7 subleaf 1, EAX bit 4. Read
// directly because clang 14's __builtin_cpu_supports does not know "avxvnni" (issue 14).
static int has_avx_vnni(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return 0;
    return (eax >> 4) & 1;
}

int fc_int8_activation_bits(void) {
    static int bits = 0; // decided once; a CPU does not change
    if (bits == 0)
        bits = __builtin_cpu_supports("avx512vnni") || has_avx_vnni() ? 8 : 7;
    return bits;
}

void fc_linear_forward_int8(float *out, const float *in, const fc_int8_weights *w,
                            const float *bias, int T, fc_int8_scratch *s) {
    if (T <= 0) return;
    int K = w->in_dim, N = w->out_dim;
    reserve((void **)&s->activations, &s->activation_capacity, (size_t)T * K);
    reserve((void **)&s->row_scale, &s->row_capacity, (size_t)T * sizeof(float));
    reserve((void **)&s->acc, &s->acc_capacity, (size_t)T * N * sizeof(int32_t));
    // Symmetric q ∈ [-max_q, max_q] stored as q + zero_point, so that u8 holds it.
    int max_q = fc_int8_activation_bits() == 8 ? 127 : 63, zero_point = max_q + 1;
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        const float *x = in + (size_t)t * K;
        float max = 0.0f;
        for (int k = 0; k < K; k++) max = fmaxf(max, fabsf(x[k]));
        float scale = max > 0.0f ? max / (float)max_q : 1.0f;
        float inv = 1.0f / scale;
        uint8_t *q = s->activations + (size_t)t * K;
        for (int k = 0; k < K; k++) {
            float v = x[k] * inv; // |v| <= max_q; round half away from zero (vectorizes)
            q[k] = (uint8_t)((int)(v + (v >= 0.0f ? 0.5f : -0.5f)) + zero_point);
        }
        s->row_scale[t] = scale;
    }
    const int32_t no_offset = 0;
    // acc = (A − zero_point) · Bᵀ, row-major; 'F' = one fixed C offset (zero).
    dnnl_gemm_u8s8s32('N', 'T', 'F', T, N, K, 1.0f, s->activations, K, (uint8_t)zero_point,
                      w->q, K, 0, 0.0f, s->acc, N, &no_offset);
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        const int32_t *acc = s->acc + (size_t)t * N;
        float *y = out + (size_t)t * N;
        float row = s->row_scale[t];
        for (int n = 0; n < N; n++) {
            float v = (float)acc[n] * row * w->scale[n];
            y[n] = bias ? v + bias[n] : v;
        }
    }
}

// Like reserve, but -1 (the buffer kept) when the memory is not there.
static int try_reserve(void **buf, size_t *capacity, size_t bytes) {
    if (bytes <= *capacity) return 0;
    void *grown = fc_try_realloc_array(*buf, bytes, 1);
    if (!grown) return -1;
    *buf = grown;
    *capacity = bytes;
    return 0;
}

int fc_lowp_scratch_reserve(fc_lowp_scratch *s, const fc_lowp_linear *w, int T) {
    size_t rows = T > 0 ? (size_t)T : 0, K = (size_t)w->in_dim, N = (size_t)w->out_dim;
    if (w->format == FC_LOWP_INT8)
        return try_reserve((void **)&s->int8.activations, &s->int8.activation_capacity, rows * K) ||
                       try_reserve((void **)&s->int8.row_scale, &s->int8.row_capacity,
                                   rows * sizeof(float)) ||
                       try_reserve((void **)&s->int8.acc, &s->int8.acc_capacity,
                                   rows * N * sizeof(int32_t))
                   ? -1
                   : 0;
    return try_reserve((void **)&s->panel, &s->panel_bytes, N * K * sizeof(float));
}

void fc_lowp_linear_forward(float *out, const float *in, const fc_lowp_linear *w,
                            const float *bias, int T, fc_lowp_scratch *s) {
    if (w->format == FC_LOWP_INT8) {
        fc_linear_forward_int8(out, in, &w->int8, bias, T, &s->int8);
        return;
    }
    size_t floats = (size_t)w->out_dim * (size_t)w->in_dim;
    reserve((void **)&s->panel, &s->panel_bytes, floats * sizeof(float));
    fc_linear_forward_half(out, in, w->half, w->format == FC_LOWP_BF16 ? FC_HALF_BF16 : FC_HALF_F16,
                           bias, T, w->in_dim, w->out_dim, s->panel);
}

void fc_lowp_linear_free(fc_lowp_linear *w) {
    free(w->half_owned);
    fc_int8_weights_free(&w->int8);
    memset(w, 0, sizeof *w);
}

void fc_lowp_scratch_free(fc_lowp_scratch *s) {
    free(s->panel);
    fc_int8_scratch_free(&s->int8);
    memset(s, 0, sizeof *s);
}
