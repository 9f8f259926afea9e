// The results of several models over several data sets: the FineCat table (one row per model,
// accuracy per data set, then throughput and peak memory), and the same with every metric as
// CSV (one line per model and data set) and JSON.
#ifndef FC_EVAL_REPORT_H
#define FC_EVAL_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "eval/eval.h"
#include "finecat.h"

typedef struct fc_eval_column {
    const char *name;
    const char **files;
    size_t n_files;
    const char *note; // how the files differ from the data set's test split, or NULL
    int missing;      // a file was not found: no results, the table shows "-"
} fc_eval_column;

typedef struct fc_eval_row {
    const char *model;        // the model's folder
    fc_eval_result *results;  // [n_columns], finished; unused where the column is missing
    size_t evaluated;         // over all columns
    double seconds;           // tokenization and model time over all columns
    uint64_t peak_rss_bytes;  // peak resident memory while the model was loaded and run
    int peak_is_per_model;    // 0: the process's peak so far (the reset is not supported)
} fc_eval_row;

typedef struct fc_eval_report {
    const fc_eval_column *columns;
    size_t n_columns;
    const fc_eval_row *rows;
    size_t n_rows;
    int batch_size;
    size_t max_rows; // 0: all
} fc_eval_report;

// Samples per second of a row: evaluated / seconds (0 when nothing ran).
double fc_eval_row_samples_per_second(const fc_eval_row *row);

// The table, for people: accuracy to four places, "-" for a missing column.
void fc_eval_report_print(FILE *out, const fc_eval_report *report);

// CSV and JSON files, written under PATH.part and renamed once complete.
int fc_eval_report_write_csv(const char *path, const fc_eval_report *report, fc_error *err);
int fc_eval_report_write_json(const char *path, const fc_eval_report *report, fc_error *err);

#endif
