// fc_model: a checkpoint folder (config.json, safetensors weights, tokenizer files) bound to
// the architecture named by config.json's model_type.
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "finecat.h"
#include "hub/hub_id.h"
#include "io/json_fields.h"
#include "io/safetensors.h"
#include "model/bert/bert.h"
#include "model/deberta/deberta.h"
#include "model/label_map.h"
#include "model/modernbert/modernbert.h"
#ifdef FC_WITH_CUDA
#include "model/modernbert/modernbert_cuda.h"
#endif
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

typedef enum fc_arch { FC_ARCH_MODERNBERT, FC_ARCH_DEBERTA, FC_ARCH_BERT } fc_arch;

struct fc_model {
    fc_arch arch;
    fc_label_map labels;
    fc_tokenizer *tokenizer;
    fc_safetensors *weights;
    fc_modernbert *modernbert;
#ifdef FC_WITH_CUDA
    fc_modernbert_cuda *modernbert_cuda; // instead of modernbert when options.device is CUDA
#endif
    fc_deberta *deberta;
    fc_bert *bert; // BERT and RoBERTa
    int max_length;
    fc_model_options options;
};

// ModernBERT on the CPU, or on the GPU when the options ask for it (fc_model_load_with has
// already refused the GPU in a build without CUDA).
static int load_modernbert(fc_model *m, const cJSON *config, const char *config_path,
                           const char *dir, int *positions, fc_error *err) {
    if (fc_safetensors_open_dir(dir, &m->weights, err) != 0) return -1;
#ifdef FC_WITH_CUDA
    if (m->options.device == FC_DEVICE_CUDA) {
        if (m->options.weights != FC_WEIGHTS_F32)
            return fc_fail(err, "%s: the CUDA device runs f32 weights only, not %s", config_path,
                           fc_weight_dtype_name(m->options.weights));
        if (fc_modernbert_cuda_load(config, config_path, m->weights, dir, m->labels.count,
                                    &m->modernbert_cuda, err) != 0)
            return -1;
        *positions = fc_modernbert_cuda_get_config(m->modernbert_cuda)->max_position_embeddings;
        return 0;
    }
#endif
    if (fc_modernbert_load(config, config_path, m->weights, dir, m->labels.count,
                           m->options.weights, &m->modernbert, err) != 0)
        return -1;
    *positions = fc_modernbert_get_config(m->modernbert)->max_position_embeddings;
    return 0;
}

static int load_architecture(fc_model *m, const cJSON *config, const char *config_path,
                             const char *dir, fc_error *err) {
    const char *model_type;
    if (fc_json_require_string(config, "model_type", config_path, &model_type, err) != 0) return -1;
    int positions = 0;
    if (strcmp(model_type, "modernbert") == 0) {
        m->arch = FC_ARCH_MODERNBERT;
        if (load_modernbert(m, config, config_path, dir, &positions, err) != 0) return -1;
    } else if (strcmp(model_type, "deberta-v2") == 0) {
        // DeBERTa-v2 and -v3 (DebertaV2ForSequenceClassification, model-reference.md §4).
        m->arch = FC_ARCH_DEBERTA;
        if (m->options.device == FC_DEVICE_CUDA)
            return fc_fail(err, "%s: the CUDA device runs modernbert only; load deberta-v2 "
                                "models on the CPU", config_path);
        if (fc_safetensors_open_dir(dir, &m->weights, err) != 0) return -1;
        if (fc_deberta_load_stored(config, config_path, m->weights, dir, m->labels.count,
                                   m->options.weights, &m->deberta, err) != 0)
            return -1;
        positions = fc_deberta_get_config(m->deberta)->max_position_embeddings;
    } else if (strcmp(model_type, "bert") == 0 || strcmp(model_type, "roberta") == 0) {
        m->arch = FC_ARCH_BERT;
        if (m->options.device == FC_DEVICE_CUDA)
            return fc_fail(err, "%s: the CUDA device runs modernbert only; load %s models on "
                                "the CPU", config_path, model_type);
        if (fc_safetensors_open_dir(dir, &m->weights, err) != 0) return -1;
        // Token types follow the pair template's [SEP] (BERT); RoBERTa has one type.
        int32_t sep_id = fc_tokenizer_token_id(m->tokenizer, "[SEP]");
        if (fc_bert_load(config, config_path, m->weights, dir, m->labels.count,
                         m->options.weights, sep_id, &m->bert, err) != 0)
            return -1;
        positions = fc_bert_config_max_tokens(fc_bert_get_config(m->bert));
    } else if (strcmp(model_type, "deberta") == 0) {
        // transformers runs "deberta" with the v1 code (fused in_proj, q_bias/v_bias, no log
        // buckets): other tensors and other maths than §4, so refuse rather than guess.
        return fc_fail(err, "%s: model_type \"deberta\" (DeBERTa v1) is not supported; DeBERTa-v2 "
                            "and -v3 checkpoints have model_type \"deberta-v2\"", config_path);
    } else {
        return fc_fail(err, "%s: model_type \"%s\" is not supported (supported: modernbert, "
                            "deberta-v2, bert, roberta)", config_path, model_type);
    }
    // sentence-transformers' CrossEncoder rule (model-reference.md §7): the tokenizer's
    // model_max_length capped by max_position_embeddings; "unlimited" leaves the cap. For
    // DeBERTa-v3 the 512 is no hard limit of the model (P8) but the rule still applies.
    int tok_max = fc_tokenizer_model_max_length(m->tokenizer);
    m->max_length = tok_max > 0 && tok_max < positions ? tok_max : positions;
    return 0;
}

const char *fc_weight_dtype_name(fc_weight_dtype dtype) {
    static const char *const names[] = {"f32", "bf16", "f16", "int8"};
    return (int)dtype >= 0 && dtype <= FC_WEIGHTS_INT8 ? names[dtype] : "unknown";
}

int fc_weight_dtype_from_name(const char *name) {
    for (int d = FC_WEIGHTS_F32; d <= FC_WEIGHTS_INT8; d++)
        if (name && strcmp(name, fc_weight_dtype_name((fc_weight_dtype)d)) == 0) return d;
    return -1;
}

int fc_model_load(const char *dir, fc_model **out, fc_error *err) {
    return fc_model_load_with(dir, NULL, out, err);
}

int fc_model_load_with(const char *dir, const fc_model_options *options, fc_model **out,
                       fc_error *err) {
    *out = NULL;
    int device = options ? options->device : FC_DEVICE_CPU;
    if (device != FC_DEVICE_CPU && device != FC_DEVICE_CUDA)
        return fc_fail(err, "unknown device %d (0: CPU, 1: CUDA)", device);
#ifndef FC_WITH_CUDA
    if (device == FC_DEVICE_CUDA)
        return fc_fail(err, "finecat was built without CUDA (make CUDA=1)");
#endif
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        // "org/name[@revision]": the model's snapshot in the hub cache, pulled when absent.
        if (!fc_hub_id_looks_like(dir)) return fc_fail(err, "%s: not a model folder (no such directory)", dir);
        char *snapshot = NULL;
        if (fc_model_path_resolve(dir, &snapshot, err) != 0) return -1;
        int rc = fc_model_load_with(snapshot, options, out, err);
        free(snapshot);
        return rc;
    }
    char *config_path = fc_path_join(dir, "config.json");
    cJSON *config = NULL;
    fc_model *m = fc_calloc(1, sizeof *m);
    if (options) m->options = *options;
    int rc = -1;
    if (fc_json_load_file(config_path, &config, err) != 0) goto done;
    if (!cJSON_IsObject(config)) {
        fc_fail(err, "%s: must hold a JSON object", config_path);
        goto done;
    }
    if (fc_label_map_parse(config, config_path, &m->labels, err) != 0) goto done;
    if (fc_tokenizer_load(dir, &m->tokenizer, err) != 0) goto done;
    if (load_architecture(m, config, config_path, dir, err) != 0) goto done;
    rc = 0;
done:
    cJSON_Delete(config);
    free(config_path);
    if (rc == 0)
        *out = m;
    else
        fc_model_free(m);
    return rc;
}

void fc_model_free(fc_model *m) {
    if (!m) return;
    fc_modernbert_free(m->modernbert);
#ifdef FC_WITH_CUDA
    fc_modernbert_cuda_free(m->modernbert_cuda);
#endif
    fc_deberta_free(m->deberta);
    fc_bert_free(m->bert);
    fc_safetensors_close(m->weights);
    fc_tokenizer_free(m->tokenizer);
    fc_label_map_free(&m->labels);
    free(m);
}

const fc_tokenizer *fc_model_tokenizer(const fc_model *m) {
    return m->tokenizer;
}

int fc_model_num_labels(const fc_model *m) {
    return m->labels.count;
}

const char *fc_model_label_name(const fc_model *m, int id) {
    if (id < 0 || id >= m->labels.count) return NULL;
    return m->labels.names[id];
}

int fc_model_canonical_label(const fc_model *m, int id) {
    if (id < 0 || id >= m->labels.count) return -1;
    return m->labels.canonical[id];
}

int fc_model_max_length(const fc_model *m) {
    return m->max_length;
}

int fc_model_forward(fc_model *m, const int32_t *ids, const int32_t *offsets, int n_seqs,
                     float *logits, fc_error *err) {
    if (m->arch == FC_ARCH_BERT)
        return fc_bert_forward(m->bert, ids, NULL, offsets, n_seqs, logits, NULL, err);
    if (m->arch == FC_ARCH_DEBERTA)
        return fc_deberta_forward(m->deberta, ids, offsets, n_seqs, logits, NULL, err);
#ifdef FC_WITH_CUDA
    if (m->modernbert_cuda)
        return fc_modernbert_cuda_forward(m->modernbert_cuda, ids, offsets, n_seqs, logits, NULL,
                                          err);
#endif
    return fc_modernbert_forward(m->modernbert, ids, offsets, n_seqs, logits, NULL, err);
}

int fc_model_entailment_id(const fc_model *m) {
    return m->labels.entailment_id;
}
