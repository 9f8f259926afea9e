#include "model/bert/bert_config.h"

#include <string.h>

#include "io/json_fields.h"
#include "util/error.h"

static int read_probability(const cJSON *root, const char *key, double fallback, const char *path,
                            float *out, fc_error *err) {
    double v;
    if (fc_json_double_or(root, key, fallback, path, &v, err) != 0) return -1;
    if (!(v >= 0.0 && v < 1.0))
        return fc_fail(err, "%s: %s must be in [0, 1), not %g", path, key, v);
    *out = (float)v;
    return 0;
}

static int read_positive(const cJSON *root, const char *key, const char *path, int *out,
                         fc_error *err) {
    if (fc_json_require_int(root, key, path, out, err) != 0) return -1;
    if (*out < 1) return fc_fail(err, "%s: %s must be at least 1, not %d", path, key, *out);
    return 0;
}

int fc_bert_config_parse(const cJSON *root, const char *path, fc_bert_config *c,
                         fc_error *err) {
    memset(c, 0, sizeof *c);
    const char *model_type;
    if (fc_json_require_string(root, "model_type", path, &model_type, err) != 0) return -1;
    if (strcmp(model_type, "bert") == 0)
        c->flavor = FC_BERT_FLAVOR_BERT;
    else if (strcmp(model_type, "roberta") == 0)
        c->flavor = FC_BERT_FLAVOR_ROBERTA;
    else
        return fc_fail(err, "%s: model_type \"%s\" is not bert or roberta", path, model_type);
    int roberta = c->flavor == FC_BERT_FLAVOR_ROBERTA;

    if (read_positive(root, "vocab_size", path, &c->vocab_size, err) != 0 ||
        read_positive(root, "hidden_size", path, &c->hidden_size, err) != 0 ||
        read_positive(root, "num_hidden_layers", path, &c->num_layers, err) != 0 ||
        read_positive(root, "num_attention_heads", path, &c->num_heads, err) != 0 ||
        read_positive(root, "intermediate_size", path, &c->intermediate_size, err) != 0)
        return -1;
    if (c->hidden_size % c->num_heads != 0)
        return fc_fail(err, "%s: hidden_size %d is not a multiple of num_attention_heads %d",
                       path, c->hidden_size, c->num_heads);
    c->head_dim = c->hidden_size / c->num_heads;
    // Guards against sizes that overflow the int arithmetic of the buffers long before any
    // checkpoint could match them; the tensors' shapes are checked against these at binding.
    if (c->hidden_size > 65536 || c->intermediate_size > 262144 || c->num_layers > 1024 ||
        c->vocab_size > 4000000)
        return fc_fail(err, "%s: hidden_size %d, intermediate_size %d, num_hidden_layers %d or "
                            "vocab_size %d is beyond any BERT-family model",
                       path, c->hidden_size, c->intermediate_size, c->num_layers, c->vocab_size);

    if (fc_json_int_or(root, "max_position_embeddings", 512, path, &c->max_position_embeddings,
                       err) != 0 ||
        fc_json_int_or(root, "type_vocab_size", 2, path, &c->type_vocab_size, err) != 0 ||
        fc_json_int_or(root, "pad_token_id", roberta ? 1 : 0, path, &c->pad_token_id, err) != 0)
        return -1;
    if (c->max_position_embeddings < 1 || c->max_position_embeddings > 1 << 20)
        return fc_fail(err, "%s: max_position_embeddings %d is out of range", path,
                       c->max_position_embeddings);
    if (c->type_vocab_size < 1 || c->type_vocab_size > 1024)
        return fc_fail(err, "%s: type_vocab_size %d is out of range (1 to 1024)", path,
                       c->type_vocab_size);
    if (c->pad_token_id < 0 || c->pad_token_id >= c->vocab_size)
        return fc_fail(err, "%s: pad_token_id %d is outside the vocabulary (%d)", path,
                       c->pad_token_id, c->vocab_size);
    // RobertaEmbeddings.create_position_ids_from_input_ids: real tokens count up from
    // padding_idx + 1, so a sequence has max_position_embeddings - padding_idx - 1 positions.
    c->position_offset = roberta ? c->pad_token_id + 1 : 0;
    if (fc_bert_config_max_tokens(c) < 3)
        return fc_fail(err, "%s: max_position_embeddings %d leaves no room for a sequence after "
                            "the position offset %d", path, c->max_position_embeddings,
                       c->position_offset);

    double eps;
    if (fc_json_double_or(root, "layer_norm_eps", 1e-12, path, &eps, err) != 0) return -1;
    if (!(eps > 0.0 && eps < 1.0))
        return fc_fail(err, "%s: layer_norm_eps must be in (0, 1), not %g", path, eps);
    c->layer_norm_eps = (float)eps;

    // "gelu" is the exact erf form in transformers' ACT2FN; the others would be other maths.
    const char *act;
    if (fc_json_string_or(root, "hidden_act", "gelu", path, &act, err) != 0) return -1;
    if (strcmp(act, "gelu") != 0)
        return fc_fail(err, "%s: hidden_act \"%s\" is not supported (only \"gelu\")", path, act);
    const char *positions;
    if (fc_json_string_or(root, "position_embedding_type", "absolute", path, &positions, err) != 0)
        return -1;
    if (strcmp(positions, "absolute") != 0)
        return fc_fail(err, "%s: position_embedding_type \"%s\" is not supported (only "
                            "\"absolute\")", path, positions);

    if (read_probability(root, "hidden_dropout_prob", 0.1, path, &c->hidden_dropout, err) != 0 ||
        read_probability(root, "attention_probs_dropout_prob", 0.1, path, &c->attention_dropout,
                         err) != 0)
        return -1;
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(root, "classifier_dropout");
    if (cls && !cJSON_IsNull(cls))
        return read_probability(root, "classifier_dropout", 0.0, path, &c->classifier_dropout,
                                err);
    c->classifier_dropout = c->hidden_dropout;
    return 0;
}

int fc_bert_config_max_tokens(const fc_bert_config *c) {
    return c->max_position_embeddings - c->position_offset;
}
