#include "curate/dedupe.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "curate/hash.h"
#include "curate/normalize.h"
#include "curate/output_file.h"
#include "util/progress.h"
#include "curate/record_io.h"
#include "curate/text_table.h"
#include "util/alloc.h"
#include "util/error.h"

fc_dedupe_options fc_dedupe_default_options(void) {
    fc_dedupe_options options;
    memset(&options, 0, sizeof options);
    options.on_conflict = FC_CONFLICT_FLAG;
    return options;
}

static const char *const column_names[FC_DEDUPE_COLUMNS] = {
    [FC_DEDUPE_ROWS] = "rows",
    [FC_DEDUPE_KEPT] = "kept",
    [FC_DEDUPE_EXACT] = "exact duplicate",
    [FC_DEDUPE_NEAR] = "near duplicate",
    [FC_DEDUPE_CROSS_SOURCE] = "of which cross-source",
    [FC_DEDUPE_LEAKED] = "leaked (eval)",
    [FC_DEDUPE_LEAKED_ID] = "leaked (eval id)",
    [FC_DEDUPE_CONFLICT_FLAGGED] = "label conflict flagged",
    [FC_DEDUPE_CONFLICT_DROPPED] = "label conflict dropped",
    [FC_DEDUPE_EVAL_ROWS] = "eval rows",
};

void fc_dedupe_stats_free(fc_dedupe_stats *stats) {
    fc_count_table_free(&stats->by_source);
    memset(stats, 0, sizeof *stats);
}

cJSON *fc_dedupe_stats_to_json(const fc_dedupe_stats *stats) {
    cJSON *json = cJSON_CreateObject();
    cJSON_AddItemToObject(json, "by_source", fc_count_table_to_json(&stats->by_source));
    cJSON_AddNumberToObject(json, "keys", (double)stats->keys);
    cJSON_AddNumberToObject(json, "conflict_keys", (double)stats->conflict_keys);
    cJSON_AddNumberToObject(json, "eval_file_rows", (double)stats->eval_file_rows);
    cJSON_AddNumberToObject(json, "eval_ids", (double)stats->eval_ids);
    cJSON_AddNumberToObject(json, "written", (double)stats->written);
    cJSON_AddNumberToObject(json, "seconds", stats->seconds);
    return json;
}

int fc_split_in_list(const char *split, const char *list) {
    size_t length = strlen(split);
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == length && strncasecmp(p, split, n) == 0) return 1;
        if (!comma) break;
        p = comma + 1;
    }
    return 0;
}

// What pass 1 learned of each input row.
enum { ROW_FIRST = 0, ROW_EXACT, ROW_NEAR, ROW_EVAL };

static const uint32_t NO_ROW = UINT32_MAX;

// What pass 1 learned of each key.
typedef struct key_info {
    uint32_t first_train;   // the row kept (the first training row), or NO_ROW
    uint32_t label_counts[FC_LABEL_COUNT]; // of the training rows
    uint64_t exact_hash;    // of the kept row's raw pair
    uint16_t first_source;  // count-table row of the kept row's source
    uint8_t has_eval;
    uint8_t eval_by_id;     // a training row of this key has an evaluation row's id
} key_info;

typedef struct dedupe_run {
    const fc_dedupe_options *options;
    const char *eval_splits;
    fc_dedupe_stats *stats;
    fc_text_table keys;
    key_info *info;
    size_t info_capacity;
    uint32_t *row_key;      // [rows]
    uint8_t *row_kind;      // [rows]
    size_t n_rows, rows_capacity;
    fc_textbuf key;
    // The id key (options.id_sources): every id seen, whether an evaluation row has it, and
    // each training row's id (NO_ROW when its source is not in the list).
    fc_text_table ids;
    uint8_t *id_is_eval;
    size_t id_capacity;
    uint32_t *row_id;       // [rows]
} dedupe_run;

// The key of a pair, its index (inserted when new) and its info.
static int find_key(dedupe_run *run, const fc_record *record, uint32_t *index, fc_error *err) {
    if (fc_curate_pair_key(record->premise, record->hypothesis, &run->key, err) != 0) return -1;
    int inserted;
    int64_t got = fc_text_table_insert(&run->keys, run->key.data, run->key.len,
                                       fc_curate_hash_bytes(run->key.data, run->key.len, 0), &inserted);
    if (got < 0) return fc_fail(err, "too many distinct pairs for the dedupe table");
    *index = (uint32_t)got;
    if (inserted) {
        if (*index >= run->info_capacity) {
            run->info_capacity = run->info_capacity ? run->info_capacity * 2 : 4096;
            run->info = fc_realloc(run->info, run->info_capacity * sizeof *run->info);
        }
        memset(&run->info[*index], 0, sizeof run->info[*index]);
        run->info[*index].first_train = NO_ROW;
    }
    return 0;
}

static int uses_ids(const dedupe_run *run, const char *source) {
    return run->options->id_sources && fc_split_in_list(source, run->options->id_sources);
}

// The index of a row's id in the id table (inserted when new). Ingest makes repeated ids unique
// by appending "#k"; the id that names the pair is the part before.
static int find_id(dedupe_run *run, const char *id, uint32_t *index, fc_error *err) {
    size_t length = strlen(id);
    const char *hash = strrchr(id, '#');
    if (hash && hash[1]) {
        const char *p = hash + 1;
        while (*p >= '0' && *p <= '9') p++;
        if (*p == '\0') length = (size_t)(hash - id);
    }
    int inserted;
    int64_t got = fc_text_table_insert(&run->ids, id, length, fc_curate_hash_bytes(id, length, 1),
                                       &inserted);
    if (got < 0) return fc_fail(err, "too many distinct ids for the dedupe table");
    *index = (uint32_t)got;
    if (inserted) {
        if (*index >= run->id_capacity) {
            run->id_capacity = run->id_capacity ? run->id_capacity * 2 : 4096;
            run->id_is_eval = fc_realloc(run->id_is_eval, run->id_capacity);
        }
        run->id_is_eval[*index] = 0;
    }
    return 0;
}

static int mark_eval_id(dedupe_run *run, const fc_record *record, fc_error *err) {
    // TextFooler's MNLI rows have no pairID: their row numbers must not meet real pairIDs.
    if (!uses_ids(run, record->source) || record->id_from_row) return 0;
    uint32_t index;
    if (find_id(run, record->id, &index, err) != 0) return -1;
    if (!run->id_is_eval[index]) run->stats->eval_ids++;
    run->id_is_eval[index] = 1;
    return 0;
}

static uint64_t raw_pair_hash(const fc_record *record) {
    uint64_t state = fc_curate_hash_begin(0);
    state = fc_curate_hash_update(state, record->premise, strlen(record->premise));
    state = fc_curate_hash_update(state, "\xff", 1);
    state = fc_curate_hash_update(state, record->hypothesis, strlen(record->hypothesis));
    return fc_curate_hash_end(state);
}

static int read_eval_file(dedupe_run *run, const char *path, fc_error *err) {
    fc_reader *reader;
    if (fc_reader_open(path, FC_FORMAT_AUTO, NULL, &reader, err) != 0) return -1;
    fc_record record;
    int got;
    while ((got = fc_reader_next(reader, &record, err)) == 1) {
        uint32_t index;
        if (find_key(run, &record, &index, err) != 0) {
            fc_fail_prefix(err, "%s:%zu", path, record.line);
            got = -1;
            break;
        }
        run->info[index].has_eval = 1;
        run->stats->eval_file_rows++;
        if (mark_eval_id(run, &record, err) != 0) {
            fc_fail_prefix(err, "%s:%zu", path, record.line);
            got = -1;
            break;
        }
    }
    fc_reader_close(reader);
    return got < 0 ? -1 : 0;
}

static void push_row(dedupe_run *run, uint32_t key, uint8_t kind, uint32_t id) {
    if (run->n_rows == run->rows_capacity) {
        run->rows_capacity = run->rows_capacity ? run->rows_capacity * 2 : 65536;
        run->row_key = fc_realloc(run->row_key, run->rows_capacity * sizeof *run->row_key);
        run->row_kind = fc_realloc(run->row_kind, run->rows_capacity * sizeof *run->row_kind);
        run->row_id = fc_realloc(run->row_id, run->rows_capacity * sizeof *run->row_id);
    }
    run->row_key[run->n_rows] = key;
    run->row_kind[run->n_rows] = kind;
    run->row_id[run->n_rows] = id;
    run->n_rows++;
}

// After pass 1, when every evaluation id is known: a training row with one marks its key, so
// that the row and every duplicate of its text go.
static void mark_keys_by_id(dedupe_run *run) {
    for (size_t r = 0; r < run->n_rows; r++) {
        uint32_t id = run->row_id[r];
        if (id != NO_ROW && run->id_is_eval[id]) run->info[run->row_key[r]].eval_by_id = 1;
    }
}

// Pass 1: every input row's key and kind, and every key's info.
static int learn(dedupe_run *run, const char *input, fc_error *err) {
    fc_reader *reader;
    if (fc_reader_open(input, FC_FORMAT_FINECAT, NULL, &reader, err) != 0) return -1;
    fc_progress progress;
    uint64_t done, total;
    fc_reader_progress(reader, &done, &total);
    fc_progress_start(&progress, run->options->progress, "dedupe (pass 1 of 2)", total);
    fc_record record;
    int got;
    while ((got = fc_reader_next(reader, &record, err)) == 1) {
        if (run->n_rows >= NO_ROW) {
            got = fc_fail(err, "%s: more than %u rows", input, NO_ROW - 1);
            break;
        }
        uint32_t index;
        if (find_key(run, &record, &index, err) != 0) {
            got = fc_fail_prefix(err, "%s:%zu", input, record.line);
            break;
        }
        key_info *info = &run->info[index];
        size_t source = fc_count_table_row(&run->stats->by_source, record.source);
        if (source > UINT16_MAX) {
            got = fc_fail(err, "%s:%zu: more than %d sources", input, record.line, UINT16_MAX);
            break;
        }
        uint8_t kind;
        uint32_t id = NO_ROW;
        if (fc_split_in_list(record.split, run->eval_splits)) {
            info->has_eval = 1;
            kind = ROW_EVAL;
            if (mark_eval_id(run, &record, err) != 0) {
                got = fc_fail_prefix(err, "%s:%zu", input, record.line);
                break;
            }
        } else {
            if (uses_ids(run, record.source) && find_id(run, record.id, &id, err) != 0) {
                got = fc_fail_prefix(err, "%s:%zu", input, record.line);
                break;
            }
            if (record.label >= 0) info->label_counts[record.label]++;
            uint64_t exact = raw_pair_hash(&record);
            if (info->first_train == NO_ROW) {
                info->first_train = (uint32_t)run->n_rows;
                info->exact_hash = exact;
                info->first_source = (uint16_t)source;
                kind = ROW_FIRST;
            } else {
                // Compared with the kept row by a 64-bit hash: a collision could only move a
                // row from "near" to "exact" in the counts, never change what is kept.
                kind = info->exact_hash == exact ? ROW_EXACT : ROW_NEAR;
            }
        }
        push_row(run, index, kind, id);
        fc_reader_progress(reader, &done, &total);
        fc_progress_update(&progress, done, run->n_rows);
    }
    fc_reader_close(reader);
    if (got == 0) fc_progress_end(&progress, run->n_rows);
    return got < 0 ? -1 : 0;
}

static int label_kinds(const key_info *info) {
    int kinds = 0;
    for (int l = 0; l < FC_LABEL_COUNT; l++) kinds += info->label_counts[l] > 0;
    return kinds;
}

static cJSON *conflict_flag(const key_info *info) {
    cJSON *flag = cJSON_CreateObject();
    cJSON *labels = cJSON_AddObjectToObject(flag, "labels");
    uint32_t rows = 0;
    for (int l = 0; l < FC_LABEL_COUNT; l++) {
        if (info->label_counts[l] == 0) continue;
        cJSON_AddNumberToObject(labels, fc_label_name((fc_label)l), info->label_counts[l]);
        rows += info->label_counts[l];
    }
    cJSON_AddNumberToObject(flag, "rows", rows);
    return flag;
}

// Pass 2: the decisions, and the output.
static int write_kept(dedupe_run *run, const char *input, FILE *out, fc_error *err) {
    fc_curate_reader reader;
    if (fc_curate_reader_open(&reader, input, err) != 0) return -1;
    fc_progress progress;
    fc_progress_start(&progress, run->options->progress, "dedupe (pass 2 of 2)", run->n_rows);
    fc_count_table *table = &run->stats->by_source;
    fc_record_writer writer;
    fc_record_writer_init(&writer, out);
    fc_textbuf extra = {0};
    fc_record record;
    int got;
    size_t row = 0;
    while ((got = fc_curate_reader_next(&reader, &record, err)) == 1) {
        if (row >= run->n_rows) {
            got = fc_fail(err, "%s: the file changed between the two passes", input);
            break;
        }
        size_t source = fc_count_table_row(table, record.source);
        fc_count_table_add(table, source, FC_DEDUPE_ROWS, 1);
        const key_info *info = &run->info[run->row_key[row]];
        uint8_t kind = run->row_kind[row];
        row++;
        fc_progress_update(&progress, row, row);
        if (kind == ROW_EVAL) {
            fc_count_table_add(table, source, FC_DEDUPE_EVAL_ROWS, 1);
            if (run->options->keep_eval) {
                fc_curate_write_line(out, reader.line, reader.length);
                run->stats->written++;
            }
            continue;
        }
        if (info->has_eval || info->eval_by_id) {
            fc_count_table_add(table, source, info->has_eval ? FC_DEDUPE_LEAKED
                                                             : FC_DEDUPE_LEAKED_ID, 1);
            continue;
        }
        if (kind != ROW_FIRST) {
            fc_count_table_add(table, source, kind == ROW_EXACT ? FC_DEDUPE_EXACT : FC_DEDUPE_NEAR,
                               1);
            if (info->first_source != source)
                fc_count_table_add(table, source, FC_DEDUPE_CROSS_SOURCE, 1);
            continue;
        }
        if (label_kinds(info) > 1) {
            run->stats->conflict_keys++;
            if (run->options->on_conflict == FC_CONFLICT_DROP) {
                fc_count_table_add(table, source, FC_DEDUPE_CONFLICT_DROPPED, 1);
                continue;
            }
            char *flags = fc_curate_flags_with(record.flags, "label_conflict", conflict_flag(info));
            extra.len = 0;
            if (fc_curate_extra_members(reader.line, reader.length, NULL, &extra, err) != 0) {
                free(flags);
                got = fc_fail_prefix(err, "%s:%zu", input, record.line);
                break;
            }
            record.flags = flags;
            fc_record_writer_write(&writer, &record, extra.data, extra.len);
            free(flags);
            fc_count_table_add(table, source, FC_DEDUPE_CONFLICT_FLAGGED, 1);
        } else {
            fc_curate_write_line(out, reader.line, reader.length);
        }
        fc_count_table_add(table, source, FC_DEDUPE_KEPT, 1);
        run->stats->written++;
    }
    if (got == 0 && row != run->n_rows)
        got = fc_fail(err, "%s: the file changed between the two passes", input);
    fc_textbuf_free(&extra);
    fc_record_writer_free(&writer);
    fc_curate_reader_close(&reader);
    if (got == 0) fc_progress_end(&progress, row);
    return got < 0 ? -1 : 0;
}

int fc_curate_dedupe(const char *input, const char *output, const fc_dedupe_options *options,
                     fc_dedupe_stats *stats, fc_error *err) {
    fc_dedupe_options defaults = fc_dedupe_default_options();
    if (!options) options = &defaults;
    memset(stats, 0, sizeof *stats);
    fc_count_table_init(&stats->by_source, column_names, FC_DEDUPE_COLUMNS);
    double start = fc_progress_now();
    dedupe_run run = {
        .options = options,
        .eval_splits = options->eval_splits ? options->eval_splits
                                            : FC_DEDUPE_DEFAULT_EVAL_SPLITS,
        .stats = stats,
    };
    fc_text_table_init(&run.keys);
    fc_text_table_init(&run.ids);
    int status = 0;
    for (size_t i = 0; i < options->n_eval_files && status == 0; i++)
        status = read_eval_file(&run, options->eval_files[i], err);
    if (status == 0) status = learn(&run, input, err);
    if (status == 0) mark_keys_by_id(&run);
    fc_text_table_free(&run.ids);
    free(run.id_is_eval);
    free(run.row_id);
    run.row_id = NULL;
    // Pass 1 only added the sources as rows of the table (their order fixes first_source);
    // pass 2 does the counting.
    stats->keys = run.keys.n_entries;
    fc_textbuf_free(&run.key);
    fc_text_table_free(&run.keys); // pass 2 needs the per-row and per-key info only
    if (status == 0) {
        fc_output_file out;
        status = fc_output_open(&out, output, err);
        if (status == 0) {
            status = write_kept(&run, input, out.file, err);
            if (status == 0) status = fc_output_commit(&out, err);
            else fc_output_abort(&out);
        }
    }
    free(run.info);
    free(run.row_key);
    free(run.row_kind);
    stats->seconds = fc_progress_now() - start;
    return status;
}
