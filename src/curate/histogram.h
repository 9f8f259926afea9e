// `curate hist`: the score histogram per source and overall, the picture of the FineCat
// article that shows where the easy rows are. Bins are equal slices of [0, 1]; bin i holds
// scores in [i/B, (i+1)/B), the last one also 1.0.
#ifndef FC_CURATE_HISTOGRAM_H
#define FC_CURATE_HISTOGRAM_H

#include <stdio.h>

#include "curate/count_table.h"

enum { FC_HIST_DEFAULT_BINS = 10, FC_HIST_MAX_BINS = 1000 };

typedef struct fc_histogram {
    int n_bins;
    fc_count_table by_source; // columns: the bins ("0.0-0.1", ...) then "no score"
    double seconds;
} fc_histogram;

typedef enum fc_hist_layout {
    FC_HIST_STACKED = 0, // one bar per bin, sources stacked
    FC_HIST_GROUPED,     // one bar per source side by side in each bin
} fc_hist_layout;

// Counts the scores of an interchange file. progress may be NULL.
int fc_curate_histogram(const char *input, int n_bins, FILE *progress, fc_histogram *hist,
                        fc_error *err);
void fc_histogram_free(fc_histogram *hist);

// The bin of a score in [0, 1] (scores outside are clamped).
int fc_histogram_bin(double score, int n_bins);

// The table on a terminal (or Markdown): one line per bin, one column per source, the total and
// its share of all scored rows.
void fc_histogram_print(FILE *out, const fc_histogram *hist, int markdown);

// An SVG picture: bars per bin by source (stacked or grouped), axes with ticks, axis titles and
// a legend. Written through PATH.part.
int fc_histogram_write_svg(const fc_histogram *hist, const char *path, fc_hist_layout layout,
                           const char *title, fc_error *err);

cJSON *fc_histogram_to_json(const fc_histogram *hist);

#endif
