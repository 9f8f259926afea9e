// The record of a run: one row per optimizer step (loss, CE, MSE, learning rate, gradient
// norm, throughput, eval accuracies), kept in memory, written as CSV and drawn as SVG.
#ifndef FC_TRAIN_REPORT_H
#define FC_TRAIN_REPORT_H

#include <stddef.h>

#include "finecat.h"

typedef struct fc_log_row {
    long step;
    double epoch; // epochs completed, fractional
    double loss, ce, mse, lr, grad_norm, samples_per_s;
    long rows, teacher_rows;
    double *eval_accuracy; // [n_evals]; NAN where not evaluated at this step
} fc_log_row;

typedef struct fc_train_log {
    int n_evals;
    char **eval_names;
    fc_log_row *rows;
    size_t n_rows, capacity;
} fc_train_log;

void fc_train_log_init(fc_train_log *log, int n_evals, const char *const *eval_names);
void fc_train_log_free(fc_train_log *log);
// Appends a copy of row (and of its eval_accuracy array, when not NULL).
void fc_train_log_add(fc_train_log *log, const fc_log_row *row);

// The CSV header and one row, each ending in a newline; caller frees.
char *fc_train_log_csv_header(const fc_train_log *log);
char *fc_train_log_csv_row(const fc_train_log *log, const fc_log_row *row);
// The whole CSV: header and every row.
char *fc_train_log_csv(const fc_train_log *log);
// Reads back a CSV that fc_train_log_csv wrote for the same eval sets (resume).
int fc_train_log_parse_csv(fc_train_log *log, const char *csv, fc_error *err);

// Draws training loss (with CE and MSE) and eval accuracy against the step; written to a
// temporary name and renamed.
int fc_train_log_write_svg(const fc_train_log *log, const char *path, const char *title,
                           fc_error *err);

#endif
