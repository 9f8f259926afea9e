#include "curate/ingest.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "curate/hash.h"
#include "curate/normalize.h"
#include "curate/output_file.h"
#include "util/progress.h"
#include "curate/text_table.h"
#include "util/alloc.h"
#include "util/error.h"

fc_ingest_options fc_ingest_default_options(void) {
    fc_ingest_options options;
    memset(&options, 0, sizeof options);
    options.on_error = FC_ON_ERROR_FAIL;
    return options;
}

int fc_ingest_parse_spec(char *spec, fc_ingest_input *input, fc_error *err) {
    memset(input, 0, sizeof *input);
    input->format = FC_FORMAT_AUTO;
    char *equals = strchr(spec, '=');
    if (equals && memchr(spec, '/', (size_t)(equals - spec)) == NULL) {
        *equals = '\0';
        char *colon = strchr(spec, ':');
        if (colon) {
            *colon = '\0';
            input->split = colon + 1;
        }
        input->source = spec;
        input->path = equals + 1;
        if (spec[0] == '\0') return fc_fail(err, "input \"=%s\": empty source name", input->path);
    } else {
        input->path = spec;
    }
    if (input->path[0] == '\0') return fc_fail(err, "input with an empty path");
    return 0;
}

static void init_stats(fc_ingest_stats *stats) {
    memset(stats, 0, sizeof *stats);
    const char *columns[FC_INGEST_COLUMNS];
    columns[FC_INGEST_READ] = "read";
    columns[FC_INGEST_KEPT] = "kept";
    columns[FC_INGEST_DROPPED] = "dropped";
    for (int r = 0; r < FC_SKIP_REASON_COUNT; r++)
        columns[FC_INGEST_REASONS + r] = fc_skip_reason_name((fc_skip_reason)r);
    columns[FC_INGEST_NO_LABEL] = "no label";
    columns[FC_INGEST_NORMALIZED] = "normalized";
    columns[FC_INGEST_ID_RENAMED] = "id renamed";
    fc_count_table_init(&stats->by_source, columns, FC_INGEST_COLUMNS);
}

void fc_ingest_stats_free(fc_ingest_stats *stats) {
    fc_count_table_free(&stats->by_source);
    for (size_t i = 0; i < stats->n_files; i++) {
        free(stats->files[i].path);
        free(stats->files[i].source);
        free(stats->files[i].split);
    }
    free(stats->files);
    memset(stats, 0, sizeof *stats);
}

cJSON *fc_ingest_stats_to_json(const fc_ingest_stats *stats) {
    cJSON *json = cJSON_CreateObject();
    cJSON_AddItemToObject(json, "by_source", fc_count_table_to_json(&stats->by_source));
    cJSON *files = cJSON_AddArrayToObject(json, "files");
    for (size_t i = 0; i < stats->n_files; i++) {
        const fc_ingest_file *file = &stats->files[i];
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "path", file->path);
        cJSON_AddStringToObject(item, "format", fc_dataset_format_name(file->format));
        cJSON_AddStringToObject(item, "source", file->source);
        cJSON_AddStringToObject(item, "split", file->split);
        cJSON_AddNumberToObject(item, "read", (double)file->read);
        cJSON_AddNumberToObject(item, "kept", (double)file->kept);
        cJSON_AddItemToArray(files, item);
    }
    cJSON_AddNumberToObject(json, "written", (double)stats->written);
    cJSON_AddNumberToObject(json, "seconds", stats->seconds);
    return json;
}

// The state of one run: the output, the id table and the buffers reused for every row.
typedef struct ingest_run {
    const fc_ingest_options *options;
    fc_ingest_stats *stats;
    FILE *out;
    fc_text_table ids;
    fc_textbuf premise, hypothesis, id;
    fc_progress progress;
    uint64_t bytes_before; // bytes of the inputs already read, for progress
    uint64_t rows;
} ingest_run;

static void warn_row(void *context, const char *message) {
    FILE *out = context;
    fprintf(out, "finecat: %s\n", message);
}

// The id of a kept row: its own, or with "#k" appended when taken (the smallest k >= 2 free).
// Returns 1 when renamed, -1 when the table is full.
static int unique_id(ingest_run *run, const char *id, const char **out) {
    size_t length = strlen(id);
    int inserted;
    if (fc_text_table_insert(&run->ids, id, length, fc_curate_hash_bytes(id, length, 0), &inserted) < 0)
        return -1;
    *out = id;
    if (inserted) return 0;
    for (unsigned long k = 2;; k++) {
        run->id.len = 0;
        fc_textbuf_append(&run->id, id, length);
        char suffix[24];
        int n = snprintf(suffix, sizeof suffix, "#%lu", k);
        fc_textbuf_append(&run->id, suffix, (size_t)n);
        if (fc_text_table_insert(&run->ids, run->id.data, run->id.len,
                                 fc_curate_hash_bytes(run->id.data, run->id.len, 0), &inserted) < 0)
            return -1;
        if (inserted) break;
    }
    fc_textbuf_reserve(&run->id, 1);
    run->id.data[run->id.len] = '\0';
    *out = run->id.data;
    return 1;
}

// Normalizes and writes one record the reader kept; counts it in row `row` of the table.
static int ingest_record(ingest_run *run, fc_record *record, size_t row, const char *path,
                         fc_error *err) {
    fc_count_table *table = &run->stats->by_source;
    if (record->label < 0) {
        fc_count_table_add(table, row, FC_INGEST_NO_LABEL, 1);
        return 0;
    }
    int premise_changed, hypothesis_changed;
    if (fc_curate_normalize_text(record->premise, &run->premise, &premise_changed, err) != 0 ||
        fc_curate_normalize_text(record->hypothesis, &run->hypothesis, &hypothesis_changed,
                                 err) != 0)
        return fc_fail_prefix(err, "%s:%zu", path, record->line);
    if (run->premise.len == 0 || run->hypothesis.len == 0) {
        fc_count_table_add(table, row, FC_INGEST_REASONS + FC_SKIP_EMPTY_TEXT, 1);
        return 0;
    }
    const char *id;
    int renamed = unique_id(run, record->id, &id);
    if (renamed < 0) return fc_fail(err, "%s:%zu: too many rows for the id table", path,
                                    record->line);
    fc_record out = *record;
    out.id = id;
    out.premise = run->premise.data;
    out.hypothesis = run->hypothesis.data;
    fc_record_write_jsonl(run->out, &out);
    fc_count_table_add(table, row, FC_INGEST_KEPT, 1);
    if (premise_changed || hypothesis_changed) fc_count_table_add(table, row, FC_INGEST_NORMALIZED, 1);
    if (renamed) fc_count_table_add(table, row, FC_INGEST_ID_RENAMED, 1);
    run->stats->written++;
    return 0;
}

static int ingest_file(ingest_run *run, const fc_ingest_input *input, fc_error *err) {
    const fc_ingest_options *options = run->options;
    fc_reader_options reader_options = fc_reader_default_options();
    reader_options.on_error = options->on_error;
    reader_options.label_map = options->label_map;
    reader_options.premise_column = options->premise_column;
    reader_options.hypothesis_column = options->hypothesis_column;
    reader_options.label_column = options->label_column;
    reader_options.id_column = options->id_column;
    reader_options.source = input->source;
    reader_options.split = input->split;
    if (options->warnings) {
        reader_options.warn = warn_row;
        reader_options.warn_context = options->warnings;
    }
    fc_reader *reader;
    if (fc_reader_open(input->path, input->format, &reader_options, &reader, err) != 0) return -1;

    fc_ingest_stats *stats = run->stats;
    stats->files = fc_realloc(stats->files, (stats->n_files + 1) * sizeof *stats->files);
    fc_ingest_file *file = &stats->files[stats->n_files++];
    memset(file, 0, sizeof *file);
    file->path = fc_strdup(input->path);
    file->format = fc_reader_format(reader);

    fc_record record;
    int got;
    size_t row = 0;
    uint64_t kept_before = stats->written;
    while ((got = fc_reader_next(reader, &record, err)) == 1) {
        if (!file->source) {
            file->source = fc_strdup(record.source);
            file->split = fc_strdup(record.split);
        }
        row = fc_count_table_row(&stats->by_source, record.source);
        fc_count_table_add(&stats->by_source, row, FC_INGEST_READ, 1);
        if (ingest_record(run, &record, row, input->path, err) != 0) {
            got = -1;
            break;
        }
        uint64_t done, total;
        fc_reader_progress(reader, &done, &total);
        fc_progress_update(&run->progress, run->bytes_before + done, ++run->rows);
    }
    // Rows the reader skipped count against the file's source: the source of its records, or
    // when none was kept, the one given, or else the format's name (the reader's default source
    // is not known outside it).
    const fc_reader_counts *counts = fc_reader_counts_of(reader);
    if (!file->source) {
        file->source = fc_strdup(input->source ? input->source
                                               : fc_dataset_format_name(file->format));
        file->split = fc_strdup(input->split ? input->split : "");
    }
    if (counts->read > counts->kept) {
        row = fc_count_table_row(&stats->by_source, file->source);
        fc_count_table_add(&stats->by_source, row, FC_INGEST_READ, counts->read - counts->kept);
        for (int r = 0; r < FC_SKIP_REASON_COUNT; r++)
            fc_count_table_add(&stats->by_source, row, FC_INGEST_REASONS + r, counts->skipped[r]);
    }
    file->read = counts->read;
    file->kept = stats->written - kept_before;
    uint64_t done, total;
    fc_reader_progress(reader, &done, &total);
    run->bytes_before += total;
    fc_reader_close(reader);
    return got < 0 ? -1 : 0;
}

static uint64_t file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

int fc_curate_ingest(const fc_ingest_input *inputs, size_t n_inputs, const char *output,
                     const fc_ingest_options *options, fc_ingest_stats *stats, fc_error *err) {
    fc_ingest_options defaults = fc_ingest_default_options();
    if (!options) options = &defaults;
    init_stats(stats);
    double start = fc_progress_now();
    fc_output_file out;
    if (fc_output_open(&out, output, err) != 0) return -1;
    ingest_run run = {.options = options, .stats = stats, .out = out.file};
    fc_text_table_init(&run.ids);
    uint64_t total = 0;
    for (size_t i = 0; i < n_inputs; i++) total += file_size(inputs[i].path);
    fc_progress_start(&run.progress, options->progress, "ingest", total);

    int status = 0;
    for (size_t i = 0; i < n_inputs && status == 0; i++) status = ingest_file(&run, &inputs[i], err);

    // "dropped" is every row read and not kept, whatever the reason.
    fc_count_table *table = &stats->by_source;
    for (size_t r = 0; r < table->n_rows; r++) {
        uint64_t read = fc_count_table_get(table, r, FC_INGEST_READ);
        uint64_t kept = fc_count_table_get(table, r, FC_INGEST_KEPT);
        fc_count_table_add(table, r, FC_INGEST_DROPPED, read - kept);
    }
    fc_text_table_free(&run.ids);
    fc_textbuf_free(&run.premise);
    fc_textbuf_free(&run.hypothesis);
    fc_textbuf_free(&run.id);
    if (status != 0) {
        fc_output_abort(&out);
        return -1;
    }
    if (fc_output_commit(&out, err) != 0) return -1;
    fc_progress_end(&run.progress, run.rows);
    stats->seconds = fc_progress_now() - start;
    return 0;
}
