// The CPU kernels against values from model-reference.md and against each other: exact GELU,
// RoPE frequencies, LayerNorm, and the low-precision linear layers against the fp32 one.
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "io/dtype.h"
#include "kernels/cpu/attention_amx.h"
#include "kernels/cpu/bf16_rate.h"
#include "kernels/cpu/deberta_kernels.h"
#include "kernels/cpu/gemm_f16.h"
#include "kernels/cpu/hadamard.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/lowp_rows.h"
#include "kernels/cpu/linear_lowp.h"
#include "util/alloc.h"

static float uniform(uint32_t *state) {
    *state = *state * 1664525u + 1013904223u;
    return (float)(*state >> 8) / 16777216.0f * 2.0f - 1.0f;
}

static void test_gelu(void) {
    // model-reference.md §2: exact (erf) GELU test values.
    CHECK_CLOSE(fc_gelu(1.0f), 0.8413447460685429, 1e-7);
    CHECK_CLOSE(fc_gelu(-1.0f), -0.15865525393145707, 1e-7);
    CHECK_CLOSE(fc_gelu(0.5f), 0.34573123063700656, 1e-7);
    CHECK_CLOSE(fc_gelu(3.0f), 2.99595030590511, 1e-6);
    float in[4] = {1.0f, -2.0f, 3.0f, 0.5f}, out[2];
    fc_geglu_forward(out, in, 1, 2); // gelu of the first half times the second half (P4)
    CHECK_CLOSE(out[0], 0.8413447460685429 * 3.0, 1e-6);
    CHECK_CLOSE(out[1], fc_gelu(-2.0f) * 0.5, 1e-7);
    // The vectorized GeGLU path against the exact scalar GELU over [-12, 12] (gate 1).
    enum { N = 24001 };
    static float wide[2 * N], got[N];
    for (int i = 0; i < N; i++) {
        wide[i] = -12.0f + i * 0.001f;
        wide[N + i] = 1.0f;
    }
    fc_geglu_forward(got, wide, 1, N);
    double worst = 0.0;
    for (int i = 0; i < N; i++) worst = fmax(worst, fabs(got[i] - fc_gelu(wide[i])));
    CHECK_CLOSE(worst, 0.0, 2e-6);
}

static void test_rope_table(void) {
    // §3.4: inv_freq[k] = 1/θ^(2k/d) in float32; angle at position 1 equals inv_freq.
    int d = 64, half = 32;
    float *c = fc_malloc(2 * half * sizeof(float)), *s = fc_malloc(2 * half * sizeof(float));
    fc_rope_table(c, s, 2, d, 160000.0f);
    CHECK_CLOSE(atan2f(s[half + 1], c[half + 1]), 0.687656045, 2e-7);
    CHECK_CLOSE(atan2f(s[half + 2], c[half + 2]), 0.472870797, 2e-7);
    CHECK_CLOSE(atan2f(s[half + 31], c[half + 31]), 9.08884704e-06, 1e-12);
    fc_rope_table(c, s, 2, d, 10000.0f);
    CHECK_CLOSE(atan2f(s[half + 1], c[half + 1]), 0.749894202, 2e-7);
    CHECK_CLOSE(atan2f(s[half + 31], c[half + 31]), 0.00013335215, 1e-11);
    CHECK(c[0] == 1.0f && s[0] == 0.0f); // position 0 is the identity
    free(c);
    free(s);
}

static void test_layernorm(void) {
    float x[4] = {1.0f, 2.0f, 3.0f, 4.0f}, w[4] = {1.0f, 1.0f, 2.0f, 1.0f}, b[4] = {0, 0, 0, 1};
    float y[4];
    fc_layernorm_forward(y, x, w, NULL, 1, 4, 1e-5f);
    // mean 2.5, biased variance 1.25
    double rstd = 1.0 / sqrt(1.25 + 1e-5);
    CHECK_CLOSE(y[0], -1.5 * rstd, 1e-6);
    CHECK_CLOSE(y[2], 2 * 0.5 * rstd, 1e-6);
    fc_layernorm_forward(y, x, w, b, 1, 4, 1e-5f);
    CHECK_CLOSE(y[3], 1.5 * rstd + 1.0, 1e-6);
}

// The 32-partial order of layernorm_rows.h in scalar float arithmetic: partial j holds the
// elements i ≡ j (mod 32); then j + j+16, the halves, and fc_sum8's halves, pairs and last two.
static float sum32_in_order(const float partial[32]) {
    float r[16], q[8], s[4];
    for (int j = 0; j < 16; j++) r[j] = partial[j] + partial[j + 16];
    for (int j = 0; j < 8; j++) q[j] = r[j] + r[j + 8];
    for (int j = 0; j < 4; j++) s[j] = q[j] + q[j + 4];
    return (s[0] + s[2]) + (s[1] + s[3]);
}

static void layernorm_row_in_order(float *y, const float *x, const float *w, const float *b,
                                   int C, float eps) {
    float partial[32] = {0};
    for (int i = 0; i < C; i++) partial[i % 32] += x[i];
    float mean = sum32_in_order(partial) / (float)C;
    memset(partial, 0, sizeof partial);
    for (int i = 0; i < C; i++) partial[i % 32] = fmaf(x[i] - mean, x[i] - mean, partial[i % 32]);
    float rstd = 1.0f / sqrtf(sum32_in_order(partial) / (float)C + eps);
    for (int i = 0; i < C; i++) {
        float d = (x[i] - mean) * rstd;
        y[i] = b ? fmaf(d, w[i], b[i]) : d * w[i];
    }
}

// Every width's tail, on whichever form this CPU runs (the AVX2 one under suite isa's
// ONEDNN_MAX_CPU_ISA=AVX2): the bits of the scalar model of the summation order (so both
// forms give the same bits), within float rounding of LayerNorm in double, rows offset far
// from zero so that the variance pass must center them, and in place.
static void test_layernorm_rows(void) {
    static const int widths[] = {1, 7, 8, 9, 16, 17, 31, 32, 33, 47, 64, 100, 384, 1000, 1024};
    uint32_t state = 11;
    for (size_t k = 0; k < sizeof widths / sizeof widths[0]; k++) {
        int C = widths[k], T = 3, same = 1;
        float *x = fc_malloc((size_t)T * C * sizeof(float));
        float *y = fc_malloc((size_t)T * C * sizeof(float));
        float *w = fc_malloc((size_t)C * sizeof(float)), *b = fc_malloc((size_t)C * sizeof(float));
        float *want = fc_malloc((size_t)C * sizeof(float));
        for (int i = 0; i < T * C; i++) // row t around 40·t
            x[i] = 40.0f * (float)(i / C) + 2.0f * uniform(&state) - 1.0f;
        for (int i = 0; i < C; i++) {
            w[i] = 0.5f + uniform(&state);
            b[i] = uniform(&state) - 0.5f;
        }
        double worst = 0.0;
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            const float *bias = with_bias ? b : NULL;
            fc_layernorm_forward(y, x, w, bias, T, C, 1e-5f);
            for (int t = 0; t < T; t++) {
                const float *xt = x + (size_t)t * C, *yt = y + (size_t)t * C;
                layernorm_row_in_order(want, xt, w, bias, C, 1e-5f);
                if (memcmp(want, yt, (size_t)C * sizeof(float)) != 0) same = 0;
                double mean = 0.0, var = 0.0;
                for (int i = 0; i < C; i++) mean += xt[i];
                mean /= C;
                for (int i = 0; i < C; i++) var += (xt[i] - mean) * (xt[i] - mean);
                double rstd = 1.0 / sqrt(var / C + 1e-5);
                for (int i = 0; i < C; i++) {
                    double ref = (xt[i] - mean) * rstd * w[i] + (bias ? bias[i] : 0.0);
                    double err = fabs(yt[i] - ref) / (1.0 + fabs(ref));
                    if (err > worst) worst = err;
                }
            }
        }
        CHECK(same);
        CHECK(worst < 2e-5);
        memcpy(y, x, (size_t)T * C * sizeof(float)); // in place: out == in
        fc_layernorm_forward(y, y, w, b, T, C, 1e-5f);
        layernorm_row_in_order(want, x + (size_t)(T - 1) * C, w, b, C, 1e-5f);
        CHECK(memcmp(want, y + (size_t)(T - 1) * C, (size_t)C * sizeof(float)) == 0);
        if (!same || worst >= 2e-5)
            printf("  layernorm width %d: same bits %d, error %.3g\n", C, same, worst);
        free(x);
        free(y);
        free(w);
        free(b);
        free(want);
    }
}

// Low-precision linear layers against fp32 on the same (rounded) weights.
static void test_linear_lowp(void) {
    int T = 37, K = 300, N = 530; // odd sizes on purpose
    uint32_t state = 7;
    float *x = fc_malloc((size_t)T * K * sizeof(float));
    float *w = fc_malloc((size_t)N * K * sizeof(float));
    float *bias = fc_malloc((size_t)N * sizeof(float));
    float *rounded = fc_malloc((size_t)N * K * sizeof(float));
    uint16_t *half = fc_malloc((size_t)N * K * sizeof(uint16_t));
    float *want = fc_malloc((size_t)T * N * sizeof(float));
    float *got = fc_malloc((size_t)T * N * sizeof(float));
    float *panel = fc_malloc((size_t)N * K * sizeof(float));
    for (size_t i = 0; i < (size_t)T * K; i++) x[i] = uniform(&state);
    for (size_t i = 0; i < (size_t)N * K; i++) w[i] = uniform(&state) * 0.1f;
    for (int i = 0; i < N; i++) bias[i] = uniform(&state);

    for (int kind = 0; kind < 2; kind++) {
        for (size_t i = 0; i < (size_t)N * K; i++) {
            half[i] = kind == FC_HALF_BF16 ? fc_f32_to_bf16(w[i]) : fc_f32_to_f16(w[i]);
            rounded[i] = kind == FC_HALF_BF16 ? fc_bf16_to_f32(half[i]) : fc_f16_to_f32(half[i]);
        }
        fc_linear_forward(want, x, rounded, bias, T, K, N);
        fc_linear_forward_half(got, x, half, (fc_half_kind)kind, bias, T, K, N, panel);
        double worst = 0.0;
        for (size_t i = 0; i < (size_t)T * N; i++) worst = fmax(worst, fabs(got[i] - want[i]));
        CHECK_CLOSE(worst, 0.0, 1e-5); // the same math on the same values
    }

    fc_linear_forward(want, x, w, bias, T, K, N);
    fc_lowp_linear q;
    fc_lowp_scratch scratch = {0};
    CHECK(fc_lowp_linear_prepare(&q, FC_LOWP_INT8, w, N, K) == 0);
    CHECK(fc_lowp_linear_forward(got, x, &q, bias, NULL, T, &scratch) == 0);
    // Error bound: 7- or 8-bit activations and 8-bit weights; relative to the output's scale.
    double worst = 0.0, scale = 0.0;
    for (size_t i = 0; i < (size_t)T * N; i++) {
        worst = fmax(worst, fabs(got[i] - want[i]));
        scale = fmax(scale, fabs(want[i] - bias[i % N]));
    }
    CHECK(worst < 0.03 * scale);
    CHECK(worst > 0.0); // it really is quantized
    // A row of zeros stays exactly the bias: the zero point's share cancels exactly.
    memset(x, 0, (size_t)K * sizeof(float));
    CHECK(fc_lowp_linear_forward(got, x, &q, bias, NULL, 1, &scratch) == 0);
    int exact = 1;
    for (int n = 0; n < N; n++) exact &= got[n] == bias[n];
    CHECK(exact);
    fc_lowp_linear_free(&q);
    fc_lowp_scratch_free(&scratch);
    free(x);
    free(w);
    free(bias);
    free(rounded);
    free(half);
    free(want);
    free(got);
    free(panel);
}

// The matrix-engine paths (oneDNN matmul) against the same arithmetic done here in double:
// int8 against the exact integer sums of the same quantized values, bf16 against fp32 math on
// bf16-rounded weights and activations; at row counts around the bucket size (padding rows),
// with the GELU and in-place residual epilogues. Whichever ISA oneDNN dispatches to
// (ONEDNN_MAX_CPU_ISA forces lower ones) must give these.
// Weights as the library quantizes them: symmetric per row, to nearest even (ties do occur:
// w·inv lands on .5 about once in 2^18 values near 64).
static double quantize_weights(const float *w, int K, int32_t *q) {
    float max = 0.0f;
    for (int k = 0; k < K; k++) max = fmaxf(max, fabsf(w[k]));
    float scale = max > 0.0f ? max / 127.0f : 1.0f, inv = 1.0f / scale;
    for (int k = 0; k < K; k++) q[k] = (int32_t)lrintf(w[k] * inv);
    return scale;
}

// Activations as the library quantizes them: asymmetric per token onto [0, top] (x·inv + zero
// in one fused multiply-add), returned
// with the zero point taken out (q − zero).
static double quantize_activations(const float *x, int K, int top, int32_t *q) {
    float lo = 0.0f, hi = 0.0f;
    for (int k = 0; k < K; k++) {
        lo = fminf(lo, x[k]);
        hi = fmaxf(hi, x[k]);
    }
    float scale = hi > lo ? (hi - lo) / (float)top : 1.0f, inv = 1.0f / scale;
    int zero = (int)lrintf(-lo * inv);
    for (int k = 0; k < K; k++) {
        int code = (int)lrintf(fmaf(x[k], inv, (float)zero)); // nearest even, as vcvtps2dq
        q[k] = (code < 0 ? 0 : code > top ? top : code) - zero;
    }
    return scale;
}

// The nearest f16 to v (ties to even), rounded once from double, in a few exact double
// operations (this runs for every product of the kernel's reference, sanitized builds too).
static double round_f16(double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int exponent = (int)(bits >> 52 & 0x7ff) - 1023; // |v| in [2^exponent, 2^(exponent+1))
    if (exponent < -14) exponent = -14;              // subnormals keep the grid of 2^-24
    uint64_t ulp_bits = (uint64_t)(exponent - 10 + 1023) << 52;
    uint64_t inverse_bits = (uint64_t)(10 - exponent + 1023) << 52;
    double ulp, inverse;
    memcpy(&ulp, &ulp_bits, sizeof ulp);
    memcpy(&inverse, &inverse_bits, sizeof inverse);
    // v · 2^(10 − exponent) is exact (a power of two) and below 2^12; adding and taking away
    // 1.5 · 2^52 rounds it to an integer, ties to even.
    double units = v * inverse;
    return (units + 0x1.8p52 - 0x1.8p52) * ulp;
}

// One output of the AVX512-FP16 kernel (gemm_f16.h), in its order: inputs in pairs, even and
// odd ones in separate lanes, each lane's products added by f16 fused multiply-adds (one
// rounding each: the double sum is exact) over blocks of 128 inputs, each block's sum added
// into an fp32 total, the two lanes' totals added last. a and w are already f16 values.
static float f16_kernel_dot(const float *a, const float *w, int K) {
    float total[2] = {0.0f, 0.0f};
    for (int k0 = 0; k0 < K; k0 += 128) {
        double acc[2] = {0.0, 0.0};
        for (int k = k0; k < K && k < k0 + 128; k++)
            acc[k % 2] = round_f16((double)a[k] * w[k] + acc[k % 2]);
        total[0] += (float)acc[0];
        total[1] += (float)acc[1];
    }
    return total[0] + total[1];
}

// epilogue_kind: 0 bias only, 1 bias then GELU, 2 bias and the residual added in place, 3 none
// (no bias either), 4 bias then GeGLU (N/2 columns out). extreme 2: inputs beyond f16's range,
// so that the AVX512-FP16 kernel's rows are recomputed in fp32.
static void check_engine(fc_lowp_format format, int T, int K, int N, int epilogue_kind,
                         int extreme) {
    uint32_t state = 11u + (uint32_t)(T * 7 + K + N + epilogue_kind);
    float *x = fc_malloc((size_t)T * K * sizeof(float));
    float *w = fc_malloc((size_t)N * K * sizeof(float));
    float *bias = fc_malloc((size_t)N * sizeof(float));
    float *out = fc_malloc((size_t)T * N * sizeof(float));
    float *residual = fc_malloc((size_t)T * N * sizeof(float));
    double *want = fc_malloc((size_t)T * N * sizeof(double));
    for (size_t i = 0; i < (size_t)T * K; i++) x[i] = uniform(&state) * 2.0f;
    for (size_t i = 0; i < (size_t)N * K; i++) w[i] = uniform(&state) * 0.1f;
    for (int i = 0; i < N; i++) bias[i] = uniform(&state);
    for (size_t i = 0; i < (size_t)T * N; i++) residual[i] = uniform(&state);
    // int8 layers quantize their inputs and weight rows rotated by Hadamard blocks where K
    // allows (hadamard.h); the sums below are taken over the rotated values, 1/block out.
    int block = format == FC_LOWP_INT8 ? fc_hadamard_block(K) : 0;
    // Every code at its extreme: where pairs of u8·s8 products are summed into saturating
    // 16-bit lanes (AVX2), 8-bit activations would overflow and break the equality below.
    // With a rotation the rows are given as H·pattern / block, which it turns back into the
    // pattern exactly (H·H = block·I, sums of small dyadic values).
    if (extreme == 2)
        for (size_t i = 0; i < (size_t)T * K; i++) x[i] *= 50000.0f;
    if (extreme == 1) {
        for (size_t i = 0; i < (size_t)T * K; i++) x[i] = (i / K) % 2 ? -1.0f : 1.0f;
        for (size_t i = 0; i < (size_t)N * K; i++) w[i] = (i / K) % 3 ? 0.05f : -0.05f;
        for (int r = 0; block && r < T + N; r++) {
            float *row = r < T ? x + (size_t)r * K : w + (size_t)(r - T) * K;
            fc_hadamard_rotate(row, row, K, block);
            for (int k = 0; k < K; k++) row[k] /= (float)block;
        }
    }
    int32_t *qx = fc_malloc((size_t)K * sizeof(int32_t));
    int32_t *qw = fc_malloc((size_t)N * K * sizeof(int32_t));
    double *sw = fc_malloc((size_t)N * sizeof(double));
    float *rx = fc_malloc((size_t)K * sizeof(float));
    int top = fc_int8_activation_bits() == 8 ? 255 : 127;
    fc_lowp_linear layer;
    CHECK(fc_lowp_linear_prepare(&layer, format, w, N, K) == 0);
    // 16-bit layers: oneDNN's bf16 matmul rounds the activations to bf16, the AVX512-FP16
    // kernel to f16 (the reference then follows its order of sums), widened ones keep them
    // fp32; the weights are rounded to the format either way.
    int engine = layer.engine.packed ? (int)layer.engine.kind : -1;
    if (engine == FC_MATMUL_F16 && extreme == 2) engine = -1; // recomputed in fp32
    float *rounded = fc_malloc((size_t)N * K * sizeof(float));
    for (size_t i = 0; i < (size_t)N * K; i++)
        rounded[i] = format == FC_LOWP_F16 ? fc_f16_to_f32(fc_f32_to_f16(w[i]))
                                           : fc_bf16_to_f32(fc_f32_to_bf16(w[i]));
    for (int n = 0; format == FC_LOWP_INT8 && n < N; n++) { // each weight row once
        memcpy(rx, w + (size_t)n * K, (size_t)K * sizeof(float));
        if (block) fc_hadamard_rotate(rx, rx, K, block);
        sw[n] = quantize_weights(rx, K, qw + (size_t)n * K) / (block ? block : 1);
    }
    for (int t = 0; t < T; t++) {
        double sx = 0.0;
        if (format == FC_LOWP_INT8) {
            memcpy(rx, x + (size_t)t * K, (size_t)K * sizeof(float));
            if (block) fc_hadamard_rotate(rx, rx, K, block);
            sx = quantize_activations(rx, K, top, qx);
        }
        if (engine == FC_MATMUL_F16) // the row as the kernel stages it
            for (int k = 0; k < K; k++) rx[k] = (float)round_f16(x[(size_t)t * K + k]);
        for (int n = 0; n < N; n++) {
            double acc = 0.0;
            if (format == FC_LOWP_INT8) {
                const int32_t *row = qw + (size_t)n * K;
                long long sum = 0;
                for (int k = 0; k < K; k++) sum += (long long)qx[k] * row[k];
                acc = (double)sum * sx * sw[n];
            } else if (engine == FC_MATMUL_F16) {
                acc = f16_kernel_dot(rx, rounded + (size_t)n * K, K);
            } else {
                for (int k = 0; k < K; k++) {
                    float a = x[(size_t)t * K + k];
                    if (engine == FC_MATMUL_BF16) a = fc_bf16_to_f32(fc_f32_to_bf16(a));
                    acc += (double)a * rounded[(size_t)n * K + k];
                }
            }
            if (epilogue_kind != 3) acc += bias[n];
            if (epilogue_kind == 1) acc = fc_gelu((float)acc);
            if (epilogue_kind == 2) acc += residual[(size_t)t * N + n];
            want[(size_t)t * N + n] = acc;
        }
    }
    fc_lowp_scratch scratch = {0};
    fc_linear_epilogue gelu = {.gelu = 1}, add = {.residual = out}, geglu = {.geglu = 1};
    if (epilogue_kind == 2) memcpy(out, residual, (size_t)T * N * sizeof(float)); // in place
    const fc_linear_epilogue *e = epilogue_kind == 1   ? &gelu
                                  : epilogue_kind == 2 ? &add
                                  : epilogue_kind == 4 ? &geglu
                                                       : NULL;
    CHECK(fc_lowp_linear_forward(out, x, &layer, epilogue_kind == 3 ? NULL : bias, e, T,
                                 &scratch) == 0);
    size_t columns = (size_t)N;
    if (epilogue_kind == 4) { // the reference GeGLU over the fp64 products, into want's front
        columns = (size_t)N / 2;
        for (int t = 0; t < T; t++)
            for (size_t i = 0; i < columns; i++) {
                const double *row = want + (size_t)t * N;
                want[(size_t)t * columns + i] = fc_gelu((float)row[i]) * row[columns + i];
            }
    }
    double worst = 0.0, scale = 0.0;
    for (size_t i = 0; i < (size_t)T * columns; i++) {
        worst = fmax(worst, fabs(out[i] - want[i]));
        scale = fmax(scale, fabs(want[i]));
    }
    if (!(worst <= 1e-5 * scale))
        fprintf(stderr, "  %s T=%d K=%d N=%d epilogue %d: worst %.3g of %.3g\n",
                format == FC_LOWP_INT8 ? "int8" : format == FC_LOWP_F16 ? "f16" : "bf16", T, K,
                N, epilogue_kind, worst, scale);
    CHECK(worst <= 1e-5 * scale);
    fc_lowp_linear_free(&layer);
    fc_lowp_scratch_free(&scratch);
    free(x), free(w), free(bias), free(out), free(residual), free(want), free(qx), free(qw);
    free(rx), free(sw), free(rounded);
}

// The rotation against the Sylvester matrix built here (H_2n = [[H, H], [H, −H]]) on integer
// inputs, where every sum is exact; rotating twice gives block · x; the block orders chosen.
static void test_hadamard(void) {
    CHECK(fc_hadamard_block(1024) == 128);
    CHECK(fc_hadamard_block(2624) == 64); // ModernBERT-large's MLP output: 41 · 64
    CHECK(fc_hadamard_block(48) == 16);
    CHECK(fc_hadamard_block(300) == 0);
    CHECK(fc_hadamard_block(8) == 0);
    for (int block = 16; block <= 128; block *= 2) {
        int K = 3 * block, bad = 0;
        float *x = fc_malloc((size_t)K * sizeof(float)), *y = fc_malloc((size_t)K * sizeof(float));
        uint32_t state = 3u + (uint32_t)block;
        for (int k = 0; k < K; k++) x[k] = floorf(uniform(&state) * 100.0f);
        fc_hadamard_rotate(y, x, K, block);
        for (int k = 0; k < K; k++) {
            int start = k / block * block, i = k - start;
            double want = 0.0;
            for (int j = 0; j < block; j++) // H[i][j] = (−1)^popcount(i & j)
                want += (__builtin_popcount(i & j) % 2 ? -1.0 : 1.0) * x[start + j];
            bad += y[k] != want;
        }
        fc_hadamard_rotate(y, y, K, block);
        for (int k = 0; k < K; k++) bad += y[k] != x[k] * (float)block;
        if (bad) fprintf(stderr, "  Hadamard block %d: %d values wrong\n", block, bad);
        CHECK(bad == 0);
        free(x), free(y);
    }
}

// Layers that read one input through fc_lowp_linear_forward_shared (DeBERTa's query, key and
// value: the input staged once per chunk) give the bits each gives on its own; formats that
// cannot share staging (f16, widened; a mix) run one after another.
static void check_shared(const fc_lowp_format formats[3], int T) {
    enum { K = 256 }; // int8 rotates it (blocks of 128) once for all three
    const int N[3] = {96, 530, 64};
    uint32_t state = 5u + (uint32_t)T;
    float *x = fc_malloc((size_t)T * K * sizeof(float));
    for (size_t i = 0; i < (size_t)T * K; i++) x[i] = uniform(&state) * 2.0f;
    fc_lowp_linear layers[3];
    float *bias[3], *alone[3], *together[3];
    for (int i = 0; i < 3; i++) {
        float *w = fc_malloc((size_t)N[i] * K * sizeof(float));
        for (size_t j = 0; j < (size_t)N[i] * K; j++) w[j] = uniform(&state) * 0.1f;
        CHECK(fc_lowp_linear_prepare(&layers[i], formats[i], w, N[i], K) == 0);
        free(w);
        bias[i] = NULL;
        if (i != 1) { // the middle layer has no bias
            bias[i] = fc_malloc((size_t)N[i] * sizeof(float));
            for (int n = 0; n < N[i]; n++) bias[i][n] = uniform(&state);
        }
        alone[i] = fc_malloc((size_t)T * N[i] * sizeof(float));
        together[i] = fc_calloc((size_t)T * N[i], sizeof(float));
    }
    fc_lowp_scratch scratch = {0};
    for (int i = 0; i < 3; i++)
        CHECK(fc_lowp_linear_forward(alone[i], x, &layers[i], bias[i], NULL, T, &scratch) == 0);
    const fc_lowp_linear *const w[3] = {&layers[0], &layers[1], &layers[2]};
    const float *const b[3] = {bias[0], bias[1], bias[2]};
    CHECK(fc_lowp_linear_forward_shared(3, together, x, w, b, T, &scratch) == 0);
    for (int i = 0; i < 3; i++) {
        CHECK(memcmp(alone[i], together[i], (size_t)T * N[i] * sizeof(float)) == 0);
        fc_lowp_linear_free(&layers[i]);
        free(bias[i]), free(alone[i]), free(together[i]);
    }
    fc_lowp_scratch_free(&scratch);
    free(x);
}

static void test_linear_shared(void) {
    const fc_lowp_format int8[3] = {FC_LOWP_INT8, FC_LOWP_INT8, FC_LOWP_INT8},
                         bf16[3] = {FC_LOWP_BF16, FC_LOWP_BF16, FC_LOWP_BF16},
                         f16[3] = {FC_LOWP_F16, FC_LOWP_F16, FC_LOWP_F16},
                         mixed[3] = {FC_LOWP_BF16, FC_LOWP_INT8, FC_LOWP_BF16};
    int threads = omp_get_max_threads();
    for (int team = 1; team <= 2; team++) { // the chunks one after another, or per thread
        omp_set_num_threads(team);
        const int rows[] = {1, 33, 600};
        for (int r = 0; r < 3; r++) {
            check_shared(int8, rows[r]);
            check_shared(bf16, rows[r]);
        }
    }
    omp_set_num_threads(threads);
    check_shared(f16, 40);
    check_shared(mixed, 300);
}

static void test_linear_engines(void) {
    // 300 and 600 rows cross the 128-row chunks a layer runs in.
    const int rows[] = {1, 31, 33, 64, 100, 300, 600};
    for (int i = 0; i < 7; i++) {
        check_engine(FC_LOWP_INT8, rows[i], 300, 530, i % 3, 0);
        check_engine(FC_LOWP_BF16, rows[i], 300, 530, i % 3, 0);
        // No bias and no epilogue: bf16 writes whole buckets of rows straight into out.
        check_engine(FC_LOWP_INT8, rows[i], 300, 530, 3, 0);
        check_engine(FC_LOWP_BF16, rows[i], 300, 530, 3, 0);
        check_engine(FC_LOWP_INT8, rows[i], 300, 530, 4, 0);
        check_engine(FC_LOWP_BF16, rows[i], 300, 530, 4, 0);
    }
    // Chunks run on the calling thread alone or each thread its own (serial primitives inside
    // one parallel region, uneven shares with 3): the same results whatever the team.
    int threads = omp_get_max_threads();
    for (int team = 1; team <= 3; team++) {
        omp_set_num_threads(team);
        for (int kind = 0; kind <= 4; kind += 2) { // 600 rows: 5 chunks, uneven over 2 and 3
            check_engine(FC_LOWP_INT8, 600, 300, 530, kind, 0);
            check_engine(FC_LOWP_BF16, 600, 300, 530, kind, 0);
        }
    }
    omp_set_num_threads(threads);
    // f16 (on the AVX512-FP16 kernel where the CPU has it) with every epilogue, inputs 300
    // wide (a last block of 44 of the kernel's 128) and 530 columns (a last panel of 18 of 32);
    // inputs beyond f16's range, whose rows are recomputed in fp32, through the scratch and
    // straight into out; an odd width, which the kernel cannot pair, is widened.
    for (int kind = 0; kind <= 4; kind++) check_engine(FC_LOWP_F16, 300, 300, 530, kind, 0);
    check_engine(FC_LOWP_F16, 33, 64, 48, 3, 0);
    check_engine(FC_LOWP_F16, 300, 300, 530, 0, 2);
    check_engine(FC_LOWP_F16, 33, 300, 530, 3, 2);
    check_engine(FC_LOWP_BF16, 300, 300, 530, 2, 2);
    check_engine(FC_LOWP_F16, 40, 301, 48, 1, 0);
    check_engine(FC_LOWP_INT8, 40, 64, 48, 2, 0);
    check_engine(FC_LOWP_BF16, 40, 64, 48, 1, 0);
    check_engine(FC_LOWP_INT8, 8, 256, 64, 0, 1);
    check_engine(FC_LOWP_INT8, 8, 300, 64, 0, 1); // no rotation: the plain extremes
    // Every rotation order (K = 384, 320, 96, 48: blocks 128, 64, 32, 16), across chunks.
    const int widths[] = {384, 320, 96, 48};
    for (int i = 0; i < 4; i++) {
        check_engine(FC_LOWP_INT8, 300, widths[i], 96, i % 3, 0);
        check_engine(FC_LOWP_INT8, 33, widths[i], 64, 4, 0);
    }
    printf("  matmul kernels: bf16 %s, f16 %s, int8 %s (%d-bit activations)\n",
           fc_lowp_kernel_name(FC_LOWP_BF16, 300, 530), fc_lowp_kernel_name(FC_LOWP_F16, 300, 530),
           fc_lowp_kernel_name(FC_LOWP_INT8, 300, 530), fc_int8_activation_bits());
}

// The bf16 layers' choice between oneDNN's bf16 matmul and the widened fp32 GEMM: a layer is
// prepared the way fc_lowp_bf16_on_matmul says, the kernel name agrees, and where AVX512-BF16
// runs, its measured rate against fp32 FMAs is a plausible one (0.5 on a Xeon that issues
// vdpbf16ps every other cycle, about 2 expected on Zen 4; a loop that did not run reads 0).
static void test_bf16_choice(void) {
    float weight[64 * 32];
    for (int i = 0; i < 64 * 32; i++) weight[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
    fc_lowp_linear w;
    CHECK(fc_lowp_linear_prepare(&w, FC_LOWP_BF16, weight, 64, 32) == 0);
    int on_matmul = fc_lowp_bf16_on_matmul(), on_f16 = !on_matmul && fc_gemm_f16_usable();
    CHECK((w.engine.packed != NULL) == (on_matmul || on_f16));
    CHECK(!w.engine.packed || w.engine.kind == (on_matmul ? FC_MATMUL_BF16 : FC_MATMUL_F16));
    CHECK((strncmp(fc_lowp_kernel_name(FC_LOWP_BF16, 32, 64), "fp32 sgemm (widened", 19) == 0) ==
          !(on_matmul || on_f16));
    CHECK(fc_lowp_attention_bf16(&w) == on_matmul); // attention stays fp32 beside f16 products
    fc_lowp_linear_free(&w);
    if (fc_cpu_avx512_bf16_usable()) {
        double rate = fc_bf16_dot_rate_vs_fp32();
        CHECK(rate > 0.2 && rate < 5.0);
        printf("  AVX512-BF16 dot products at %.2fx the fp32 FMA rate; bf16 layers %s\n", rate,
               on_matmul ? "on oneDNN's bf16 matmul"
               : on_f16  ? "on the AVX512-FP16 kernel"
                         : "widened to fp32");
    }
}

// The blocked attention against the reference kernel, on packed sequences of mixed lengths,
// global and with a window smaller than the sequences.
// Head sizes 16 (the general path), 32 and 64 (the register-held paths of the target models).
static void check_attention_blocked(int d) {
    int lengths[5] = {1, 7, 40, 130, 3}, n_seqs = 5, heads = 3, H = heads * d;
    int32_t offsets[6] = {0};
    for (int s = 0; s < n_seqs; s++) offsets[s + 1] = offsets[s] + lengths[s];
    int T = offsets[n_seqs];
    uint32_t state = 11;
    float *qkv = fc_malloc((size_t)T * 3 * H * sizeof(float));
    for (size_t i = 0; i < (size_t)T * 3 * H; i++) qkv[i] = 2.0f * uniform(&state);
    float *want = fc_malloc((size_t)T * H * sizeof(float));
    float *got = fc_malloc((size_t)T * H * sizeof(float));
    int threads = omp_get_max_threads();
    size_t per_thread = fc_attention_blocked_scratch_floats(130, d);
    float *scratch = fc_malloc((size_t)threads * per_thread * sizeof(float));
    int windows[3] = {-1, 4, 64};
    for (int w = 0; w < 3; w++) {
        fc_attention_forward(want, qkv, offsets, n_seqs, heads, d, windows[w], scratch, 130);
        fc_attention_forward_blocked(got, qkv, offsets, n_seqs, heads, d, windows[w], 0, scratch,
                                     per_thread);
        double worst = 0.0;
        for (size_t i = 0; i < (size_t)T * H; i++) worst = fmax(worst, fabs(got[i] - want[i]));
        CHECK_CLOSE(worst, 0.0, 1e-6);
    }
    free(qkv);
    free(want);
    free(got);
    free(scratch);
}

// The bf16 products on AMX against the reference kernel on Q, K and V rounded to bf16: what is left is the probabilities' rounding to bf16 (relative
// 2^-8 each at most, so at most 2^-8 · max |v| = 0.0078 here; measured 0.0048) and the order of
// the fp32 sums. A tile in the wrong layout is off by whole values.
static void check_attention_bf16(int d) {
    int lengths[6] = {1, 7, 40, 130, 3, 33}, n_seqs = 6, heads = 3, H = heads * d;
    int32_t offsets[7] = {0};
    for (int s = 0; s < n_seqs; s++) offsets[s + 1] = offsets[s] + lengths[s];
    int T = offsets[n_seqs];
    uint32_t state = 5;
    float *qkv = fc_malloc((size_t)T * 3 * H * sizeof(float));
    float *rounded = fc_malloc((size_t)T * 3 * H * sizeof(float));
    for (size_t i = 0; i < (size_t)T * 3 * H; i++) {
        qkv[i] = 2.0f * uniform(&state);
        rounded[i] = fc_bf16_to_f32(fc_f32_to_bf16(qkv[i]));
    }
    float *want = fc_malloc((size_t)T * H * sizeof(float));
    float *got = fc_malloc((size_t)T * H * sizeof(float));
    int threads = omp_get_max_threads();
    size_t per_thread = fc_attention_blocked_scratch_floats(130, d);
    float *scratch = fc_malloc((size_t)threads * per_thread * sizeof(float));
    // Without AMX the products stay fp32: then the reference is the unrounded one, to 1e-6.
    int amx = fc_attention_amx_usable(d);
    double tolerance = amx ? 0.0078 : 1e-6;
    int windows[3] = {-1, 4, 64};
    for (int w = 0; w < 3; w++) {
        fc_attention_forward(want, amx ? rounded : qkv, offsets, n_seqs, heads, d, windows[w],
                             scratch, 130);
        for (size_t i = 0; i < (size_t)T * H; i++) got[i] = NAN; // every row must be written
        fc_attention_forward_blocked(got, qkv, offsets, n_seqs, heads, d, windows[w], 1, scratch,
                                     per_thread);
        double worst = 0.0;
        for (size_t i = 0; i < (size_t)T * H; i++) {
            double diff = fabs(got[i] - want[i]);
            worst = diff > worst || diff != diff ? (diff != diff ? INFINITY : diff) : worst;
        }
        if (!(worst <= tolerance))
            fprintf(stderr, "  bf16 attention d=%d window %d: worst %.3g\n", d, windows[w], worst);
        CHECK(worst <= tolerance);
    }
    free(qkv);
    free(rounded);
    free(want);
    free(got);
    free(scratch);
}

// DeBERTa's attention with its four products on AMX against the fp32 kernel on the same inputs
// rounded to bf16: within 2^-7 (the probabilities' rounding), over sequences of 1-130 tokens
// (log-bucketed distances past 32), with both position terms, C2P alone and none. Without AMX
// the bf16 request runs the fp32 kernel: the same bits.
static float round_bf16(float x) {
    return fc_bf16_to_f32(fc_f32_to_bf16(x));
}

static void check_deberta_attention_bf16(int d) {
    enum { SEQS = 6, HEADS = 3, LONGEST = 130, BUCKETS = 64, SPAN = 64, MAX_POSITION = 512 };
    int lengths[SEQS] = {1, 7, 40, LONGEST, 3, 33}, H = HEADS * d;
    int32_t offsets[SEQS + 1] = {0};
    for (int s = 0; s < SEQS; s++) offsets[s + 1] = offsets[s] + lengths[s];
    int T = offsets[SEQS];
    int32_t index[2 * LONGEST - 1];
    for (int r = -(LONGEST - 1); r <= LONGEST - 1; r++)
        index[r + LONGEST - 1] = fc_deberta_rel_index(r, BUCKETS, MAX_POSITION, SPAN);
    int first = index[0], rows = index[2 * LONGEST - 2] - first + 1;
    uint32_t state = 9;
    size_t acts = (size_t)T * H, table = (size_t)rows * H;
    float *x = fc_malloc((3 * acts + 2 * table) * sizeof(float));
    float *rounded = fc_malloc((3 * acts + 2 * table) * sizeof(float));
    for (size_t i = 0; i < 3 * acts + 2 * table; i++) {
        x[i] = 2.0f * uniform(&state);
        rounded[i] = round_bf16(x[i]);
    }
    float *want = fc_malloc(acts * sizeof(float)), *got = fc_malloc(acts * sizeof(float));
    int amx = fc_attention_amx_usable(d);
    for (int terms = 0; terms < 3; terms++) { // both, C2P alone, plain attention
        const float *in[2] = {amx ? rounded : x, x};
        float *out[2] = {want, got};
        double worst = 0.0;
        for (int run = 0; run < 2; run++) {
            const float *q = in[run], *k = q + acts, *v = k + acts, *tables = v + acts;
            fc_deberta_rel rel = {tables, terms == 0 ? tables + table : NULL, first, rows, index,
                                  LONGEST};
            const fc_deberta_rel *r = terms == 2 ? NULL : &rel;
            size_t per_thread = fc_deberta_attention_scratch_floats(LONGEST, r, d, run);
            float *scratch = fc_malloc((size_t)omp_get_max_threads() * per_thread * sizeof(float));
            for (size_t i = 0; i < acts; i++) out[run][i] = NAN; // every row must be written
            fc_deberta_attention_forward(out[run], q, k, v, offsets, SEQS, HEADS, d, 8.0f, r, run,
                                         scratch, per_thread);
            free(scratch);
        }
        for (size_t i = 0; i < acts; i++) {
            double diff = fabs(got[i] - want[i]);
            worst = diff > worst || diff != diff ? (diff != diff ? INFINITY : diff) : worst;
        }
        double tolerance = amx ? 0.0078 : 0.0;
        if (!(worst <= tolerance))
            fprintf(stderr, "  DeBERTa bf16 attention d=%d terms %d: worst %.3g\n", d, terms,
                    worst);
        CHECK(worst <= tolerance);
    }
    free(x);
    free(rounded);
    free(want);
    free(got);
}

// AVX512-BF16's staging row gives fc_f32_to_bf16's bits on normal floats: ties to even both
// ways, carries into the exponent, signs, a masked tail (37 values).
static void test_stage_bf16_row(void) {
    if (!fc_cpu_avx512_bf16_usable()) {
        printf("  bf16 staging row: no AVX512-BF16 here, the AVX2 rounding runs\n");
        return;
    }
    uint32_t bits[37] = {0x3f808000u, 0x3f818000u, 0xbf808000u, 0x3f80ffffu, 0x3fffffffu,
                         0x7f7fffffu, 0x00800000u, 0x80800001u, 0x3f800000u, 0x4b7fff80u};
    uint32_t state = 3;
    for (int i = 10; i < 37; i++) {
        float x = uniform(&state) * 1000.0f;
        memcpy(&bits[i], &x, sizeof x);
    }
    float x[37];
    uint16_t got[37], want[37];
    memcpy(x, bits, sizeof x);
    fc_stage_row_bf16_avx512(got, x, 37);
    int same = 1;
    for (int i = 0; i < 37; i++) {
        want[i] = fc_f32_to_bf16(x[i]);
        same &= got[i] == want[i];
    }
    CHECK(same);
}

static void test_attention_blocked(void) {
    check_attention_blocked(16);
    check_attention_blocked(32);
    check_attention_blocked(64);
    check_attention_bf16(32);
    check_attention_bf16(64);
    check_deberta_attention_bf16(32);
    check_deberta_attention_bf16(64);
    printf("  bf16 attention products: %s\n",
           fc_attention_amx_usable(64) ? "AMX tiles" : "fp32 (no AMX here)");
}

void suite_kernels(void) {
    test_stage_bf16_row();
    test_attention_blocked();
    test_gelu();
    test_rope_table();
    test_layernorm();
    test_layernorm_rows();
    test_linear_lowp();
    test_hadamard();
    test_linear_engines();
    test_bf16_choice();
    test_linear_shared();
}
