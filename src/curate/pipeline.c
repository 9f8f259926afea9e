#include "curate/pipeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "curate/fingerprint.h"
#include "curate/flag.h"
#include "curate/hash.h"
#include "curate/histogram.h"
#include "curate/output_file.h"
#include "util/progress.h"
#include "curate/score.h"
#include "curate/select.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

typedef struct pipeline {
    const fc_pipeline_config *config;
    const fc_pipeline_options *options;
    cJSON *stages;       // the report's stage list
    int stopped;         // a model pass stopped early on purpose (stop_after_shards)
    char *stage_dir;     // OUTPUT/stages: one record per stage
} pipeline;

static char *output_path(const pipeline *pl, const char *name) {
    return fc_path_join(pl->config->output_dir, name);
}

static int make_dir(const char *path, fc_error *err) {
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return fc_fail(err, "%s: cannot create: %s", path, strerror(errno));
    return 0;
}

// What a stage depends on: its name, settings, the bytes of its input files and the extra
// identities (a model's fingerprint), hashed to 16 hex digits.
static int fingerprint(const char *name, const cJSON *settings, const char *const *files,
                       size_t n_files, const char *extra, char hex[17], fc_error *err) {
    uint64_t state = fc_curate_hash_begin(0);
    state = fc_curate_hash_update(state, name, strlen(name) + 1);
    char *text = cJSON_PrintUnformatted(settings);
    state = fc_curate_hash_update(state, text, strlen(text) + 1);
    cJSON_free(text);
    for (size_t i = 0; i < n_files; i++) {
        struct stat st;
        uint64_t hash = 0, size = 0;
        // A SentEval input is a prefix of three files, not a file: its name stands for it.
        if (stat(files[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (fc_file_fingerprint(files[i], &hash, &size, err) != 0) return -1;
        } else {
            hash = fc_curate_hash_bytes(files[i], strlen(files[i]), 0);
        }
        state = fc_curate_hash_update(state, &hash, sizeof hash);
        state = fc_curate_hash_update(state, &size, sizeof size);
    }
    if (extra) state = fc_curate_hash_update(state, extra, strlen(extra) + 1);
    snprintf(hex, 17, "%016llx", (unsigned long long)fc_curate_hash_end(state));
    return 0;
}

// The stats a finished stage recorded, when its record has this fingerprint and its outputs
// exist; NULL otherwise.
static cJSON *recorded_stats(const pipeline *pl, const char *name, const char *hex,
                             const char *const *outputs, size_t n_outputs) {
    if (pl->options->force) return NULL;
    for (size_t i = 0; i < n_outputs; i++)
        if (!fc_file_exists(outputs[i])) return NULL;
    char file[64];
    snprintf(file, sizeof file, "%s.json", name);
    char *path = fc_path_join(pl->stage_dir, file);
    char *text = NULL;
    fc_error ignored;
    cJSON *record = fc_read_file(path, &text, NULL, &ignored) == 0 ? cJSON_Parse(text) : NULL;
    free(text);
    free(path);
    const cJSON *recorded = cJSON_GetObjectItemCaseSensitive(record, "fingerprint");
    cJSON *stats = NULL;
    if (cJSON_IsString(recorded) && strcmp(recorded->valuestring, hex) == 0)
        stats = cJSON_DetachItemFromObjectCaseSensitive(record, "stats");
    cJSON_Delete(record);
    return stats;
}

static int write_record(const pipeline *pl, const char *name, const char *hex,
                        const cJSON *stats, fc_error *err) {
    cJSON *record = cJSON_CreateObject();
    cJSON_AddStringToObject(record, "stage", name);
    cJSON_AddStringToObject(record, "fingerprint", hex);
    cJSON_AddItemToObject(record, "stats", cJSON_Duplicate(stats, 1));
    char *text = cJSON_Print(record);
    char file[64];
    snprintf(file, sizeof file, "%s.json", name);
    char *path = fc_path_join(pl->stage_dir, file);
    int status = fc_output_write_text(path, text, err);
    free(path);
    cJSON_free(text);
    cJSON_Delete(record);
    return status;
}

static void report_stage(pipeline *pl, const char *name, const char *status,
                         const char *const *outputs, size_t n_outputs, cJSON *stats) {
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "name", name);
    cJSON_AddStringToObject(entry, "status", status);
    cJSON *files = cJSON_AddArrayToObject(entry, "outputs");
    for (size_t i = 0; i < n_outputs; i++)
        cJSON_AddItemToArray(files, cJSON_CreateString(outputs[i]));
    if (stats) cJSON_AddItemToObject(entry, "stats", stats);
    cJSON_AddItemToArray(pl->stages, entry);
    if (pl->options->progress)
        fprintf(pl->options->progress, "curate run: %s %s\n", name, status);
}

// A stage: the decision to skip it, its run, its record and its report entry. run_stage fills
// *stats (JSON) or fails; *stopped says a model pass stopped early on purpose.
typedef int (*stage_fn)(pipeline *pl, void *context, cJSON **stats, int *stopped, fc_error *err);

static int stage(pipeline *pl, const char *name, const cJSON *settings, const char *const *inputs,
                 size_t n_inputs, const char *extra, const char *const *outputs,
                 size_t n_outputs, stage_fn run, void *context, int *stopped, fc_error *err) {
    char hex[17];
    if (fingerprint(name, settings, inputs, n_inputs, extra, hex, err) != 0) return -1;
    cJSON *stats = recorded_stats(pl, name, hex, outputs, n_outputs);
    if (stats) {
        report_stage(pl, name, "up to date", outputs, n_outputs, stats);
        return 0;
    }
    if (pl->options->progress) fprintf(pl->options->progress, "curate run: %s ...\n", name);
    *stopped = 0;
    if (run(pl, context, &stats, stopped, err) != 0) {
        cJSON_Delete(stats);
        report_stage(pl, name, "failed", outputs, n_outputs, NULL);
        return -1;
    }
    if (*stopped) {
        pl->stopped = 1;
        report_stage(pl, name, "stopped", outputs, n_outputs, stats);
        return 0;
    }
    int status = write_record(pl, name, hex, stats, err);
    report_stage(pl, name, "ran", outputs, n_outputs, stats);
    return status;
}

// ---------------------------------------------------------------------------------------------
// The stages

typedef struct paths {
    char *bigcat, *deduped, *scored, *hist_txt, *hist_svg, *review, *flagged, *selected,
        *finecat;
} paths;

static int run_ingest(pipeline *pl, void *context, cJSON **stats, int *stopped, fc_error *err) {
    const paths *p = context;
    fc_ingest_options options = fc_ingest_default_options();
    options.on_error = pl->config->on_error;
    options.progress = pl->options->progress;
    options.warnings = pl->options->progress;
    fc_ingest_stats result;
    int status = fc_curate_ingest(pl->config->inputs, pl->config->n_inputs, p->bigcat, &options,
                                  &result, err);
    if (status == 0) *stats = fc_ingest_stats_to_json(&result);
    fc_ingest_stats_free(&result);
    return status;
}

static int run_dedupe(pipeline *pl, void *context, cJSON **stats, int *stopped, fc_error *err) {
    const paths *p = context;
    const fc_pipeline_config *config = pl->config;
    fc_dedupe_options options = fc_dedupe_default_options();
    options.eval_splits = config->eval_splits;
    options.eval_files = (const char *const *)config->eval_files;
    options.n_eval_files = config->n_eval_files;
    options.keep_eval = config->keep_eval;
    options.id_sources = config->id_sources;
    options.on_conflict = config->on_conflict;
    options.progress = pl->options->progress;
    fc_dedupe_stats result;
    int status = fc_curate_dedupe(p->bigcat, p->deduped, &options, &result, err);
    if (status == 0) *stats = fc_dedupe_stats_to_json(&result);
    fc_dedupe_stats_free(&result);
    return status;
}

static fc_model_pass_options pass_options(const pipeline *pl) {
    fc_model_pass_options options = fc_model_pass_default_options();
    options.shard_size = pl->config->shard_size;
    options.batch_size = pl->config->batch_size;
    options.max_length = pl->config->max_length;
    options.stop_after_shards = pl->options->stop_after_shards;
    options.progress = pl->options->progress;
    return options;
}

static int run_score(pipeline *pl, void *context, cJSON **stats, int *stopped, fc_error *err) {
    const paths *p = context;
    fc_model_pass_options options = pass_options(pl);
    fc_model_pass_stats result;
    int status = fc_curate_score(p->deduped, p->scored, pl->config->pilot_model, &options,
                                 &result, err);
    if (status == 0) *stats = fc_model_pass_stats_to_json(&result);
    *stopped = result.stopped;
    fc_model_pass_stats_free(&result);
    return status;
}

static int run_hist(pipeline *pl, void *context, cJSON **stats, int *stopped, fc_error *err) {
    const paths *p = context;
    fc_histogram hist;
    if (fc_curate_histogram(p->scored, pl->config->bins, pl->options->progress, &hist, err) != 0)
        return -1;
    int status = fc_histogram_write_svg(&hist, p->hist_svg, pl->config->hist_layout, NULL, err);
    if (status == 0) {
        char *text = NULL;
        size_t size = 0;
        FILE *memory = open_memstream(&text, &size);
        fc_histogram_print(memory, &hist, 0);
        fclose(memory);
        status = fc_output_write_text(p->hist_txt, text, err);
        free(text);
    }
    if (status == 0) *stats = fc_histogram_to_json(&hist);
    fc_histogram_free(&hist);
    return status;
}

static int run_flag(pipeline *pl, void *context, cJSON **stats, int *stopped, fc_error *err) {
    const paths *p = context;
    const fc_pipeline_config *config = pl->config;
    fc_flag_options options = fc_flag_default_options();
    options.flag_below = config->flag_below;
    options.review_path = p->review;
    options.screen_cmd = config->screen_cmd;
    options.screen_timeout = config->screen_timeout;
    options.apply_path = config->review_apply;
    options.output = p->flagged; // used only when verdicts are applied
    options.progress = pl->options->progress;
    fc_flag_stats result;
    int status = fc_curate_flag(p->scored, &options, &result, err);
    if (status == 0) *stats = fc_flag_stats_to_json(&result);
    fc_flag_stats_free(&result);
    return status;
}

typedef struct select_context {
    const paths *p;
    const char *input;
} select_context;

static int run_select(pipeline *pl, void *context, cJSON **stats, int *stopped, fc_error *err) {
    const select_context *c = context;
    const fc_pipeline_config *config = pl->config;
    fc_select_options options = fc_select_default_options();
    options.easy_above = config->easy_above;
    options.keep_easy_frac = config->keep_easy_frac;
    options.target_rows = config->target_rows;
    options.seed = config->seed;
    options.progress = pl->options->progress;
    fc_select_stats result;
    int status = fc_curate_select(c->input, c->p->selected, &options, &result, err);
    if (status == 0) *stats = fc_select_stats_to_json(&result);
    fc_select_stats_free(&result);
    return status;
}

static int run_teacher(pipeline *pl, void *context, cJSON **stats, int *stopped,
                       fc_error *err) {
    const paths *p = context;
    fc_model_pass_options options = pass_options(pl);
    fc_model_pass_stats result;
    int status = fc_curate_teacher(p->selected, p->finecat, pl->config->teacher_model, &options,
                                   &result, err);
    if (status == 0) *stats = fc_model_pass_stats_to_json(&result);
    *stopped = result.stopped;
    fc_model_pass_stats_free(&result);
    return status;
}

// ---------------------------------------------------------------------------------------------
// Settings of each stage, as they enter its fingerprint

static cJSON *ingest_settings(const fc_pipeline_config *config) {
    cJSON *settings = cJSON_CreateObject();
    cJSON *inputs = cJSON_AddArrayToObject(settings, "inputs");
    for (size_t i = 0; i < config->n_inputs; i++) {
        const fc_ingest_input *in = &config->inputs[i];
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "path", in->path);
        if (in->source) cJSON_AddStringToObject(item, "source", in->source);
        if (in->split) cJSON_AddStringToObject(item, "split", in->split);
        cJSON_AddStringToObject(item, "format", fc_dataset_format_name(in->format));
        cJSON_AddItemToArray(inputs, item);
    }
    cJSON_AddStringToObject(settings, "on_error",
                            config->on_error == FC_ON_ERROR_SKIP ? "skip" : "fail");
    return settings;
}

static cJSON *pass_settings(const fc_pipeline_config *config) {
    cJSON *settings = cJSON_CreateObject();
    cJSON_AddNumberToObject(settings, "shard_size", (double)config->shard_size);
    cJSON_AddNumberToObject(settings, "batch_size", config->batch_size);
    cJSON_AddNumberToObject(settings, "max_length", config->max_length);
    return settings;
}

static int run_stages(pipeline *pl, const paths *p, const char **final_output, fc_error *err) {
    const fc_pipeline_config *config = pl->config;
    int stopped = 0, status;

    cJSON *settings = ingest_settings(config);
    const char **inputs = fc_calloc(config->n_inputs, sizeof *inputs);
    for (size_t i = 0; i < config->n_inputs; i++) inputs[i] = config->inputs[i].path;
    status = stage(pl, "ingest", settings, inputs, config->n_inputs, NULL,
                   (const char *[]){p->bigcat}, 1, run_ingest, (void *)p, &stopped, err);
    free(inputs);
    cJSON_Delete(settings);
    if (status != 0) return -1;
    *final_output = p->bigcat;

    settings = cJSON_CreateObject();
    cJSON_AddStringToObject(settings, "eval_splits",
                            config->eval_splits ? config->eval_splits
                                                : FC_DEDUPE_DEFAULT_EVAL_SPLITS);
    cJSON_AddBoolToObject(settings, "keep_eval", config->keep_eval);
    if (config->id_sources) cJSON_AddStringToObject(settings, "id_sources", config->id_sources);
    cJSON_AddStringToObject(settings, "on_conflict",
                            config->on_conflict == FC_CONFLICT_DROP ? "drop" : "flag");
    const char **dedupe_inputs = fc_calloc(config->n_eval_files + 1, sizeof *dedupe_inputs);
    dedupe_inputs[0] = p->bigcat;
    for (size_t i = 0; i < config->n_eval_files; i++) dedupe_inputs[i + 1] = config->eval_files[i];
    status = stage(pl, "dedupe", settings, dedupe_inputs, config->n_eval_files + 1, NULL,
                   (const char *[]){p->deduped}, 1, run_dedupe, (void *)p, &stopped, err);
    free(dedupe_inputs);
    cJSON_Delete(settings);
    if (status != 0) return -1;
    *final_output = p->deduped;

    if (!config->pilot_model) {
        static const char *const needs_pilot[] = {"score", "hist", "flag", "select", "teacher"};
        for (size_t i = 0; i < 5; i++)
            report_stage(pl, needs_pilot[i], "not configured (no pilot_model)", NULL, 0, NULL);
        return 0;
    }
    char pilot[17];
    if (fc_model_fingerprint(config->pilot_model, pilot, sizeof pilot, err) != 0) return -1;
    settings = pass_settings(config);
    status = stage(pl, "score", settings, (const char *[]){p->deduped}, 1, pilot,
                   (const char *[]){p->scored}, 1, run_score, (void *)p, &stopped, err);
    cJSON_Delete(settings);
    if (status != 0 || stopped) return status;
    *final_output = p->scored;

    settings = cJSON_CreateObject();
    cJSON_AddNumberToObject(settings, "bins", config->bins);
    cJSON_AddNumberToObject(settings, "layout", config->hist_layout);
    status = stage(pl, "hist", settings, (const char *[]){p->scored}, 1, NULL,
                   (const char *[]){p->hist_txt, p->hist_svg}, 2, run_hist, (void *)p, &stopped,
                   err);
    cJSON_Delete(settings);
    if (status != 0) return -1;

    int applies = config->screen_cmd || config->review_apply;
    settings = cJSON_CreateObject();
    cJSON_AddNumberToObject(settings, "flag_below", config->flag_below);
    if (config->screen_cmd) cJSON_AddStringToObject(settings, "screen_cmd", config->screen_cmd);
    const char *flag_inputs[2] = {p->scored, config->review_apply};
    // Outputs: the review file (not when applying one), the data set with verdicts applied.
    const char *flag_outputs[2];
    size_t n_flag_outputs = 0;
    if (!config->review_apply) flag_outputs[n_flag_outputs++] = p->review;
    if (applies) flag_outputs[n_flag_outputs++] = p->flagged;
    status = stage(pl, "flag", settings, flag_inputs, config->review_apply ? 2 : 1, NULL,
                   flag_outputs, n_flag_outputs, run_flag, (void *)p, &stopped, err);
    cJSON_Delete(settings);
    if (status != 0) return -1;
    const char *select_input = applies ? p->flagged : p->scored;
    if (applies) *final_output = p->flagged;

    settings = cJSON_CreateObject();
    cJSON_AddNumberToObject(settings, "easy_above", config->easy_above);
    cJSON_AddNumberToObject(settings, "keep_easy_frac", config->keep_easy_frac);
    cJSON_AddNumberToObject(settings, "target_rows", (double)config->target_rows);
    cJSON_AddNumberToObject(settings, "seed", (double)config->seed);
    select_context select = {.p = p, .input = select_input};
    status = stage(pl, "select", settings, &select_input, 1, NULL,
                   (const char *[]){p->selected}, 1, run_select, &select, &stopped, err);
    cJSON_Delete(settings);
    if (status != 0) return -1;
    *final_output = p->selected;

    if (!config->teacher_model) {
        report_stage(pl, "teacher", "not configured (no teacher_model)", NULL, 0, NULL);
        return 0;
    }
    char teacher[17];
    if (fc_model_fingerprint(config->teacher_model, teacher, sizeof teacher, err) != 0) return -1;
    settings = pass_settings(config);
    status = stage(pl, "teacher", settings, (const char *[]){p->selected}, 1, teacher,
                   (const char *[]){p->finecat}, 1, run_teacher, (void *)p, &stopped, err);
    cJSON_Delete(settings);
    if (status == 0 && !stopped) *final_output = p->finecat;
    return status;
}

static int write_reports(const pipeline *pl, cJSON *report, fc_error *err) {
    char *json_path = output_path(pl, "report.json");
    char *md_path = output_path(pl, "report.md");
    char *text = cJSON_Print(report);
    int status = fc_output_write_text(json_path, text, err);
    cJSON_free(text);
    if (status == 0) {
        char *markdown = NULL;
        size_t size = 0;
        FILE *memory = open_memstream(&markdown, &size);
        fc_pipeline_report_markdown(memory, report);
        fclose(memory);
        status = fc_output_write_text(md_path, markdown, err);
        free(markdown);
    }
    free(json_path);
    free(md_path);
    return status;
}

int fc_curate_run_pipeline(const char *config_path, const fc_pipeline_config *config,
                           const fc_pipeline_options *options, cJSON **report_out,
                           fc_error *err) {
    fc_pipeline_options defaults = {0};
    if (!options) options = &defaults;
    if (report_out) *report_out = NULL;
    if (make_dir(config->output_dir, err) != 0) return -1;
    double start = fc_progress_now();
    pipeline pl = {.config = config, .options = options};
    pl.stage_dir = fc_path_join(config->output_dir, "stages");
    if (make_dir(pl.stage_dir, err) != 0) {
        free(pl.stage_dir);
        return -1;
    }
    paths p = {
        .bigcat = output_path(&pl, "1-bigcat.jsonl"),
        .deduped = output_path(&pl, "2-deduped.jsonl"),
        .scored = output_path(&pl, "3-scored.jsonl"),
        .hist_txt = output_path(&pl, "4-hist.txt"),
        .hist_svg = output_path(&pl, "4-hist.svg"),
        .review = output_path(&pl, "5-review.jsonl"),
        .flagged = output_path(&pl, "5-flagged.jsonl"),
        .selected = output_path(&pl, "6-selected.jsonl"),
        .finecat = output_path(&pl, "7-finecat.jsonl"),
    };
    cJSON *report = cJSON_CreateObject();
    cJSON_AddStringToObject(report, "config", config_path);
    cJSON_AddItemToObject(report, "settings", cJSON_Duplicate(config->json, 1));
    cJSON_AddStringToObject(report, "output_dir", config->output_dir);
    pl.stages = cJSON_AddArrayToObject(report, "stages");
    const char *final_output = NULL;
    int status = run_stages(&pl, &p, &final_output, err);
    if (final_output) cJSON_AddStringToObject(report, "final_output", final_output);
    if (status != 0) cJSON_AddStringToObject(report, "error", err->message);
    if (pl.stopped) cJSON_AddBoolToObject(report, "stopped", 1);
    cJSON_AddNumberToObject(report, "seconds", fc_progress_now() - start);
    fc_error report_err;
    if (write_reports(&pl, report, &report_err) != 0 && status == 0) {
        *err = report_err;
        status = -1;
    }
    if (report_out) *report_out = report;
    else cJSON_Delete(report);
    free(p.bigcat);
    free(p.deduped);
    free(p.scored);
    free(p.hist_txt);
    free(p.hist_svg);
    free(p.review);
    free(p.flagged);
    free(p.selected);
    free(p.finecat);
    free(pl.stage_dir);
    return status;
}
