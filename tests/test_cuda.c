// The CUDA path (built only with `make CUDA=1`): every CUDA kernel against its CPU reference
// kernel on random inputs, then the whole forward against transformers' logits
// (tests/fixtures/modernbert/reference.json) and against the CPU forward, on the fixtures and
// on a random checkpoint of ModernBERT's head size (64) with sequences up to 8192 tokens.
// Without a GPU the suite says so and checks nothing, unless FINECAT_REQUIRE_GPU=1 (set on
// the GPU machine), which makes a missing GPU a failure.
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cuda_runtime.h>

#include "bench/random_checkpoint.h"
#include "finecat.h"
#include "harness.h"
#include "io/json_fields.h"
#include "io/safetensors.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cuda/cuda_kernels.h"
#include "model/modernbert/modernbert_cuda.h"
#include "util/alloc.h"
#include "util/file.h"

#define LOGIT_TOL 1e-4

static float uniform(uint32_t *state) {
    *state = *state * 1664525u + 1013904223u;
    return (float)(*state >> 8) / 16777216.0f * 2.0f - 1.0f;
}

static void fill_random(float *x, size_t n, uint32_t seed) {
    for (size_t i = 0; i < n; i++) x[i] = uniform(&seed);
}

static double max_abs_diff(const float *a, const float *b, size_t n) {
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= worst)) worst = d; // NaN propagates as a failure
    }
    return worst;
}

// ---------------------------------------------------------------------------------------------
// Device buffers for the kernel checks

static void *to_device(const void *host, size_t bytes) {
    void *dev = NULL;
    CHECK(cudaMalloc(&dev, bytes) == cudaSuccess);
    if (dev) CHECK(cudaMemcpy(dev, host, bytes, cudaMemcpyHostToDevice) == cudaSuccess);
    return dev;
}

// Copies back after the queued kernels are done; a kernel fault fails here.
static void from_device(void *host, const void *dev, size_t bytes) {
    CHECK(cudaDeviceSynchronize() == cudaSuccess);
    CHECK(cudaMemcpy(host, dev, bytes, cudaMemcpyDeviceToHost) == cudaSuccess);
}

// A packed batch of sequences of the given lengths: offsets [n + 1].
static int32_t *make_offsets(const int *lengths, int n) {
    int32_t *offsets = fc_malloc((size_t)(n + 1) * sizeof *offsets);
    offsets[0] = 0;
    for (int s = 0; s < n; s++) offsets[s + 1] = offsets[s] + lengths[s];
    return offsets;
}

static void test_layernorm_kernel(void) {
    int T = 37;
    int widths[2] = {16, 1024};
    for (int w = 0; w < 2; w++) {
        int C = widths[w];
        size_t n = (size_t)T * C;
        float *x = fc_malloc(n * sizeof *x), *want = fc_malloc(n * sizeof *x);
        float *got = fc_malloc(n * sizeof *x), *gamma = fc_malloc(C * sizeof *x);
        float *beta = fc_malloc(C * sizeof *x);
        fill_random(x, n, 1 + w);
        for (size_t i = 0; i < n; i += 7) x[i] += 3.0f; // a mean away from 0
        fill_random(gamma, C, 2);
        fill_random(beta, C, 3);
        float *dx = to_device(x, n * 4), *dy = to_device(x, n * 4);
        float *dg = to_device(gamma, C * 4), *db = to_device(beta, C * 4);
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            fc_layernorm_forward(want, x, gamma, with_bias ? beta : NULL, T, C, 1e-5f);
            const float *bias = with_bias ? db : NULL;
            CHECK(fc_cuda_layernorm(dy, dx, dg, bias, T, C, 1e-5f, 0) == cudaSuccess);
            from_device(got, dy, n * 4);
            CHECK_CLOSE(max_abs_diff(got, want, n), 0.0, 1e-5);
        }
        // In place, as the forward never does but the contract allows.
        CHECK(fc_cuda_layernorm(dx, dx, dg, db, T, C, 1e-5f, 0) == cudaSuccess);
        from_device(got, dx, n * 4);
        CHECK_CLOSE(max_abs_diff(got, want, n), 0.0, 1e-5);
        cudaFree(dx), cudaFree(dg), cudaFree(db), cudaFree(dy);
        free(x), free(want), free(got), free(gamma), free(beta);
    }
}

static void test_elementwise_kernels(void) {
    int T = 29, I = 96, H = 48, V = 100;
    size_t n_in = (size_t)T * 2 * I, n_out = (size_t)T * I;
    float *in = fc_malloc(n_in * 4), *want = fc_malloc(n_in * 4), *got = fc_malloc(n_in * 4);
    fill_random(in, n_in, 11);
    for (size_t i = 0; i < n_in; i++) in[i] *= 4.0f;
    // GeGLU, against the exact scalar GELU (the CPU GeGLU uses an AVX2 erf within 5e-7, the
    // CUDA kernel erff)
    for (int t = 0; t < T; t++)
        for (int i = 0; i < I; i++)
            want[(size_t)t * I + i] =
                fc_gelu(in[(size_t)t * 2 * I + i]) * in[(size_t)t * 2 * I + I + i];
    float *din = to_device(in, n_in * 4), *dout = to_device(in, n_in * 4);
    CHECK(fc_cuda_geglu(dout, din, T, I, 0) == cudaSuccess);
    from_device(got, dout, n_out * 4);
    CHECK_CLOSE(max_abs_diff(got, want, n_out), 0.0, 1e-6);
    // GELU in place
    memcpy(want, in, n_in * 4);
    fc_gelu_forward(want, (int)n_in);
    CHECK(fc_cuda_gelu(din, n_in, 0) == cudaSuccess);
    from_device(got, din, n_in * 4);
    CHECK_CLOSE(max_abs_diff(got, want, n_in), 0.0, 1e-6);
    // Residual add and bias add
    float *y = fc_malloc(n_out * 4), *bias = fc_malloc(I * 4);
    fill_random(y, n_out, 12);
    fill_random(bias, I, 13);
    float *dx = to_device(in, n_out * 4), *dy = to_device(y, n_out * 4);
    float *dbias = to_device(bias, I * 4);
    CHECK(fc_cuda_add(dx, dy, n_out, 0) == cudaSuccess);
    CHECK(fc_cuda_add_bias(dx, dbias, T, I, 0) == cudaSuccess);
    from_device(got, dx, n_out * 4);
    double worst = 0.0;
    for (size_t i = 0; i < n_out; i++) {
        double d = fabs(got[i] - ((in[i] + y[i]) + bias[i % I]));
        if (!(d <= worst)) worst = d;
    }
    CHECK(worst == 0.0);
    // Embedding rows
    float *table = fc_malloc((size_t)V * H * 4);
    fill_random(table, (size_t)V * H, 14);
    int32_t ids[5] = {0, 99, 7, 7, 50};
    float *dtable = to_device(table, (size_t)V * H * 4);
    int32_t *dids = to_device(ids, sizeof ids);
    CHECK(fc_cuda_embedding(dout, dtable, dids, 5, H, 0) == cudaSuccess);
    from_device(got, dout, 5 * (size_t)H * 4);
    int same = 1;
    for (int t = 0; t < 5; t++) same &= memcmp(got + t * H, table + ids[t] * H, H * 4) == 0;
    CHECK(same);
    cudaFree(din), cudaFree(dout), cudaFree(dx), cudaFree(dy), cudaFree(dbias);
    cudaFree(dtable), cudaFree(dids);
    free(in), free(want), free(got), free(y), free(bias), free(table);
}

static void test_rope_and_pool_kernels(void) {
    int lengths[4] = {1, 70, 5, 130}, n_seqs = 4, heads = 3, d = 64, H = heads * d;
    int32_t *offsets = make_offsets(lengths, n_seqs);
    int T = offsets[n_seqs], half = d / 2;
    int32_t *positions = fc_malloc((size_t)T * sizeof *positions);
    for (int s = 0; s < n_seqs; s++)
        for (int t = offsets[s]; t < offsets[s + 1]; t++) positions[t] = t - offsets[s];
    float *cos_table = fc_malloc((size_t)130 * half * 4);
    float *sin_table = fc_malloc((size_t)130 * half * 4);
    fc_rope_table(cos_table, sin_table, 130, d, 160000.0f);
    size_t n = (size_t)T * 3 * H;
    float *qkv = fc_malloc(n * 4), *want = fc_malloc(n * 4), *got = fc_malloc(n * 4);
    fill_random(qkv, n, 21);
    memcpy(want, qkv, n * 4);
    fc_rope_apply_qk(want, positions, cos_table, sin_table, T, heads, d);
    float *dqkv = to_device(qkv, n * 4);
    float *dcos = to_device(cos_table, (size_t)130 * half * 4);
    float *dsin = to_device(sin_table, (size_t)130 * half * 4);
    int32_t *dpos = to_device(positions, (size_t)T * 4);
    CHECK(fc_cuda_rope_qk(dqkv, dpos, dcos, dsin, T, heads, d, 0) == cudaSuccess);
    from_device(got, dqkv, n * 4);
    CHECK_CLOSE(max_abs_diff(got, want, n), 0.0, 1e-6);

    // Pooling over the same batch, rows of width H: [CLS] rows exactly, means in token order.
    float *hidden = qkv, *pooled = fc_malloc((size_t)n_seqs * H * 4);
    float *dhidden = to_device(hidden, (size_t)T * H * 4);
    float *dpooled = to_device(hidden, (size_t)n_seqs * H * 4);
    int32_t *doffsets = to_device(offsets, (size_t)(n_seqs + 1) * 4);
    for (int mean = 0; mean < 2; mean++) {
        CHECK(fc_cuda_pool(dpooled, dhidden, doffsets, n_seqs, H, mean, 0) == cudaSuccess);
        from_device(pooled, dpooled, (size_t)n_seqs * H * 4);
        double worst = 0.0;
        for (int s = 0; s < n_seqs; s++)
            for (int i = 0; i < H; i++) {
                float v = hidden[(size_t)offsets[s] * H + i];
                if (mean) {
                    float sum = 0.0f;
                    for (int t = offsets[s]; t < offsets[s + 1]; t++)
                        sum += hidden[(size_t)t * H + i];
                    v = sum / (float)lengths[s];
                }
                double diff = fabs(pooled[(size_t)s * H + i] - v);
                if (!(diff <= worst)) worst = diff;
            }
        CHECK_CLOSE(worst, 0.0, 1e-6);
    }
    cudaFree(dqkv), cudaFree(dcos), cudaFree(dsin), cudaFree(dpos);
    cudaFree(dhidden), cudaFree(dpooled), cudaFree(doffsets);
    free(offsets), free(positions), free(cos_table), free(sin_table);
    free(qkv), free(want), free(got), free(pooled);
}

// Attention against fc_attention_forward for head sizes of every kernel variant, windows
// narrower and wider than a tile, and sequences from 1 token to several tiles.
static void test_attention_kernel(void) {
    int lengths[8] = {1, 5, 64, 65, 130, 300, 1000, 2}, n_seqs = 8;
    int32_t *offsets = make_offsets(lengths, n_seqs);
    int T = offsets[n_seqs];
    size_t n_tiles = fc_cuda_attention_tile_count(offsets, n_seqs);
    fc_cuda_attention_tile *tiles = fc_malloc(n_tiles * sizeof *tiles);
    fc_cuda_attention_tiles(offsets, n_seqs, tiles);
    CHECK(n_tiles == 1 + 1 + 1 + 2 + 3 + 5 + 16 + 1);
    int32_t *doffsets = to_device(offsets, (size_t)(n_seqs + 1) * 4);
    fc_cuda_attention_tile *dtiles = to_device(tiles, n_tiles * sizeof *tiles);
    int head_dims[4] = {8, 32, 64, 40}, windows[4] = {-1, 64, 4, 100};
    double worst_all = 0.0;
    for (int h = 0; h < 4; h++) {
        int heads = 2, d = head_dims[h], H = heads * d;
        size_t n = (size_t)T * 3 * H;
        float *qkv = fc_malloc(n * 4);
        fill_random(qkv, n, 31 + h);
        for (size_t i = 0; i < n; i++) qkv[i] *= 2.0f; // peaked softmaxes too
        float *want = fc_malloc((size_t)T * H * 4), *got = fc_malloc((size_t)T * H * 4);
        // The reference's scratch: the longest sequence's scores for each thread.
        int threads = omp_get_max_threads();
        float *scratch = fc_malloc((size_t)threads * 1000 * 4);
        float *dqkv = to_device(qkv, n * 4), *dout = to_device(qkv, (size_t)T * H * 4);
        for (int w = 0; w < 4; w++) {
            fc_attention_forward(want, qkv, offsets, n_seqs, heads, d, windows[w], scratch, 1000);
            CHECK(fc_cuda_attention(dout, dqkv, doffsets, dtiles, (int)n_tiles, heads, d,
                                    windows[w], 0) == cudaSuccess);
            from_device(got, dout, (size_t)T * H * 4);
            double diff = max_abs_diff(got, want, (size_t)T * H);
            CHECK_CLOSE(diff, 0.0, 1e-5);
            if (!(diff <= worst_all)) worst_all = diff;
        }
        cudaFree(dqkv), cudaFree(dout);
        free(qkv), free(want), free(got), free(scratch);
    }
    printf("  attention kernel vs CPU: max |diff| %.2e\n", worst_all);
    CHECK(fc_cuda_attention(NULL, NULL, doffsets, dtiles, (int)n_tiles, 1, 128, -1, 0) ==
          cudaErrorInvalidValue);
    cudaFree(doffsets), cudaFree(dtiles);
    free(offsets), free(tiles);
}

// ---------------------------------------------------------------------------------------------
// The whole forward

typedef struct ref_seq {
    int32_t *ids;
    int n;
    float logits[8];
} ref_seq;

static void read_ids(const cJSON *arr, ref_seq *seq) {
    seq->n = cJSON_GetArraySize(arr);
    seq->ids = fc_malloc((size_t)seq->n * sizeof(int32_t));
    for (int i = 0; i < seq->n; i++) seq->ids[i] = (int32_t)cJSON_GetArrayItem(arr, i)->valueint;
}

static void read_floats(const cJSON *arr, float *dst, int n) {
    for (int i = 0; i < n; i++) dst[i] = (float)cJSON_GetArrayItem(arr, i)->valuedouble;
}

// Packs seqs[0..n) end to end and runs one forward of the model.
static int forward_packed(fc_model *model, const ref_seq *seqs, int n, float *logits) {
    int total = 0;
    for (int i = 0; i < n; i++) total += seqs[i].n;
    int32_t *ids = fc_malloc((size_t)total * sizeof *ids);
    int32_t *offsets = fc_malloc((size_t)(n + 1) * sizeof *offsets);
    offsets[0] = 0;
    for (int i = 0; i < n; i++) {
        memcpy(ids + offsets[i], seqs[i].ids, (size_t)seqs[i].n * sizeof *ids);
        offsets[i + 1] = offsets[i] + seqs[i].n;
    }
    fc_error err;
    int rc = fc_model_forward(model, ids, offsets, n, logits, &err);
    if (rc != 0) fprintf(stderr, "forward: %s\n", err.message);
    free(ids);
    free(offsets);
    return rc;
}

static fc_model *load_on(const char *dir, int device) {
    fc_model_options options = {.weights = FC_WEIGHTS_F32, .device = device};
    fc_model *model = NULL;
    fc_error err;
    if (fc_model_load_with(dir, &options, &model, &err) != 0) {
        fprintf(stderr, "%s on %s: %s\n", dir, device == FC_DEVICE_CUDA ? "cuda" : "cpu",
                err.message);
        return NULL;
    }
    return model;
}

// Random ids in [0, vocab) for a batch of the given lengths; GPU and CPU logits compared.
static double gpu_vs_cpu(fc_model *gpu, fc_model *cpu, const int *lengths, int n_seqs,
                         int vocab, uint32_t seed) {
    int32_t *offsets = make_offsets(lengths, n_seqs);
    int T = offsets[n_seqs], L = fc_model_num_labels(gpu);
    int32_t *ids = fc_malloc((size_t)T * sizeof *ids);
    for (int t = 0; t < T; t++) {
        seed = seed * 1664525u + 1013904223u;
        ids[t] = (int32_t)((seed >> 8) % (uint32_t)vocab);
    }
    float *a = fc_malloc((size_t)n_seqs * L * 4), *b = fc_malloc((size_t)n_seqs * L * 4);
    fc_error err;
    double diff = INFINITY;
    int ok_gpu = fc_model_forward(gpu, ids, offsets, n_seqs, a, &err) == 0;
    if (!ok_gpu) fprintf(stderr, "gpu forward: %s\n", err.message);
    int ok_cpu = fc_model_forward(cpu, ids, offsets, n_seqs, b, &err) == 0;
    if (!ok_cpu) fprintf(stderr, "cpu forward: %s\n", err.message);
    CHECK(ok_gpu && ok_cpu);
    if (ok_gpu && ok_cpu) diff = max_abs_diff(a, b, (size_t)n_seqs * L);
    free(offsets), free(ids), free(a), free(b);
    return diff;
}

// The final_norm hidden states of pair 0 through the CUDA model directly (fc_model keeps them
// to itself), element by element against transformers'.
static double final_hidden_diff(const char *dir, const ref_seq *pair0, const cJSON *want_json) {
    char *config_path = fc_path_join(dir, "config.json");
    cJSON *config = NULL;
    fc_safetensors *st = NULL;
    fc_modernbert_cuda *m = NULL;
    fc_error err;
    double diff = INFINITY;
    if (fc_json_load_file(config_path, &config, &err) == 0 &&
        fc_safetensors_open_dir(dir, &st, &err) == 0 &&
        fc_modernbert_cuda_load(config, config_path, st, dir, 3, &m, &err) == 0) {
        int H = fc_modernbert_cuda_get_config(m)->hidden_size;
        int count = cJSON_GetArraySize(want_json);
        CHECK(count == pair0->n * H);
        float *hidden = fc_malloc((size_t)pair0->n * H * 4), *want = fc_malloc((size_t)count * 4);
        read_floats(want_json, want, count);
        int32_t offsets[2] = {0, pair0->n};
        float logits[3];
        if (fc_modernbert_cuda_forward(m, pair0->ids, offsets, 1, logits, hidden, &err) == 0 &&
            count == pair0->n * H)
            diff = max_abs_diff(hidden, want, (size_t)count);
        free(hidden);
        free(want);
    } else {
        fprintf(stderr, "%s: %s\n", dir, err.message);
    }
    fc_modernbert_cuda_free(m);
    fc_safetensors_close(st);
    cJSON_Delete(config);
    free(config_path);
    return diff;
}

// One fixture: transformers' logits one by one, packed, truncated and reversed; the hidden
// states; and GPU against CPU on a random batch with sequences far longer than the window.
static void check_fixture(const char *name, const cJSON *ref) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/modernbert/%s", fc_test_fixtures_dir(), name);
    fc_model *gpu = load_on(dir, FC_DEVICE_CUDA), *cpu = load_on(dir, FC_DEVICE_CPU);
    CHECK(gpu && cpu);
    if (!gpu || !cpu) {
        fc_model_free(gpu);
        fc_model_free(cpu);
        return;
    }
    const cJSON *rows = cJSON_GetObjectItem(ref, "rows");
    int n = cJSON_GetArraySize(rows);
    ref_seq *full = fc_calloc((size_t)n, sizeof *full), *cut = fc_calloc((size_t)n, sizeof *cut);
    ref_seq *reversed = fc_malloc((size_t)n * sizeof *reversed);
    float *batched_ref = fc_malloc((size_t)n * 3 * 4), *cut_ref = fc_malloc((size_t)n * 3 * 4);
    float *logits = fc_malloc((size_t)n * 3 * 4), *cpu_logits = fc_malloc((size_t)n * 3 * 4);
    for (int i = 0; i < n; i++) {
        const cJSON *row = cJSON_GetArrayItem(rows, i);
        read_ids(cJSON_GetObjectItem(row, "input_ids"), &full[i]);
        read_floats(cJSON_GetObjectItem(row, "logits"), full[i].logits, 3);
        read_floats(cJSON_GetObjectItem(row, "batched_logits"), batched_ref + 3 * i, 3);
        read_ids(cJSON_GetObjectItem(row, "truncated24_ids"), &cut[i]);
        read_floats(cJSON_GetObjectItem(row, "truncated24_logits"), cut_ref + 3 * i, 3);
    }
    for (int i = 0; i < n; i++) reversed[i] = cut[n - 1 - i];

    double worst_single = 0.0;
    for (int i = 0; i < n; i++) {
        float one[3];
        CHECK(forward_packed(gpu, &full[i], 1, one) == 0);
        double d = max_abs_diff(one, full[i].logits, 3);
        if (!(d <= worst_single)) worst_single = d;
    }
    CHECK_CLOSE(worst_single, 0.0, LOGIT_TOL);

    CHECK(forward_packed(gpu, full, n, logits) == 0);
    double worst_packed = max_abs_diff(logits, batched_ref, (size_t)3 * n);
    for (int i = 0; i < n; i++) {
        double d = max_abs_diff(logits + 3 * i, full[i].logits, 3);
        if (!(d <= worst_packed)) worst_packed = d;
    }
    CHECK_CLOSE(worst_packed, 0.0, LOGIT_TOL);
    CHECK(forward_packed(cpu, full, n, cpu_logits) == 0);
    double packed_vs_cpu = max_abs_diff(logits, cpu_logits, (size_t)3 * n);
    CHECK_CLOSE(packed_vs_cpu, 0.0, LOGIT_TOL);

    CHECK(forward_packed(gpu, reversed, n, logits) == 0);
    double worst_cut = 0.0;
    for (int i = 0; i < n; i++) {
        double d = max_abs_diff(logits + 3 * i, cut_ref + 3 * (n - 1 - i), 3);
        if (!(d <= worst_cut)) worst_cut = d;
    }
    CHECK_CLOSE(worst_cut, 0.0, LOGIT_TOL);

    double hidden = final_hidden_diff(dir, &full[0], cJSON_GetObjectItem(ref, "final_norm_pair0"));
    CHECK_CLOSE(hidden, 0.0, LOGIT_TOL);

    // Lengths around the attention tile (64) and far past the local window.
    int lengths[7] = {1, 3, 200, 2000, 64, 65, 9};
    double long_vs_cpu = gpu_vs_cpu(gpu, cpu, lengths, 7, 50368, 5);
    CHECK_CLOSE(long_vs_cpu, 0.0, LOGIT_TOL);
    printf("  %-10s max |logit diff| vs transformers: single %.2e, packed %.2e, truncated %.2e, "
           "hidden %.2e; vs CPU: packed %.2e, long batch %.2e\n",
           name, worst_single, worst_packed, worst_cut, hidden, packed_vs_cpu, long_vs_cpu);

    for (int i = 0; i < n; i++) free(full[i].ids), free(cut[i].ids);
    free(full), free(cut), free(reversed), free(batched_ref), free(cut_ref);
    free(logits), free(cpu_logits);
    fc_model_free(gpu);
    fc_model_free(cpu);
}

static int copy_file(const char *from_dir, const char *to_dir, const char *name) {
    char *from = fc_path_join(from_dir, name), *to = fc_path_join(to_dir, name), *data = NULL;
    size_t size = 0;
    fc_error err;
    int ok = fc_read_file(from, &data, &size, &err) == 0;
    FILE *f = ok ? fopen(to, "wb") : NULL;
    ok = f && fwrite(data, 1, size, f) == size;
    if (f) ok = fclose(f) == 0 && ok;
    free(data), free(from), free(to);
    return ok ? 0 : -1;
}

// A random checkpoint with ModernBERT's head size (64) and local window (±64), 4 layers of
// width 128, on a batch up to 8192 tokens: GPU against CPU.
static void check_head_size_64(void) {
    char source[512];
    snprintf(source, sizeof source, "%s/modernbert/tiny-mean", fc_test_fixtures_dir());
    char config_dir[] = "/tmp/finecat-cuda-XXXXXX", model_dir[] = "/tmp/finecat-cuda-XXXXXX";
    if (!mkdtemp(config_dir) || !mkdtemp(model_dir)) {
        CHECK(0);
        return;
    }
    fc_error err;
    char *path = fc_path_join(source, "config.json");
    cJSON *config = NULL;
    CHECK(fc_json_load_file(path, &config, &err) == 0);
    free(path);
    if (config) {
        cJSON_DeleteItemFromObject(config, "layer_types"); // layer kinds from every-n below
        const char *keys[7] = {"hidden_size", "intermediate_size", "num_attention_heads",
                               "num_hidden_layers", "local_attention",
                               "global_attn_every_n_layers", "max_position_embeddings"};
        double values[7] = {128, 192, 2, 4, 128, 3, 8192};
        for (int i = 0; i < 7; i++)
            cJSON_ReplaceItemInObject(config, keys[i], cJSON_CreateNumber(values[i]));
        char *text = cJSON_Print(config), *out = fc_path_join(config_dir, "config.json");
        FILE *f = fopen(out, "w");
        CHECK(f && fputs(text, f) >= 0);
        if (f) fclose(f);
        free(text);
        free(out);
        cJSON_Delete(config);
    }
    const char *files[3] = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"};
    for (int i = 0; i < 3; i++) CHECK(copy_file(source, config_dir, files[i]) == 0);
    char *config_path = fc_path_join(config_dir, "config.json");
    CHECK(fc_write_random_checkpoint(config_path, model_dir, 64, FC_DTYPE_F32, &err) == 0);
    free(config_path);

    fc_model *gpu = load_on(model_dir, FC_DEVICE_CUDA), *cpu = load_on(model_dir, FC_DEVICE_CPU);
    CHECK(gpu && cpu);
    if (gpu && cpu) {
        int short_batch[5] = {7, 129, 64, 1, 300};
        double short_diff = gpu_vs_cpu(gpu, cpu, short_batch, 5, 50368, 3);
        CHECK_CLOSE(short_diff, 0.0, LOGIT_TOL);
        int long_batch[7] = {8192, 1, 300, 64, 65, 129, 3000};
        double long_diff = gpu_vs_cpu(gpu, cpu, long_batch, 7, 50368, 4);
        CHECK_CLOSE(long_diff, 0.0, LOGIT_TOL);
        // A small batch again, in the arena the long one grew.
        CHECK_CLOSE(gpu_vs_cpu(gpu, cpu, short_batch, 5, 50368, 9), 0.0, LOGIT_TOL);
        printf("  head size 64 (random weights) max |logit diff| vs CPU: short batch %.2e, "
               "batch with 8192 tokens %.2e\n", short_diff, long_diff);
    }
    fc_model_free(gpu);
    fc_model_free(cpu);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", config_dir, model_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s, %s\n", config_dir, model_dir);
}

// What the CUDA device refuses: other weight dtypes and DeBERTa.
static void check_refusals(void) {
    char dir[512];
    fc_model *model = NULL;
    fc_error err;
    snprintf(dir, sizeof dir, "%s/modernbert/tiny-mean", fc_test_fixtures_dir());
    fc_model_options bf16 = {.weights = FC_WEIGHTS_BF16, .device = FC_DEVICE_CUDA};
    CHECK(fc_model_load_with(dir, &bf16, &model, &err) == -1);
    CHECK(strstr(err.message, "f32 weights only") != NULL);
    snprintf(dir, sizeof dir, "%s/deberta/v3-tiny", fc_test_fixtures_dir());
    fc_model_options deberta = {.device = FC_DEVICE_CUDA};
    CHECK(fc_model_load_with(dir, &deberta, &model, &err) == -1);
    CHECK(strstr(err.message, "modernbert only") != NULL);
    fc_model_options unknown = {.device = 7};
    CHECK(fc_model_load_with(dir, &unknown, &model, &err) == -1);
    CHECK(strstr(err.message, "unknown device") != NULL);
}

void suite_cuda(void) {
    int devices = fc_cuda_device_count();
    if (devices == 0) {
        const char *require = getenv("FINECAT_REQUIRE_GPU");
        int required = require && strcmp(require, "1") == 0;
        printf("  no CUDA device: the CUDA suite is skipped%s\n",
               required ? ", but FINECAT_REQUIRE_GPU=1 asks for one" : "");
        CHECK(!required);
        return;
    }
    struct cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess)
        printf("  device 0: %s, compute capability %d.%d, %.1f GiB\n", prop.name, prop.major,
               prop.minor, prop.totalGlobalMem / 1073741824.0);
    test_layernorm_kernel();
    test_elementwise_kernels();
    test_rope_and_pool_kernels();
    test_attention_kernel();

    char *path = fc_path_join(fc_test_fixtures_dir(), "modernbert/reference.json");
    cJSON *ref = NULL;
    fc_error err;
    CHECK(fc_json_load_file(path, &ref, &err) == 0);
    free(path);
    if (ref) {
        const cJSON *model;
        int count = 0;
        cJSON_ArrayForEach(model, cJSON_GetObjectItem(ref, "models")) {
            check_fixture(model->string, model);
            count++;
        }
        CHECK(count == 3);
        cJSON_Delete(ref);
    }
    check_head_size_64();
    check_refusals();
}
