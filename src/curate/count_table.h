// The counts every curation stage reports: one row per source, one column per count ("read",
// "kept", "exact duplicate", ...), with a total row. Printed as a text table on the terminal,
// as Markdown in the pipeline report, and as JSON ({"columns": [...], "rows": {source:
// {column: n}}, "total": {column: n}}) in the reports and stage records.
#ifndef FC_CURATE_COUNT_TABLE_H
#define FC_CURATE_COUNT_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "finecat.h"

typedef struct fc_count_table {
    char **columns;
    size_t n_columns;
    char **rows;       // row names (sources) in order of first appearance
    size_t n_rows, rows_capacity;
    uint64_t *counts;  // [n_rows][n_columns]
    size_t last_row;   // the row last looked up: rows come in runs of one source
} fc_count_table;

// Copies the column names.
void fc_count_table_init(fc_count_table *table, const char *const *columns, size_t n_columns);
void fc_count_table_free(fc_count_table *table);

// The index of the row named name, added (all zero) when new.
size_t fc_count_table_row(fc_count_table *table, const char *name);
// The index of a column by name, or -1.
int fc_count_table_column(const fc_count_table *table, const char *name);

void fc_count_table_add(fc_count_table *table, size_t row, size_t column, uint64_t n);
uint64_t fc_count_table_get(const fc_count_table *table, size_t row, size_t column);
uint64_t fc_count_table_total(const fc_count_table *table, size_t column);

typedef enum fc_table_style {
    FC_TABLE_TEXT = 0,   // aligned columns for a terminal
    FC_TABLE_MARKDOWN,   // a GitHub Markdown table
} fc_table_style;

// Prints the table with a total row (when there is more than one row). Columns that are zero in
// every row are left out when hide_zero_columns is set, except the first two.
void fc_count_table_print(FILE *out, const fc_count_table *table, const char *row_heading,
                          fc_table_style style, int hide_zero_columns);

cJSON *fc_count_table_to_json(const fc_count_table *table);
// Reads back what fc_count_table_to_json wrote; -1 with a message when it has another shape.
int fc_count_table_from_json(const cJSON *json, fc_count_table *table, fc_error *err);

#endif
