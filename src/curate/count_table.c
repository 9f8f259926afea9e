#include "curate/count_table.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

void fc_count_table_init(fc_count_table *table, const char *const *columns, size_t n_columns) {
    memset(table, 0, sizeof *table);
    table->columns = fc_calloc(n_columns ? n_columns : 1, sizeof *table->columns);
    for (size_t i = 0; i < n_columns; i++) table->columns[i] = fc_strdup(columns[i]);
    table->n_columns = n_columns;
}

void fc_count_table_free(fc_count_table *table) {
    for (size_t i = 0; i < table->n_columns; i++) free(table->columns[i]);
    for (size_t i = 0; i < table->n_rows; i++) free(table->rows[i]);
    free(table->columns);
    free(table->rows);
    free(table->counts);
    memset(table, 0, sizeof *table);
}

size_t fc_count_table_row(fc_count_table *table, const char *name) {
    if (table->last_row < table->n_rows && strcmp(table->rows[table->last_row], name) == 0)
        return table->last_row;
    for (size_t i = 0; i < table->n_rows; i++) {
        if (strcmp(table->rows[i], name) == 0) return table->last_row = i;
    }
    if (table->n_rows == table->rows_capacity) {
        table->rows_capacity = table->rows_capacity ? table->rows_capacity * 2 : 8;
        table->rows = fc_realloc(table->rows, table->rows_capacity * sizeof *table->rows);
        table->counts = fc_realloc(table->counts, table->rows_capacity * table->n_columns *
                                                      sizeof *table->counts);
    }
    table->rows[table->n_rows] = fc_strdup(name);
    memset(table->counts + table->n_rows * table->n_columns, 0,
           table->n_columns * sizeof *table->counts);
    return table->last_row = table->n_rows++;
}

int fc_count_table_column(const fc_count_table *table, const char *name) {
    for (size_t i = 0; i < table->n_columns; i++)
        if (strcmp(table->columns[i], name) == 0) return (int)i;
    return -1;
}

void fc_count_table_add(fc_count_table *table, size_t row, size_t column, uint64_t n) {
    table->counts[row * table->n_columns + column] += n;
}

uint64_t fc_count_table_get(const fc_count_table *table, size_t row, size_t column) {
    return table->counts[row * table->n_columns + column];
}

uint64_t fc_count_table_total(const fc_count_table *table, size_t column) {
    uint64_t total = 0;
    for (size_t r = 0; r < table->n_rows; r++) total += fc_count_table_get(table, r, column);
    return total;
}

static int column_shown(const fc_count_table *table, size_t column, int hide_zero_columns) {
    return !hide_zero_columns || column < 2 || fc_count_table_total(table, column) != 0;
}

static void print_cell(FILE *out, fc_table_style style, const char *text, int width, int left) {
    if (style == FC_TABLE_MARKDOWN) fprintf(out, "| %s ", text);
    else if (left) fprintf(out, "%-*s", width, text);
    else fprintf(out, "  %*s", width, text);
}

void fc_count_table_print(FILE *out, const fc_count_table *table, const char *row_heading,
                          fc_table_style style, int hide_zero_columns) {
    // Widths: the longest of the heading, the names and the numbers in each column.
    int name_width = (int)strlen(row_heading);
    if (name_width < 5) name_width = 5; // "total"
    for (size_t r = 0; r < table->n_rows; r++)
        if ((int)strlen(table->rows[r]) > name_width) name_width = (int)strlen(table->rows[r]);
    int *widths = fc_calloc(table->n_columns ? table->n_columns : 1, sizeof *widths);
    char number[32];
    for (size_t c = 0; c < table->n_columns; c++) {
        widths[c] = (int)strlen(table->columns[c]);
        snprintf(number, sizeof number, "%" PRIu64, fc_count_table_total(table, c));
        if ((int)strlen(number) > widths[c]) widths[c] = (int)strlen(number);
    }
    print_cell(out, style, row_heading, name_width, 1);
    for (size_t c = 0; c < table->n_columns; c++)
        if (column_shown(table, c, hide_zero_columns))
            print_cell(out, style, table->columns[c], widths[c], 0);
    fputs(style == FC_TABLE_MARKDOWN ? "|\n" : "\n", out);
    if (style == FC_TABLE_MARKDOWN) {
        fputs("|---", out);
        for (size_t c = 0; c < table->n_columns; c++)
            if (column_shown(table, c, hide_zero_columns)) fputs("|---:", out);
        fputs("|\n", out);
    }
    size_t n_lines = table->n_rows + (table->n_rows > 1);
    for (size_t r = 0; r < n_lines; r++) {
        int total = r == table->n_rows;
        print_cell(out, style, total ? "total" : table->rows[r], name_width, 1);
        for (size_t c = 0; c < table->n_columns; c++) {
            if (!column_shown(table, c, hide_zero_columns)) continue;
            uint64_t n = total ? fc_count_table_total(table, c) : fc_count_table_get(table, r, c);
            snprintf(number, sizeof number, "%" PRIu64, n);
            print_cell(out, style, number, widths[c], 0);
        }
        fputs(style == FC_TABLE_MARKDOWN ? "|\n" : "\n", out);
    }
    free(widths);
}

static cJSON *counts_object(const fc_count_table *table, size_t row, int total) {
    cJSON *object = cJSON_CreateObject();
    for (size_t c = 0; c < table->n_columns; c++) {
        uint64_t n = total ? fc_count_table_total(table, c) : fc_count_table_get(table, row, c);
        cJSON_AddNumberToObject(object, table->columns[c], (double)n);
    }
    return object;
}

cJSON *fc_count_table_to_json(const fc_count_table *table) {
    cJSON *json = cJSON_CreateObject();
    cJSON *columns = cJSON_AddArrayToObject(json, "columns");
    for (size_t c = 0; c < table->n_columns; c++)
        cJSON_AddItemToArray(columns, cJSON_CreateString(table->columns[c]));
    cJSON *rows = cJSON_AddObjectToObject(json, "rows");
    for (size_t r = 0; r < table->n_rows; r++)
        cJSON_AddItemToObject(rows, table->rows[r], counts_object(table, r, 0));
    cJSON_AddItemToObject(json, "total", counts_object(table, 0, 1));
    return json;
}

int fc_count_table_from_json(const cJSON *json, fc_count_table *table, fc_error *err) {
    memset(table, 0, sizeof *table);
    const cJSON *columns = cJSON_GetObjectItemCaseSensitive(json, "columns");
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(json, "rows");
    if (!cJSON_IsArray(columns) || !cJSON_IsObject(rows))
        return fc_fail(err, "a count table needs \"columns\" (array) and \"rows\" (object)");
    size_t n_columns = (size_t)cJSON_GetArraySize(columns);
    const char **names = fc_calloc(n_columns ? n_columns : 1, sizeof *names);
    size_t i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, columns) {
        if (!cJSON_IsString(item)) {
            free(names);
            return fc_fail(err, "count table column %zu is not a string", i);
        }
        names[i++] = item->valuestring;
    }
    fc_count_table_init(table, names, n_columns);
    free(names);
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        size_t r = fc_count_table_row(table, row->string);
        for (size_t c = 0; c < n_columns; c++) {
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(row, table->columns[c]);
            if (cJSON_IsNumber(n) && n->valuedouble > 0)
                fc_count_table_add(table, r, c, (uint64_t)n->valuedouble);
        }
    }
    return 0;
}
