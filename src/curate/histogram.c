#include "curate/histogram.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/progress.h"
#include "data/dataset.h"
#include "util/alloc.h"
#include "util/error.h"

int fc_histogram_bin(double score, int n_bins) {
    if (!(score > 0.0)) return 0; // also NaN, which the readers never give
    int bin = (int)(score * n_bins);
    return bin >= n_bins ? n_bins - 1 : bin;
}

// Decimals that tell the bin edges apart: 1 for tenths, 2 for twentieths and hundredths.
static int edge_decimals(int n_bins) {
    int decimals = 1;
    for (int scale = 10; scale < n_bins && decimals < 4; scale *= 10) decimals++;
    if (n_bins % 10 != 0 && 10 % n_bins != 0 && decimals < 2) decimals = 2;
    return decimals;
}

static void init_columns(fc_histogram *hist, int n_bins) {
    int decimals = edge_decimals(n_bins);
    const char **names = fc_calloc((size_t)n_bins + 1, sizeof *names);
    char **owned = fc_calloc((size_t)n_bins, sizeof *owned);
    for (int b = 0; b < n_bins; b++) {
        char label[64];
        snprintf(label, sizeof label, "%.*f-%.*f", decimals, (double)b / n_bins, decimals,
                 (double)(b + 1) / n_bins);
        owned[b] = fc_strdup(label);
        names[b] = owned[b];
    }
    names[n_bins] = "no score";
    fc_count_table_init(&hist->by_source, names, (size_t)n_bins + 1);
    for (int b = 0; b < n_bins; b++) free(owned[b]);
    free(owned);
    free(names);
}

int fc_curate_histogram(const char *input, int n_bins, FILE *progress, fc_histogram *hist,
                        fc_error *err) {
    memset(hist, 0, sizeof *hist);
    if (n_bins < 1 || n_bins > FC_HIST_MAX_BINS)
        return fc_fail(err, "bins must be 1 to %d, not %d", FC_HIST_MAX_BINS, n_bins);
    hist->n_bins = n_bins;
    init_columns(hist, n_bins);
    double start = fc_progress_now();
    fc_reader *reader;
    if (fc_reader_open(input, FC_FORMAT_FINECAT, NULL, &reader, err) != 0) return -1;
    uint64_t done, total, rows = 0;
    fc_reader_progress(reader, &done, &total);
    fc_progress bar;
    fc_progress_start(&bar, progress, "hist", total);
    fc_record record;
    int got;
    while ((got = fc_reader_next(reader, &record, err)) == 1) {
        size_t row = fc_count_table_row(&hist->by_source, record.source);
        int column = record.has_score ? fc_histogram_bin(record.score, n_bins) : n_bins;
        fc_count_table_add(&hist->by_source, row, (size_t)column, 1);
        fc_reader_progress(reader, &done, &total);
        fc_progress_update(&bar, done, ++rows);
    }
    fc_reader_close(reader);
    if (got < 0) return -1;
    fc_progress_end(&bar, rows);
    hist->seconds = fc_progress_now() - start;
    return 0;
}

void fc_histogram_free(fc_histogram *hist) {
    fc_count_table_free(&hist->by_source);
    memset(hist, 0, sizeof *hist);
}

static uint64_t bin_total(const fc_histogram *hist, int bin) {
    return fc_count_table_total(&hist->by_source, (size_t)bin);
}

void fc_histogram_print(FILE *out, const fc_histogram *hist, int markdown) {
    const fc_count_table *table = &hist->by_source;
    uint64_t scored = 0;
    for (int b = 0; b < hist->n_bins; b++) scored += bin_total(hist, b);
    int width = 9;
    for (size_t r = 0; r < table->n_rows; r++)
        if ((int)strlen(table->rows[r]) > width) width = (int)strlen(table->rows[r]);
    const char *sep = markdown ? " | " : "  ";
    if (markdown) fputs("| ", out);
    fprintf(out, "%-11s", "score");
    for (size_t r = 0; r < table->n_rows; r++) fprintf(out, "%s%*s", sep, width, table->rows[r]);
    fprintf(out, "%s%*s%s%7s%s\n", sep, width, "total", sep, "share", markdown ? " |" : "");
    if (markdown) {
        fputs("|---", out);
        for (size_t r = 0; r < table->n_rows + 2; r++) fputs("|---:", out);
        fputs("|\n", out);
    }
    for (int b = 0; b <= hist->n_bins; b++) {
        uint64_t total = bin_total(hist, b);
        if (b == hist->n_bins && total == 0) break; // no "no score" line when all are scored
        if (markdown) fputs("| ", out);
        fprintf(out, "%-11s", table->columns[b]);
        for (size_t r = 0; r < table->n_rows; r++)
            fprintf(out, "%s%*" PRIu64, sep, width, fc_count_table_get(table, r, (size_t)b));
        fprintf(out, "%s%*" PRIu64, sep, width, total);
        if (b < hist->n_bins && scored)
            fprintf(out, "%s%6.2f%%", sep, 100.0 * (double)total / (double)scored);
        else
            fprintf(out, "%s%7s", sep, "");
        fputs(markdown ? " |\n" : "\n", out);
    }
}

cJSON *fc_histogram_to_json(const fc_histogram *hist) {
    cJSON *json = cJSON_CreateObject();
    cJSON_AddNumberToObject(json, "bins", hist->n_bins);
    cJSON_AddItemToObject(json, "by_source", fc_count_table_to_json(&hist->by_source));
    cJSON_AddNumberToObject(json, "seconds", hist->seconds);
    return json;
}
