#include "kernels/cpu/linear_lowp.h"

#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/dtype.h"
#include "kernels/cpu/bf16_rate.h"
#include "kernels/cpu/gemm_f16.h"
#include "kernels/cpu/hadamard.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/lowp_rows.h"
#include "util/alloc.h"

// ---------------------------------------------------------------------------------------------
// The widened path: 16-bit weights → fp32 panel → the fp32 GEMM.

// Rows split across threads. bf16 is the top half of a float32; f16 goes through F16C's
// vcvtph2ps (part of x86-64-v3).
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

// ---------------------------------------------------------------------------------------------
// Preparing the weights

int fc_int8_activation_bits(void) {
    static int bits = 0; // decided once; neither the CPU nor ONEDNN_MAX_CPU_ISA changes
    if (bits == 0) bits = fc_matmul_int8_exact_8bit() ? 8 : 7;
    return bits;
}

// The largest |x[k]|, eight lanes at a time (GCC -O2 leaves fmaxf a library call per element).
static float max_abs(const float *x, int K) {
    __m256 sign = _mm256_set1_ps(-0.0f), max8 = _mm256_setzero_ps();
    int k = 0;
    for (; k + 8 <= K; k += 8)
        max8 = _mm256_max_ps(max8, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + k)));
    float lanes[8], max = 0.0f;
    _mm256_storeu_ps(lanes, max8);
    for (int l = 0; l < 8; l++) max = lanes[l] > max ? lanes[l] : max;
    for (; k < K; k++) max = fabsf(x[k]) > max ? fabsf(x[k]) : max;
    return max;
}

// q[k] = round(x[k] · inv) to nearest even (vcvtps2dq, as lrintf), codes within ±127; returns
// Σ q[k]. Loaded at every start of an int8 model: one lrintf call per weight took 5% of a
// ModernBERT-large benchmark run.
static int32_t quantize_row(int8_t *q, const float *x, int K, float inv) {
    __m256 inv8 = _mm256_set1_ps(inv);
    __m256i sum8 = _mm256_setzero_si256();
    int k = 0;
    for (; k + 8 <= K; k += 8) {
        __m256i codes = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + k), inv8));
        sum8 = _mm256_add_epi32(sum8, codes);
        __m128i words = _mm_packs_epi32(_mm256_castsi256_si128(codes),
                                        _mm256_extracti128_si256(codes, 1));
        _mm_storel_epi64((__m128i *)(q + k), _mm_packs_epi16(words, words));
    }
    int32_t lanes[8], sum = 0;
    _mm256_storeu_si256((__m256i *)lanes, sum8);
    for (int l = 0; l < 8; l++) sum += lanes[l];
    for (; k < K; k++) {
        q[k] = (int8_t)lrintf(x[k] * inv);
        sum += q[k];
    }
    return sum;
}

// Per output channel: the largest |W[n, :]| (of the rotated row, where the layer rotates)
// maps to 127. The rotation's blocks are unnormalized (H·Hᵀ = b·I), so the products come out
// b times too large: 1/b, a power of two, goes into the channel's scale exactly.
static int prepare_int8(fc_lowp_linear *w, const float *weight, int out_dim, int in_dim) {
    size_t count = (size_t)out_dim * in_dim;
    int block = fc_hadamard_block(in_dim), threads = omp_get_max_threads();
    int8_t *q = malloc(count);
    float *rotated = block ? malloc((size_t)threads * in_dim * sizeof(float)) : NULL;
    w->channel_scale = malloc((size_t)out_dim * sizeof(float));
    w->channel_sum = malloc((size_t)out_dim * sizeof(int32_t));
    if (!q || (block && !rotated) || !w->channel_scale || !w->channel_sum) {
        free(q);
        free(rotated);
        return -1;
    }
    w->rotate_block = block;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int n = 0; n < out_dim; n++) {
        const float *row = weight + (size_t)n * in_dim;
        if (block) {
            float *mine = rotated + (size_t)omp_get_thread_num() * in_dim;
            fc_hadamard_rotate(mine, row, in_dim, block);
            row = mine;
        }
        float max = max_abs(row, in_dim);
        float scale = max > 0.0f ? max / 127.0f : 1.0f;
        w->channel_scale[n] = block ? scale / (float)block : scale;
        w->channel_sum[n] = quantize_row(q + (size_t)n * in_dim, row, in_dim, 1.0f / scale);
    }
    free(rotated);
    int rc = fc_matmul_weights_pack(&w->engine, FC_MATMUL_INT8, q, out_dim, in_dim);
    free(q);
    return rc;
}

// An empty layer of the format and shape.
static void start_layer(fc_lowp_linear *w, fc_lowp_format format, int out_dim, int in_dim) {
    memset(w, 0, sizeof *w);
    w->format = format;
    w->in_dim = in_dim;
    w->out_dim = out_dim;
}

int fc_lowp_linear_prepare(fc_lowp_linear *w, fc_lowp_format format, const float *weight,
                           int out_dim, int in_dim) {
    start_layer(w, format, out_dim, in_dim);
    if (format == FC_LOWP_INT8) {
        if (prepare_int8(w, weight, out_dim, in_dim) == 0) return 0;
        fc_lowp_linear_free(w);
        return -1;
    }
    size_t count = (size_t)out_dim * in_dim;
    uint16_t *half = malloc(count * sizeof *half);
    if (!half) return -1;
    if (format == FC_LOWP_BF16)
        fc_f32_array_to_bf16(weight, half, count);
    else
        fc_f32_array_to_f16(weight, half, count);
    int rc = fc_lowp_linear_prepare_half(w, format, half, out_dim, in_dim);
    if (rc == 0 && w->half == half)
        w->half_owned = half; // the widened path keeps it
    else
        free(half);
    return rc;
}

// bf16 on oneDNN's bf16 matmul, or widened to the fp32 GEMM: whichever does more multiply-adds
// a second. AMX does several times fp32's. AVX512-BF16's dot product does twice an FMA's work
// an instruction but some CPUs issue it at a quarter of the rate (bf16_rate.h), and without
// AVX512-BF16 oneDNN emulates bf16 (gemm:jit: ModernBERT-large ran at a quarter of fp32's
// speed). FINECAT_BF16_MATMUL=1 or 0 overrides the choice (the tests run both paths). Not on
// oneDNN's matmul, bf16 weights go to the AVX512-FP16 kernel where the CPU has one (f16 holds
// every bf16 weight of f16's range exactly: half_engine), else they are widened.
static int bf16_choice; // 1: matmul, 0: not (set by decide_bf16, once)
static char bf16_widened_name[96], bf16_f16_name[128];
static pthread_once_t bf16_decided = PTHREAD_ONCE_INIT;

static void decide_bf16(void) {
    const char *forced = getenv("FINECAT_BF16_MATMUL");
    int available = fc_matmul_available(FC_MATMUL_BF16);
    const char *why = "no bf16 kernel in oneDNN here";
    char measured[64];
    if (forced && (strcmp(forced, "0") == 0 || strcmp(forced, "1") == 0)) {
        bf16_choice = available && forced[0] == '1';
        if (forced[0] == '0') why = "FINECAT_BF16_MATMUL=0";
    } else if (!available) {
        bf16_choice = 0;
    } else if (fc_cpu_amx_usable()) {
        bf16_choice = 1;
    } else if (!fc_cpu_avx512_bf16_usable()) {
        bf16_choice = 0;
        why = "no AVX512-BF16: oneDNN would emulate bf16";
    } else {
        double rate = fc_bf16_dot_rate_vs_fp32();
        bf16_choice = rate >= 1.25;
        snprintf(measured, sizeof measured, "AVX512-BF16 dot products at %.2fx fp32 FMA here",
                 rate);
        why = measured;
    }
    snprintf(bf16_widened_name, sizeof bf16_widened_name, "fp32 sgemm (widened: %s)", why);
    snprintf(bf16_f16_name, sizeof bf16_f16_name, "%s (bf16 weights as f16: %s)",
             fc_matmul_kernel_name(FC_MATMUL_F16, 64, 64), why);
}

int fc_lowp_bf16_on_matmul(void) {
    pthread_once(&bf16_decided, decide_bf16);
    return bf16_choice;
}

// Where a 16-bit layer of this format and input width runs: oneDNN's bf16 matmul, the
// AVX512-FP16 kernel (gemm_f16.h), or widened to fp32 (-1).
static int half_engine(fc_lowp_format format, int in_dim) {
    if (format == FC_LOWP_BF16 && fc_lowp_bf16_on_matmul()) return FC_MATMUL_BF16;
    if (fc_gemm_f16_usable() && fc_gemm_f16_shape_ok(in_dim)) return FC_MATMUL_F16;
    return -1;
}

// bf16 weights as f16 bits, eight at a time through fp32 (F16C, nearest even): exact for every
// magnitude in [2^-14, 65504]; smaller ones become f16 subnormals (off by at most 2^-25).
// Returns -1 when a weight is beyond f16's range (then the layer is widened instead).
static int bf16_to_f16(uint16_t *dst, const uint16_t *src, size_t count) {
    __m256 limit = _mm256_set1_ps(65504.0f), sign = _mm256_set1_ps(-0.0f);
    size_t i = 0;
    int over = 0;
    for (; i + 8 <= count; i += 8) {
        __m128i b = _mm_loadu_si128((const __m128i *)(src + i));
        __m256 v = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(b), 16));
        over |= _mm256_movemask_ps(_mm256_cmp_ps(_mm256_andnot_ps(sign, v), limit, _CMP_NLE_UQ));
        _mm_storeu_si128((__m128i *)(dst + i),
                         _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    for (; i < count; i++) {
        float v = fc_bf16_to_f32(src[i]);
        over |= !(fabsf(v) <= 65504.0f);
        dst[i] = fc_f32_to_f16(v);
    }
    return over ? -1 : 0;
}

// Packs a bf16 layer for the AVX512-FP16 kernel. 0, 1 when its weights do not fit f16, -1 when
// out of memory.
static int pack_bf16_as_f16(fc_lowp_linear *w, const uint16_t *weight) {
    size_t count = (size_t)w->out_dim * w->in_dim;
    uint16_t *f16 = malloc(count * sizeof *f16);
    if (!f16) return -1;
    int rc = bf16_to_f16(f16, weight, count) != 0
                 ? 1
                 : fc_matmul_weights_pack(&w->engine, FC_MATMUL_F16, f16, w->out_dim, w->in_dim);
    free(f16);
    return rc;
}

int fc_lowp_linear_prepare_half(fc_lowp_linear *w, fc_lowp_format format, const uint16_t *weight,
                                int out_dim, int in_dim) {
    start_layer(w, format, out_dim, in_dim);
    int engine = half_engine(format, in_dim);
    if (engine == FC_MATMUL_BF16)
        return fc_matmul_weights_pack(&w->engine, FC_MATMUL_BF16, weight, out_dim, in_dim);
    if (engine == FC_MATMUL_F16 && format == FC_LOWP_F16)
        return fc_matmul_weights_pack(&w->engine, FC_MATMUL_F16, weight, out_dim, in_dim);
    if (engine == FC_MATMUL_F16) {
        int rc = pack_bf16_as_f16(w, weight);
        if (rc != 1) return rc;
    }
    w->half = weight;
    return 0;
}

void fc_lowp_linear_free(fc_lowp_linear *w) {
    fc_matmul_weights_free(&w->engine);
    free(w->half_owned);
    free(w->channel_scale);
    free(w->channel_sum);
    memset(w, 0, sizeof *w);
}

// ---------------------------------------------------------------------------------------------
// Running a layer

static int reserve(void **buf, size_t *capacity, size_t bytes) {
    if (bytes <= *capacity) return 0;
    free(*buf);
    *buf = aligned_alloc(64, (bytes + 63) / 64 * 64);
    *capacity = *buf ? bytes : 0;
    return *buf ? 0 : -1;
}

// 8 floats to bf16, rounded to nearest even (as torch's .to(torch.bfloat16) and oneDNN's
// reorders do; the inputs are finite).
static __m128i bf16x8(__m256 v) {
    __m256i bits = _mm256_castps_si256(v);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
    __m256i rounded = _mm256_add_epi32(bits, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7FFF)));
    __m256i high = _mm256_srli_epi32(rounded, 16);
    __m256i packed = _mm256_packus_epi32(high, high); // 0-3 0-3 | 4-7 4-7 per 128-bit lane
    return _mm256_castsi256_si128(_mm256_permute4x64_epi64(packed, 0x08));
}

// The row loops below run on the team's threads when the chunk's GEMM does (threaded), and on
// the calling thread when each thread runs chunks of its own.
static void stage_bf16(uint16_t *staged, const float *in, int T, int rows, int K, int threaded) {
    int avx512_bf16 = fc_cpu_avx512_bf16_usable();
#pragma omp parallel for schedule(static) if (threaded)
    for (int t = 0; t < T; t++) {
        const float *x = in + (size_t)t * K;
        uint16_t *y = staged + (size_t)t * K;
        if (avx512_bf16) {
            fc_stage_row_bf16_avx512(y, x, K);
            continue;
        }
        int k = 0;
        for (; k + 8 <= K; k += 8)
            _mm_storeu_si128((__m128i *)(y + k), bf16x8(_mm256_loadu_ps(x + k)));
        for (; k < K; k++) y[k] = fc_f32_to_bf16(x[k]);
    }
    memset(staged + (size_t)T * K, 0, (size_t)(rows - T) * K * sizeof *staged);
}

// fp32 to f16 (F16C, nearest even; from 65,520 up a value becomes infinite, and the kernel
// reports the output for the rows to be recomputed from fp32).
static void stage_f16(uint16_t *staged, const float *in, int T, int rows, int K, int threaded) {
#pragma omp parallel for schedule(static) if (threaded)
    for (int t = 0; t < T; t++)
        fc_f32_array_to_f16(in + (size_t)t * K, staged + (size_t)t * K, (size_t)K);
    memset(staged + (size_t)T * K, 0, (size_t)(rows - T) * K * sizeof *staged);
}

// Asymmetric per-token quantization: the row's [min, max] (widened to hold 0) maps onto
// [0, top] with a zero point, so a row whose values lean to one side (GELU outputs never go
// below −0.17) keeps every code. top is 255 (8-bit) or 127 (7-bit). Codes are rounded to
// nearest even (vcvtps2dq), eight at a time.
static void stage_row_int8(uint8_t *q, const float *x, int K, int top, float *row_scale,
                           int32_t *row_zero) {
    __m256 lo8 = _mm256_setzero_ps(), hi8 = lo8;
    int k = 0;
    for (; k + 8 <= K; k += 8) {
        __m256 v = _mm256_loadu_ps(x + k);
        lo8 = _mm256_min_ps(lo8, v);
        hi8 = _mm256_max_ps(hi8, v);
    }
    float lanes_lo[8], lanes_hi[8];
    _mm256_storeu_ps(lanes_lo, lo8);
    _mm256_storeu_ps(lanes_hi, hi8);
    float lo = 0.0f, hi = 0.0f;
    for (int l = 0; l < 8; l++) {
        lo = lanes_lo[l] < lo ? lanes_lo[l] : lo;
        hi = lanes_hi[l] > hi ? lanes_hi[l] : hi;
    }
    for (int j = k; j < K; j++) {
        lo = x[j] < lo ? x[j] : lo;
        hi = x[j] > hi ? x[j] : hi;
    }
    float scale = hi > lo ? (hi - lo) / (float)top : 1.0f;
    float inv = 1.0f / scale;
    int zero = (int)lrintf(-lo * inv);
    __m256 inv8 = _mm256_set1_ps(inv), zero8 = _mm256_set1_ps((float)zero);
    __m256i top8 = _mm256_set1_epi32(top), floor8 = _mm256_setzero_si256();
    for (k = 0; k + 16 <= K; k += 16) {
        __m256i a = _mm256_cvtps_epi32(_mm256_fmadd_ps(_mm256_loadu_ps(x + k), inv8, zero8));
        __m256i b = _mm256_cvtps_epi32(_mm256_fmadd_ps(_mm256_loadu_ps(x + k + 8), inv8, zero8));
        a = _mm256_min_epi32(_mm256_max_epi32(a, floor8), top8);
        b = _mm256_min_epi32(_mm256_max_epi32(b, floor8), top8);
        __m256i words = _mm256_packus_epi32(a, b);                 // a0-3 b0-3 | a4-7 b4-7
        words = _mm256_permute4x64_epi64(words, 0xD8);             // a0-7 b0-7
        __m128i bytes = _mm_packus_epi16(_mm256_castsi256_si128(words),
                                         _mm256_extracti128_si256(words, 1));
        _mm_storeu_si128((__m128i *)(q + k), bytes);
    }
    for (; k < K; k++) {
        int code = (int)lrintf(fmaf(x[k], inv, (float)zero)); // as the vector lanes
        q[k] = (uint8_t)(code < 0 ? 0 : code > top ? top : code);
    }
    *row_scale = scale;
    *row_zero = zero;
}

// Rows rotated first (block > 0) go through rotated, one row each, staged while in L1.
static void stage_int8(uint8_t *staged, float *row_scale, int32_t *row_zero, const float *in,
                       float *rotated, int block, int T, int rows, int K, int top, int avx512,
                       int threaded) {
#pragma omp parallel for schedule(static) if (threaded)
    for (int t = 0; t < T; t++) {
        const float *x = in + (size_t)t * K;
        if (block && avx512) {
            fc_stage_row_int8_rotated_avx512(staged + (size_t)t * K, rotated + (size_t)t * K, x,
                                             K, block, top, &row_scale[t], &row_zero[t]);
            continue;
        }
        if (block) {
            fc_hadamard_rotate(rotated + (size_t)t * K, x, K, block);
            x = rotated + (size_t)t * K;
        }
        if (avx512)
            fc_stage_row_int8_avx512(staged + (size_t)t * K, x, K, top, &row_scale[t],
                                     &row_zero[t]);
        else
            stage_row_int8(staged + (size_t)t * K, x, K, top, &row_scale[t], &row_zero[t]);
    }
    memset(staged + (size_t)T * K, 0, (size_t)(rows - T) * K);
}

// y = v + bias, then the epilogue, on one output row; v is the row as dequantized (it may be
// y itself), and the residual may be y too (the stream updated in place): every element is
// read before it is written.
static void finish_row(float *y, const float *v, const float *bias, const fc_linear_epilogue *e,
                       int t, int N) {
    const float *r = e && e->residual ? e->residual + (size_t)t * N : NULL;
    int n = 0;
    for (; n + 8 <= N; n += 8) { // by hand: GCC -O2 leaves possibly aliased loops scalar
        __m256 x = _mm256_loadu_ps(v + n);
        if (bias) x = _mm256_add_ps(x, _mm256_loadu_ps(bias + n));
        if (r) x = _mm256_add_ps(x, _mm256_loadu_ps(r + n));
        _mm256_storeu_ps(y + n, x);
    }
    for (; n < N; n++) {
        float x = v[n];
        if (bias) x += bias[n];
        if (r) x += r[n];
        y[n] = x;
    }
    if (e && e->gelu) fc_gelu_row(y, N);
}

int fc_lowp_chunk_rows(int T) {
    int rows = fc_matmul_bucket_rows(T > 0 ? T : 1);
    return rows < FC_LOWP_CHUNK_ROWS ? rows : FC_LOWP_CHUNK_ROWS;
}

// Whether the epilogue does anything beyond the product.
static int has_epilogue(const float *bias, const fc_linear_epilogue *e) {
    return bias || (e && (e->residual || e->gelu || e->geglu));
}

// Columns of out: GeGLU halves the layer's outputs.
static int out_columns(int N, const fc_linear_epilogue *e) {
    return e && e->geglu ? N / 2 : N;
}

// Finishes row t of the product v (fp32, used as scratch) into y: y = v + bias, then the
// residual and GELU, or GeGLU into half as many columns.
static void finish_product_row(float *y, float *v, const float *bias,
                               const fc_linear_epilogue *e, int t, int N) {
    if (e && e->geglu) {
        if (bias) finish_row(v, v, bias, NULL, t, N);
        fc_geglu_row(y, v, N / 2);
        return;
    }
    finish_row(y, v, bias, e, t, N);
}

// The GEMM of a chunk: on the team's threads, or on the calling thread alone.
static int chunk_gemm(const fc_matmul_weights *w, const void *src, void *dst, int M,
                      int threaded) {
    return threaded ? fc_matmul_run(w, src, dst, M) : fc_matmul_run_serial(w, src, dst, M);
}

// One thread's buffers, grown for a chunk of w's rows.
static int chunk_reserve(fc_lowp_chunk_scratch *c, const fc_lowp_linear *w, int rows) {
    size_t K = (size_t)w->in_dim, N = (size_t)w->out_dim, r = (size_t)rows;
    if (w->format == FC_LOWP_INT8)
        return reserve(&c->staged, &c->staged_bytes, r * K) != 0 ||
                       reserve(&c->result, &c->result_bytes, r * N * sizeof(int32_t)) != 0 ||
                       reserve((void **)&c->row_scale, &c->row_scale_bytes,
                               r * sizeof(float)) != 0 ||
                       reserve((void **)&c->row_zero, &c->row_zero_bytes,
                               r * sizeof(int32_t)) != 0 ||
                       (w->rotate_block && reserve((void **)&c->rotated, &c->rotated_bytes,
                                                   r * K * sizeof(float)) != 0)
                   ? -1
                   : 0;
    return reserve(&c->staged, &c->staged_bytes, r * K * sizeof(uint16_t)) != 0 ||
                   reserve(&c->result, &c->result_bytes, r * N * sizeof(float)) != 0
               ? -1
               : 0;
}

// The GEMM of a 16-bit chunk's M staged rows (real of them from the fp32 rows x); where f16
// overflowed, the rows again from x with fp32 products (gemm_f16.h).
static int half_gemm(const fc_matmul_weights *w, const void *staged, const float *x, int real,
                     void *dst, int M, int threaded) {
    // The f16 kernel takes 8 rows at a time, not oneDNN's buckets of 32: the padding rows past
    // the last 8 are neither computed nor read (a single short pair is 20-odd rows of 32).
    if (w->kind == FC_MATMUL_F16)
        M = (real + FC_GEMM_F16_ROWS - 1) / FC_GEMM_F16_ROWS * FC_GEMM_F16_ROWS;
    int rc = chunk_gemm(w, staged, dst, M, threaded);
    if (rc != FC_MATMUL_NOT_FINITE) return rc;
    fc_gemm_f16_exact(dst, x, real, w->packed, M, w->out_dim, w->in_dim, threaded);
    return 0;
}

// Rows [first, first + n) of a 16-bit layer (bf16, or f16 on the AVX512-FP16 kernel): staged,
// multiplied, finished. Residual row indices count from the layer's first row, so first goes
// to the epilogue.
static int chunk_half(float *out, const float *in, const fc_lowp_linear *w, const float *bias,
                      const fc_linear_epilogue *e, int first, int n, fc_lowp_chunk_scratch *c,
                      int staged, int threaded) {
    int K = w->in_dim, N = w->out_dim, columns = out_columns(N, e);
    int rows = fc_matmul_bucket_rows(n);
    const float *x = in + (size_t)first * K;
    if (!staged && w->engine.kind == FC_MATMUL_F16)
        stage_f16(c->staged, x, n, rows, K, threaded);
    else if (!staged)
        stage_bf16(c->staged, x, n, rows, K, threaded);
    float *dst = out + (size_t)first * columns;
    if (!has_epilogue(bias, e)) {
        // With nothing to add, whole buckets' rows go straight into out and only a last
        // partial bucket through the scratch: a copy of every output (ModernBERT's Wqkv,
        // 3,072 floats a token) took several percent of the bf16 forward.
        int whole = n / FC_MATMUL_ROW_BUCKET * FC_MATMUL_ROW_BUCKET;
        if (whole > 0 && half_gemm(&w->engine, c->staged, x, whole, dst, whole, threaded) != 0)
            return -1;
        if (whole == n) return 0;
        const uint16_t *rest = (const uint16_t *)c->staged + (size_t)whole * K;
        if (half_gemm(&w->engine, rest, x + (size_t)whole * K, n - whole, c->result,
                      FC_MATMUL_ROW_BUCKET, threaded) != 0)
            return -1;
        memcpy(dst + (size_t)whole * N, c->result, (size_t)(n - whole) * N * sizeof(float));
        return 0;
    }
    if (half_gemm(&w->engine, c->staged, x, n, c->result, rows, threaded) != 0) return -1;
    float *result = c->result;
#pragma omp parallel for schedule(static) if (threaded)
    for (int t = 0; t < n; t++)
        finish_product_row(dst + (size_t)t * columns, result + (size_t)t * N, bias, e, first + t,
                           N);
    return 0;
}

// y = (acc − z·Σq)·s_t·s_n + b (+ residual) over N outputs in one pass, eight lanes at a time
// (GCC -O2 does not vectorize the scalar loop: y may alias the residual) or sixteen. The
// residual may be y itself, y may be acc: each element is read before it is written.
static void dequantize_span(float *y, const int32_t *acc, const int32_t *channel_sum,
                            const float *channel_scale, float row_scale, int32_t zero,
                            const float *bias, const float *r, int N, int avx512) {
    if (avx512) {
        fc_finish_row_int8_avx512(y, acc, channel_sum, channel_scale, row_scale, zero, bias, r, N);
        return;
    }
    __m256 row8 = _mm256_set1_ps(row_scale);
    __m256i zero8 = _mm256_set1_epi32(zero);
    int n = 0;
    for (; n + 8 <= N; n += 8) {
        __m256i centered = _mm256_sub_epi32(
            _mm256_loadu_si256((const __m256i *)(acc + n)),
            _mm256_mullo_epi32(zero8, _mm256_loadu_si256((const __m256i *)(channel_sum + n))));
        __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(centered),
                                 _mm256_mul_ps(row8, _mm256_loadu_ps(channel_scale + n)));
        if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + n));
        if (r) v = _mm256_add_ps(v, _mm256_loadu_ps(r + n));
        _mm256_storeu_ps(y + n, v);
    }
    for (; n < N; n++) {
        float v = (float)(acc[n] - zero * channel_sum[n]) * (row_scale * channel_scale[n]);
        if (bias) v += bias[n];
        if (r) v += r[n];
        y[n] = v;
    }
}

// One output row of the int8 path: dequantized with the bias and residual, then GELU where
// asked.
static void finish_row_int8(float *y, const int32_t *acc, const fc_lowp_linear *w,
                            float row_scale, int32_t zero, const float *bias,
                            const fc_linear_epilogue *e, int t, int N, int avx512) {
    const float *r = e && e->residual ? e->residual + (size_t)t * N : NULL;
    dequantize_span(y, acc, w->channel_sum, w->channel_scale, row_scale, zero, bias, r, N, avx512);
    if (e && e->gelu) fc_gelu_row(y, N);
}

// Columns of GeGLU's input and gate dequantized at a time, into a buffer on the stack.
enum { GEGLU_SPAN = 256 };

// One output row of an int8 GeGLU layer (I = N / 2 outputs): spans of the input half and of
// the gate half dequantized side by side into an L1-sized buffer, then GeGLU from it, rather
// than the whole row dequantized in place and read again (an extra write and read of every
// product: ModernBERT-large's Wi has 5,376 a token).
static void geglu_row_int8(float *y, const int32_t *acc, const fc_lowp_linear *w,
                           float row_scale, int32_t zero, const float *bias, int I, int avx512) {
    float v[2 * GEGLU_SPAN];
    for (int n = 0; n < I; n += GEGLU_SPAN) {
        int span = I - n < GEGLU_SPAN ? I - n : GEGLU_SPAN, g = I + n;
        dequantize_span(v, acc + n, w->channel_sum + n, w->channel_scale + n, row_scale, zero,
                        bias ? bias + n : NULL, NULL, span, avx512);
        dequantize_span(v + span, acc + g, w->channel_sum + g, w->channel_scale + g, row_scale,
                        zero, bias ? bias + g : NULL, NULL, span, avx512);
        fc_geglu_row(y + n, v, span);
    }
}

// Rows [first, first + n) of an int8 layer: quantized, multiplied, dequantized and finished.
static int chunk_int8(float *out, const float *in, const fc_lowp_linear *w, const float *bias,
                      const fc_linear_epilogue *e, int first, int n, fc_lowp_chunk_scratch *c,
                      int staged, int threaded) {
    int K = w->in_dim, N = w->out_dim, columns = out_columns(N, e);
    int rows = fc_matmul_bucket_rows(n);
    int top = fc_int8_activation_bits() == 8 ? 255 : 127, avx512 = fc_cpu_avx512_usable();
    if (!staged)
        stage_int8(c->staged, c->row_scale, c->row_zero, in + (size_t)first * K, c->rotated,
                   w->rotate_block, n, rows, K, top, avx512, threaded);
    if (chunk_gemm(&w->engine, c->staged, c->result, rows, threaded) != 0) return -1;
    int32_t *result = c->result;
    const float *row_scale = c->row_scale;
    const int32_t *row_zero = c->row_zero;
    float *dst = out + (size_t)first * columns;
#pragma omp parallel for schedule(static) if (threaded)
    for (int t = 0; t < n; t++) {
        const int32_t *acc = result + (size_t)t * N;
        if (e && e->geglu) {
            geglu_row_int8(dst + (size_t)t * columns, acc, w, row_scale[t], row_zero[t], bias,
                           N / 2, avx512);
        } else {
            finish_row_int8(dst + (size_t)t * N, acc, w, row_scale[t], row_zero[t], bias, e,
                            first + t, N, avx512);
        }
    }
    return 0;
}

// Layers that read the same input: one (count 1, with any epilogue), or several of one format
// and input width with their biases only (DeBERTa's query, key and value), whose input is
// then staged (rounded to bf16 or quantized) once per chunk for all of them (staging took
// 10.6% of a DeBERTa-v3-base int8 forward with x staged three times, 8.8% with once).
typedef struct layer_group {
    int count;
    float *const *out;
    const fc_lowp_linear *const *w;
    const float *const *bias;
    const fc_linear_epilogue *e; // count 1 only
} layer_group;

static int run_chunk(const layer_group *g, const float *in, int first, int n,
                     fc_lowp_chunk_scratch *c, int threaded) {
    int rows = fc_matmul_bucket_rows(n);
    for (int i = 0; i < g->count; i++) // every buffer before staging: a reserve may move it
        if (chunk_reserve(c, g->w[i], rows) != 0) return -1;
    for (int i = 0; i < g->count; i++) {
        const fc_lowp_linear *w = g->w[i];
        int rc = w->format == FC_LOWP_INT8
                     ? chunk_int8(g->out[i], in, w, g->bias[i], g->e, first, n, c, i > 0, threaded)
                     : chunk_half(g->out[i], in, w, g->bias[i], g->e, first, n, c, i > 0, threaded);
        if (rc != 0) return -1;
    }
    return 0;
}

// A batch on the matrix engines, FC_LOWP_CHUNK_ROWS rows at a time: a chunk is staged,
// multiplied and finished before the next, so the scratch holds one chunk rather than the
// batch (the fp32 product of ModernBERT-large's Wi over a 1,750-token batch alone was 37 MB)
// and the product is still in the caches when the epilogue reads it. With several chunks,
// each thread runs whole chunks of its own (one parallel region for the layer, each chunk's
// rows in one core's caches from staging to epilogue); threads that split every chunk's GEMM
// met at three barriers a chunk, 10% of a bf16 forward in OpenMP's waits.
static int forward_chunks(const layer_group *g, const float *in, int T, fc_lowp_scratch *s) {
    int step = fc_lowp_chunk_rows(T), chunks = (T + step - 1) / step;
    int team = omp_get_max_threads() < s->threads ? omp_get_max_threads() : s->threads;
    if (chunks == 1 || team < 2) { // one after another, each on the whole team
        for (int first = 0; first < T; first += step) {
            int n = T - first < step ? T - first : step;
            if (run_chunk(g, in, first, n, &s->chunk[0], 1) != 0) return -1;
        }
        return 0;
    }
    int failed = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(team)
    for (int i = 0; i < chunks; i++) {
        int first = i * step, n = T - first < step ? T - first : step;
        if (run_chunk(g, in, first, n, &s->chunk[omp_get_thread_num()], 0) != 0) {
#pragma omp atomic write
            failed = 1;
        }
    }
    return failed ? -1 : 0;
}

static int forward_widened(float *out, const float *in, const fc_lowp_linear *w,
                           const float *bias, const fc_linear_epilogue *e, int T,
                           fc_lowp_scratch *s) {
    int N = w->out_dim, columns = out_columns(N, e);
    size_t floats = (size_t)N * (size_t)w->in_dim;
    if (reserve((void **)&s->panel, &s->panel_bytes, floats * sizeof(float)) != 0) return -1;
    fc_half_kind kind = w->format == FC_LOWP_F16 ? FC_HALF_F16 : FC_HALF_BF16;
    if (!has_epilogue(NULL, e)) { // the bias goes in with the GEMM
        fc_linear_forward_half(out, in, w->half, kind, bias, T, w->in_dim, N, s->panel);
        return 0;
    }
    // The product is finished in place in out, unless out cannot hold it (GeGLU halves the
    // rows) or is the residual itself: then it goes aside first. In place saves a [T, N]
    // buffer: ~40 MB of a DeBERTa-v3-base batch of long pairs.
    float *product = out;
    if (e->geglu || e->residual == out) {
        if (reserve(&s->product, &s->product_bytes, (size_t)T * N * sizeof(float)) != 0)
            return -1;
        product = s->product;
    }
    fc_linear_forward_half(product, in, w->half, kind, bias, T, w->in_dim, N, s->panel);
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++)
        finish_product_row(out + (size_t)t * columns, product + (size_t)t * N, NULL, e, t, N);
    return 0;
}

// Grows the per-thread slots to the team size of the next parallel region.
static int reserve_threads(fc_lowp_scratch *s) {
    int threads = omp_get_max_threads();
    if (threads <= s->threads) return 0;
    fc_lowp_chunk_scratch *grown = realloc(s->chunk, (size_t)threads * sizeof *grown);
    if (!grown) return -1;
    memset(grown + s->threads, 0, (size_t)(threads - s->threads) * sizeof *grown);
    s->chunk = grown;
    s->threads = threads;
    return 0;
}

int fc_lowp_linear_forward(float *out, const float *in, const fc_lowp_linear *w,
                           const float *bias, const fc_linear_epilogue *epilogue, int T,
                           fc_lowp_scratch *s) {
    if (T <= 0) return 0;
    if (!w->engine.packed) return forward_widened(out, in, w, bias, epilogue, T, s);
    if (reserve_threads(s) != 0) return -1;
    layer_group one = {1, &out, &w, &bias, epilogue};
    return forward_chunks(&one, in, T, s);
}

int fc_lowp_linear_forward_shared(int count, float *const *out, const float *in,
                                  const fc_lowp_linear *const *w, const float *const *bias, int T,
                                  fc_lowp_scratch *s) {
    if (T <= 0) return 0;
    int together = 1;
    for (int i = 0; i < count; i++)
        together = together && w[i]->engine.packed && w[i]->format == w[0]->format &&
                   w[i]->in_dim == w[0]->in_dim;
    if (!together) { // the widened path stages nothing: one layer after another
        for (int i = 0; i < count; i++)
            if (fc_lowp_linear_forward(out[i], in, w[i], bias[i], NULL, T, s) != 0) return -1;
        return 0;
    }
    if (reserve_threads(s) != 0) return -1;
    layer_group group = {count, out, w, bias, NULL};
    return forward_chunks(&group, in, T, s);
}

int fc_lowp_linear_forward_rows(float *out, const float *in, const fc_lowp_linear *w,
                                const float *bias, const fc_linear_epilogue *epilogue, int T,
                                fc_lowp_scratch *s) {
    int thread = omp_get_thread_num();
    if (T <= 0) return 0;
    if (!w->engine.packed || T > FC_LOWP_CHUNK_ROWS || thread >= s->threads) return -1;
    layer_group one = {1, &out, &w, &bias, epilogue};
    return run_chunk(&one, in, 0, T, &s->chunk[thread], 0);
}

int fc_lowp_scratch_reserve(fc_lowp_scratch *s, const fc_lowp_linear *w, int T) {
    size_t K = (size_t)w->in_dim, N = (size_t)w->out_dim;
    if (!w->engine.packed) // the widened path: the panel (a product aside is rare: on demand)
        return reserve((void **)&s->panel, &s->panel_bytes, N * K * sizeof(float));
    if (reserve_threads(s) != 0) return -1;
    int rows = fc_lowp_chunk_rows(T);
    for (int i = 0; i < s->threads; i++)
        if (chunk_reserve(&s->chunk[i], w, rows) != 0) return -1;
    return 0;
}

void fc_lowp_scratch_free(fc_lowp_scratch *s) {
    for (int i = 0; i < s->threads; i++) {
        fc_lowp_chunk_scratch *c = &s->chunk[i];
        free(c->staged);
        free(c->rotated);
        free(c->result);
        free(c->row_scale);
        free(c->row_zero);
    }
    free(s->chunk);
    free(s->product);
    free(s->panel);
    memset(s, 0, sizeof *s);
}

int fc_lowp_attention_bf16(const fc_lowp_linear *w) {
    return w && (w->format == FC_LOWP_INT8 || (w->format == FC_LOWP_BF16 && w->engine.packed &&
                                                 w->engine.kind == FC_MATMUL_BF16));
}

const char *fc_lowp_kernel_name(fc_lowp_format format, int in_dim, int out_dim) {
    if (format == FC_LOWP_INT8) return fc_matmul_kernel_name(FC_MATMUL_INT8, in_dim, out_dim);
    int engine = half_engine(format, in_dim);
    if (engine == FC_MATMUL_BF16) return fc_matmul_kernel_name(FC_MATMUL_BF16, in_dim, out_dim);
    if (format == FC_LOWP_BF16) return engine == FC_MATMUL_F16 ? bf16_f16_name : bf16_widened_name;
    if (engine == FC_MATMUL_F16) return fc_matmul_kernel_name(FC_MATMUL_F16, in_dim, out_dim);
    static char name[96];
    snprintf(name, sizeof name, "fp32 sgemm (widened: %s)",
             fc_gemm_f16_usable() ? "odd input width" : fc_gemm_f16_unusable_reason());
    return name;
}
