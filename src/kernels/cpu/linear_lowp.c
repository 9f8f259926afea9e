#include "kernels/cpu/linear_lowp.h"

#include <dnnl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/dtype.h"
#include "kernels/cpu/gemm.h"
#include "util/alloc.h"

void fc_linear_forward_half(float *out, const float *in, const uint16_t *weight, fc_half_kind kind,
                            const float *bias, int T, int in_dim, int out_dim, float *panel) {
    if (T <= 0) return;
    for (int n0 = 0; n0 < out_dim; n0 += FC_HALF_PANEL_ROWS) {
        int rows = out_dim - n0 < FC_HALF_PANEL_ROWS ? out_dim - n0 : FC_HALF_PANEL_ROWS;
        const uint16_t *src = weight + (size_t)n0 * in_dim;
        size_t count = (size_t)rows * in_dim;
        if (kind == FC_HALF_BF16)
            fc_bf16_array_to_f32(src, panel, count);
        else
            fc_f16_array_to_f32(src, panel, count);
        float beta = 0.0f;
        if (bias) {
            for (int t = 0; t < T; t++)
                memcpy(out + (size_t)t * out_dim + n0, bias + n0, sizeof(float) * rows);
            beta = 1.0f;
        }
        fc_sgemm(0, 1, T, rows, in_dim, 1.0f, in, in_dim, panel, in_dim, beta, out + n0, out_dim);
    }
}

void fc_int8_weights_quantize(fc_int8_weights *w, const float *weight, int out_dim, int in_dim) {
    w->in_dim = in_dim;
    w->out_dim = out_dim;
    w->q = fc_malloc((size_t)out_dim * in_dim);
    w->scale = fc_malloc((size_t)out_dim * sizeof(float));
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

// Zero point of the 7-bit activations: q ∈ [-63, 63] is stored as q + 64 ∈ [1, 127].
enum { ACTIVATION_ZERO_POINT = 64, ACTIVATION_MAX = 63 };

void fc_linear_forward_int8(float *out, const float *in, const fc_int8_weights *w,
                            const float *bias, int T, fc_int8_scratch *s) {
    if (T <= 0) return;
    int K = w->in_dim, N = w->out_dim;
    reserve((void **)&s->activations, &s->activation_capacity, (size_t)T * K);
    reserve((void **)&s->row_scale, &s->row_capacity, (size_t)T * sizeof(float));
    reserve((void **)&s->acc, &s->acc_capacity, (size_t)T * N * sizeof(int32_t));
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        const float *x = in + (size_t)t * K;
        float max = 0.0f;
        for (int k = 0; k < K; k++) max = fmaxf(max, fabsf(x[k]));
        float scale = max > 0.0f ? max / ACTIVATION_MAX : 1.0f;
        float inv = 1.0f / scale;
        uint8_t *q = s->activations + (size_t)t * K;
        for (int k = 0; k < K; k++) q[k] = (uint8_t)(lrintf(x[k] * inv) + ACTIVATION_ZERO_POINT);
        s->row_scale[t] = scale;
    }
    const int32_t no_offset = 0;
    // acc = (A − 64) · Bᵀ, row-major; 'F' = one fixed C offset (zero).
    dnnl_gemm_u8s8s32('N', 'T', 'F', T, N, K, 1.0f, s->activations, K, ACTIVATION_ZERO_POINT,
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

void fc_lowp_linear_forward(float *out, const float *in, const fc_lowp_linear *w,
                            const float *bias, int T, fc_lowp_scratch *s) {
    if (w->format == FC_LOWP_INT8) {
        fc_linear_forward_int8(out, in, &w->int8, bias, T, &s->int8);
        return;
    }
    size_t floats = (size_t)FC_HALF_PANEL_ROWS * (size_t)w->in_dim;
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
