// `curate select`: FineCat's cut of the easy rows. Every row whose score is at most the easy
// threshold is kept; of the easy rows (score above it) a seeded sample is kept, sized by a
// fraction of the easy rows or by a target for the whole output.
//
// The sample is the k easy rows with the smallest hash of (seed, id): a row's fate depends on
// the seed and its id only, not on the order or the company it comes in, and the output keeps
// the input's order. Same input and seed, same bytes. Ids should be unique (ingest makes them
// so); rows sharing an id share their fate.
#ifndef FC_CURATE_SELECT_H
#define FC_CURATE_SELECT_H

#include <stdint.h>
#include <stdio.h>

#include "curate/count_table.h"

#define FC_SELECT_DEFAULT_EASY_ABOVE 0.9

typedef struct fc_select_options {
    double easy_above;      // a score above this is easy
    double keep_easy_frac;  // < 0: unset; else keep round(frac * easy rows) easy rows
    int64_t target_rows;    // < 0: unset; else keep target - hard rows easy rows (at least 0)
    uint64_t seed;
    FILE *progress;
} fc_select_options;

// Columns of fc_select_stats.by_source.
enum {
    FC_SELECT_ROWS = 0,
    FC_SELECT_HARD,        // score <= easy_above: all kept
    FC_SELECT_EASY,
    FC_SELECT_EASY_KEPT,
    FC_SELECT_KEPT,
    FC_SELECT_COLUMNS,
};

typedef struct fc_select_stats {
    fc_count_table by_source;
    uint64_t easy_keep;     // k, the easy rows kept
    int target_unreachable; // target_rows was below the hard rows: no easy row kept
    double seconds;
} fc_select_stats;

fc_select_options fc_select_default_options(void);

// One of keep_easy_frac and target_rows must be set. Every row needs a score.
int fc_curate_select(const char *input, const char *output, const fc_select_options *options,
                     fc_select_stats *stats, fc_error *err);
void fc_select_stats_free(fc_select_stats *stats);
cJSON *fc_select_stats_to_json(const fc_select_stats *stats);

// The draw of a row: a 64-bit hash of (seed, id).
uint64_t fc_select_draw(uint64_t seed, const char *id);

#endif
