// The config file of `curate run`: one JSON object naming the inputs and every stage's settings.
// Paths are relative to the config file's folder (screen_cmd, a command, runs in the current
// one), except inputs and eval_files, which are relative to data_dir when it is given (itself
// relative to the config's folder), so that a recipe names its data files as the data set lays
// them out and one setting moves them all. The overrides (`curate run --data-dir/--output-dir`)
// are taken as given, relative to the current folder. Unknown keys are an error (a typo must not
// silently fall back to a default).
//
// {
//   "description": "...",                    free text, for the reader and the report
//   "output_dir": "curated",                 required
//   "data_dir": "../data",                   where inputs and eval_files are (default: the
//                                            config's folder)
//   "inputs": ["snli:train=nli/snli_1.0_train.jsonl", {"path": "...", "source": "mnli",
//              "split": "train", "format": "auto"}, ...],   required, as `ingest --input`
//   "on_error": "fail" | "skip",             bad rows in the inputs (default fail)
//   "seed": 1,                               select's draw
//   "eval_splits": "dev,test,val,validation", "eval_files": [...], "keep_eval": false,
//   "id_sources": "mnli,taxinli",            dedupe's id key (dedupe.h); a list works too
//   "on_conflict": "flag" | "drop",
//   "pilot_model": DIR,                      score, hist, flag, select need it
//   "teacher_model": DIR,                    optional: teacher logits
//   "shard_size": 10000, "batch_size": 32, "max_length": 0,
//   "bins": 10, "hist_layout": "stacked" | "grouped",
//   "flag_below": 0.1, "screen_cmd": CMD, "screen_timeout": 0, "review_apply": FILE,
//   "easy_above": 0.9, "keep_easy_frac": F | "target_rows": N     (one of the two)
// }
#ifndef FC_CURATE_PIPELINE_CONFIG_H
#define FC_CURATE_PIPELINE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "curate/dedupe.h"
#include "curate/histogram.h"
#include "curate/ingest.h"

typedef struct fc_pipeline_config {
    char *output_dir;
    fc_ingest_input *inputs;
    size_t n_inputs;
    fc_on_error on_error;
    uint64_t seed;
    char *data_dir;                     // NULL when absent
    char *eval_splits;
    char *id_sources;                   // NULL when absent
    char **eval_files;
    size_t n_eval_files;
    int keep_eval;
    fc_conflict_policy on_conflict;
    char *pilot_model, *teacher_model;  // NULL when absent
    size_t shard_size;
    int batch_size, max_length;
    int bins;
    fc_hist_layout hist_layout;
    double flag_below;
    char *screen_cmd;                   // NULL when absent
    unsigned screen_timeout;
    char *review_apply;                 // NULL when absent
    double easy_above, keep_easy_frac;  // keep_easy_frac < 0: unset
    int64_t target_rows;                // < 0: unset
    char **strings;                     // every string above, for freeing
    size_t n_strings;
    cJSON *json;                        // the file as read, for the report
} fc_pipeline_config;

// What the command line puts in place of the file's settings (NULL: the file's).
typedef struct fc_pipeline_overrides {
    const char *data_dir;
    const char *output_dir;
} fc_pipeline_overrides;

int fc_pipeline_config_read(const char *path, fc_pipeline_config *config, fc_error *err);
int fc_pipeline_config_read_with(const char *path, const fc_pipeline_overrides *overrides,
                                 fc_pipeline_config *config, fc_error *err);
void fc_pipeline_config_free(fc_pipeline_config *config);

#endif
