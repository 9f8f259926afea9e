#include "eval/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/alloc.h"
#include "util/error.h"

static const double bytes_per_mb = 1024.0 * 1024.0;

double fc_eval_row_samples_per_second(const fc_eval_row *row) {
    return row->seconds > 0 ? (double)row->evaluated / row->seconds : 0.0;
}

// The model's folder name: ".../ModernCE-large-nli/" -> "ModernCE-large-nli".
static void model_name(const char *path, char *out, size_t size) {
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--;
    size_t start = len;
    while (start > 0 && path[start - 1] != '/') start--;
    snprintf(out, size, "%.*s", (int)(len - start), path + start);
}

void fc_eval_report_print(FILE *out, const fc_eval_report *report) {
    int model_width = 5; // "model"
    char name[256];
    for (size_t r = 0; r < report->n_rows; r++) {
        model_name(report->rows[r].model, name, sizeof name);
        if ((int)strlen(name) > model_width) model_width = (int)strlen(name);
    }
    fprintf(out, "%-*s", model_width, "model");
    for (size_t c = 0; c < report->n_columns; c++) {
        int width = (int)strlen(report->columns[c].name);
        fprintf(out, "  %*s", width < 6 ? 6 : width, report->columns[c].name);
    }
    fprintf(out, "  %10s  %8s\n", "samples/s", "peak MB");
    for (size_t r = 0; r < report->n_rows; r++) {
        const fc_eval_row *row = &report->rows[r];
        model_name(row->model, name, sizeof name);
        fprintf(out, "%-*s", model_width, name);
        for (size_t c = 0; c < report->n_columns; c++) {
            int width = (int)strlen(report->columns[c].name);
            if (width < 6) width = 6;
            if (report->columns[c].missing || row->results[c].evaluated == 0)
                fprintf(out, "  %*s", width, "-");
            else
                fprintf(out, "  %*.4f", width, row->results[c].metrics.accuracy);
        }
        fprintf(out, "  %10.1f  %8.0f\n", fc_eval_row_samples_per_second(row),
                (double)row->peak_rss_bytes / bytes_per_mb);
    }
}

// Writing to PATH.part and renaming it to PATH once complete: a failed run leaves no half file.
static FILE *open_part(const char *path, char **part, fc_error *err) {
    size_t n = strlen(path) + 6;
    *part = fc_malloc(n);
    snprintf(*part, n, "%s.part", path);
    FILE *f = fopen(*part, "wb");
    if (!f) {
        fc_fail(err, "%s: cannot write: %s", *part, strerror(errno));
        free(*part);
        *part = NULL;
    }
    return f;
}

static int close_part(FILE *f, char *part, const char *path, fc_error *err) {
    int failed = ferror(f);
    failed = fclose(f) != 0 || failed;
    int status = 0;
    if (failed) {
        status = fc_fail(err, "%s: write error", part);
        remove(part);
    } else if (rename(part, path) != 0) {
        status = fc_fail(err, "%s: cannot rename to %s: %s", part, path, strerror(errno));
    }
    free(part);
    return status;
}

// A CSV field, quoted when it holds a comma, quote or line end (RFC 4180).
static void csv_field(FILE *out, const char *text) {
    if (!strpbrk(text, ",\"\r\n")) {
        fputs(text, out);
        return;
    }
    putc('"', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"') putc('"', out);
        putc(*p, out);
    }
    putc('"', out);
}

static void csv_files(FILE *out, const fc_eval_column *column) {
    size_t n = 0;
    for (size_t i = 0; i < column->n_files; i++) n += strlen(column->files[i]) + 1;
    char *joined = fc_malloc(n + 1);
    joined[0] = '\0';
    for (size_t i = 0; i < column->n_files; i++) {
        if (i) strcat(joined, ";");
        strcat(joined, column->files[i]);
    }
    csv_field(out, joined);
    free(joined);
}

int fc_eval_report_write_csv(const char *path, const fc_eval_report *report, fc_error *err) {
    char *part;
    FILE *out = open_part(path, &part, err);
    if (!out) return -1;
    static const char *const short_names[FC_LABEL_COUNT] = {"entailment", "neutral",
                                                            "contradiction"};
    fputs("model,dataset,files,status,rows_read,kept,skipped,evaluated,accuracy,macro_f1", out);
    for (int c = 0; c < FC_LABEL_COUNT; c++)
        fprintf(out, ",precision_%s,recall_%s,f1_%s,support_%s", short_names[c], short_names[c],
                short_names[c], short_names[c]);
    // confusion_GOLD_PREDICTED
    for (int g = 0; g < FC_LABEL_COUNT; g++)
        for (int p = 0; p < FC_LABEL_COUNT; p++)
            fprintf(out, ",confusion_%s_%s", short_names[g], short_names[p]);
    fputs(",seconds,model_samples_per_second,model_peak_rss_mb\n", out);

    for (size_t r = 0; r < report->n_rows; r++) {
        const fc_eval_row *row = &report->rows[r];
        for (size_t c = 0; c < report->n_columns; c++) {
            const fc_eval_column *column = &report->columns[c];
            csv_field(out, row->model);
            putc(',', out);
            csv_field(out, column->name);
            putc(',', out);
            csv_files(out, column);
            if (column->missing) {
                fputs(",missing,,,,,,", out);
                for (int k = 0; k < 4 * FC_LABEL_COUNT + FC_LABEL_COUNT * FC_LABEL_COUNT + 1; k++)
                    putc(',', out);
            } else {
                const fc_eval_result *res = &row->results[c];
                const fc_metrics *m = &res->metrics;
                fprintf(out, ",ok,%zu,%zu,%zu,%zu,%.10g,%.10g", res->counts.read, res->counts.kept,
                        fc_reader_counts_skipped(&res->counts), res->evaluated, m->accuracy,
                        m->macro_f1);
                for (int k = 0; k < FC_LABEL_COUNT; k++)
                    fprintf(out, ",%.10g,%.10g,%.10g,%zu", m->per_class[k].precision,
                            m->per_class[k].recall, m->per_class[k].f1, m->per_class[k].support);
                for (int g = 0; g < FC_LABEL_COUNT; g++)
                    for (int p = 0; p < FC_LABEL_COUNT; p++) fprintf(out, ",%zu", m->confusion[g][p]);
                fprintf(out, ",%.6f", res->seconds);
            }
            fprintf(out, ",%.3f,%.1f\n", fc_eval_row_samples_per_second(row),
                    (double)row->peak_rss_bytes / bytes_per_mb);
        }
    }
    return close_part(out, part, path, err);
}

static cJSON *string_array(const char *const *items, size_t n) {
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(array, cJSON_CreateString(items[i]));
    return array;
}

static cJSON *column_json(const fc_eval_column *column, const fc_eval_result *result) {
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "name", column->name);
    cJSON_AddItemToObject(json, "files", string_array(column->files, column->n_files));
    if (column->note) cJSON_AddStringToObject(json, "note", column->note);
    cJSON_AddBoolToObject(json, "missing", column->missing);
    if (column->missing) return json;

    const fc_reader_counts *counts = &result->counts;
    cJSON_AddNumberToObject(json, "rows_read", (double)counts->read);
    cJSON_AddNumberToObject(json, "kept", (double)counts->kept);
    cJSON *skipped = cJSON_AddObjectToObject(json, "skipped");
    for (int k = 0; k < FC_SKIP_REASON_COUNT; k++)
        if (counts->skipped[k])
            cJSON_AddNumberToObject(skipped, fc_skip_reason_name((fc_skip_reason)k),
                                    (double)counts->skipped[k]);
    cJSON_AddNumberToObject(json, "unlabeled", (double)counts->unlabeled);
    cJSON_AddNumberToObject(json, "evaluated", (double)result->evaluated);
    const fc_metrics *m = &result->metrics;
    cJSON_AddNumberToObject(json, "accuracy", m->accuracy);
    cJSON_AddNumberToObject(json, "f1_micro", m->accuracy);
    cJSON_AddNumberToObject(json, "macro_f1", m->macro_f1);
    cJSON *per_class = cJSON_AddObjectToObject(json, "per_class");
    for (int c = 0; c < FC_LABEL_COUNT; c++) {
        cJSON *one = cJSON_AddObjectToObject(per_class, fc_label_name((fc_label)c));
        cJSON_AddNumberToObject(one, "precision", m->per_class[c].precision);
        cJSON_AddNumberToObject(one, "recall", m->per_class[c].recall);
        cJSON_AddNumberToObject(one, "f1", m->per_class[c].f1);
        cJSON_AddNumberToObject(one, "support", (double)m->per_class[c].support);
    }
    cJSON *confusion = cJSON_AddArrayToObject(json, "confusion_matrix");
    for (int g = 0; g < FC_LABEL_COUNT; g++) {
        cJSON *line = cJSON_CreateArray();
        for (int p = 0; p < FC_LABEL_COUNT; p++)
            cJSON_AddItemToArray(line, cJSON_CreateNumber((double)m->confusion[g][p]));
        cJSON_AddItemToArray(confusion, line);
    }
    cJSON_AddNumberToObject(json, "seconds", result->seconds);
    return json;
}

int fc_eval_report_write_json(const char *path, const fc_eval_report *report, fc_error *err) {
    cJSON *root = cJSON_CreateObject();
    const char *labels[FC_LABEL_COUNT] = {"entailment", "neutral", "contradiction"};
    cJSON_AddItemToObject(root, "labels", string_array(labels, FC_LABEL_COUNT));
    cJSON_AddStringToObject(root, "confusion_matrix_layout", "rows gold, columns predicted");
    cJSON_AddNumberToObject(root, "batch_size", report->batch_size);
    if (report->max_rows) cJSON_AddNumberToObject(root, "max_rows", (double)report->max_rows);
    cJSON *models = cJSON_AddArrayToObject(root, "models");
    for (size_t r = 0; r < report->n_rows; r++) {
        const fc_eval_row *row = &report->rows[r];
        cJSON *model = cJSON_CreateObject();
        char name[256];
        model_name(row->model, name, sizeof name);
        cJSON_AddStringToObject(model, "model", row->model);
        cJSON_AddStringToObject(model, "name", name);
        cJSON_AddNumberToObject(model, "evaluated", (double)row->evaluated);
        cJSON_AddNumberToObject(model, "seconds", row->seconds);
        cJSON_AddNumberToObject(model, "samples_per_second", fc_eval_row_samples_per_second(row));
        cJSON_AddNumberToObject(model, "peak_rss_mb", (double)row->peak_rss_bytes / bytes_per_mb);
        cJSON_AddStringToObject(model, "peak_rss_scope", row->peak_is_per_model ? "model"
                                                                                : "process");
        cJSON *datasets = cJSON_AddArrayToObject(model, "datasets");
        for (size_t c = 0; c < report->n_columns; c++)
            cJSON_AddItemToArray(datasets, column_json(&report->columns[c], &row->results[c]));
        cJSON_AddItemToArray(models, model);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    char *part;
    FILE *out = open_part(path, &part, err);
    if (!out) {
        cJSON_free(text);
        return -1;
    }
    fputs(text, out);
    putc('\n', out);
    cJSON_free(text);
    return close_part(out, part, path, err);
}
