// The Markdown form of `curate run`'s report: a summary line per stage, then each stage's
// counts by source, from the report JSON alone (so skipped stages show their recorded counts).
#include <string.h>

#include "curate/count_table.h"
#include "curate/histogram.h"
#include "curate/pipeline.h"

static double number(const cJSON *object, const char *key, double fallback) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    return cJSON_IsNumber(item) ? item->valuedouble : fallback;
}

static const char *string(const cJSON *object, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

// The total of a by_source column, or -1.
static double column_total(const cJSON *stats, const char *column) {
    const cJSON *table = cJSON_GetObjectItemCaseSensitive(stats, "by_source");
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(table, "total");
    return number(total, column, -1);
}

// The rows a stage's output holds, or -1 when it has no data output.
static double rows_out(const char *name, const cJSON *stats) {
    if (!stats) return -1;
    if (!strcmp(name, "ingest") || !strcmp(name, "dedupe")) return number(stats, "written", -1);
    if (!strcmp(name, "score") || !strcmp(name, "teacher")) return number(stats, "rows", -1);
    if (!strcmp(name, "select")) return column_total(stats, "kept");
    if (!strcmp(name, "flag") && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(stats, "applied")))
        return column_total(stats, "written");
    return -1;
}

static void print_table(FILE *out, const cJSON *stats, const char *heading) {
    fc_count_table table;
    fc_error err;
    const cJSON *json = cJSON_GetObjectItemCaseSensitive(stats, "by_source");
    if (!json || fc_count_table_from_json(json, &table, &err) != 0) return;
    fc_count_table_print(out, &table, heading, FC_TABLE_MARKDOWN, 1);
    fputc('\n', out);
    fc_count_table_free(&table);
}

static void print_histogram(FILE *out, const cJSON *stats) {
    fc_histogram hist;
    memset(&hist, 0, sizeof hist);
    fc_error err;
    const cJSON *json = cJSON_GetObjectItemCaseSensitive(stats, "by_source");
    if (!json || fc_count_table_from_json(json, &hist.by_source, &err) != 0) return;
    hist.n_bins = (int)number(stats, "bins", 0);
    if (hist.n_bins > 0 && (size_t)hist.n_bins + 1 == hist.by_source.n_columns) {
        fc_histogram_print(out, &hist, 1);
        fputs("\n![score histogram](4-hist.svg)\n\n", out);
    }
    fc_histogram_free(&hist);
}

static void print_files(FILE *out, const cJSON *stats) {
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(stats, "files");
    if (!cJSON_IsArray(files) || cJSON_GetArraySize(files) == 0) return;
    fputs("| file | format | source | split | read | kept |\n|---|---|---|---|---:|---:|\n", out);
    const cJSON *file;
    cJSON_ArrayForEach(file, files) {
        const char *split = string(file, "split");
        fprintf(out, "| %s | %s | %s | %s | %.0f | %.0f |\n", string(file, "path"),
                string(file, "format"), string(file, "source"),
                split && split[0] ? split : "(none: training)", number(file, "read", 0),
                number(file, "kept", 0));
    }
    fputc('\n', out);
}

static void print_stage_details(FILE *out, const char *name, const cJSON *stats) {
    if (!strcmp(name, "ingest")) {
        print_files(out, stats);
        print_table(out, stats, "source");
    } else if (!strcmp(name, "dedupe")) {
        fprintf(out, "Distinct pair keys: %.0f. Keys with conflicting labels: %.0f. Rows read from "
                     "eval files: %.0f. Evaluation ids (id_sources): %.0f.\n\n",
                number(stats, "keys", 0), number(stats, "conflict_keys", 0),
                number(stats, "eval_file_rows", 0), number(stats, "eval_ids", 0));
        print_table(out, stats, "source");
    } else if (!strcmp(name, "score") || !strcmp(name, "teacher")) {
        fprintf(out, "Shards: %.0f (%.0f resumed from an earlier run, %.0f computed). Model "
                     "throughput: %.1f samples/s (forward passes only); tokenization %.1f s.\n\n",
                number(stats, "shards", 0), number(stats, "shards_resumed", 0),
                number(stats, "shards_computed", 0), number(stats, "model_samples_per_second", 0),
                number(stats, "tokenize_seconds", 0));
        print_table(out, stats, "source");
    } else if (!strcmp(name, "hist")) {
        print_histogram(out, stats);
    } else if (!strcmp(name, "flag")) {
        fprintf(out, "Verdicts applied: %s.\n\n",
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(stats, "applied"))
                    ? "yes"
                    : "no (review file only)");
        print_table(out, stats, "source");
    } else if (!strcmp(name, "select")) {
        fprintf(out, "Easy rows kept: %.0f.%s\n\n", number(stats, "easy_keep", 0),
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(stats, "target_unreachable"))
                    ? " The target was below the number of hard rows: no easy row kept."
                    : "");
        print_table(out, stats, "source");
    }
}

void fc_pipeline_report_markdown(FILE *out, const cJSON *report) {
    fputs("# finecat curate report\n\n", out);
    fprintf(out, "- config: `%s`\n- output folder: `%s`\n", string(report, "config"),
            string(report, "output_dir"));
    if (string(report, "final_output"))
        fprintf(out, "- final data set: `%s`\n", string(report, "final_output"));
    fprintf(out, "- time: %.1f s\n", number(report, "seconds", 0));
    if (string(report, "error")) fprintf(out, "- **failed**: %s\n", string(report, "error"));
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(report, "stopped")))
        fputs("- **stopped early** (--stop-after-shards): run again to continue\n", out);
    fputs("\n| stage | status | rows out | seconds |\n|---|---|---:|---:|\n", out);
    const cJSON *stages = cJSON_GetObjectItemCaseSensitive(report, "stages");
    const cJSON *entry;
    cJSON_ArrayForEach(entry, stages) {
        const char *name = string(entry, "name");
        const cJSON *stats = cJSON_GetObjectItemCaseSensitive(entry, "stats");
        double rows = rows_out(name, stats);
        double seconds = number(stats, "seconds", -1);
        fprintf(out, "| %s | %s | ", name, string(entry, "status"));
        if (rows >= 0) fprintf(out, "%.0f", rows);
        fputs(" | ", out);
        if (seconds >= 0) fprintf(out, "%.1f", seconds);
        fputs(" |\n", out);
    }
    fputc('\n', out);
    cJSON_ArrayForEach(entry, stages) {
        const cJSON *stats = cJSON_GetObjectItemCaseSensitive(entry, "stats");
        if (!stats) continue;
        const char *name = string(entry, "name");
        fprintf(out, "## %s (%s)\n\n", name, string(entry, "status"));
        print_stage_details(out, name, stats);
    }
}
