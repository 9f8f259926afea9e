#include "model/modernbert/modernbert_config.h"

#include <string.h>

#include "io/json_fields.h"
#include "util/error.h"

// Only the plain activation that every target checkpoint uses is implemented: "gelu" is the
// exact erf form (model-reference.md §2, P5). Anything else is refused rather than guessed.
static int check_gelu(const cJSON *root, const char *key, const char *path, fc_error *err) {
    const char *act;
    if (fc_json_string_or(root, key, "gelu", path, &act, err) != 0) return -1;
    if (strcmp(act, "gelu") != 0)
        return fc_fail(err, "%s: %s \"%s\" is not supported (only \"gelu\")", path, key, act);
    return 0;
}

// v5 layout: rope_parameters = {"full_attention": {...}, "sliding_attention": {...}}.
static int read_rope_parameters(const cJSON *rope, const char *path, fc_modernbert_config *c,
                                fc_error *err) {
    static const char *const kinds[2] = {"full_attention", "sliding_attention"};
    for (int k = 0; k < 2; k++) {
        const cJSON *entry = cJSON_GetObjectItemCaseSensitive(rope, kinds[k]);
        if (!entry) continue; // missing thetas fall back to the v4 keys / defaults
        if (!cJSON_IsObject(entry))
            return fc_fail(err, "%s: rope_parameters.%s must be an object", path, kinds[k]);
        const char *type;
        if (fc_json_string_or(entry, "rope_type", "default", path, &type, err) != 0) return -1;
        if (strcmp(type, "default") != 0)
            return fc_fail(err, "%s: rope_parameters.%s.rope_type \"%s\" is not supported", path,
                           kinds[k], type);
        double theta;
        float *dst = k == 0 ? &c->global_rope_theta : &c->local_rope_theta;
        if (fc_json_double_or(entry, "rope_theta", *dst, path, &theta, err) != 0) return -1;
        *dst = (float)theta;
    }
    return 0;
}

static int read_layer_types(const cJSON *root, const char *path, fc_modernbert_config *c,
                            fc_error *err) {
    const cJSON *types = cJSON_GetObjectItemCaseSensitive(root, "layer_types");
    if (types && !cJSON_IsNull(types)) {
        if (!cJSON_IsArray(types) || cJSON_GetArraySize(types) != c->num_layers)
            return fc_fail(err, "%s: layer_types must be a list of %d entries", path,
                           c->num_layers);
        for (int i = 0; i < c->num_layers; i++) {
            const cJSON *t = cJSON_GetArrayItem(types, i);
            if (cJSON_IsString(t) && strcmp(t->valuestring, "full_attention") == 0)
                c->is_global[i] = 1;
            else if (cJSON_IsString(t) && strcmp(t->valuestring, "sliding_attention") == 0)
                c->is_global[i] = 0;
            else
                return fc_fail(err, "%s: layer_types[%d] must be \"full_attention\" or "
                                    "\"sliding_attention\"", path, i);
        }
        return 0;
    }
    // v4 layout: layer i is global iff i mod global_attn_every_n_layers == 0 (P2).
    int every;
    if (fc_json_int_or(root, "global_attn_every_n_layers", 3, path, &every, err) != 0) return -1;
    if (every < 1) return fc_fail(err, "%s: global_attn_every_n_layers must be >= 1", path);
    for (int i = 0; i < c->num_layers; i++) c->is_global[i] = (i % every) == 0;
    return 0;
}

int fc_modernbert_config_parse(const cJSON *root, const char *path, fc_modernbert_config *c,
                               fc_error *err) {
    memset(c, 0, sizeof *c);
    if (fc_json_require_int(root, "vocab_size", path, &c->vocab_size, err) ||
        fc_json_require_int(root, "hidden_size", path, &c->hidden_size, err) ||
        fc_json_require_int(root, "intermediate_size", path, &c->intermediate_size, err) ||
        fc_json_require_int(root, "num_hidden_layers", path, &c->num_layers, err) ||
        fc_json_require_int(root, "num_attention_heads", path, &c->num_heads, err))
        return -1;
    if (c->vocab_size < 1 || c->hidden_size < 1 || c->intermediate_size < 1 || c->num_heads < 1)
        return fc_fail(err, "%s: sizes must be positive", path);
    if (c->num_layers < 1 || c->num_layers > FC_MODERNBERT_MAX_LAYERS)
        return fc_fail(err, "%s: num_hidden_layers must be in 1..%d", path,
                       FC_MODERNBERT_MAX_LAYERS);
    // Sizes no ModernBERT has, refused by name before anything is allocated from them (a
    // hidden_size of 1e9 once surfaced as an out-of-memory of 2e14 bytes, issue 14).
    if (c->hidden_size > 65536 || c->intermediate_size > 262144 || c->vocab_size > 4000000)
        return fc_fail(err, "%s: hidden_size %d, intermediate_size %d or vocab_size %d is beyond "
                            "any ModernBERT", path, c->hidden_size, c->intermediate_size,
                       c->vocab_size);
    if (c->hidden_size % c->num_heads != 0)
        return fc_fail(err, "%s: hidden_size %d is not a multiple of num_attention_heads %d", path,
                       c->hidden_size, c->num_heads);
    c->head_dim = c->hidden_size / c->num_heads;
    if (c->head_dim % 2 != 0) return fc_fail(err, "%s: head size must be even for RoPE", path);

    double eps, global_theta, local_theta;
    int local_attention;
    const char *pooling;
    if (fc_json_int_or(root, "max_position_embeddings", 8192, path, &c->max_position_embeddings,
                       err) ||
        fc_json_double_or(root, "norm_eps", 1e-5, path, &eps, err) ||
        fc_json_bool_or(root, "norm_bias", 0, path, &c->norm_bias, err) ||
        fc_json_bool_or(root, "attention_bias", 0, path, &c->attention_bias, err) ||
        fc_json_bool_or(root, "mlp_bias", 0, path, &c->mlp_bias, err) ||
        fc_json_bool_or(root, "classifier_bias", 0, path, &c->classifier_bias, err) ||
        fc_json_int_or(root, "local_attention", 128, path, &local_attention, err) ||
        fc_json_double_or(root, "global_rope_theta", 160000.0, path, &global_theta, err) ||
        fc_json_double_or(root, "local_rope_theta", 10000.0, path, &local_theta, err) ||
        fc_json_string_or(root, "classifier_pooling", "cls", path, &pooling, err) ||
        fc_json_int_or(root, "pad_token_id", 50283, path, &c->pad_token_id, err) ||
        check_gelu(root, "hidden_activation", path, err) ||
        check_gelu(root, "classifier_activation", path, err))
        return -1;
    c->norm_eps = (float)eps;
    // A window of 0 or less would let a query see no key at all (issue 14).
    if (local_attention < 2)
        return fc_fail(err, "%s: local_attention must be at least 2, not %d", path,
                       local_attention);
    c->local_window = local_attention / 2;
    c->global_rope_theta = (float)global_theta;
    c->local_rope_theta = (float)local_theta;
    if (strcmp(pooling, "mean") == 0)
        c->pooling = FC_POOLING_MEAN;
    else if (strcmp(pooling, "cls") == 0)
        c->pooling = FC_POOLING_CLS;
    else
        return fc_fail(err, "%s: classifier_pooling \"%s\" is not supported (cls or mean)", path,
                       pooling);

    const cJSON *rope = cJSON_GetObjectItemCaseSensitive(root, "rope_parameters");
    if (rope && !cJSON_IsNull(rope)) {
        if (!cJSON_IsObject(rope)) return fc_fail(err, "%s: rope_parameters must be an object", path);
        if (read_rope_parameters(rope, path, c, err) != 0) return -1;
    }
    return read_layer_types(root, path, c, err);
}
