#include "bench/random_checkpoint.h"

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "io/json_fields.h"
#include "io/json_spelling.h"
#include "io/safetensors.h"
#include "model/deberta/deberta_tensors.h"
#include "model/label_map.h"
#include "model/modernbert/modernbert_tensors.h"
#include "train/checkpoint.h"
#include "train/init.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

// splitmix64: a tiny seeded generator; the same seed gives the same checkpoint bytes.
static uint64_t next_u64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Standard normal by Box-Muller from two uniforms in (0, 1].
static float next_normal(uint64_t *state) {
    double u1 = ((next_u64(state) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double u2 = (next_u64(state) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

// How transformers initializes a fresh model (_init_weights). ModernBERT: truncated normals
// cut at cutoff·std, with std = initializer_range for the embedding, Wqkv and Wi,
// initializer_range / √(2·layers) for both Wo and head.dense, hidden_size^−½ for the
// classifier. DeBERTa-v2: plain normals of std initializer_range for every matrix and
// embedding table, the padding token's row zero. Norms 1, biases 0. Benchmarks use it because
// it behaves like a trained network: a larger gain puts a 28-layer stack in the chaotic regime,
// where any rounding (bf16, int8) grows layer after layer and says nothing about real
// checkpoints.
typedef struct init_scale {
    int deberta;
    double range, cutoff; // cutoff 0: not truncated
    int num_layers, hidden_size;
    int pad_row; // DeBERTa's word embeddings: this row is zero
} init_scale;

static double tensor_std(const fc_tensor_spec *s, const init_scale *init) {
    if (init->deberta) return init->range;
    if (strstr(s->name, "classifier.")) return 1.0 / sqrt((double)init->hidden_size);
    if (strstr(s->name, ".Wo.") || strstr(s->name, "head.dense"))
        return init->range / sqrt(2.0 * init->num_layers);
    return init->range;
}

static void fill(float *dst, const fc_tensor_spec *s, const init_scale *init, uint64_t *state) {
    size_t n = (size_t)s->shape[0] * (size_t)(s->ndim == 2 ? s->shape[1] : 1);
    if (s->role == FC_TENSOR_NORM || s->role == FC_TENSOR_BIAS) {
        for (size_t i = 0; i < n; i++) dst[i] = s->role == FC_TENSOR_NORM ? 1.0f : 0.0f;
        return;
    }
    double std = tensor_std(s, init), limit = init->cutoff * std;
    for (size_t i = 0; i < n; i++) {
        double v;
        do v = next_normal(state) * std;
        while (limit > 0 && (v < -limit || v > limit));
        dst[i] = (float)v;
    }
    if (init->deberta && strcmp(s->name, "deberta.embeddings.word_embeddings.weight") == 0 &&
        init->pad_row >= 0 && init->pad_row < s->shape[0])
        memset(dst + (size_t)init->pad_row * (size_t)s->shape[1], 0,
               (size_t)s->shape[1] * sizeof *dst);
}

// Narrows float32 data in place to a 16-bit dtype (the buffer keeps its size).
static void narrow(float *data, size_t n, fc_dtype dtype) {
    uint16_t *out = (uint16_t *)data;
    for (size_t i = 0; i < n; i++)
        out[i] = dtype == FC_DTYPE_BF16 ? fc_f32_to_bf16(data[i]) : fc_f32_to_f16(data[i]);
}

static int copy_file(const char *from, const char *to, fc_error *err) {
    char *data;
    size_t size;
    if (fc_read_file(from, &data, &size, err) != 0) return -1;
    FILE *f = fopen(to, "wb");
    int ok = f && fwrite(data, 1, size, f) == size;
    if (f && fclose(f) != 0) ok = 0;
    free(data);
    return ok ? 0 : fc_fail(err, "%s: cannot write: %s", to, strerror(errno));
}

// A classification head (architecture: ModernBertForSequenceClassification...) and, when
// the config names no labels, the three NLI labels.
static void add_classifier(cJSON *config, const char *architecture) {
    cJSON_DeleteItemFromObject(config, "architectures");
    cJSON *arch = cJSON_AddArrayToObject(config, "architectures");
    cJSON_AddItemToArray(arch, cJSON_CreateString(architecture));
    if (cJSON_GetObjectItem(config, "id2label")) return;
    cJSON *id2label = cJSON_AddObjectToObject(config, "id2label");
    cJSON *label2id = cJSON_AddObjectToObject(config, "label2id");
    const char *names[3] = {"entailment", "neutral", "contradiction"};
    for (int i = 0; i < 3; i++) {
        char key[16]; // room for any int, so the compiler sees no truncation
        snprintf(key, sizeof key, "%d", i);
        cJSON_AddStringToObject(id2label, key, names[i]);
        cJSON_AddNumberToObject(label2id, names[i], i);
    }
    cJSON_DeleteItemFromObject(config, "num_labels");
}

// config.json of the checkpoint: the input config with its numbers spelled as they were (for
// transformers' type checks), plus the classification head.
static int write_config(const char *config_path, const char *out_dir, const char *architecture,
                        fc_error *err) {
    char *text = NULL;
    if (fc_read_file(config_path, &text, NULL, err) != 0) return -1;
    cJSON *config = cJSON_Parse(text);
    fc_json_keep_number_spelling(config, text); // before any edit, so the numbers line up
    free(text);
    add_classifier(config, architecture);
    text = cJSON_Print(config);
    cJSON_Delete(config);
    char *path = fc_path_join(out_dir, "config.json");
    FILE *f = fopen(path, "wb");
    int ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0) ok = 0;
    int rc = ok ? 0 : fc_fail(err, "%s: cannot write: %s", path, strerror(errno));
    free(path);
    free(text);
    return rc;
}

// BERT and RoBERTa: a fresh model as the trainer draws one from a config.json (transformers'
// _init_weights: train/init.c), saved as a training checkpoint is, with the tokenizer files
// beside the config. float32 only: the checkpoint writer keeps the trainer's master weights.
static int write_random_bert(const char *config_path, const char *out_dir, uint64_t seed,
                             fc_dtype dtype, fc_error *err) {
    if (dtype != FC_DTYPE_F32)
        return fc_fail(err, "%s: random BERT and RoBERTa checkpoints are written in float32 only "
                            "(give --file-dtype f32)", config_path);
    fc_train_model m;
    if (fc_train_model_init(&m, config_path, seed, err) != 0) return -1;
    char *dir_copy = fc_strdup(config_path);
    int rc = fc_checkpoint_save(out_dir, &m, dirname(dir_copy), NULL, err);
    free(dir_copy);
    fc_train_model_free(&m);
    return rc;
}

int fc_write_random_checkpoint(const char *config_path, const char *out_dir, uint64_t seed,
                               fc_dtype dtype, fc_error *err) {
    if (dtype != FC_DTYPE_F32 && dtype != FC_DTYPE_F16 && dtype != FC_DTYPE_BF16)
        return fc_fail(err, "random checkpoint: dtype must be F32, F16 or BF16");
    cJSON *config = NULL;
    if (fc_json_load_file(config_path, &config, err) != 0) return -1;
    int rc = -1;
    fc_tensor_spec *specs = NULL;
    fc_tensor_out *tensors = NULL;
    int count = 0;
    fc_modernbert_config mc;
    const char *model_type = "";
    if (fc_json_require_string(config, "model_type", config_path, &model_type, err) != 0) goto done;
    if (strcmp(model_type, "bert") == 0 || strcmp(model_type, "roberta") == 0) {
        rc = write_random_bert(config_path, out_dir, seed, dtype, err);
        goto done;
    }
    int deberta = strcmp(model_type, "deberta-v2") == 0;
    if (!deberta && strcmp(model_type, "modernbert") != 0) {
        fc_fail(err, "%s: random weights are implemented for modernbert, deberta-v2, bert and "
                     "roberta, not \"%s\"", config_path, model_type);
        goto done;
    }
    const char *architecture = deberta ? "DebertaV2ForSequenceClassification"
                                       : "ModernBertForSequenceClassification";
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        fc_fail(err, "%s: cannot create: %s", out_dir, strerror(errno));
        goto done;
    }
    if (write_config(config_path, out_dir, architecture, err) != 0) goto done;
    add_classifier(config, architecture);
    fc_label_map labels;
    if (fc_label_map_parse(config, config_path, &labels, err) != 0) goto done;
    int num_labels = labels.count;
    fc_label_map_free(&labels);
    init_scale init = {deberta, 0.02, deberta ? 0.0 : 2.0, 0, 0, -1};
    if (deberta) {
        fc_deberta_config dc;
        if (fc_deberta_config_parse(config, config_path, &dc, err) != 0) goto done;
        init.pad_row = dc.pad_token_id;
        fc_deberta_tensor_specs(&dc, num_labels, &specs, &count);
    } else {
        if (fc_modernbert_config_parse(config, config_path, &mc, err) != 0) goto done;
        init.num_layers = mc.num_layers;
        init.hidden_size = mc.hidden_size;
        if (fc_json_double_or(config, "initializer_cutoff_factor", 2.0, config_path, &init.cutoff,
                              err))
            goto done;
        fc_modernbert_tensor_specs(&mc, num_labels, &specs, &count);
    }
    if (fc_json_double_or(config, "initializer_range", 0.02, config_path, &init.range, err))
        goto done;
    tensors = fc_calloc((size_t)count, sizeof *tensors);
    uint64_t state = seed;
    for (int i = 0; i < count; i++) {
        size_t n = (size_t)specs[i].shape[0] * (size_t)(specs[i].ndim == 2 ? specs[i].shape[1] : 1);
        float *data = fc_malloc(n * sizeof(float));
        fill(data, &specs[i], &init, &state);
        if (dtype != FC_DTYPE_F32) narrow(data, n, dtype);
        tensors[i].name = specs[i].name;
        tensors[i].dtype = dtype;
        tensors[i].ndim = specs[i].ndim;
        tensors[i].shape[0] = specs[i].shape[0];
        tensors[i].shape[1] = specs[i].shape[1];
        tensors[i].data = data;
    }
    char *weights = fc_path_join(out_dir, "model.safetensors");
    rc = fc_safetensors_write(weights, tensors, (size_t)count, err);
    free(weights);
    if (rc != 0) goto done;

    // The tokenizer files beside the config (a published checkpoint folder has them).
    char *dir_copy = fc_strdup(config_path);
    const char *src_dir = dirname(dir_copy);
    const char *files[] = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                           "spm.model", "added_tokens.json"};
    for (size_t i = 0; rc == 0 && i < sizeof files / sizeof files[0]; i++) {
        char *from = fc_path_join(src_dir, files[i]), *to = fc_path_join(out_dir, files[i]);
        if (fc_file_exists(from)) rc = copy_file(from, to, err);
        free(from);
        free(to);
    }
    free(dir_copy);
done:
    if (tensors)
        for (int i = 0; i < count; i++) free((void *)tensors[i].data);
    free(tensors);
    free(specs);
    cJSON_Delete(config);
    return rc;
}
