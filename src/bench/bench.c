#include "bench/bench.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "bench/flops.h"
#include "bench/gemm_rate.h"
#include "eval/peak_memory.h"
#include "io/json_fields.h"
#include "model/modernbert/modernbert_config.h"
#include "tasks/nli.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"
#include "util/progress.h"

// Progress across the timed passes: pairs done over passes x pairs.
typedef struct pass_progress {
    fc_progress bar;
    uint64_t before; // pairs of the earlier passes
} pass_progress;

static void report_batch(void *context, size_t done) {
    pass_progress *p = context;
    fc_progress_update(&p->bar, p->before + done, p->before + done);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

fc_bench_options fc_bench_default_options(void) {
    // Two timed passes: the best of two already drops a pass slowed by a neighbour, and keeps
    // the README's command (64 pairs of ModernBERT-large on 2 cores) under two minutes.
    fc_bench_options o = {.batch_size = 32, .max_length = 0, .repeats = 2, .gemm_tokens = 2048};
    return o;
}

// The config of the checkpoint when the FLOP model knows its architecture: 1 ModernBERT,
// 2 BERT or RoBERTa, 0 other.
static int read_config(const char *dir, fc_modernbert_config *modernbert, fc_bert_config *bert) {
    char *path = fc_path_join(dir, "config.json");
    cJSON *root = NULL;
    fc_error ignored;
    int kind = 0;
    const char *type = NULL;
    if (fc_json_load_file(path, &root, &ignored) == 0 &&
        fc_json_require_string(root, "model_type", path, &type, &ignored) == 0) {
        if (strcmp(type, "modernbert") == 0 &&
            fc_modernbert_config_parse(root, path, modernbert, &ignored) == 0)
            kind = 1;
        else if ((strcmp(type, "bert") == 0 || strcmp(type, "roberta") == 0) &&
                 fc_bert_config_parse(root, path, bert, &ignored) == 0)
            kind = 2;
    }
    cJSON_Delete(root);
    free(path);
    return kind;
}

// Tokens transformers would run: each batch in data order padded to its longest pair.
static size_t padded_tokens(const fc_ids *encoded, size_t n, int batch_size) {
    size_t total = 0;
    for (size_t start = 0; start < n; start += (size_t)batch_size) {
        size_t end = start + (size_t)batch_size < n ? start + (size_t)batch_size : n, longest = 0;
        for (size_t i = start; i < end; i++)
            if (encoded[i].len > longest) longest = encoded[i].len;
        total += longest * (end - start);
    }
    return total;
}

fc_logit_agreement fc_compare_logits(const float *reference, const float *other, size_t n,
                                     int num_labels) {
    fc_logit_agreement a = {0.0, 0.0};
    size_t same = 0;
    for (size_t i = 0; i < n; i++) {
        const float *r = reference + i * num_labels, *o = other + i * num_labels;
        int best_r = 0, best_o = 0;
        for (int k = 0; k < num_labels; k++) {
            double d = r[k] > o[k] ? r[k] - o[k] : o[k] - r[k];
            if (!(d <= a.max_abs_diff)) a.max_abs_diff = d;
            if (r[k] > r[best_r]) best_r = k;
            if (o[k] > o[best_o]) best_o = k;
        }
        same += best_r == best_o;
    }
    a.argmax_agreement = n ? (double)same / (double)n : 1.0;
    return a;
}

int fc_bench_run(fc_model *model, const char *model_dir, const fc_pair *pairs, size_t n,
                 const fc_bench_options *options, fc_bench_result *result, float *logits_out,
                 fc_error *err) {
    memset(result, 0, sizeof *result);
    if (n == 0) return fc_fail(err, "bench: no pairs to run");
    fc_nli_options nli = fc_nli_default_options();
    nli.max_length = options->max_length;
    nli.batch_size = options->batch_size;
    int num_labels = fc_model_num_labels(model);
    fc_ids *encoded = fc_calloc(n, sizeof *encoded);
    float *logits = fc_malloc(n * (size_t)num_labels * sizeof *logits);
    int rc = -1;

    // Warm-up: one batch, so that buffers are grown and pages touched before timing.
    size_t warm = n < (size_t)nli.batch_size ? n : (size_t)nli.batch_size;
    if (fc_nli_logits(model, pairs, warm, &nli, logits, err) != 0) goto done;

    result->tokenize_seconds = result->forward_seconds = result->total_seconds = 1e30;
    int repeats = options->repeats > 0 ? options->repeats : 1;
    pass_progress progress = {.before = 0};
    fc_progress_start_count(&progress.bar, options->progress, "bench passes", "pairs",
                            (uint64_t)repeats * n);
    for (int pass = 0; pass < repeats; pass++) {
        double t0 = now_seconds();
        for (size_t i = 0; i < n; i++)
            if (fc_nli_encode_pair(model, &pairs[i], &nli, &encoded[i], err) != 0) {
                fc_fail_prefix(err, "pair %zu", i);
                goto done;
            }
        double t1 = now_seconds();
        if (fc_nli_logits_encoded_progress(model, encoded, n, nli.batch_size, logits,
                                           options->progress ? report_batch : NULL, &progress,
                                           err) != 0)
            goto done;
        double t2 = now_seconds();
        progress.before += n;
        if (t2 - t0 < result->total_seconds) {
            result->tokenize_seconds = t1 - t0;
            result->forward_seconds = t2 - t1;
            result->total_seconds = t2 - t0;
        }
    }
    fc_progress_end(&progress.bar, progress.before);
    result->pairs = n;
    if (logits_out) memcpy(logits_out, logits, n * (size_t)num_labels * sizeof *logits);
    for (size_t i = 0; i < n; i++) result->tokens += encoded[i].len;
    result->padded_tokens = padded_tokens(encoded, n, nli.batch_size);
    result->samples_per_second = (double)n / result->total_seconds;
    result->tokens_per_second = (double)result->tokens / result->total_seconds;
    result->threads = omp_get_max_threads();

    result->peak_rss_bytes = fc_peak_rss_bytes(); // before the GEMM probe's own buffers
    fc_modernbert_config config;
    fc_bert_config bert;
    int kind = read_config(model_dir, &config, &bert);
    if (kind != 0) {
        // FLOPs add up per sequence, whatever the batching.
        for (size_t i = 0; i < n; i++) {
            int32_t offsets[2] = {0, (int32_t)encoded[i].len};
            fc_flop_count f = kind == 1 ? fc_modernbert_flops(&config, offsets, 1, num_labels)
                                        : fc_bert_flops(&bert, offsets, 1, num_labels);
            result->flops += f.linear + f.attention;
        }
        result->gflops = result->flops / result->forward_seconds / 1e9;
        // The GEMM probe runs ModernBERT's layer shapes; for BERT the rate is not measured.
        if (options->gemm_tokens > 0 && kind == 1) {
            if (options->progress) {
                fprintf(options->progress, "bench: measuring the GEMM rate at the model's layer "
                                           "shapes (%d rows, best of 3)\n", options->gemm_tokens);
                fflush(options->progress);
            }
            double start = now_seconds();
            result->gemm_gflops = fc_measure_gemm_gflops(&config, options->gemm_tokens, 3);
            if (options->progress)
                fprintf(options->progress, "bench: GEMM rate %.1f GFLOP/s, measured in %.1f s\n",
                        result->gemm_gflops, now_seconds() - start);
        }
    }
    rc = 0;
done:
    for (size_t i = 0; i < n; i++) fc_ids_free(&encoded[i]);
    free(encoded);
    free(logits);
    return rc;
}
