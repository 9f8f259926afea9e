#include "kernels/cpu/gemm.h"
#include "curate/model_pass.h"

#include <dirent.h>
#include <errno.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "curate/fingerprint.h"
#include "curate/output_file.h"
#include "dist/dist.h"
#include "util/progress.h"
#include "tasks/nli.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

fc_model_pass_options fc_model_pass_default_options(void) {
    fc_model_pass_options options;
    memset(&options, 0, sizeof options);
    options.shard_size = FC_MODEL_PASS_DEFAULT_SHARD_SIZE;
    options.batch_size = 32;
    return options;
}

void fc_model_pass_stats_free(fc_model_pass_stats *stats) {
    fc_count_table_free(&stats->by_source);
    memset(stats, 0, sizeof *stats);
}

double fc_model_pass_samples_per_second(const fc_model_pass_stats *stats) {
    uint64_t computed = 0;
    for (size_t r = 0; r < stats->by_source.n_rows; r++)
        computed += fc_count_table_get(&stats->by_source, r, FC_PASS_COMPUTED);
    return stats->model_seconds > 0 ? (double)computed / stats->model_seconds : 0.0;
}

cJSON *fc_model_pass_stats_to_json(const fc_model_pass_stats *stats) {
    cJSON *json = cJSON_CreateObject();
    cJSON_AddItemToObject(json, "by_source", fc_count_table_to_json(&stats->by_source));
    cJSON_AddNumberToObject(json, "rows", (double)stats->rows);
    cJSON_AddNumberToObject(json, "shards", (double)stats->shards);
    cJSON_AddNumberToObject(json, "shards_resumed", (double)stats->shards_resumed);
    cJSON_AddNumberToObject(json, "shards_computed", (double)stats->shards_computed);
    cJSON_AddNumberToObject(json, "model_seconds", stats->model_seconds);
    cJSON_AddNumberToObject(json, "tokenize_seconds", stats->tokenize_seconds);
    cJSON_AddNumberToObject(json, "model_samples_per_second",
                            fc_model_pass_samples_per_second(stats));
    cJSON_AddNumberToObject(json, "seconds", stats->seconds);
    cJSON_AddBoolToObject(json, "stopped", stats->stopped);
    return json;
}

int fc_model_canonical_order(const fc_model *model, const char *model_dir,
                             int canonical_of[FC_LABEL_COUNT], fc_error *err) {
    int n = fc_model_num_labels(model);
    if (n != FC_LABEL_COUNT)
        return fc_fail(err, "%s: the model has %d labels; curation needs the 3 NLI labels "
                            "entailment, neutral and contradiction", model_dir, n);
    int seen[FC_LABEL_COUNT] = {0};
    for (int id = 0; id < n; id++) {
        int canonical = fc_model_canonical_label(model, id);
        if (canonical < 0 || seen[canonical]++)
            return fc_fail(err, "%s: label %d (\"%s\") is not one of entailment, neutral, "
                                "contradiction, or repeats one", model_dir, id,
                           fc_model_label_name(model, id));
        canonical_of[id] = canonical;
    }
    return 0;
}

// ---------------------------------------------------------------------------------------------
// The work folder

typedef struct pass_run {
    const char *input;
    const char *model_dir;
    const fc_model_pass_stage *stage;
    const fc_model_pass_options *options;
    fc_model_pass_stats *stats;
    char *work_dir;
    fc_model *model;
    int canonical_of[FC_LABEL_COUNT];
    fc_nli_options nli;
    fc_curate_reader reader;
    fc_record_writer writer;
    // One shard's rows: records (strings copied) and raw lines.
    fc_record *records;
    char **lines;
    size_t *lengths;
    fc_ids *encoded;
    float *logits;
    size_t n_rows;
    // Progress over the input's bytes, rows counted; shard_start/end are the input offsets
    // around the shard being computed (the reader is a shard ahead of the forwards). Only
    // rank 0 draws it (bar.out is NULL on the others); its rows count every rank's shards as
    // rank 0 reads past them, and a computed shard's bytes span the other ranks' shards read
    // since rank 0's last one, which the other ranks compute meanwhile.
    fc_progress bar;
    uint64_t shard_start, shard_end, rows_before;
    // Across MPI ranks (src/dist): rank r computes the shards s with s % ranks == r; every rank
    // reads every row (to find the shards' rows). done_at_start[s]: shard s was complete when
    // the run started (its rows count as resumed, the others' as computed, on every rank).
    int rank, ranks;
    unsigned char *done_at_start;
    size_t n_done_at_start;
    size_t computed_here; // shards this rank computed (--stop-after-shards counts these)
} pass_run;

// Bytes interpolated over the shard by the pairs done.
static void report_batch(void *context, size_t done) {
    pass_run *run = context;
    uint64_t span = run->shard_end - run->shard_start;
    uint64_t bytes = run->shard_start + (run->n_rows ? span * done / run->n_rows : span);
    fc_progress_update(&run->bar, bytes, run->rows_before + done);
}

static uint64_t input_offset(const pass_run *run) {
    uint64_t done, total;
    fc_reader_progress(run->reader.reader, &done, &total);
    return done;
}

static char *work_path(const pass_run *run, const char *name) {
    return fc_path_join(run->work_dir, name);
}

static char *shard_path(const pass_run *run, size_t shard) {
    char name[48];
    snprintf(name, sizeof name, "shard-%06zu.jsonl", shard);
    return work_path(run, name);
}

static cJSON *build_manifest(const pass_run *run, fc_error *err) {
    uint64_t input_hash, input_size;
    if (fc_file_fingerprint(run->input, &input_hash, &input_size, err) != 0) return NULL;
    char model_hex[32], input_hex[32];
    if (fc_model_fingerprint(run->model_dir, model_hex, sizeof model_hex, err) != 0) return NULL;
    snprintf(input_hex, sizeof input_hex, "%016llx", (unsigned long long)input_hash);
    cJSON *manifest = cJSON_CreateObject();
    cJSON_AddStringToObject(manifest, "stage", run->stage->name);
    cJSON_AddStringToObject(manifest, "input", run->input);
    cJSON_AddNumberToObject(manifest, "input_bytes", (double)input_size);
    cJSON_AddStringToObject(manifest, "input_hash", input_hex);
    cJSON_AddStringToObject(manifest, "model", run->model_dir);
    cJSON_AddStringToObject(manifest, "model_fingerprint", model_hex);
    cJSON_AddNumberToObject(manifest, "shard_size", (double)run->options->shard_size);
    cJSON_AddNumberToObject(manifest, "batch_size", run->nli.batch_size);
    cJSON_AddNumberToObject(manifest, "max_length", run->nli.max_length);
    // The thread count changes how the GEMMs split their sums, and so the last bits of the
    // logits: shards computed with another count would not give the same bytes.
    cJSON_AddNumberToObject(manifest, "threads", fc_get_threads());
    // bf16 and int8 logits differ from f32 ones: shards of another dtype are another run.
    cJSON_AddStringToObject(manifest, "dtype", fc_weight_dtype_name(run->options->weights));
    return manifest;
}

// The members that must match for shards to be reused; the paths may differ (a moved file).
static const char *const manifest_keys[] = {"stage", "input_bytes", "input_hash",
                                            "model_fingerprint", "shard_size", "batch_size",
                                            "max_length", "threads", "dtype"};

static int check_manifest(const pass_run *run, const cJSON *want, const char *path,
                          fc_error *err) {
    char *text = NULL;
    if (fc_read_file(path, &text, NULL, err) != 0) return -1;
    cJSON *have = cJSON_Parse(text);
    free(text);
    if (!have) return fc_fail(err, "%s: malformed manifest; remove the folder or use --restart",
                              path);
    int status = 0;
    for (size_t i = 0; i < sizeof manifest_keys / sizeof manifest_keys[0] && status == 0; i++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(have, manifest_keys[i]);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(want, manifest_keys[i]);
        // Manifests written before --dtype existed were all f32.
        if (!a && strcmp(manifest_keys[i], "dtype") == 0) a = cJSON_CreateString("f32");
        char *a_text = a ? cJSON_PrintUnformatted(a) : NULL;
        if (a && a != cJSON_GetObjectItemCaseSensitive(have, manifest_keys[i])) cJSON_Delete((cJSON *)a);
        char *b_text = cJSON_PrintUnformatted(b);
        if (!a_text || strcmp(a_text, b_text) != 0)
            status = fc_fail(err, "%s: the shards there belong to another run (%s was %s, now "
                                  "%s); use the same settings (threads: OMP_NUM_THREADS) or "
                                  "--restart to discard them", run->work_dir,
                             manifest_keys[i], a_text ? a_text : "missing", b_text);
        cJSON_free(a_text);
        cJSON_free(b_text);
    }
    cJSON_Delete(have);
    return status;
}

// Removes the files this code puts in the work folder (shards, their .part files, manifest,
// progress), and the folder when that empties it.
static void clear_work_dir(const pass_run *run, int remove_folder) {
    DIR *folder = opendir(run->work_dir);
    if (!folder) return;
    struct dirent *entry;
    while ((entry = readdir(folder)) != NULL) {
        const char *name = entry->d_name;
        if (strncmp(name, "shard-", 6) != 0 && strcmp(name, "manifest.json") != 0 &&
            strcmp(name, "progress.json") != 0 && strncmp(name, "manifest.json.", 14) != 0 &&
            strncmp(name, "progress.json.", 14) != 0)
            continue;
        char *path = work_path(run, name);
        remove(path);
        free(path);
    }
    closedir(folder);
    if (remove_folder) rmdir(run->work_dir);
}

static int prepare_work_dir(pass_run *run, fc_error *err) {
    if (mkdir(run->work_dir, 0777) != 0 && errno != EEXIST)
        return fc_fail(err, "%s: cannot create the work folder: %s", run->work_dir,
                       strerror(errno));
    if (run->options->restart) clear_work_dir(run, 0);
    cJSON *manifest = build_manifest(run, err);
    if (!manifest) return -1;
    char *path = work_path(run, "manifest.json");
    int status;
    if (fc_file_exists(path)) {
        status = check_manifest(run, manifest, path, err);
    } else {
        char *text = cJSON_Print(manifest);
        size_t length = strlen(text);
        char *line = fc_malloc(length + 2);
        memcpy(line, text, length);
        memcpy(line + length, "\n", 2);
        status = fc_output_write_text(path, line, err);
        free(line);
        cJSON_free(text);
    }
    free(path);
    cJSON_Delete(manifest);
    return status;
}

// Which shards were complete before this run computed any: read once, before the ranks start
// writing, so that every rank sees the same set.
static void scan_done_shards(pass_run *run) {
    DIR *folder = opendir(run->work_dir);
    if (!folder) return;
    struct dirent *entry;
    while ((entry = readdir(folder)) != NULL) {
        const char *name = entry->d_name; // exactly shard-NNNNNN.jsonl (not a .part file)
        if (strlen(name) != strlen("shard-000000.jsonl") || strncmp(name, "shard-", 6) != 0 ||
            strcmp(name + 12, ".jsonl") != 0 || strspn(name + 6, "0123456789") != 6)
            continue;
        size_t shard = (size_t)strtoul(name + 6, NULL, 10);
        if (shard >= run->n_done_at_start) {
            size_t n = 2 * shard + 16;
            run->done_at_start = fc_realloc(run->done_at_start, n);
            memset(run->done_at_start + run->n_done_at_start, 0, n - run->n_done_at_start);
            run->n_done_at_start = n;
        }
        run->done_at_start[shard] = 1;
    }
    closedir(folder);
}

static int shard_done_at_start(const pass_run *run, size_t shard) {
    return shard < run->n_done_at_start && run->done_at_start[shard];
}

static void write_progress_file(const pass_run *run, size_t shards_done, uint64_t rows_done) {
    cJSON *progress = cJSON_CreateObject();
    cJSON_AddStringToObject(progress, "stage", run->stage->name);
    cJSON_AddNumberToObject(progress, "shards_done", (double)shards_done);
    cJSON_AddNumberToObject(progress, "rows_done", (double)rows_done);
    cJSON_AddNumberToObject(progress, "model_samples_per_second",
                            fc_model_pass_samples_per_second(run->stats));
    char *text = cJSON_Print(progress);
    char *path = work_path(run, "progress.json");
    fc_error ignored; // progress is for people watching; a failure to write it stops nothing
    fc_output_write_text(path, text, &ignored);
    free(path);
    cJSON_free(text);
    cJSON_Delete(progress);
}

// ---------------------------------------------------------------------------------------------
// Shards

static char *copy_or_null(const char *text) {
    return text ? fc_strdup(text) : NULL;
}

static void free_shard_rows(pass_run *run) {
    for (size_t i = 0; i < run->n_rows; i++) {
        fc_record *r = &run->records[i];
        free((char *)r->id);
        free((char *)r->source);
        free((char *)r->split);
        free((char *)r->premise);
        free((char *)r->hypothesis);
        free((char *)r->flags);
        free(run->lines[i]);
    }
    run->n_rows = 0;
}

static void count_row(pass_run *run, const fc_record *record, int column) {
    fc_count_table *table = &run->stats->by_source;
    size_t row = fc_count_table_row(table, record->source);
    fc_count_table_add(table, row, FC_PASS_ROWS, 1);
    fc_count_table_add(table, row, (size_t)column, 1);
    if (record->label < 0) fc_count_table_add(table, row, FC_PASS_NO_LABEL, 1);
    run->stats->rows++;
}

// Reads the next shard's rows into memory; *n is how many (fewer than shard_size at the end).
static int read_shard(pass_run *run, size_t *n, fc_error *err) {
    free_shard_rows(run);
    fc_record record;
    int got = 1;
    while (run->n_rows < run->options->shard_size &&
           (got = fc_curate_reader_next(&run->reader, &record, err)) == 1) {
        fc_record *copy = &run->records[run->n_rows];
        *copy = record;
        copy->id = copy_or_null(record.id);
        copy->source = copy_or_null(record.source);
        copy->split = copy_or_null(record.split);
        copy->premise = copy_or_null(record.premise);
        copy->hypothesis = copy_or_null(record.hypothesis);
        copy->flags = copy_or_null(record.flags);
        run->lines[run->n_rows] = fc_strndup(run->reader.line, run->reader.length);
        run->lengths[run->n_rows] = run->reader.length;
        run->n_rows++;
    }
    *n = run->n_rows;
    return got < 0 ? -1 : 0;
}

// Skips the rows of a shard that an earlier run completed (column FC_PASS_RESUMED) or another
// rank computes (FC_PASS_COMPUTED), counting them.
static int skip_shard(pass_run *run, int column, size_t *n, fc_error *err) {
    fc_record record;
    int got = 1;
    *n = 0;
    while (*n < run->options->shard_size &&
           (got = fc_curate_reader_next(&run->reader, &record, err)) == 1) {
        count_row(run, &record, column);
        (*n)++;
    }
    return got < 0 ? -1 : 0;
}

static int compute_shard(pass_run *run, size_t shard, fc_error *err) {
    size_t n = run->n_rows;
    double start = fc_progress_now();
    for (size_t i = 0; i < n; i++) {
        fc_pair pair = {run->records[i].premise, run->records[i].hypothesis};
        if (fc_nli_encode_pair(run->model, &pair, &run->nli, &run->encoded[i], err) != 0)
            return fc_fail_prefix(err, "%s:%zu", run->input, run->records[i].line);
        if (run->options->throttle_us) usleep(run->options->throttle_us);
    }
    double tokenized = fc_progress_now();
    run->rows_before = run->stats->rows;
    run->shard_start = run->shard_end;
    run->shard_end = input_offset(run);
    if (fc_nli_logits_encoded_progress(run->model, run->encoded, n, run->nli.batch_size,
                                       run->logits, run->bar.out ? report_batch : NULL, run,
                                       err) != 0)
        return fc_fail_prefix(err, "%s: shard %zu", run->input, shard);
    run->stats->tokenize_seconds += tokenized - start;
    run->stats->model_seconds += fc_progress_now() - tokenized;

    char *path = shard_path(run, shard);
    fc_output_file out;
    int status = fc_output_open(&out, path, err);
    free(path);
    if (status != 0) return -1;
    fc_record_writer_init(&run->writer, out.file);
    for (size_t i = 0; i < n && status == 0; i++) {
        float canonical[FC_LABEL_COUNT];
        for (int id = 0; id < FC_LABEL_COUNT; id++)
            canonical[run->canonical_of[id]] = run->logits[i * FC_LABEL_COUNT + (size_t)id];
        status = run->stage->write_row(run->stage->context, &run->records[i], run->lines[i],
                                       run->lengths[i], canonical, &run->writer, err);
        if (status != 0) fc_fail_prefix(err, "%s:%zu", run->input, run->records[i].line);
        else count_row(run, &run->records[i], FC_PASS_COMPUTED);
    }
    fc_record_writer_free(&run->writer);
    if (status != 0) {
        fc_output_abort(&out);
        return -1;
    }
    return fc_output_commit(&out, err);
}

// A resumed shard is said once, on its own line; computed rows show in the progress.
static void report_resumed_shard(pass_run *run, size_t shard, size_t n) {
    FILE *out = run->options->progress;
    run->shard_end = input_offset(run);
    fc_progress_update(&run->bar, run->shard_end, run->stats->rows);
    if (!out) return;
    char who[32] = "";
    if (run->ranks > 1) snprintf(who, sizeof who, " (rank %d)", run->rank);
    fprintf(out, "%s%s%s: shard %zu already done (%zu rows), %llu rows so far\n",
            isatty(fileno(out)) ? "\r\033[K" : "", run->stage->name, who, shard, n,
            (unsigned long long)run->stats->rows);
    fflush(out);
}

static int run_shards(pass_run *run, fc_error *err) {
    size_t shard = 0;
    for (;; shard++) {
        size_t n;
        if (shard_done_at_start(run, shard)) {
            if (skip_shard(run, FC_PASS_RESUMED, &n, err) != 0) return -1;
            if (n == 0) break; // a shard file past the end: cannot be, the input hash matched
            run->stats->shards_resumed++;
            if (run->rank == 0) report_resumed_shard(run, shard, n);
        } else if (shard % (size_t)run->ranks != (size_t)run->rank) { // another rank's
            if (skip_shard(run, FC_PASS_COMPUTED, &n, err) != 0) return -1;
            if (n == 0) break;
            run->stats->shards_computed++;
        } else {
            if (read_shard(run, &n, err) != 0) return -1;
            if (n == 0) break;
            if (compute_shard(run, shard, err) != 0) return -1;
            run->stats->shards_computed++;
            run->computed_here++;
            if (run->rank == 0) write_progress_file(run, shard + 1, run->stats->rows);
            if (run->options->stop_after_shards > 0 &&
                run->computed_here >= (size_t)run->options->stop_after_shards &&
                n == run->options->shard_size) {
                run->stats->stopped = 1;
                run->stats->shards = shard + 1;
                return 0;
            }
        }
        if (n < run->options->shard_size) {
            shard++;
            break;
        }
    }
    run->stats->shards = shard;
    return 0;
}

// The manifest members that must match (manifest_keys) on every rank, as one string.
static int check_ranks_agree(const pass_run *run, fc_error *err) {
    if (run->ranks == 1) return 0;
    cJSON *manifest = build_manifest(run, err);
    int status = manifest ? 0 : -1;
    if (fc_dist_agree(status, err) != 0) {
        cJSON_Delete(manifest);
        return -1;
    }
    cJSON *keys = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof manifest_keys / sizeof manifest_keys[0]; i++)
        cJSON_AddItemToObject(keys, manifest_keys[i], cJSON_Duplicate(
            cJSON_GetObjectItemCaseSensitive(manifest, manifest_keys[i]), 1));
    char *text = cJSON_PrintUnformatted(keys);
    status = fc_dist_check_same("options, input or model (stage, input hash, model fingerprint, "
                                "shard and batch size, max length, threads)", text, strlen(text),
                                err);
    cJSON_free(text);
    cJSON_Delete(keys);
    cJSON_Delete(manifest);
    return status;
}

static int concatenate_shards(pass_run *run, const char *output, fc_error *err) {
    fc_output_file out;
    if (fc_output_open(&out, output, err) != 0) return -1;
    enum { BLOCK = 1 << 20 };
    char *block = fc_malloc(BLOCK);
    int status = 0;
    for (size_t shard = 0; shard < run->stats->shards && status == 0; shard++) {
        char *path = shard_path(run, shard);
        FILE *in = fopen(path, "rb");
        if (!in) {
            status = fc_fail(err, "%s: cannot open: %s", path, strerror(errno));
        } else {
            size_t got;
            while ((got = fread(block, 1, BLOCK, in)) > 0) fwrite(block, 1, got, out.file);
            if (ferror(in)) status = fc_fail(err, "%s: read error", path);
            fclose(in);
        }
        free(path);
    }
    free(block);
    if (status != 0) {
        fc_output_abort(&out);
        return -1;
    }
    return fc_output_commit(&out, err);
}

static void init_stats(fc_model_pass_stats *stats) {
    memset(stats, 0, sizeof *stats);
    static const char *const columns[FC_PASS_COLUMNS] = {
        [FC_PASS_ROWS] = "rows",
        [FC_PASS_COMPUTED] = "computed",
        [FC_PASS_RESUMED] = "resumed",
        [FC_PASS_NO_LABEL] = "no label",
    };
    fc_count_table_init(&stats->by_source, columns, FC_PASS_COLUMNS);
}

int fc_curate_model_pass(const char *input, const char *output, const char *model_dir,
                         const fc_model_pass_stage *stage, const fc_model_pass_options *options,
                         fc_model_pass_stats *stats, fc_error *err) {
    fc_model_pass_options defaults = fc_model_pass_default_options();
    if (!options) options = &defaults;
    fc_model_pass_options effective = *options;
    if (effective.shard_size == 0) effective.shard_size = FC_MODEL_PASS_DEFAULT_SHARD_SIZE;
    init_stats(stats);
    double start = fc_progress_now();
    pass_run run = {
        .input = input,
        .model_dir = model_dir,
        .stage = stage,
        .options = &effective,
        .stats = stats,
        .nli = fc_nli_default_options(),
    };
    run.nli.batch_size = effective.batch_size > 0 ? effective.batch_size : 32;
    run.nli.max_length = effective.max_length > 0 ? effective.max_length : 0;
    if (effective.work_dir) {
        run.work_dir = fc_strdup(effective.work_dir);
    } else {
        size_t size = strlen(output) + sizeof ".shards";
        run.work_dir = fc_malloc(size);
        snprintf(run.work_dir, size, "%s.shards", output);
    }

    // Rank 0 makes (or checks) the work folder; the others start once it is there, so that
    // every rank sees the same completed shards.
    run.rank = fc_dist_rank();
    run.ranks = fc_dist_size();
    int status = run.rank == 0 ? prepare_work_dir(&run, err) : 0;
    status = fc_dist_agree(status, err);
    if (status == 0) status = check_ranks_agree(&run, err);
    if (status == 0) scan_done_shards(&run);
    fc_model_options model_options = {.weights = options->weights};
    if (status == 0) status = fc_model_load_with(model_dir, &model_options, &run.model, err);
    if (status == 0) status = fc_model_canonical_order(run.model, model_dir, run.canonical_of, err);
    if (status == 0) status = fc_curate_reader_open(&run.reader, input, err);
    if (status == 0) {
        uint64_t done, total;
        fc_reader_progress(run.reader.reader, &done, &total);
        fc_progress_start(&run.bar, run.rank == 0 ? options->progress : NULL, stage->name, total);
        run.shard_end = done;
        size_t n = effective.shard_size;
        run.records = fc_calloc(n, sizeof *run.records);
        run.lines = fc_calloc(n, sizeof *run.lines);
        run.lengths = fc_calloc(n, sizeof *run.lengths);
        run.encoded = fc_calloc(n, sizeof *run.encoded);
        run.logits = fc_malloc(n * FC_LABEL_COUNT * sizeof *run.logits);
        int shards_status = run_shards(&run, err);
        free_shard_rows(&run);
        for (size_t i = 0; i < n; i++) fc_ids_free(&run.encoded[i]);
        free(run.records);
        free(run.lines);
        free(run.lengths);
        free(run.encoded);
        free(run.logits);
        fc_curate_reader_close(&run.reader);
        status = shards_status;
    }
    // Every rank's shards are complete (or one failed, or stopped) before rank 0 joins them.
    status = fc_dist_agree(status, err);
    if (status == 0 && run.ranks > 1) {
        double flags[3] = {stats->stopped, stats->model_seconds, stats->tokenize_seconds};
        fc_dist_sum_doubles(flags, 1);
        fc_dist_max_doubles(flags + 1, 2); // the ranks ran side by side: the slowest one's
        stats->stopped = flags[0] > 0;
        stats->model_seconds = flags[1];
        stats->tokenize_seconds = flags[2];
    }
    if (status == 0) fc_progress_end(&run.bar, stats->rows);
    if (status == 0 && !stats->stopped && run.rank == 0) {
        status = concatenate_shards(&run, output, err);
        if (status == 0) clear_work_dir(&run, 1);
    }
    if (run.model) fc_model_free(run.model);
    free(run.work_dir);
    free(run.done_at_start);
    stats->seconds = fc_progress_now() - start;
    return status;
}
