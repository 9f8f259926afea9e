#include "curate/pipeline_config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "curate/flag.h"
#include "curate/model_pass.h"
#include "curate/select.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

static const char *const known_keys[] = {
    "description", "data_dir", "id_sources", "output_dir", "inputs", "on_error", "seed", "eval_splits", "eval_files", "keep_eval",
    "on_conflict", "pilot_model", "teacher_model", "shard_size", "batch_size", "max_length",
    "bins", "hist_layout", "flag_below", "screen_cmd", "screen_timeout", "review_apply",
    "easy_above", "keep_easy_frac", "target_rows",
};

typedef struct parser {
    const char *path;
    char *base_dir; // the config's folder
    const char *data_dir; // where inputs and eval_files are: NULL for base_dir
    const fc_pipeline_overrides *overrides;
    fc_pipeline_config *config;
    const cJSON *json;
} parser;

static char *keep_string(fc_pipeline_config *config, char *text) {
    config->strings = fc_realloc(config->strings, (config->n_strings + 1) * sizeof *config->strings);
    config->strings[config->n_strings++] = text;
    return text;
}

// A path from the config: relative ones start in the config file's folder.
static char *resolve(parser *p, const char *path) {
    if (path[0] == '/' || !p->base_dir[0]) return keep_string(p->config, fc_strdup(path));
    return keep_string(p->config, fc_path_join(p->base_dir, path));
}

// A data file's path: relative ones start in data_dir when there is one.
static char *resolve_data(parser *p, const char *path) {
    if (!p->data_dir) return resolve(p, path);
    if (path[0] == '/') return keep_string(p->config, fc_strdup(path));
    return keep_string(p->config, fc_path_join(p->data_dir, path));
}

static const cJSON *member(parser *p, const char *key) {
    return cJSON_GetObjectItemCaseSensitive(p->json, key);
}

static int get_string(parser *p, const char *key, int is_path, char **out, fc_error *err) {
    const cJSON *item = member(p, key);
    if (!item || cJSON_IsNull(item)) return 0;
    if (!cJSON_IsString(item) || !item->valuestring[0])
        return fc_fail(err, "%s: \"%s\" must be a non-empty string", p->path, key);
    *out = is_path ? resolve(p, item->valuestring)
                   : keep_string(p->config, fc_strdup(item->valuestring));
    return 0;
}

static int get_number(parser *p, const char *key, double min, double max, double *out,
                      fc_error *err) {
    const cJSON *item = member(p, key);
    if (!item || cJSON_IsNull(item)) return 0;
    if (!cJSON_IsNumber(item) || item->valuedouble < min || item->valuedouble > max)
        return fc_fail(err, "%s: \"%s\" must be a number from %g to %g", p->path, key, min, max);
    *out = item->valuedouble;
    return 0;
}

static int get_integer(parser *p, const char *key, double min, double max, double *out,
                       fc_error *err) {
    if (get_number(p, key, min, max, out, err) != 0) return -1;
    if (*out != floor(*out)) return fc_fail(err, "%s: \"%s\" must be an integer", p->path, key);
    return 0;
}

static int get_bool(parser *p, const char *key, int *out, fc_error *err) {
    const cJSON *item = member(p, key);
    if (!item || cJSON_IsNull(item)) return 0;
    if (!cJSON_IsBool(item)) return fc_fail(err, "%s: \"%s\" must be true or false", p->path, key);
    *out = cJSON_IsTrue(item);
    return 0;
}

static int get_choice(parser *p, const char *key, const char *const *choices, int *out,
                      fc_error *err) {
    const cJSON *item = member(p, key);
    if (!item || cJSON_IsNull(item)) return 0;
    for (int i = 0; cJSON_IsString(item) && choices[i]; i++) {
        if (strcmp(choices[i], item->valuestring) == 0) {
            *out = i;
            return 0;
        }
    }
    return fc_fail(err, "%s: \"%s\" must be \"%s\" or \"%s\"", p->path, key, choices[0],
                   choices[1]);
}

static int parse_input(parser *p, const cJSON *item, size_t index, fc_ingest_input *input,
                       fc_error *err) {
    if (cJSON_IsString(item)) {
        char *spec = keep_string(p->config, fc_strdup(item->valuestring));
        if (fc_ingest_parse_spec(spec, input, err) != 0)
            return fc_fail_prefix(err, "%s: inputs[%zu]", p->path, index);
        input->path = resolve_data(p, input->path);
        return 0;
    }
    if (!cJSON_IsObject(item))
        return fc_fail(err, "%s: inputs[%zu] must be \"[SOURCE[:SPLIT]=]PATH\" or an object",
                       p->path, index);
    memset(input, 0, sizeof *input);
    const cJSON *field;
    cJSON_ArrayForEach(field, item) {
        const char *key = field->string;
        if (strcmp(key, "path") && strcmp(key, "source") && strcmp(key, "split") &&
            strcmp(key, "format"))
            return fc_fail(err, "%s: inputs[%zu]: unknown key \"%s\" (path, source, split, "
                                "format)", p->path, index, key);
        if (!cJSON_IsString(field))
            return fc_fail(err, "%s: inputs[%zu].%s must be a string", p->path, index, key);
    }
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(item, "path");
    const cJSON *source = cJSON_GetObjectItemCaseSensitive(item, "source");
    const cJSON *split = cJSON_GetObjectItemCaseSensitive(item, "split");
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(item, "format");
    if (!path || !path->valuestring[0])
        return fc_fail(err, "%s: inputs[%zu] needs \"path\"", p->path, index);
    input->path = resolve_data(p, path->valuestring);
    if (source) input->source = keep_string(p->config, fc_strdup(source->valuestring));
    if (split) input->split = keep_string(p->config, fc_strdup(split->valuestring));
    input->format = FC_FORMAT_AUTO;
    if (format) {
        int f = fc_dataset_format_from_name(format->valuestring);
        if (f < 0) return fc_fail(err, "%s: inputs[%zu]: unknown format \"%s\"", p->path, index,
                                  format->valuestring);
        input->format = (fc_dataset_format)f;
    }
    return 0;
}

static int parse_inputs(parser *p, fc_error *err) {
    const cJSON *inputs = member(p, "inputs");
    if (!cJSON_IsArray(inputs) || cJSON_GetArraySize(inputs) == 0)
        return fc_fail(err, "%s: \"inputs\" must be a non-empty array", p->path);
    fc_pipeline_config *config = p->config;
    config->n_inputs = (size_t)cJSON_GetArraySize(inputs);
    config->inputs = fc_calloc(config->n_inputs, sizeof *config->inputs);
    size_t i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, inputs) {
        if (parse_input(p, item, i, &config->inputs[i], err) != 0) return -1;
        i++;
    }
    return 0;
}

// A list of names, given as ["a", "b"] or "a,b"; an empty array is an empty list ("").
static int get_list(parser *p, const char *key, char **out, fc_error *err) {
    const cJSON *names = member(p, key);
    if (!cJSON_IsArray(names)) return get_string(p, key, 0, out, err);
    size_t size = 1;
    const cJSON *item;
    cJSON_ArrayForEach(item, names) {
        if (!cJSON_IsString(item))
            return fc_fail(err, "%s: \"%s\" must hold strings", p->path, key);
        size += strlen(item->valuestring) + 1;
    }
    char *list = keep_string(p->config, fc_calloc(size, 1));
    cJSON_ArrayForEach(item, names) {
        if (list[0]) strcat(list, ",");
        strcat(list, item->valuestring);
    }
    *out = list;
    return 0;
}

static int parse_eval(parser *p, fc_error *err) {
    fc_pipeline_config *config = p->config;
    if (get_list(p, "eval_splits", &config->eval_splits, err) != 0 ||
        get_list(p, "id_sources", &config->id_sources, err) != 0)
        return -1;
    const cJSON *files = member(p, "eval_files");
    if (files && !cJSON_IsNull(files)) {
        if (!cJSON_IsArray(files))
            return fc_fail(err, "%s: \"eval_files\" must be an array of paths", p->path);
        config->n_eval_files = (size_t)cJSON_GetArraySize(files);
        config->eval_files = fc_calloc(config->n_eval_files ? config->n_eval_files : 1,
                                       sizeof *config->eval_files);
        size_t i = 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, files) {
            if (!cJSON_IsString(item))
                return fc_fail(err, "%s: eval_files[%zu] must be a path", p->path, i);
            config->eval_files[i++] = resolve_data(p, item->valuestring);
        }
    }
    return 0;
}

static int parse_all(parser *p, fc_error *err) {
    fc_pipeline_config *config = p->config;
    const cJSON *item;
    cJSON_ArrayForEach(item, p->json) {
        int known = 0;
        for (size_t i = 0; i < sizeof known_keys / sizeof known_keys[0]; i++)
            known |= strcmp(known_keys[i], item->string) == 0;
        if (!known) return fc_fail(err, "%s: unknown key \"%s\"", p->path, item->string);
    }
    static const char *const on_error[] = {"fail", "skip", NULL};
    static const char *const conflicts[] = {"flag", "drop", NULL};
    static const char *const layouts[] = {"stacked", "grouped", NULL};
    int on_error_choice = 0, conflict_choice = 0, layout_choice = 0;
    double seed = 1, shard_size = FC_MODEL_PASS_DEFAULT_SHARD_SIZE, batch_size = 32,
           max_length = 0, bins = FC_HIST_DEFAULT_BINS, screen_timeout = 0, target_rows = -1;
    config->flag_below = FC_FLAG_DEFAULT_BELOW;
    config->easy_above = FC_SELECT_DEFAULT_EASY_ABOVE;
    config->keep_easy_frac = -1;
    char *description = NULL;
    if (get_string(p, "description", 0, &description, err) != 0 ||
        get_string(p, "output_dir", 1, &config->output_dir, err) != 0 ||
        get_string(p, "data_dir", 1, &config->data_dir, err) != 0)
        return -1;
    const fc_pipeline_overrides *o = p->overrides;
    if (o && o->output_dir) config->output_dir = keep_string(config, fc_strdup(o->output_dir));
    if (o && o->data_dir) config->data_dir = keep_string(config, fc_strdup(o->data_dir));
    p->data_dir = config->data_dir;
    if (parse_inputs(p, err) != 0 || parse_eval(p, err) != 0 ||
        get_choice(p, "on_error", on_error, &on_error_choice, err) != 0 ||
        get_integer(p, "seed", 0, 9007199254740992.0, &seed, err) != 0 ||
        get_bool(p, "keep_eval", &config->keep_eval, err) != 0 ||
        get_choice(p, "on_conflict", conflicts, &conflict_choice, err) != 0 ||
        get_string(p, "pilot_model", 1, &config->pilot_model, err) != 0 ||
        get_string(p, "teacher_model", 1, &config->teacher_model, err) != 0 ||
        get_integer(p, "shard_size", 1, 1e9, &shard_size, err) != 0 ||
        get_integer(p, "batch_size", 1, 1e6, &batch_size, err) != 0 ||
        get_integer(p, "max_length", 0, 1e6, &max_length, err) != 0 ||
        get_integer(p, "bins", 1, FC_HIST_MAX_BINS, &bins, err) != 0 ||
        get_choice(p, "hist_layout", layouts, &layout_choice, err) != 0 ||
        get_number(p, "flag_below", 0, 1, &config->flag_below, err) != 0 ||
        get_string(p, "screen_cmd", 0, &config->screen_cmd, err) != 0 ||
        get_integer(p, "screen_timeout", 0, 1e7, &screen_timeout, err) != 0 ||
        get_string(p, "review_apply", 1, &config->review_apply, err) != 0 ||
        get_number(p, "easy_above", 0, 1, &config->easy_above, err) != 0 ||
        get_number(p, "keep_easy_frac", 0, 1, &config->keep_easy_frac, err) != 0 ||
        get_integer(p, "target_rows", 0, 9007199254740992.0, &target_rows, err) != 0)
        return -1;
    if (!config->output_dir) return fc_fail(err, "%s: \"output_dir\" is required", p->path);
    if (config->screen_cmd && config->review_apply)
        return fc_fail(err, "%s: give \"screen_cmd\" or \"review_apply\", not both", p->path);
    if (config->pilot_model && (config->keep_easy_frac >= 0) == (target_rows >= 0))
        return fc_fail(err, "%s: select needs one of \"keep_easy_frac\" and \"target_rows\"",
                       p->path);
    config->on_error = on_error_choice ? FC_ON_ERROR_SKIP : FC_ON_ERROR_FAIL;
    config->on_conflict = conflict_choice ? FC_CONFLICT_DROP : FC_CONFLICT_FLAG;
    config->hist_layout = layout_choice ? FC_HIST_GROUPED : FC_HIST_STACKED;
    config->seed = (uint64_t)seed;
    config->shard_size = (size_t)shard_size;
    config->batch_size = (int)batch_size;
    config->max_length = (int)max_length;
    config->bins = (int)bins;
    config->screen_timeout = (unsigned)screen_timeout;
    config->target_rows = (int64_t)target_rows;
    return 0;
}

int fc_pipeline_config_read(const char *path, fc_pipeline_config *config, fc_error *err) {
    return fc_pipeline_config_read_with(path, NULL, config, err);
}

int fc_pipeline_config_read_with(const char *path, const fc_pipeline_overrides *overrides,
                                 fc_pipeline_config *config, fc_error *err) {
    memset(config, 0, sizeof *config);
    char *text = NULL;
    if (fc_read_file(path, &text, NULL, err) != 0) return -1;
    const char *end = NULL;
    config->json = cJSON_ParseWithOpts(text, &end, 1);
    if (!cJSON_IsObject(config->json)) {
        size_t at = end && end >= text ? (size_t)(end - text) : 0;
        free(text);
        fc_pipeline_config_free(config);
        return fc_fail(err, "%s: not a JSON object (malformed near byte %zu)", path, at);
    }
    free(text);
    const char *slash = strrchr(path, '/');
    parser p = {
        .path = path,
        .base_dir = slash ? fc_strndup(path, (size_t)(slash - path)) : fc_strdup(""),
        .config = config,
        .json = config->json,
        .overrides = overrides,
    };
    if (slash && p.base_dir[0] == '\0') { // "/config.json"
        free(p.base_dir);
        p.base_dir = fc_strdup("/");
    }
    int status = parse_all(&p, err);
    free(p.base_dir);
    if (status != 0) fc_pipeline_config_free(config);
    return status;
}

void fc_pipeline_config_free(fc_pipeline_config *config) {
    for (size_t i = 0; i < config->n_strings; i++) free(config->strings[i]);
    free(config->strings);
    free(config->inputs);
    free(config->eval_files);
    cJSON_Delete(config->json);
    memset(config, 0, sizeof *config);
}
