#include "curate/flag.h"

#include <stdlib.h>
#include <string.h>

#include "curate/hash.h"
#include "curate/json_text.h"
#include "curate/output_file.h"
#include "util/progress.h"
#include "curate/record_io.h"
#include "curate/score.h"
#include "curate/screener.h"
#include "curate/text_table.h"
#include "curate/verdicts.h"
#include "util/alloc.h"
#include "util/error.h"

fc_flag_options fc_flag_default_options(void) {
    fc_flag_options options;
    memset(&options, 0, sizeof options);
    options.flag_below = FC_FLAG_DEFAULT_BELOW;
    return options;
}

void fc_flag_stats_free(fc_flag_stats *stats) {
    fc_count_table_free(&stats->by_source);
    memset(stats, 0, sizeof *stats);
}

cJSON *fc_flag_stats_to_json(const fc_flag_stats *stats) {
    cJSON *json = cJSON_CreateObject();
    cJSON_AddItemToObject(json, "by_source", fc_count_table_to_json(&stats->by_source));
    cJSON_AddBoolToObject(json, "applied", stats->applied);
    cJSON_AddNumberToObject(json, "screen_seconds", stats->screen_seconds);
    cJSON_AddNumberToObject(json, "seconds", stats->seconds);
    return json;
}

static int is_flagged(const fc_record *record, double below) {
    return record->has_score && record->score < below;
}

// Writes the flagged rows, as they are, to the review file; their ids go to `ids` (they must
// be unique: verdicts name rows by id).
static int write_review(const char *input, const fc_flag_options *options, fc_text_table *ids,
                        fc_flag_stats *stats, fc_error *err) {
    fc_curate_reader reader;
    if (fc_curate_reader_open(&reader, input, err) != 0) return -1;
    fc_output_file out;
    if (fc_output_open(&out, options->review_path, err) != 0) {
        fc_curate_reader_close(&reader);
        return -1;
    }
    fc_progress progress;
    fc_progress_start(&progress, options->progress, "flag (review)", 0);
    fc_record record;
    int got;
    while ((got = fc_curate_reader_next(&reader, &record, err)) == 1) {
        fc_progress_update(&progress, 0, reader.rows);
        size_t row = fc_count_table_row(&stats->by_source, record.source);
        fc_count_table_add(&stats->by_source, row, FC_FLAG_ROWS, 1);
        if (!is_flagged(&record, options->flag_below)) continue;
        size_t length = strlen(record.id);
        int inserted;
        if (fc_text_table_insert(ids, record.id, length, fc_curate_hash_bytes(record.id, length, 0),
                                 &inserted) < 0 || !inserted) {
            got = fc_fail(err, "%s:%zu: id %s repeats among the flagged rows; verdicts name rows "
                               "by id (run curate ingest, which makes ids unique)", input,
                          record.line, record.id);
            break;
        }
        fc_curate_write_line(out.file, reader.line, reader.length);
        fc_count_table_add(&stats->by_source, row, FC_FLAG_FLAGGED, 1);
    }
    uint64_t rows = reader.rows;
    fc_curate_reader_close(&reader);
    if (got < 0) {
        fc_output_abort(&out);
        return -1;
    }
    fc_progress_end(&progress, rows);
    return fc_output_commit(&out, err);
}

// A screener's verdicts must answer each flagged row exactly once and nothing else.
static int check_coverage(const fc_verdict_list *verdicts, const fc_text_table *review_ids,
                          const char *path, fc_error *err) {
    for (size_t i = 0; i < verdicts->count; i++) {
        const char *id = verdicts->entries[i].id;
        size_t length = strlen(id);
        if (fc_text_table_find(review_ids, id, length, fc_curate_hash_bytes(id, length, 0)) < 0)
            return fc_fail(err, "%s:%zu: verdict for id %s, which is not a flagged row", path,
                           verdicts->entries[i].line, id);
    }
    if (verdicts->count == review_ids->n_entries) return 0;
    // Name a few of the rows left without an answer.
    char missing[512] = "";
    size_t n_missing = 0;
    for (size_t i = 0; i < review_ids->n_entries; i++) {
        const fc_text_table_entry *entry = &review_ids->entries[i];
        size_t length = entry->length;
        if (fc_text_table_find(&verdicts->ids, entry->key, length,
                               fc_curate_hash_bytes(entry->key, length, 0)) >= 0)
            continue;
        if (n_missing++ < 5) {
            size_t used = strlen(missing);
            snprintf(missing + used, sizeof missing - used, "%s%.*s", used ? ", " : "",
                     (int)(length > 64 ? 64 : length), entry->key);
        }
    }
    return fc_fail(err, "%s: the screener answered %zu of %zu flagged rows; no verdict for %s%s",
                   path, verdicts->count, review_ids->n_entries, missing,
                   n_missing > 5 ? ", ..." : "");
}

// The canonical pilot logits of a raw line, when it has them.
static int pilot_logits(const char *line, size_t length, float logits[FC_LABEL_COUNT]) {
    cJSON *row = cJSON_ParseWithLength(line, length);
    const cJSON *array = cJSON_GetObjectItemCaseSensitive(row, "pilot_logits");
    int ok = cJSON_IsArray(array) && cJSON_GetArraySize(array) == FC_LABEL_COUNT;
    for (int i = 0; ok && i < FC_LABEL_COUNT; i++) {
        const cJSON *item = cJSON_GetArrayItem(array, i);
        ok = cJSON_IsNumber(item);
        if (ok) logits[i] = (float)item->valuedouble;
    }
    cJSON_Delete(row);
    return ok;
}

typedef struct apply_run {
    const fc_flag_options *options;
    fc_flag_stats *stats;
    fc_verdict_list *verdicts;
    fc_record_writer writer;
    fc_textbuf extra, log_line;
    FILE *log;
} apply_run;

static void log_verdict(apply_run *run, const fc_record *record, const fc_verdict_entry *entry,
                        int old_label) {
    fc_textbuf *line = &run->log_line;
    line->len = 0;
    fc_textbuf_append(line, "{\"id\":", 6);
    fc_json_append_string(line, record->id, strlen(record->id));
    fc_textbuf_append(line, ",\"source\":", 10);
    fc_json_append_string(line, record->source, strlen(record->source));
    fc_textbuf_append(line, ",\"verdict\":\"", 12);
    const char *kind = fc_verdict_kind_name(entry->kind);
    fc_textbuf_append(line, kind, strlen(kind));
    fc_textbuf_append(line, "\",\"label\":", 10);
    const char *label = old_label >= 0 ? fc_label_name((fc_label)old_label) : NULL;
    if (label) fc_json_append_string(line, label, strlen(label));
    else fc_textbuf_append(line, "null", 4);
    if (entry->kind == FC_VERDICT_RELABEL) {
        const char *new_label = fc_label_name((fc_label)entry->label);
        fc_textbuf_append(line, ",\"new_label\":", 13);
        fc_json_append_string(line, new_label, strlen(new_label));
    }
    if (record->has_score) {
        fc_textbuf_append(line, ",\"score\":", 9);
        fc_json_append_double(line, record->score);
    }
    fc_textbuf_append(line, ",\"reason\":", 10);
    if (entry->reason) fc_json_append_string(line, entry->reason, strlen(entry->reason));
    else fc_textbuf_append(line, "null", 4);
    fc_textbuf_append(line, "}\n", 2);
    fwrite(line->data, 1, line->len, run->log);
}

// One row with a verdict: logged, then dropped or rewritten.
static int apply_verdict(apply_run *run, fc_record *record, const char *line, size_t length,
                         fc_verdict_entry *entry, size_t row, fc_error *err) {
    entry->applied = 1;
    int old_label = record->label;
    if (entry->kind == FC_VERDICT_RELABEL && entry->label == old_label)
        return fc_fail(err, "id %s: relabel to %s, the label it has (use keep)", record->id,
                       fc_label_name((fc_label)old_label));
    log_verdict(run, record, entry, old_label);
    fc_count_table *table = &run->stats->by_source;
    static const int columns[] = {FC_FLAG_KEEP, FC_FLAG_DROP, FC_FLAG_RELABEL};
    fc_count_table_add(table, row, (size_t)columns[entry->kind], 1);
    if (entry->kind == FC_VERDICT_DROP) return 0;

    cJSON *review = cJSON_CreateObject();
    cJSON_AddStringToObject(review, "verdict", fc_verdict_kind_name(entry->kind));
    if (entry->kind == FC_VERDICT_RELABEL) {
        cJSON_AddStringToObject(review, "from",
                                old_label >= 0 ? fc_label_name((fc_label)old_label) : "none");
        record->label = entry->label;
        float logits[FC_LABEL_COUNT];
        record->has_score = pilot_logits(line, length, logits);
        if (record->has_score) record->score = fc_curate_label_probability(logits, entry->label);
    }
    if (entry->reason) cJSON_AddStringToObject(review, "reason", entry->reason);
    else cJSON_AddNullToObject(review, "reason");
    char *flags = fc_curate_flags_with(record->flags, "review", review);
    record->flags = flags;
    run->extra.len = 0;
    int status = fc_curate_extra_members(line, length, NULL, &run->extra, err);
    if (status == 0) fc_record_writer_write(&run->writer, record, run->extra.data, run->extra.len);
    free(flags);
    fc_count_table_add(table, row, FC_FLAG_WRITTEN, 1);
    return status;
}

static int apply_all(apply_run *run, const char *input, FILE *out, fc_error *err) {
    fc_curate_reader reader;
    if (fc_curate_reader_open(&reader, input, err) != 0) return -1;
    fc_record_writer_init(&run->writer, out);
    fc_progress progress;
    fc_progress_start(&progress, run->options->progress, "flag (apply)", 0);
    fc_count_table *table = &run->stats->by_source;
    fc_record record;
    int got;
    while ((got = fc_curate_reader_next(&reader, &record, err)) == 1) {
        fc_progress_update(&progress, 0, reader.rows);
        size_t row = fc_count_table_row(table, record.source);
        fc_count_table_add(table, row, FC_FLAG_ROWS, 1);
        int flagged = is_flagged(&record, run->options->flag_below);
        if (flagged) fc_count_table_add(table, row, FC_FLAG_FLAGGED, 1);
        fc_verdict_entry *entry = fc_verdicts_find(run->verdicts, record.id);
        if (!entry) {
            if (flagged) fc_count_table_add(table, row, FC_FLAG_UNREVIEWED, 1);
            fc_curate_write_line(out, reader.line, reader.length);
            fc_count_table_add(table, row, FC_FLAG_WRITTEN, 1);
            continue;
        }
        if (entry->applied) {
            got = fc_fail(err, "%s:%zu: id %s repeats in the data: its verdict would apply "
                               "twice", input, record.line, record.id);
            break;
        }
        if (apply_verdict(run, &record, reader.line, reader.length, entry, row, err) != 0) {
            got = fc_fail_prefix(err, "%s:%zu", input, record.line);
            break;
        }
    }
    uint64_t rows = reader.rows;
    fc_record_writer_free(&run->writer);
    fc_curate_reader_close(&reader);
    if (got < 0) return -1;
    for (size_t i = 0; i < run->verdicts->count; i++) {
        const fc_verdict_entry *entry = &run->verdicts->entries[i];
        if (!entry->applied)
            return fc_fail(err, "verdict for id %s (line %zu): no such row in %s", entry->id,
                           entry->line, input);
    }
    fc_progress_end(&progress, rows);
    return 0;
}

// Applies the verdicts to input, writing output and the log; both appear only when all went
// well.
static int apply_verdicts(const char *input, const fc_flag_options *options,
                          fc_verdict_list *verdicts, fc_flag_stats *stats, fc_error *err) {
    char *log_path = NULL;
    if (!options->log_path) {
        size_t size = strlen(options->output) + sizeof ".log.jsonl";
        log_path = fc_malloc(size);
        snprintf(log_path, size, "%s.log.jsonl", options->output);
    }
    // This pass counts every column: clear what the review pass counted.
    fc_count_table *table = &stats->by_source;
    if (table->n_rows)
        memset(table->counts, 0, table->n_rows * table->n_columns * sizeof *table->counts);
    fc_output_file out, log;
    int status = fc_output_open(&out, options->output, err);
    if (status == 0) {
        status = fc_output_open(&log, options->log_path ? options->log_path : log_path, err);
        if (status != 0) fc_output_abort(&out);
    }
    if (status == 0) {
        apply_run run = {.options = options, .stats = stats, .verdicts = verdicts, .log = log.file};
        status = apply_all(&run, input, out.file, err);
        fc_textbuf_free(&run.extra);
        fc_textbuf_free(&run.log_line);
        if (status == 0) {
            if (fc_output_commit(&out, err) != 0) {
                fc_output_abort(&log);
                status = -1;
            } else {
                status = fc_output_commit(&log, err);
            }
        } else {
            fc_output_abort(&out);
            fc_output_abort(&log);
        }
    }
    free(log_path);
    return status;
}

int fc_curate_flag(const char *input, const fc_flag_options *options, fc_flag_stats *stats,
                   fc_error *err) {
    memset(stats, 0, sizeof *stats);
    static const char *const columns[FC_FLAG_COLUMNS] = {
        [FC_FLAG_ROWS] = "rows",     [FC_FLAG_FLAGGED] = "flagged",
        [FC_FLAG_KEEP] = "keep",     [FC_FLAG_DROP] = "drop",
        [FC_FLAG_RELABEL] = "relabel", [FC_FLAG_UNREVIEWED] = "unreviewed",
        [FC_FLAG_WRITTEN] = "written",
    };
    fc_count_table_init(&stats->by_source, columns, FC_FLAG_COLUMNS);
    if (options->screen_cmd && options->apply_path)
        return fc_fail(err, "give a screening command or a review file to apply, not both");
    if ((options->screen_cmd || options->apply_path) && !options->output)
        return fc_fail(err, "applying verdicts needs an output file");
    if (!options->apply_path && !options->review_path)
        return fc_fail(err, "flag needs a review file to write");
    double start = fc_progress_now();
    fc_text_table review_ids;
    fc_text_table_init(&review_ids);
    fc_verdict_list verdicts;
    memset(&verdicts, 0, sizeof verdicts);
    int status = 0;
    if (!options->apply_path) status = write_review(input, options, &review_ids, stats, err);
    if (status == 0 && options->screen_cmd) {
        size_t size = strlen(options->review_path) + sizeof ".verdicts.jsonl";
        char *answer = fc_malloc(size);
        snprintf(answer, size, "%s.verdicts.jsonl", options->review_path);
        double screen_start = fc_progress_now();
        status = fc_run_screener(options->screen_cmd, options->review_path, answer,
                                 options->screen_timeout, err);
        stats->screen_seconds = fc_progress_now() - screen_start;
        if (status == 0) status = fc_verdicts_read(answer, FC_VERDICTS_STRICT, &verdicts, err);
        if (status == 0) status = check_coverage(&verdicts, &review_ids, answer, err);
        if (status != 0)
            fc_fail_prefix(err, "nothing was applied; the flagged rows are in %s and the "
                                "screener's answer in %s", options->review_path, answer);
        free(answer);
    } else if (status == 0 && options->apply_path) {
        status = fc_verdicts_read(options->apply_path, FC_VERDICTS_REVIEW, &verdicts, err);
    }
    if (status == 0 && (options->screen_cmd || options->apply_path)) {
        status = apply_verdicts(input, options, &verdicts, stats, err);
        stats->applied = status == 0;
    }
    fc_verdicts_free(&verdicts);
    fc_text_table_free(&review_ids);
    stats->seconds = fc_progress_now() - start;
    return status;
}
