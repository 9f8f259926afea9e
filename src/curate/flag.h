// `curate flag`: the rows a pilot model finds least likely under their own label (score below
// flag_below, the lowest histogram bins) are often mislabeled. They go to a review file; a
// screening program (screen_cmd) or a person (an edited review file) gives verdicts, which are
// applied to the whole data set and logged:
//   keep     the row stays, with flag "review": {"verdict": "keep", "reason": ...}
//   drop     the row is removed
//   relabel  the row gets the new label, flag "review": {"verdict": "relabel", "from": OLD,
//            "reason": ...}, and its score is recomputed from its pilot_logits (dropped when it
//            has none: a stale score would be wrong)
//
// Nothing is lost on a bad screener: the verdicts are read and checked in full (every flagged
// row answered once, ids known, verdicts valid, exit status 0) before the output is written, the
// review file stays, and the screener's raw answer is kept next to it (REVIEW.verdicts.jsonl).
#ifndef FC_CURATE_FLAG_H
#define FC_CURATE_FLAG_H

#include <stdint.h>
#include <stdio.h>

#include "curate/count_table.h"

#define FC_FLAG_DEFAULT_BELOW 0.1

typedef struct fc_flag_options {
    double flag_below;
    const char *review_path;  // written with the flagged rows (not with apply_path)
    const char *screen_cmd;   // NULL: no screener
    unsigned screen_timeout;  // seconds; 0: none
    const char *apply_path;   // an edited review file whose verdicts are applied
    const char *output;       // the data set with the verdicts applied (screen_cmd, apply_path)
    const char *log_path;     // NULL: OUTPUT.log.jsonl; one line per verdict applied
    FILE *progress;
} fc_flag_options;

// Columns of fc_flag_stats.by_source.
enum {
    FC_FLAG_ROWS = 0,
    FC_FLAG_FLAGGED,     // score < flag_below
    FC_FLAG_KEEP,
    FC_FLAG_DROP,
    FC_FLAG_RELABEL,
    FC_FLAG_UNREVIEWED,  // flagged rows without a verdict (edited review files only): kept
    FC_FLAG_WRITTEN,
    FC_FLAG_COLUMNS,
};

typedef struct fc_flag_stats {
    fc_count_table by_source;
    int applied;           // verdicts were applied and the output written
    double screen_seconds;
    double seconds;
} fc_flag_stats;

fc_flag_options fc_flag_default_options(void);

int fc_curate_flag(const char *input, const fc_flag_options *options, fc_flag_stats *stats,
                   fc_error *err);
void fc_flag_stats_free(fc_flag_stats *stats);
cJSON *fc_flag_stats_to_json(const fc_flag_stats *stats);

#endif
