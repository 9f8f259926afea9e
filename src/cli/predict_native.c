#include "cli/predict_native.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/nli_result.h"
#include "dist/dist.h"
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

// Under mpirun (src/dist) the chunks are read in rounds of one per rank, as `predict` reads
// JSONL: rank r classifies the round's chunk r, whole, the logits are gathered, and rank 0
// writes the round in input order. Every rank reads every record, so all agree on where the
// chunks end; one rank is a round of one chunk.
typedef struct native_run {
    fc_model *model;
    const fc_predict_native_options *options;
    const char *path;
    fc_reader *reader;
    FILE *out; // rank 0's; NULL on the other ranks
    size_t chunk, rank, ranks, num_labels;
    pending *rows;   // [ranks, chunk]
    fc_ids *encoded; // [ranks, chunk], kept across rounds so their storage is reused
    size_t *n;       // [ranks]: records read into each chunk of the round
    float *logits;   // [chunk, num_labels]: this rank's chunk
    float *gathered; // [ranks, chunk, num_labels]: every rank's
    size_t classified;
    // Progress (rank 0's; bar.out is NULL on the others). The reader is a whole round ahead
    // of the forwards: the bytes shown are interpolated over the round by rank 0's records
    // done (the ranks classify side by side), the count is the records of earlier rounds plus
    // rank 0's.
    fc_progress bar;
    uint64_t round_start_bytes, round_end_bytes;
} native_run;

static void report_batch(void *context, size_t done) {
    native_run *run = context;
    size_t n = run->n[0];
    uint64_t span = run->round_end_bytes - run->round_start_bytes;
    uint64_t bytes = run->round_start_bytes + (n ? span * done / n : span);
    fc_progress_update(&run->bar, bytes, run->classified + done);
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

static void free_rows(pending *rows, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(rows[i].text);
        cJSON_Delete(rows[i].json);
    }
}

// Reads and tokenizes up to a chunk of records into chunk k of the round. On failure the
// chunk's rows are freed.
static int read_chunk(native_run *run, size_t k, fc_error *err) {
    pending *rows = run->rows + k * run->chunk;
    fc_ids *encoded = run->encoded + k * run->chunk;
    size_t *n = &run->n[k];
    *n = 0;
    while (*n < run->chunk) {
        fc_record record;
        int got = fc_reader_next(run->reader, &record, err);
        if (got == 0) return 0;
        int status = got < 0 ? -1 : 0;
        if (status == 0) {
            fc_pair pair = {record.premise, record.hypothesis};
            if (fc_nli_encode_pair(run->model, &pair, &run->options->nli, &encoded[*n], err) != 0)
                status = fc_fail_prefix(err, "%s:%zu", run->path, record.line);
        }
        if (status != 0) {
            free_rows(rows, *n);
            *n = 0;
            return -1;
        }
        cJSON *json = record_json(&record);
        rows[*n] = (pending){cJSON_PrintUnformatted(json), json, record.line};
        (*n)++;
    }
    return 0;
}

// Classifies this rank's chunk k (n records) into run->logits.
static int classify_chunk(native_run *run, size_t k, size_t n, fc_error *err) {
    const pending *rows = run->rows + k * run->chunk;
    if (fc_nli_logits_encoded_progress(run->model, run->encoded + k * run->chunk, n,
                                       run->options->nli.batch_size, run->logits,
                                       run->bar.out ? report_batch : NULL, run, err) != 0)
        return fc_fail_prefix(err, "%s:%zu..%zu", run->path, rows[0].line, rows[n - 1].line);
    return 0;
}

// One round: reads up to one chunk per rank, classifies this rank's, gathers, and rank 0
// writes the chunks in order. *ended: the input ended. A read error stops the round's reading
// as it stops one process's: the full chunks before it are still written.
static int native_round(native_run *run, int *ended, fc_error *err) {
    size_t chunks = 0;
    int read_status = 0;
    *ended = 0;
    while (chunks < run->ranks && !*ended) {
        read_status = read_chunk(run, chunks, err);
        if (read_status != 0) break;
        *ended = run->n[chunks] < run->chunk;
        chunks++;
    }
    for (size_t k = chunks; k < run->ranks; k++) run->n[k] = 0;
    run->round_start_bytes = run->round_end_bytes;
    uint64_t total;
    fc_reader_progress(run->reader, &run->round_end_bytes, &total);
    int status = 0;
    fc_error model_err;
    if (run->n[run->rank] > 0)
        status = classify_chunk(run, run->rank, run->n[run->rank], &model_err);
    if (fc_dist_agree(status, &model_err) == 0) {
        fc_dist_all_gather(run->logits, run->chunk * run->num_labels * sizeof *run->logits,
                           run->gathered);
        for (size_t k = 0; k < chunks; k++) {
            const pending *rows = run->rows + k * run->chunk;
            const float *logits = run->gathered + k * run->chunk * run->num_labels;
            for (size_t i = 0; run->out && i < run->n[k]; i++)
                fc_result_write_record(run->out, rows[i].text, strlen(rows[i].text), rows[i].json,
                                       run->model, logits + i * run->num_labels);
            run->classified += run->n[k];
        }
        fc_progress_update(&run->bar, run->round_end_bytes, run->classified);
    } else {
        status = -1;
        *err = model_err;
    }
    for (size_t k = 0; k < chunks; k++) free_rows(run->rows + k * run->chunk, run->n[k]);
    return status != 0 ? -1 : read_status;
}

int fc_predict_native(fc_model *model, const char *path, fc_dataset_format format,
                      const fc_reader_options *reader_options,
                      const fc_predict_native_options *options, FILE *out, size_t *n_classified,
                      fc_reader_counts *counts, fc_error *err) {
    *n_classified = 0;
    memset(counts, 0, sizeof *counts);
    native_run run = {
        .model = model,
        .options = options,
        .path = path,
        .out = out,
        .chunk = options->chunk_size ? options->chunk_size : 1024,
        .rank = (size_t)fc_dist_rank(),
        .ranks = (size_t)fc_dist_size(),
        .num_labels = (size_t)fc_model_num_labels(model),
    };
    if (fc_reader_open(path, format, reader_options, &run.reader, err) != 0) return -1;
    size_t slots = run.ranks * run.chunk;
    run.rows = fc_calloc(slots, sizeof *run.rows);
    run.encoded = fc_calloc(slots, sizeof *run.encoded);
    run.n = fc_calloc(run.ranks, sizeof *run.n);
    run.logits = fc_calloc(run.chunk * run.num_labels, sizeof *run.logits);
    run.gathered = fc_malloc(slots * run.num_labels * sizeof *run.gathered);
    uint64_t total;
    fc_reader_progress(run.reader, &run.round_end_bytes, &total);
    fc_progress_start(&run.bar, run.rank == 0 ? options->progress : NULL, "predict", total);
    fc_progress_set_unit(&run.bar, "records");

    int status = 0, ended = 0;
    while (status == 0 && !ended) status = native_round(&run, &ended, err);
    if (status == 0) fc_progress_end(&run.bar, run.classified);
    *n_classified = run.classified;
    *counts = *fc_reader_counts_of(run.reader);
    fc_reader_close(run.reader);
    for (size_t i = 0; i < slots; i++) fc_ids_free(&run.encoded[i]);
    free(run.encoded);
    free(run.rows);
    free(run.n);
    free(run.logits);
    free(run.gathered);
    return status;
}
