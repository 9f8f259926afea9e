#include "train/init.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/json_fields.h"
#include "io/safetensors.h"
#include "model/bert/bert_config.h"
#include "model/modernbert/modernbert_config.h"
#include "train/rng.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

// A different stream per tensor, so that a tensor's draws do not depend on the others'.
static uint64_t tensor_seed(uint64_t seed, const char *name) {
    uint64_t h = 0xcbf29ce484222325ULL; // FNV-1a of the name
    for (const char *p = name; *p; p++) h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    return seed ^ h;
}

void fc_train_init_tensor(const fc_train_model *m, const fc_param_tensor *t,
                          uint64_t seed) {
    const fc_modernbert_config *c = &m->params.config;
    float *dst = m->params.values + t->offset;
    double range = m->initializer_range, std = range;
    const char *name = t->spec.name;
    size_t len = strlen(name);
    switch (t->spec.role) {
    case FC_TENSOR_NORM:
        for (size_t i = 0; i < t->count; i++) dst[i] = 1.0f;
        return;
    case FC_TENSOR_BIAS:
        memset(dst, 0, t->count * sizeof *dst);
        return;
    case FC_TENSOR_EMBEDDING:
        std = range;
        break;
    case FC_TENSOR_MATRIX:
        if (strcmp(name, "classifier.weight") == 0) // stds["final_out"]
            std = 1.0 / sqrt((double)c->hidden_size);
        else if (strcmp(name, "head.dense.weight") == 0 ||
                 (len > 10 && strcmp(name + len - 10, ".Wo.weight") == 0)) // stds["out"]
            std = range / sqrt(2.0 * c->num_layers);
        else // Wqkv, Wi: stds["in"]
            std = range;
        break;
    }
    fc_rng rng;
    fc_rng_seed(&rng, tensor_seed(seed, t->spec.name));
    for (size_t i = 0; i < t->count; i++)
        dst[i] = (float)fc_rng_trunc_normal(&rng, std, m->initializer_cutoff_factor);
}

// The label order of the model: the checkpoint's own when it names the three NLI labels once
// each; otherwise (required == 0, a fresh head) the canonical order.
static int choose_labels(fc_train_model *m, const cJSON *config, const char *path, int required,
                         fc_error *err) {
    fc_label_map parsed;
    if (fc_label_map_parse(config, path, &parsed, err) != 0) return -1;
    int seen[FC_LABEL_COUNT] = {0}, ok = parsed.count == FC_LABEL_COUNT;
    for (int i = 0; ok && i < parsed.count; i++) {
        int c = parsed.canonical[i];
        if (c < 0 || seen[c]++) ok = 0;
    }
    if (ok) {
        m->labels = parsed;
    } else {
        if (required) {
            fc_label_map_free(&parsed);
            return fc_fail(err, "%s: id2label must name entailment, neutral and contradiction "
                                "once each to train NLI", path);
        }
        fc_label_map_free(&parsed);
        m->labels.count = FC_LABEL_COUNT;
        m->labels.names = fc_calloc(FC_LABEL_COUNT, sizeof *m->labels.names);
        m->labels.canonical = fc_calloc(FC_LABEL_COUNT, sizeof *m->labels.canonical);
        for (int i = 0; i < FC_LABEL_COUNT; i++) {
            m->labels.names[i] = fc_strdup(fc_label_name((fc_label)i));
            m->labels.canonical[i] = i;
        }
        m->labels.entailment_id = FC_LABEL_ENTAILMENT;
    }
    for (int i = 0; i < FC_LABEL_COUNT; i++) m->model_label[m->labels.canonical[i]] = i;
    return 0;
}

static int read_init_hyperparameters(fc_train_model *m, const cJSON *config, const char *path,
                                     fc_error *err) {
    if (fc_json_double_or(config, "initializer_range", 0.02, path, &m->initializer_range, err))
        return -1;
    // ModernBertConfig's default is 2.0; _init_weights uses 3 when the key is null.
    const cJSON *cutoff = cJSON_GetObjectItemCaseSensitive(config, "initializer_cutoff_factor");
    if (cutoff && cJSON_IsNull(cutoff)) {
        m->initializer_cutoff_factor = 3.0;
        return 0;
    }
    return fc_json_double_or(config, "initializer_cutoff_factor", 2.0, path,
                             &m->initializer_cutoff_factor, err);
}

static int copy_tensor(fc_train_model *m, const fc_safetensors *st, const fc_param_tensor *t,
                       fc_error *err) {
    return fc_safetensors_read_f32(st, t->spec.name, t->spec.ndim, t->spec.shape, m->params.values + t->offset,
                                   err);
}

static fc_param_set modernbert_set(const fc_modernbert_params *p) {
    return (fc_param_set){p->tensors, p->n_tensors, p->count, p->values, p->grads};
}

int fc_train_model_load_weights(fc_train_model *m, const char *dir, fc_error *err) {
    fc_safetensors *st = NULL;
    if (fc_safetensors_open_dir(dir, &st, err) != 0) return -1;
    int rc = 0;
    if (m->arch == FC_TRAIN_BERT) {
        fc_bert_head head;
        rc = fc_bert_params_load(&m->bert, st, dir, m->initializer_range, 0, &head, err);
        if (rc == 0 && head != FC_BERT_HEAD_LOADED)
            rc = fc_fail(err, "%s: the checkpoint has no classification head", dir);
        fc_safetensors_close(st);
        return rc;
    }
    for (size_t i = 0; i < m->params.n_tensors && rc == 0; i++) {
        const fc_param_tensor *t = &m->params.tensors[i];
        if (!fc_safetensors_find(st, t->spec.name))
            rc = fc_fail(err, "%s: missing tensor \"%s\"", dir, t->spec.name);
        else
            rc = copy_tensor(m, st, t, err);
    }
    fc_safetensors_close(st);
    return rc;
}

// A checkpoint folder: a classifier when it has classifier.weight, a masked LM otherwise.
static int init_from_checkpoint(fc_train_model *m, const char *dir, const char *config_path,
                                uint64_t seed, fc_error *err) {
    fc_safetensors *st = NULL;
    if (fc_safetensors_open_dir(dir, &st, err) != 0) return -1;
    m->kind = fc_safetensors_find(st, "classifier.weight") ? FC_INIT_CLASSIFIER : FC_INIT_MASKED_LM;
    int rc = choose_labels(m, m->config_json, config_path, m->kind == FC_INIT_CLASSIFIER, err);
    fc_modernbert_config c;
    if (rc == 0) rc = fc_modernbert_config_parse(m->config_json, config_path, &c, err);
    if (rc == 0) {
        fc_modernbert_params_init(&m->params, &c, FC_LABEL_COUNT);
        for (size_t i = 0; i < m->params.n_tensors && rc == 0; i++) {
            const fc_param_tensor *t = &m->params.tensors[i];
            int fresh = m->kind == FC_INIT_MASKED_LM && strncmp(t->spec.name, "classifier.", 11) == 0;
            if (fresh)
                fc_train_init_tensor(m, t, seed);
            else if (!fc_safetensors_find(st, t->spec.name))
                rc = fc_fail(err, "%s: missing tensor \"%s\"", dir, t->spec.name);
            else
                rc = copy_tensor(m, st, t, err);
        }
    }
    fc_safetensors_close(st);
    return rc;
}

// The BERT family: a classifier checkpoint keeps its head (and must name the NLI labels); a
// bare encoder gets a fresh one; a config alone is drawn whole. Dropout stays as configured.
static int init_bert(fc_train_model *m, const char *init, int from_dir, const char *config_path,
                     uint64_t seed, fc_error *err) {
    fc_bert_config c;
    if (fc_bert_config_parse(m->config_json, config_path, &c, err) != 0) return -1;
    m->arch = FC_TRAIN_BERT;
    fc_safetensors *st = NULL;
    if (from_dir && fc_safetensors_open_dir(init, &st, err) != 0) return -1;
    const char *head_name = c.flavor == FC_BERT_FLAVOR_ROBERTA ? "classifier.out_proj.weight"
                                                               : "classifier.weight";
    m->kind = !st ? FC_INIT_RANDOM
                  : fc_safetensors_find(st, head_name) ? FC_INIT_CLASSIFIER : FC_INIT_MASKED_LM;
    int rc = choose_labels(m, m->config_json, config_path, m->kind == FC_INIT_CLASSIFIER, err);
    if (rc == 0) {
        rc = fc_bert_params_init(&m->bert, &c, FC_LABEL_COUNT, err);
        if (rc == 0 && st) {
            fc_bert_head head;
            rc = fc_bert_params_load(&m->bert, st, init, m->initializer_range, seed, &head, err);
        } else if (rc == 0) {
            for (size_t i = 0; i < m->bert.n_tensors; i++)
                fc_bert_init_tensor(&m->bert, &m->bert.tensors[i], m->initializer_range, seed);
        }
    }
    fc_safetensors_close(st);
    if (rc == 0) {
        fc_bert_params_alloc_grads(&m->bert);
        m->set = fc_bert_params_set(&m->bert);
    }
    return rc;
}

int fc_train_model_init(fc_train_model *m, const char *init, uint64_t seed, fc_error *err) {
    memset(m, 0, sizeof *m);
    int from_dir = is_dir(init);
    if (!from_dir && !fc_file_exists(init))
        return fc_fail(err, "%s: no such checkpoint folder or config.json", init);
    char *config_path = from_dir ? fc_path_join(init, "config.json") : fc_strdup(init);
    int rc = fc_read_file(config_path, &m->config_text, NULL, err);
    if (rc == 0) rc = fc_json_load_file(config_path, &m->config_json, err);
    if (rc == 0 && !cJSON_IsObject(m->config_json))
        rc = fc_fail(err, "%s: must hold a JSON object", config_path);
    const char *model_type = NULL;
    if (rc == 0) rc = fc_json_string_or(m->config_json, "model_type", "modernbert", config_path,
                                        &model_type, err);
    int bert = rc == 0 && (strcmp(model_type, "bert") == 0 || strcmp(model_type, "roberta") == 0);
    if (rc == 0 && !bert && strcmp(model_type, "modernbert") != 0)
        rc = fc_fail(err, "%s: model_type \"%s\" cannot be trained (modernbert, bert or roberta)",
                     config_path, model_type);
    if (rc == 0) rc = read_init_hyperparameters(m, m->config_json, config_path, err);
    if (rc == 0 && bert) {
        rc = init_bert(m, init, from_dir, config_path, seed, err);
    } else if (rc == 0 && from_dir) {
        rc = init_from_checkpoint(m, init, config_path, seed, err);
    } else if (rc == 0) {
        m->kind = FC_INIT_RANDOM;
        fc_modernbert_config c;
        rc = choose_labels(m, m->config_json, config_path, 0, err);
        if (rc == 0) rc = fc_modernbert_config_parse(m->config_json, config_path, &c, err);
        if (rc == 0) {
            fc_modernbert_params_init(&m->params, &c, FC_LABEL_COUNT);
            for (size_t i = 0; i < m->params.n_tensors; i++)
                fc_train_init_tensor(m, &m->params.tensors[i], seed);
        }
    }
    free(config_path);
    if (rc == 0 && m->arch == FC_TRAIN_MODERNBERT) m->set = modernbert_set(&m->params);
    if (rc != 0) fc_train_model_free(m);
    return rc;
}

static int parse_layer_list(const char *list, int num_layers, int *layers, int *n,
                            fc_error *err) {
    *n = 0;
    const char *p = list;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v >= num_layers || (*n > 0 && v <= layers[*n - 1]))
            return fc_fail(err, "--keep-layers \"%s\": a comma-separated, increasing list of "
                                "layers 0..%d", list, num_layers - 1);
        layers[(*n)++] = (int)v;
        if (*end == ',') end++;
        else if (*end != '\0')
            return fc_fail(err, "--keep-layers \"%s\": unexpected \"%s\"", list, end);
        p = end;
    }
    if (*n == 0) return fc_fail(err, "--keep-layers: no layer listed");
    return 0;
}

int fc_train_model_keep_layers(fc_train_model *m, const char *list, fc_error *err) {
    if (m->arch != FC_TRAIN_BERT)
        return fc_fail(err, "--keep-layers works on bert and roberta models only");
    int L = m->bert.config.num_layers, n = 0;
    int *layers = fc_malloc((size_t)L * sizeof *layers);
    if (parse_layer_list(list, L, layers, &n, err) != 0) {
        free(layers);
        return -1;
    }
    fc_bert_params old = m->bert; // its buffers; its slots pointed into m->bert, now rebuilt
    fc_bert_config c = old.config;
    c.num_layers = n;
    if (fc_bert_params_init(&m->bert, &c, old.num_labels, err) != 0) {
        m->bert = old;
        free(layers);
        return -1;
    }
    for (size_t i = 0; i < m->bert.n_tensors; i++) {
        const fc_param_tensor *t = &m->bert.tensors[i];
        char name[sizeof t->spec.name];
        snprintf(name, sizeof name, "%s", t->spec.name);
        const char *at = strstr(t->spec.name, "encoder.layer.");
        if (at) { // the same tensor of the kept layer
            int layer = atoi(at + 14);
            const char *rest = strchr(at + 14, '.');
            snprintf(name, sizeof name, "%.*sencoder.layer.%d%s", (int)(at - t->spec.name),
                     t->spec.name, layers[layer], rest);
        }
        for (size_t j = 0; j < old.n_tensors; j++)
            if (strcmp(old.tensors[j].spec.name, name) == 0)
                memcpy(m->bert.values + t->offset, old.values + old.tensors[j].offset,
                       t->count * sizeof(float));
    }
    fc_bert_params_free(&old);
    fc_bert_params_alloc_grads(&m->bert);
    m->set = fc_bert_params_set(&m->bert);
    free(layers);
    // The saved config must say how many layers there are.
    cJSON_ReplaceItemInObjectCaseSensitive(m->config_json, "num_hidden_layers",
                                           cJSON_CreateNumber(n));
    char *text = cJSON_Print(m->config_json);
    free(m->config_text);
    m->config_text = text;
    return 0;
}

void fc_train_model_free(fc_train_model *m) {
    cJSON_Delete(m->config_json);
    free(m->config_text);
    fc_label_map_free(&m->labels);
    fc_modernbert_params_free(&m->params);
    fc_bert_params_free(&m->bert);
    memset(m, 0, sizeof *m);
}
