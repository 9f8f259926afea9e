// Tests of the NLI task layer: fc_nli_logits against Hugging Face logits of the fixture models
// (tests/fixtures/modernbert/reference.json, written by tools/fixtures/modernbert.py), batching
// that changes nothing, and errors that name the pair and the field.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "finecat.h"
#include "harness.h"
#include "tasks/nli.h"
#include "util/file.h"

static const char *const fixture_models[] = {"tiny-mean", "tiny-cls", "tiny-bf16"};

// Stated tolerance of the fixture comparison: fp32 forward against PyTorch fp32 (eager).
static const double reference_tolerance = 1e-4;
// Batching only changes which rows a matmul sees at once, so only rounding may differ: the
// fixture models show up to 1.1e-5 (BLAS blocks and threads the sums by row count).
static const double batching_tolerance = 5e-5;

static cJSON *load_json(const char *path) {
    char *text;
    fc_error err;
    if (fc_read_file(path, &text, NULL, &err) != 0) {
        fprintf(stderr, "test_nli: %s\n", err.message);
        return NULL;
    }
    cJSON *json = cJSON_Parse(text);
    free(text);
    return json;
}

static int ids_equal_json(const fc_ids *ids, const cJSON *array) {
    if ((size_t)cJSON_GetArraySize(array) != ids->len) return 0;
    size_t i = 0;
    for (const cJSON *item = array->child; item; item = item->next, i++)
        if (item->valueint != ids->ids[i]) return 0;
    return 1;
}

static void check_logits_close(const float *got, const cJSON *want, int num_labels, double tol,
                               const char *what) {
    CHECK(cJSON_GetArraySize(want) == num_labels);
    int i = 0;
    for (const cJSON *item = want->child; item && i < num_labels; item = item->next, i++) {
        double diff = fabs(got[i] - item->valuedouble);
        if (!(diff <= tol)) fprintf(stderr, "  %s: logit %d got %.7g want %.7g\n", what, i,
                                    got[i], item->valuedouble);
        CHECK(diff <= tol);
    }
}

static void test_default_options(void) {
    fc_nli_options options = fc_nli_default_options();
    CHECK(options.max_length == 0);
    CHECK(options.batch_size == 32);
    CHECK(options.truncation == FC_TRUNCATE_LONGEST_FIRST);
}

// Tokens and logits of every reference pair, untruncated and truncated to 24 tokens.
static void check_against_reference(fc_model *model, const fc_pair *pairs, size_t n,
                                    const cJSON *rows, const char *name) {
    int num_labels = fc_model_num_labels(model);
    float *logits = calloc(n * (size_t)num_labels, sizeof *logits);
    fc_error err;
    fc_nli_options options = fc_nli_default_options();
    fc_ids ids = {0};

    for (size_t i = 0; i < n; i++) {
        const cJSON *row = cJSON_GetArrayItem(rows, (int)i);
        CHECK(fc_nli_encode_pair(model, &pairs[i], &options, &ids, &err) == 0);
        CHECK(ids_equal_json(&ids, cJSON_GetObjectItem(row, "input_ids")));
    }
    int status = fc_nli_logits(model, pairs, n, &options, logits, &err);
    if (status != 0) fprintf(stderr, "  %s: %s\n", name, err.message);
    CHECK(status == 0);
    for (size_t i = 0; i < n && status == 0; i++) {
        const cJSON *row = cJSON_GetArrayItem(rows, (int)i);
        check_logits_close(logits + i * num_labels, cJSON_GetObjectItem(row, "logits"),
                           num_labels, reference_tolerance, name);
    }

    options.max_length = 24;
    for (size_t i = 0; i < n; i++) {
        const cJSON *row = cJSON_GetArrayItem(rows, (int)i);
        CHECK(fc_nli_encode_pair(model, &pairs[i], &options, &ids, &err) == 0);
        CHECK(ids_equal_json(&ids, cJSON_GetObjectItem(row, "truncated24_ids")));
    }
    status = fc_nli_logits(model, pairs, n, &options, logits, &err);
    CHECK(status == 0);
    for (size_t i = 0; i < n && status == 0; i++) {
        const cJSON *row = cJSON_GetArrayItem(rows, (int)i);
        check_logits_close(logits + i * num_labels, cJSON_GetObjectItem(row, "truncated24_logits"),
                           num_labels, reference_tolerance, name);
    }
    fc_ids_free(&ids);
    free(logits);
}

// Batches of 1, 3 and 32 (sorted by length, scattered back) give each pair the logits it gets
// alone.
static void check_batching(fc_model *model, const fc_pair *pairs, size_t n, const char *name) {
    int num_labels = fc_model_num_labels(model);
    float *alone = calloc(n * (size_t)num_labels, sizeof *alone);
    float *batched = calloc(n * (size_t)num_labels, sizeof *batched);
    fc_error err;
    for (size_t i = 0; i < n; i++)
        CHECK(fc_nli_logits(model, &pairs[i], 1, NULL, alone + i * num_labels, &err) == 0);
    const int batch_sizes[] = {1, 3, 32};
    for (size_t b = 0; b < sizeof batch_sizes / sizeof batch_sizes[0]; b++) {
        fc_nli_options options = fc_nli_default_options();
        options.batch_size = batch_sizes[b];
        for (size_t i = 0; i < n * (size_t)num_labels; i++) batched[i] = NAN;
        CHECK(fc_nli_logits(model, pairs, n, &options, batched, &err) == 0);
        double worst = 0.0;
        for (size_t i = 0; i < n * (size_t)num_labels; i++) {
            double diff = fabs(batched[i] - alone[i]);
            if (!(diff <= worst)) worst = isnan(diff) ? INFINITY : diff;
        }
        if (!(worst <= batching_tolerance))
            fprintf(stderr, "  %s, batch size %d: max diff %.3g\n", name, batch_sizes[b], worst);
        CHECK(worst <= batching_tolerance);
    }
    free(batched);
    free(alone);
}

static void check_errors(fc_model *model, const fc_pair *pairs, size_t n) {
    int num_labels = fc_model_num_labels(model);
    float *logits = calloc(n * (size_t)num_labels, sizeof *logits);
    fc_error err;
    fc_pair bad[4];
    memcpy(bad, pairs, sizeof bad);

    bad[2].hypothesis = "caf\xC3 au lait"; // a lead byte without its continuation
    CHECK(fc_nli_logits(model, bad, 4, NULL, logits, &err) == -1);
    CHECK(strstr(err.message, "pair 2") != NULL);
    CHECK(strstr(err.message, "hypothesis") != NULL);
    CHECK(strstr(err.message, "premise") == NULL);

    bad[2] = pairs[2];
    bad[0].premise = "\xFF";
    CHECK(fc_nli_logits(model, bad, 4, NULL, logits, &err) == -1);
    CHECK(strstr(err.message, "pair 0") != NULL);
    CHECK(strstr(err.message, "premise") != NULL);

    // only_first cannot fit a one-token premise beside a long hypothesis into 8 tokens; the
    // message keeps Hugging Face's "too short", which the zero-shot fallback looks for.
    fc_nli_options options = fc_nli_default_options();
    options.truncation = FC_TRUNCATE_ONLY_FIRST;
    options.max_length = 8;
    fc_pair too_short = {"Hi", "a hypothesis much longer than the eight tokens allowed here"};
    CHECK(fc_nli_logits(model, &too_short, 1, &options, logits, &err) == -1);
    CHECK(strstr(err.message, "too short") != NULL);
    CHECK(strstr(err.message, "pair 0") != NULL);

    // No pairs: nothing to do, nothing written.
    logits[0] = 42.0f;
    CHECK(fc_nli_logits(model, pairs, 0, NULL, logits, &err) == 0);
    CHECK(logits[0] == 42.0f);
    free(logits);
}

static void test_model(const cJSON *reference, const char *name) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/modernbert/%s", fc_test_fixtures_dir(), name);
    fc_model *model = NULL;
    fc_error err;
    int loaded = fc_model_load(dir, &model, &err) == 0;
    if (!loaded) fprintf(stderr, "  %s: %s\n", name, err.message);
    CHECK(loaded);
    if (!loaded) return;

    const cJSON *pair_items = cJSON_GetObjectItem(reference, "pairs");
    const cJSON *model_ref = cJSON_GetObjectItem(cJSON_GetObjectItem(reference, "models"), name);
    const cJSON *rows = cJSON_GetObjectItem(model_ref, "rows");
    size_t n = (size_t)cJSON_GetArraySize(pair_items);
    CHECK(n >= 4 && (size_t)cJSON_GetArraySize(rows) == n);
    fc_pair *pairs = calloc(n, sizeof *pairs);
    for (size_t i = 0; i < n; i++) {
        const cJSON *item = cJSON_GetArrayItem(pair_items, (int)i);
        pairs[i].premise = cJSON_GetObjectItem(item, "premise")->valuestring;
        pairs[i].hypothesis = cJSON_GetObjectItem(item, "hypothesis")->valuestring;
    }

    // The model's label names are its id2label, in its own order.
    const cJSON *id2label = cJSON_GetObjectItem(model_ref, "id2label");
    CHECK(fc_model_num_labels(model) == cJSON_GetArraySize(id2label));
    for (const cJSON *label = id2label->child; label; label = label->next)
        CHECK(strcmp(fc_model_label_name(model, atoi(label->string)), label->valuestring) == 0);

    if (n >= 4) {
        check_against_reference(model, pairs, n, rows, name);
        check_batching(model, pairs, n, name);
        check_errors(model, pairs, n);
    }
    free(pairs);
    fc_model_free(model);
}

void suite_nli(void) {
    test_default_options();
    char path[1024];
    snprintf(path, sizeof path, "%s/modernbert/reference.json", fc_test_fixtures_dir());
    cJSON *reference = load_json(path);
    CHECK(reference != NULL);
    if (!reference) return;
    for (size_t i = 0; i < sizeof fixture_models / sizeof fixture_models[0]; i++)
        test_model(reference, fixture_models[i]);
    cJSON_Delete(reference);
}
