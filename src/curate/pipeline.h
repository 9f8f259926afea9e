// `curate run`: the whole curation from a config file (pipeline_config.h), each stage writing
// its output into the output folder:
//   1-bigcat.jsonl    ingest          4-hist.txt, 4-hist.svg   hist
//   2-deduped.jsonl   dedupe          5-review.jsonl           flag (5-flagged.jsonl when
//   3-scored.jsonl    score                                    verdicts were applied)
//   6-selected.jsonl  select          7-finecat.jsonl          teacher (when configured)
// and report.json + report.md with every stage's counts.
//
// A stage whose output exists and whose record (stages/NAME.json) says it was made from the
// same input bytes, settings and model is skipped, its counts taken from the record; so a rerun
// after a failure or a kill continues where the run stopped (score and teacher also resume
// inside, shard by shard), and a changed setting reruns its stage and those after it.
#ifndef FC_CURATE_PIPELINE_H
#define FC_CURATE_PIPELINE_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "curate/pipeline_config.h"

typedef struct fc_pipeline_options {
    FILE *progress;         // NULL: none
    int force;              // rerun every stage
    int stop_after_shards;  // passed to score and teacher (debugging, tests)
} fc_pipeline_options;

// Runs the stages and writes the reports. *report (may be NULL) receives the report as JSON,
// also on failure (the stages so far, and the error); free it with cJSON_Delete.
int fc_curate_run_pipeline(const char *config_path, const fc_pipeline_config *config,
                           const fc_pipeline_options *options, cJSON **report, fc_error *err);

// The Markdown report of a report JSON.
void fc_pipeline_report_markdown(FILE *out, const cJSON *report);

#endif
