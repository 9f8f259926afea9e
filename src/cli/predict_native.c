#include "cli/predict_native.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/nli_result.h"
#include "tasks/nli.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/progress.h"

// One record waiting for its chunk: the JSON line written before the result members.
typedef struct pending {
    char *text;
    cJSON *json;
    size_t line;
} pending;

typedef struct native_progress {
    fc_progress bar;
    const fc_reader *reader;
    size_t before;               // records classified in earlier chunks
    uint64_t chunk_start_bytes;  // input read before the chunk's first record
    uint64_t chunk_end_bytes;    // and after its last
    size_t chunk_n;
} native_progress;

// The reader is a whole chunk ahead of the forwards: the bytes shown are interpolated over the
// chunk by the records done, so the bar does not run ahead of the work.
static void report_batch(void *context, size_t done) {
    native_progress *p = context;
    uint64_t span = p->chunk_end_bytes - p->chunk_start_bytes;
    uint64_t bytes = p->chunk_start_bytes + (p->chunk_n ? span * done / p->chunk_n : span);
    fc_progress_update(&p->bar, bytes, p->before + done);
}

static cJSON *record_json(const fc_record *record) {
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "id", record->id);
    cJSON_AddStringToObject(json, "source", record->source ? record->source : "");
    if (record->split && record->split[0]) cJSON_AddStringToObject(json, "split", record->split);
    cJSON_AddStringToObject(json, "premise", record->premise);
    cJSON_AddStringToObject(json, "hypothesis", record->hypothesis);
    if (record->label >= 0)
        cJSON_AddStringToObject(json, "gold_label", fc_label_name((fc_label)record->label));
    else
        cJSON_AddNullToObject(json, "gold_label");
    return json;
}

static int classify(fc_model *model, const fc_predict_native_options *options, pending *rows,
                    fc_ids *encoded, float *logits, size_t n, native_progress *progress,
                    FILE *out, const char *path, fc_error *err) {
    uint64_t total;
    progress->chunk_start_bytes = progress->chunk_end_bytes;
    fc_reader_progress(progress->reader, &progress->chunk_end_bytes, &total);
    progress->chunk_n = n;
    if (fc_nli_logits_encoded_progress(model, encoded, n, options->nli.batch_size, logits,
                                       progress->bar.out ? report_batch : NULL, progress,
                                       err) != 0)
        return fc_fail_prefix(err, "%s:%zu..%zu", path, rows[0].line, rows[n - 1].line);
    size_t num_labels = (size_t)fc_model_num_labels(model);
    for (size_t i = 0; i < n; i++)
        fc_result_write_record(out, rows[i].text, strlen(rows[i].text), rows[i].json, model,
                               logits + i * num_labels);
    progress->before += n;
    return 0;
}

int fc_predict_native(fc_model *model, const char *path, fc_dataset_format format,
                      const fc_reader_options *reader_options,
                      const fc_predict_native_options *options, FILE *out, size_t *n_classified,
                      fc_reader_counts *counts, fc_error *err) {
    *n_classified = 0;
    memset(counts, 0, sizeof *counts);
    fc_reader *reader;
    if (fc_reader_open(path, format, reader_options, &reader, err) != 0) return -1;
    size_t chunk = options->chunk_size ? options->chunk_size : 1024;
    pending *rows = fc_calloc(chunk, sizeof *rows);
    fc_ids *encoded = fc_calloc(chunk, sizeof *encoded);
    float *logits = fc_malloc(chunk * (size_t)fc_model_num_labels(model) * sizeof *logits);
    uint64_t bytes, total;
    fc_reader_progress(reader, &bytes, &total);
    native_progress progress = {.reader = reader, .chunk_end_bytes = bytes};
    fc_progress_start(&progress.bar, options->progress, "predict", total);
    fc_progress_set_unit(&progress.bar, "records");

    int status = 0;
    size_t n = 0;
    for (;;) {
        fc_record record;
        int got = fc_reader_next(reader, &record, err);
        if (got < 0) {
            status = -1;
            break;
        }
        if (got == 1) {
            fc_pair pair = {record.premise, record.hypothesis};
            if (fc_nli_encode_pair(model, &pair, &options->nli, &encoded[n], err) != 0) {
                status = fc_fail_prefix(err, "%s:%zu", path, record.line);
                break;
            }
            cJSON *json = record_json(&record);
            rows[n] = (pending){cJSON_PrintUnformatted(json), json, record.line};
            n++;
        }
        if (n == chunk || (got == 0 && n > 0)) {
            status = classify(model, options, rows, encoded, logits, n, &progress, out, path, err);
            for (size_t i = 0; i < n; i++) {
                free(rows[i].text);
                cJSON_Delete(rows[i].json);
            }
            n = 0;
            if (status != 0) break;
        }
        if (got == 0) break;
    }
    for (size_t i = 0; i < n; i++) {
        free(rows[i].text);
        cJSON_Delete(rows[i].json);
    }
    if (status == 0) fc_progress_end(&progress.bar, progress.before);
    *n_classified = progress.before;
    *counts = *fc_reader_counts_of(reader);
    fc_reader_close(reader);
    for (size_t i = 0; i < chunk; i++) fc_ids_free(&encoded[i]);
    free(encoded);
    free(rows);
    free(logits);
    return status;
}
