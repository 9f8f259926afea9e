// ModernBERT forward parity with transformers: tests/fixtures/modernbert/reference.json holds
// transformers' own token ids and logits (tools/fixtures/modernbert.py). Every fixture model,
// every pair one by one, all pairs packed in one mixed-length batch, and truncated inputs.
#include <math.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "finecat.h"
#include "harness.h"
#include "kernels/cpu/gemm_f16.h"
#include "kernels/cpu/matmul.h"
#include "io/dtype.h"
#include "io/json_fields.h"
#include "io/safetensors.h"
#include "model/lazy_table.h"
#include "model/modernbert/modernbert.h"
#include "util/alloc.h"
#include "util/file.h"

#define LOGIT_TOL 1e-4

typedef struct ref_seq {
    int32_t *ids;
    int n;
    float logits[8];
} ref_seq;

static int read_ids(const cJSON *arr, ref_seq *seq) {
    seq->n = cJSON_GetArraySize(arr);
    seq->ids = fc_malloc((size_t)seq->n * sizeof(int32_t));
    for (int i = 0; i < seq->n; i++) seq->ids[i] = (int32_t)cJSON_GetArrayItem(arr, i)->valueint;
    return seq->n;
}

static void read_floats(const cJSON *arr, float *dst, int n) {
    for (int i = 0; i < n; i++) dst[i] = (float)cJSON_GetArrayItem(arr, i)->valuedouble;
}

static double max_abs_diff(const float *a, const float *b, int n) {
    double worst = 0.0;
    for (int i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= worst)) worst = d; // NaN propagates as a failure
    }
    return worst;
}

// Packs seqs[0..n) end to end and runs one forward.
static int forward_packed(fc_modernbert *m, const ref_seq *seqs, int n, int num_labels,
                          float *logits) {
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
    int rc = fc_modernbert_forward(m, ids, offsets, n, logits, NULL, &err);
    if (rc != 0) fprintf(stderr, "forward: %s\n", err.message);
    free(ids);
    free(offsets);
    (void)num_labels;
    return rc;
}

static void check_model(const char *name, const cJSON *ref) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/modernbert/%s", fc_test_fixtures_dir(), name);
    char *config_path = fc_path_join(dir, "config.json");
    cJSON *config = NULL;
    fc_error err;
    fc_safetensors *st = NULL;
    fc_modernbert *m = NULL;
    CHECK(fc_json_load_file(config_path, &config, &err) == 0);
    CHECK(fc_safetensors_open_dir(dir, &st, &err) == 0);
    int loaded = config && st && fc_modernbert_load(config, config_path, st, dir, 3, FC_WEIGHTS_F32, &m, &err) == 0;
    if (!loaded) fprintf(stderr, "%s: %s\n", name, err.message);
    CHECK(loaded);
    if (!loaded) goto done;

    const cJSON *rows = cJSON_GetObjectItem(ref, "rows");
    int n = cJSON_GetArraySize(rows);
    ref_seq *full = fc_calloc((size_t)n, sizeof *full);
    ref_seq *cut = fc_calloc((size_t)n, sizeof *cut);
    float *batched_ref = fc_malloc((size_t)n * 3 * sizeof(float));
    float *cut_ref = fc_malloc((size_t)n * 3 * sizeof(float));
    for (int i = 0; i < n; i++) {
        const cJSON *row = cJSON_GetArrayItem(rows, i);
        read_ids(cJSON_GetObjectItem(row, "input_ids"), &full[i]);
        read_floats(cJSON_GetObjectItem(row, "logits"), full[i].logits, 3);
        read_floats(cJSON_GetObjectItem(row, "batched_logits"), batched_ref + 3 * i, 3);
        read_ids(cJSON_GetObjectItem(row, "truncated24_ids"), &cut[i]);
        read_floats(cJSON_GetObjectItem(row, "truncated24_logits"), cut_ref + 3 * i, 3);
    }

    // One by one, without padding.
    double worst_single = 0.0;
    for (int i = 0; i < n; i++) {
        float logits[3];
        CHECK(forward_packed(m, &full[i], 1, 3, logits) == 0);
        double d = max_abs_diff(logits, full[i].logits, 3);
        if (!(d <= worst_single)) worst_single = d;
    }
    CHECK_CLOSE(worst_single, 0.0, LOGIT_TOL);

    // All pairs in one packed batch of mixed lengths (11 to 165 tokens) against HF's padded
    // batch, and against the single-sequence results.
    float *logits = fc_malloc((size_t)n * 3 * sizeof(float));
    CHECK(forward_packed(m, full, n, 3, logits) == 0);
    CHECK_CLOSE(max_abs_diff(logits, batched_ref, 3 * n), 0.0, LOGIT_TOL);
    double worst_pack = 0.0;
    for (int i = 0; i < n; i++) {
        double d = max_abs_diff(logits + 3 * i, full[i].logits, 3);
        if (!(d <= worst_pack)) worst_pack = d;
    }
    CHECK_CLOSE(worst_pack, 0.0, LOGIT_TOL);

    // Truncated to 24 tokens (longest_first), batched in reverse order.
    ref_seq *reversed = fc_malloc((size_t)n * sizeof *reversed);
    for (int i = 0; i < n; i++) reversed[i] = cut[n - 1 - i];
    CHECK(forward_packed(m, reversed, n, 3, logits) == 0);
    double worst_cut = 0.0;
    for (int i = 0; i < n; i++) {
        double d = max_abs_diff(logits + 3 * i, cut_ref + 3 * (n - 1 - i), 3);
        if (!(d <= worst_cut)) worst_cut = d;
    }
    CHECK_CLOSE(worst_cut, 0.0, LOGIT_TOL);

    // Final-norm hidden states of pair 0, element by element.
    const cJSON *final = cJSON_GetObjectItem(ref, "final_norm_pair0");
    int H = fc_modernbert_get_config(m)->hidden_size;
    int count = cJSON_GetArraySize(final);
    CHECK(count == full[0].n * H);
    float *hidden = fc_malloc((size_t)count * sizeof(float));
    float *want = fc_malloc((size_t)count * sizeof(float));
    read_floats(final, want, count);
    int32_t offsets[2] = {0, full[0].n};
    CHECK(fc_modernbert_forward(m, full[0].ids, offsets, 1, logits, hidden, &err) == 0);
    CHECK_CLOSE(max_abs_diff(hidden, want, count), 0.0, LOGIT_TOL);
    printf("  %-10s max |logit diff| single %.2e, packed %.2e, truncated %.2e\n", name,
           worst_single, worst_pack, worst_cut);

    free(hidden);
    free(want);
    free(reversed);
    free(logits);
    for (int i = 0; i < n; i++) {
        free(full[i].ids);
        free(cut[i].ids);
    }
    free(full);
    free(cut);
    free(batched_ref);
    free(cut_ref);
done:
    fc_modernbert_free(m);
    fc_safetensors_close(st);
    cJSON_Delete(config);
    free(config_path);
}

static void test_bad_batches(void) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/modernbert/tiny-mean", fc_test_fixtures_dir());
    char *config_path = fc_path_join(dir, "config.json");
    cJSON *config = NULL;
    fc_error err;
    fc_safetensors *st = NULL;
    fc_modernbert *m = NULL;
    if (fc_json_load_file(config_path, &config, &err) == 0 &&
        fc_safetensors_open_dir(dir, &st, &err) == 0 &&
        fc_modernbert_load(config, config_path, st, dir, 3, FC_WEIGHTS_F32, &m, &err) == 0) {
        float logits[6];
        int32_t ids[3] = {50281, 99999, 50282};
        int32_t offsets[3] = {0, 3, 3};
        CHECK(fc_modernbert_forward(m, ids, offsets, 1, logits, NULL, &err) == -1);
        CHECK(strstr(err.message, "outside the vocabulary") != NULL);
        ids[1] = 100;
        CHECK(fc_modernbert_forward(m, ids, offsets, 2, logits, NULL, &err) == -1);
        CHECK(strstr(err.message, "empty") != NULL);
    } else {
        CHECK(0);
    }
    fc_modernbert_free(m);
    fc_safetensors_close(st);
    cJSON_Delete(config);
    free(config_path);
}

// Low-precision weight storage (issue 4): 16-bit checkpoints kept as they are must give the
// same logits as fp32 (same math on the same values); converted or int8 weights stay close.
static void check_storage(const char *name, const cJSON *ref, fc_weight_dtype storage,
                          double tolerance, double min_agreement) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/modernbert/%s", fc_test_fixtures_dir(), name);
    char *config_path = fc_path_join(dir, "config.json");
    cJSON *config = NULL;
    fc_error err;
    fc_safetensors *st = NULL;
    fc_modernbert *m = NULL;
    int loaded = fc_json_load_file(config_path, &config, &err) == 0 &&
                 fc_safetensors_open_dir(dir, &st, &err) == 0 &&
                 fc_modernbert_load(config, config_path, st, dir, 3, storage, &m, &err) == 0;
    if (!loaded) fprintf(stderr, "%s: %s\n", name, err.message);
    CHECK(loaded);
    if (loaded) {
        const cJSON *rows = cJSON_GetObjectItem(ref, "rows");
        int n = cJSON_GetArraySize(rows), agree = 0;
        ref_seq *seqs = fc_calloc((size_t)n, sizeof *seqs);
        for (int i = 0; i < n; i++) {
            const cJSON *row = cJSON_GetArrayItem(rows, i);
            read_ids(cJSON_GetObjectItem(row, "input_ids"), &seqs[i]);
            read_floats(cJSON_GetObjectItem(row, "logits"), seqs[i].logits, 3);
        }
        float *logits = fc_malloc((size_t)n * 3 * sizeof(float));
        CHECK(forward_packed(m, seqs, n, 3, logits) == 0);
        double worst = 0.0;
        for (int i = 0; i < n; i++) {
            double d = max_abs_diff(logits + 3 * i, seqs[i].logits, 3);
            if (!(d <= worst)) worst = d;
            int a = 0, b = 0;
            for (int k = 1; k < 3; k++) {
                if (logits[3 * i + k] > logits[3 * i + a]) a = k;
                if (seqs[i].logits[k] > seqs[i].logits[b]) b = k;
            }
            agree += a == b;
        }
        CHECK_CLOSE(worst, 0.0, tolerance);
        CHECK((double)agree / n >= min_agreement);
        printf("  %-10s as %-4s max |logit diff| %.2e, argmax agreement %d/%d\n", name,
               fc_weight_dtype_name(storage), worst, agree, n);
        for (int i = 0; i < n; i++) free(seqs[i].ids);
        free(seqs);
        free(logits);
    }
    fc_modernbert_free(m);
    fc_safetensors_close(st);
    cJSON_Delete(config);
    free(config_path);
}

// The embedding table converted (fp32 file) or copied (16-bit file) row by row: each row as a
// whole 16-bit conversion gives it, whatever the order of lookups, only the rows looked up
// converted, and the file mapping still reads right after its pages were given back.
static void check_lazy_table(fc_half_kind kind, int source_half) {
    enum { ROWS = 300, WIDTH = 100 }; // rows straddle pages and fault-around windows
    char path[] = "/tmp/finecat-lazy-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    float *values = fc_malloc(sizeof(float) * ROWS * WIDTH);
    uint16_t *halves = fc_malloc(sizeof(uint16_t) * ROWS * WIDTH);
    uint32_t state = 5;
    for (int i = 0; i < ROWS * WIDTH; i++) {
        state = state * 1664525u + 1013904223u;
        values[i] = ((float)(state >> 8) / 16777216.0f - 0.5f) * 8.0f;
        halves[i] = kind == FC_HALF_BF16 ? fc_f32_to_bf16(values[i]) : fc_f32_to_f16(values[i]);
    }
    size_t bytes = source_half ? sizeof(uint16_t) * ROWS * WIDTH : sizeof(float) * ROWS * WIDTH;
    const void *file_bytes = source_half ? (const void *)halves : (const void *)values;
    CHECK(write(fd, file_bytes, bytes) == (ssize_t)bytes);
    const void *mapped = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(mapped != MAP_FAILED);
    fc_lazy_table table;
    CHECK(mapped != MAP_FAILED &&
          fc_lazy_table_init(&table, mapped, source_half, ROWS, WIDTH, kind, 1) == 0);
    if (mapped != MAP_FAILED) {
        const int order[] = {7, 0, 299, 7, 150, 151, 0};
        int mismatched = 0;
        float row[WIDTH];
        for (int i = 0; i < 7; i++) {
            int id = order[i];
            fc_lazy_table_read(&table, id, row);
            for (int k = 0; k < WIDTH; k++) {
                uint16_t h = halves[id * WIDTH + k];
                float want = kind == FC_HALF_BF16 ? fc_bf16_to_f32(h) : fc_f16_to_f32(h);
                mismatched += row[k] != want;
            }
        }
        CHECK(mismatched == 0);
        CHECK(fc_lazy_table_rows_ready(&table) == 5);
        CHECK(memcmp(mapped, file_bytes, bytes) == 0); // released pages read back from the file
        fc_lazy_table_free(&table);
        munmap((void *)mapped, bytes);
    }
    close(fd);
    unlink(path);
    free(values);
    free(halves);
}

void suite_modernbert(void) {
    check_lazy_table(FC_HALF_BF16, 0);
    check_lazy_table(FC_HALF_F16, 0);
    check_lazy_table(FC_HALF_BF16, 1);
    check_lazy_table(FC_HALF_F16, 1);
    char *path = fc_path_join(fc_test_fixtures_dir(), "modernbert/reference.json");
    cJSON *ref = NULL;
    fc_error err;
    int loaded = fc_json_load_file(path, &ref, &err) == 0;
    if (!loaded) fprintf(stderr, "%s\n", err.message);
    CHECK(loaded);
    free(path);
    if (!ref) return;
    const cJSON *models = cJSON_GetObjectItem(ref, "models");
    const cJSON *model;
    int count = 0;
    cJSON_ArrayForEach(model, models) {
        check_model(model->string, model);
        count++;
    }
    CHECK(count == 3);
    const cJSON *mean = cJSON_GetObjectItem(models, "tiny-mean");
    // A bf16 checkpoint kept as bf16 is the fp32 math on the same values where the weights are
    // widened (CPUs without AVX-512); on the matrix engines the activations are rounded to
    // bf16 too, so it is as close as a converted one; on the AVX512-FP16 kernel they are
    // rounded to f16 and summed in f16 blocks (gemm_f16.h): 0.028 and 0.019 measured.
    const cJSON *tiny_bf16 = cJSON_GetObjectItem(models, "tiny-bf16");
    const cJSON *tiny_cls = cJSON_GetObjectItem(models, "tiny-cls");
    if (fc_lowp_bf16_on_matmul())
        check_storage("tiny-bf16", tiny_bf16, FC_WEIGHTS_BF16, 0.3, 0.96);
    else if (fc_gemm_f16_usable())
        check_storage("tiny-bf16", tiny_bf16, FC_WEIGHTS_BF16, 0.06, 0.96);
    else
        check_storage("tiny-bf16", tiny_bf16, FC_WEIGHTS_BF16, LOGIT_TOL, 1.0);
    if (fc_gemm_f16_usable())
        check_storage("tiny-cls", tiny_cls, FC_WEIGHTS_F16, 0.05, 0.96);
    else
        check_storage("tiny-cls", tiny_cls, FC_WEIGHTS_F16, LOGIT_TOL, 1.0);
    // Converted from fp32: hidden size 16 leaves no averaging of rounding errors, so these
    // bounds are loose; a wrong scale or layout gives errors of order 1 and fails them.
    check_storage("tiny-mean", mean, FC_WEIGHTS_BF16, 0.3, 0.96);
    check_storage("tiny-mean", mean, FC_WEIGHTS_F16, 0.05, 0.96);
    check_storage("tiny-mean", mean, FC_WEIGHTS_INT8, 1.0, 0.88);
    test_bad_batches();
    cJSON_Delete(ref);
}
