#include "curate/select.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "curate/hash.h"
#include "curate/output_file.h"
#include "util/progress.h"
#include "curate/record_io.h"
#include "util/alloc.h"
#include "util/error.h"

fc_select_options fc_select_default_options(void) {
    fc_select_options options;
    memset(&options, 0, sizeof options);
    options.easy_above = FC_SELECT_DEFAULT_EASY_ABOVE;
    options.keep_easy_frac = -1;
    options.target_rows = -1;
    options.seed = 1;
    return options;
}

void fc_select_stats_free(fc_select_stats *stats) {
    fc_count_table_free(&stats->by_source);
    memset(stats, 0, sizeof *stats);
}

cJSON *fc_select_stats_to_json(const fc_select_stats *stats) {
    cJSON *json = cJSON_CreateObject();
    cJSON_AddItemToObject(json, "by_source", fc_count_table_to_json(&stats->by_source));
    cJSON_AddNumberToObject(json, "easy_keep", (double)stats->easy_keep);
    cJSON_AddBoolToObject(json, "target_unreachable", stats->target_unreachable);
    cJSON_AddNumberToObject(json, "seconds", stats->seconds);
    return json;
}

uint64_t fc_select_draw(uint64_t seed, const char *id) {
    return fc_curate_hash_bytes(id, strlen(id), seed ^ 0x5e1ec7ull);
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct select_run {
    const fc_select_options *options;
    fc_select_stats *stats;
    uint64_t *draws; // of the easy rows
    size_t n_easy, draws_capacity;
    uint64_t n_hard;
} select_run;

static int is_easy(const select_run *run, const fc_record *record) {
    return record->score > run->options->easy_above;
}

// Pass 1: the draws of the easy rows, and the per-source counts before.
static int count(select_run *run, const char *input, fc_error *err) {
    fc_reader *reader;
    if (fc_reader_open(input, FC_FORMAT_FINECAT, NULL, &reader, err) != 0) return -1;
    uint64_t done, total, rows = 0;
    fc_reader_progress(reader, &done, &total);
    fc_progress progress;
    fc_progress_start(&progress, run->options->progress, "select (pass 1 of 2)", total);
    fc_count_table *table = &run->stats->by_source;
    fc_record record;
    int got;
    while ((got = fc_reader_next(reader, &record, err)) == 1) {
        if (!record.has_score) {
            got = fc_fail(err, "%s:%zu: no score: run `finecat curate score` first", input,
                          record.line);
            break;
        }
        size_t row = fc_count_table_row(table, record.source);
        fc_count_table_add(table, row, FC_SELECT_ROWS, 1);
        if (is_easy(run, &record)) {
            fc_count_table_add(table, row, FC_SELECT_EASY, 1);
            if (run->n_easy == run->draws_capacity) {
                run->draws_capacity = run->draws_capacity ? run->draws_capacity * 2 : 65536;
                run->draws = fc_realloc(run->draws, run->draws_capacity * sizeof *run->draws);
            }
            run->draws[run->n_easy++] = fc_select_draw(run->options->seed, record.id);
        } else {
            fc_count_table_add(table, row, FC_SELECT_HARD, 1);
            run->n_hard++;
        }
        fc_reader_progress(reader, &done, &total);
        fc_progress_update(&progress, done, ++rows);
    }
    fc_reader_close(reader);
    if (got == 0) fc_progress_end(&progress, rows);
    return got < 0 ? -1 : 0;
}

// How many easy rows to keep, from the options.
static uint64_t easy_to_keep(select_run *run) {
    const fc_select_options *options = run->options;
    if (options->target_rows >= 0) {
        if ((uint64_t)options->target_rows < run->n_hard) {
            run->stats->target_unreachable = 1;
            return 0;
        }
        uint64_t k = (uint64_t)options->target_rows - run->n_hard;
        return k < run->n_easy ? k : run->n_easy;
    }
    double k = floor(options->keep_easy_frac * (double)run->n_easy + 0.5);
    return k > (double)run->n_easy ? run->n_easy : (uint64_t)k;
}

// Pass 2: the hard rows and the easy rows whose draw is among the k smallest. Draws equal to
// the k-th smallest (a 64-bit tie: only for equal ids) are taken in input order until k.
static int write_selected(select_run *run, const char *input, FILE *out, uint64_t threshold,
                          uint64_t at_threshold, fc_error *err) {
    fc_curate_reader reader;
    if (fc_curate_reader_open(&reader, input, err) != 0) return -1;
    fc_count_table *table = &run->stats->by_source;
    fc_progress progress;
    uint64_t rows = 0;
    fc_progress_start(&progress, run->options->progress, "select (pass 2 of 2)",
                      run->n_hard + run->n_easy);
    fc_record record;
    int got;
    while ((got = fc_curate_reader_next(&reader, &record, err)) == 1) {
        rows++;
        fc_progress_update(&progress, rows, rows);
        size_t row = fc_count_table_row(table, record.source);
        int keep = 1;
        if (is_easy(run, &record)) {
            uint64_t draw = fc_select_draw(run->options->seed, record.id);
            keep = run->stats->easy_keep > 0 &&
                   (draw < threshold || (draw == threshold && at_threshold > 0));
            if (keep && draw == threshold) at_threshold--;
            if (keep) fc_count_table_add(table, row, FC_SELECT_EASY_KEPT, 1);
        }
        if (!keep) continue;
        fc_count_table_add(table, row, FC_SELECT_KEPT, 1);
        fc_curate_write_line(out, reader.line, reader.length);
    }
    fc_curate_reader_close(&reader);
    if (got == 0) fc_progress_end(&progress, rows);
    return got < 0 ? -1 : 0;
}

int fc_curate_select(const char *input, const char *output, const fc_select_options *options,
                     fc_select_stats *stats, fc_error *err) {
    memset(stats, 0, sizeof *stats);
    static const char *const columns[FC_SELECT_COLUMNS] = {
        [FC_SELECT_ROWS] = "rows",       [FC_SELECT_HARD] = "hard (kept)",
        [FC_SELECT_EASY] = "easy",       [FC_SELECT_EASY_KEPT] = "easy kept",
        [FC_SELECT_KEPT] = "kept",
    };
    fc_count_table_init(&stats->by_source, columns, FC_SELECT_COLUMNS);
    int have_frac = options->keep_easy_frac >= 0, have_target = options->target_rows >= 0;
    if (have_frac == have_target)
        return fc_fail(err, "select needs one of keep_easy_frac and target_rows");
    if (have_frac && options->keep_easy_frac > 1)
        return fc_fail(err, "keep_easy_frac must be in [0, 1], not %g", options->keep_easy_frac);
    double start = fc_progress_now();
    select_run run = {.options = options, .stats = stats};
    int status = count(&run, input, err);
    uint64_t threshold = 0, at_threshold = 0;
    if (status == 0) {
        stats->easy_keep = easy_to_keep(&run);
        if (stats->easy_keep > 0) {
            qsort(run.draws, run.n_easy, sizeof *run.draws, compare_u64);
            threshold = run.draws[stats->easy_keep - 1];
            // Rows drawing exactly the threshold that fit in k: those below it go first.
            for (uint64_t i = stats->easy_keep; i-- > 0 && run.draws[i] == threshold;)
                at_threshold++;
        }
        // Pass 1 filled rows, hard and easy; pass 2 adds the kept columns.
        fc_output_file out;
        status = fc_output_open(&out, output, err);
        if (status == 0) {
            status = write_selected(&run, input, out.file, threshold, at_threshold, err);
            if (status == 0) status = fc_output_commit(&out, err);
            else fc_output_abort(&out);
        }
    }
    free(run.draws);
    stats->seconds = fc_progress_now() - start;
    return status;
}
