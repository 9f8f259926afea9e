// One model over every row of an interchange file, sharded and resumable: the engine of
// `curate score` (the pilot) and `curate teacher`, which differ only in what they add to a row.
//
// The input's rows are cut into shards of shard_size rows by position. Each shard is tokenized,
// classified (length-sorted batches, tasks/nli.h), written to WORK/shard-NNNNNN.jsonl.part,
// synced and renamed: a shard file exists only when complete. A run finds the shards already
// there, skips their rows, and computes the rest; when all are done the shards are concatenated
// into OUTPUT (through OUTPUT.part) and the work folder is removed. Because shards are fixed by
// position and each is always computed whole (the same batches), a run killed at any point and
// run again ends with the same bytes as one that was never stopped.
//
// WORK/manifest.json records what the shards depend on: the stage, the input's size and content
// hash, the model's fingerprint (its config and weight files), shard size, batch size, max
// length and the BLAS and OpenMP thread counts (they change the last bits of the logits). A rerun with other settings is refused rather than mixing shards; `restart` discards
// them. WORK/progress.json says how far the run is, rewritten after each shard.
#ifndef FC_CURATE_MODEL_PASS_H
#define FC_CURATE_MODEL_PASS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "curate/count_table.h"
#include "curate/record_io.h"

enum { FC_MODEL_PASS_DEFAULT_SHARD_SIZE = 10000 };

typedef struct fc_model_pass_options {
    const char *work_dir;   // NULL: OUTPUT.shards
    size_t shard_size;      // rows per shard; 0: the default above
    int batch_size;         // pairs per forward; <= 0: 32
    int max_length;         // tokens per pair; <= 0: the model's
    int restart;            // discard the shards of an earlier run instead of resuming
    int stop_after_shards;  // > 0: stop once this many shards were computed by this call,
                            // leaving the work folder as a killed run would (tests, debugging)
    unsigned throttle_us;   // > 0: sleep this long per row while tokenizing (tests that kill a
                            // run need it to last)
    FILE *progress;
    fc_weight_dtype weights; // how the model's weights are held (--dtype); default f32
} fc_model_pass_options;

// Columns of fc_model_pass_stats.by_source.
enum {
    FC_PASS_ROWS = 0,
    FC_PASS_COMPUTED,   // rows the model ran on in this call
    FC_PASS_RESUMED,    // rows whose shard an earlier run completed
    FC_PASS_NO_LABEL,   // rows without a gold label (no score)
    FC_PASS_COLUMNS,
};

typedef struct fc_model_pass_stats {
    fc_count_table by_source;
    uint64_t rows;
    size_t shards, shards_resumed, shards_computed;
    double model_seconds;    // in the model's forward passes
    double tokenize_seconds;
    double seconds;          // the whole call
    int stopped;             // stop_after_shards stopped the run: no output was written
} fc_model_pass_stats;

// What a stage adds to a row. write_row gets the row (its record and raw line) and the model's
// logits in canonical order (entailment, neutral, contradiction), and writes the output line.
typedef struct fc_model_pass_stage {
    const char *name; // "score", "teacher": recorded in the manifest
    int (*write_row)(void *context, fc_record *record, const char *line, size_t length,
                     const float logits[FC_LABEL_COUNT], fc_record_writer *writer, fc_error *err);
    void *context;
} fc_model_pass_stage;

fc_model_pass_options fc_model_pass_default_options(void);

// Runs the stage. Returns 0 when the output is complete or the run stopped on purpose
// (stats->stopped), -1 on an error (the shards done so far stay for the next run).
int fc_curate_model_pass(const char *input, const char *output, const char *model_dir,
                         const fc_model_pass_stage *stage, const fc_model_pass_options *options,
                         fc_model_pass_stats *stats, fc_error *err);
void fc_model_pass_stats_free(fc_model_pass_stats *stats);
// Model samples/s: rows computed / seconds in the forward passes (0 when none ran).
double fc_model_pass_samples_per_second(const fc_model_pass_stats *stats);
cJSON *fc_model_pass_stats_to_json(const fc_model_pass_stats *stats);

// The model's label ids in canonical order: canonical_of[id] for each of its 3 labels. Fails
// unless the model has exactly the labels entailment, neutral and contradiction (by name).
int fc_model_canonical_order(const fc_model *model, const char *model_dir,
                             int canonical_of[FC_LABEL_COUNT], fc_error *err);

#endif
