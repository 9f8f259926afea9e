#include "model/deberta/deberta_config.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#include "io/json_fields.h"
#include "util/error.h"

// Only the exact erf GELU that every target checkpoint uses is implemented (§2, P5).
static int check_gelu(const cJSON *root, const char *key, const char *path, fc_error *err) {
    const char *act;
    if (fc_json_string_or(root, key, "gelu", path, &act, err) != 0) return -1;
    if (strcmp(act, "gelu") != 0)
        return fc_fail(err, "%s: %s \"%s\" is not supported (only \"gelu\")", path, key, act);
    return 0;
}

// True when the "|"-separated list contains word, compared as HF does for pos_att_type and
// norm_rel_ebd strings: lowercased, each entry stripped of surrounding whitespace.
static int bar_list_has(const char *list, const char *word) {
    size_t word_len = strlen(word);
    const char *p = list;
    for (;;) {
        const char *end = strchr(p, '|');
        if (!end) end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && isspace((unsigned char)*a)) a++;
        while (b > a && isspace((unsigned char)b[-1])) b--;
        if ((size_t)(b - a) == word_len && strncasecmp(a, word, word_len) == 0) return 1;
        if (*end == '\0') return 0;
        p = end + 1;
    }
}

// pos_att_type: "p2c|c2p" (split on "|") or a list ["p2c", "c2p"] (used as is), or absent.
// Entries other than c2p / p2c are ignored, as HF only tests membership of these two.
static int read_pos_att_type(const cJSON *root, const char *path, fc_deberta_config *c,
                             fc_error *err) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "pos_att_type");
    if (!item || cJSON_IsNull(item)) return 0;
    if (cJSON_IsString(item)) {
        c->c2p = bar_list_has(item->valuestring, "c2p");
        c->p2c = bar_list_has(item->valuestring, "p2c");
        return 0;
    }
    if (!cJSON_IsArray(item))
        return fc_fail(err, "%s: key \"pos_att_type\" must be a string or a list of strings", path);
    const cJSON *entry;
    cJSON_ArrayForEach(entry, item) {
        if (!cJSON_IsString(entry))
            return fc_fail(err, "%s: key \"pos_att_type\" must be a string or a list of strings",
                           path);
        if (strcmp(entry->valuestring, "c2p") == 0) c->c2p = 1;
        if (strcmp(entry->valuestring, "p2c") == 0) c->p2c = 1;
    }
    return 0;
}

static int read_sizes(const cJSON *root, const char *path, fc_deberta_config *c, fc_error *err) {
    if (fc_json_require_int(root, "vocab_size", path, &c->vocab_size, err) ||
        fc_json_require_int(root, "hidden_size", path, &c->hidden_size, err) ||
        fc_json_require_int(root, "intermediate_size", path, &c->intermediate_size, err) ||
        fc_json_require_int(root, "num_hidden_layers", path, &c->num_layers, err) ||
        fc_json_require_int(root, "num_attention_heads", path, &c->num_heads, err))
        return -1;
    if (c->vocab_size < 1 || c->hidden_size < 1 || c->intermediate_size < 1 ||
        c->num_layers < 1 || c->num_heads < 1)
        return fc_fail(err, "%s: sizes must be positive", path);
    if (c->hidden_size % c->num_heads != 0)
        return fc_fail(err, "%s: hidden_size %d is not a multiple of num_attention_heads %d", path,
                       c->hidden_size, c->num_heads);
    c->head_dim = c->hidden_size / c->num_heads;
    // attention.output.dense is Linear(H, H), so heads × attention_head_size must equal H.
    int head_size, pooler_size;
    if (fc_json_int_or(root, "attention_head_size", c->head_dim, path, &head_size, err) ||
        fc_json_int_or(root, "embedding_size", c->hidden_size, path, &c->embedding_size, err) ||
        fc_json_int_or(root, "pooler_hidden_size", c->hidden_size, path, &pooler_size, err))
        return -1;
    if (head_size != c->head_dim)
        return fc_fail(err, "%s: attention_head_size %d is not supported (must be hidden_size / "
                            "num_attention_heads = %d)", path, head_size, c->head_dim);
    if (pooler_size != c->hidden_size)
        return fc_fail(err, "%s: pooler_hidden_size %d must equal hidden_size %d", path,
                       pooler_size, c->hidden_size);
    if (c->embedding_size < 1) return fc_fail(err, "%s: embedding_size must be positive", path);
    return 0;
}

// §4.4: the relative range and the bucket parameters, with HF's rules for absent keys.
static int read_relative(const cJSON *root, const char *path, fc_deberta_config *c,
                         fc_error *err) {
    const char *norm_rel_ebd;
    if (fc_json_bool_or(root, "relative_attention", 0, path, &c->relative_attention, err) ||
        fc_json_int_or(root, "max_relative_positions", -1, path, &c->max_relative_positions,
                       err) ||
        fc_json_int_or(root, "position_buckets", -1, path, &c->position_buckets, err) ||
        fc_json_bool_or(root, "share_att_key", 0, path, &c->share_att_key, err) ||
        fc_json_string_or(root, "norm_rel_ebd", "none", path, &norm_rel_ebd, err) ||
        read_pos_att_type(root, path, c, err))
        return -1;
    c->norm_rel_ebd = bar_list_has(norm_rel_ebd, "layer_norm");
    if (c->max_relative_positions < 1) c->max_relative_positions = c->max_position_embeddings;
    c->att_span = c->position_buckets > 0 ? c->position_buckets : c->max_relative_positions;
    if (!c->relative_attention) return 0;
    if (c->att_span < 1)
        return fc_fail(err, "%s: max_relative_positions / max_position_embeddings must be "
                            "positive for relative attention", path);
    // The log formula needs mid >= 1 and (max_relative_positions − 1) / mid > 1; HF would
    // silently produce meaningless buckets otherwise.
    if (c->position_buckets > 0 &&
        (c->position_buckets < 2 || c->max_relative_positions - 1 <= c->position_buckets / 2))
        return fc_fail(err, "%s: position_buckets %d does not fit max_relative_positions %d "
                            "(need 2 <= position_buckets and position_buckets / 2 < "
                            "max_relative_positions - 1)", path, c->position_buckets,
                       c->max_relative_positions);
    return 0;
}

int fc_deberta_config_parse(const cJSON *root, const char *path, fc_deberta_config *c,
                            fc_error *err) {
    memset(c, 0, sizeof *c);
    double eps;
    int type_vocab_size, conv_kernel_size;
    if (read_sizes(root, path, c, err) ||
        fc_json_int_or(root, "max_position_embeddings", 512, path, &c->max_position_embeddings,
                       err) ||
        fc_json_double_or(root, "layer_norm_eps", 1e-7, path, &eps, err) ||
        fc_json_bool_or(root, "position_biased_input", 1, path, &c->position_biased_input, err) ||
        fc_json_int_or(root, "type_vocab_size", 0, path, &type_vocab_size, err) ||
        fc_json_int_or(root, "conv_kernel_size", 0, path, &conv_kernel_size, err) ||
        fc_json_int_or(root, "pad_token_id", 0, path, &c->pad_token_id, err) ||
        check_gelu(root, "hidden_act", path, err) ||
        check_gelu(root, "pooler_hidden_act", path, err))
        return -1;
    c->layer_norm_eps = (float)eps;
    if (c->max_position_embeddings < 1)
        return fc_fail(err, "%s: max_position_embeddings must be positive", path);
    // §4.7: the ConvLayer of deberta-v2-xlarge/xxlarge style configs (absent in v3).
    if (conv_kernel_size > 0)
        return fc_fail(err, "%s: conv_kernel_size %d is not supported (the DeBERTa-v2 ConvLayer; "
                            "DeBERTa-v3 has none)", path, conv_kernel_size);
    // Token-type embeddings would need the tokenizer's segment ids, which the packed forward
    // does not take; every DeBERTa-v3 checkpoint has type_vocab_size 0 (P8).
    if (type_vocab_size > 0)
        return fc_fail(err, "%s: type_vocab_size %d is not supported (token type embeddings; "
                            "DeBERTa-v3 has 0)", path, type_vocab_size);
    if (read_relative(root, path, c, err) != 0) return -1;
    // HF's scale counts c2p and p2c even when relative_attention is off (scaled_size_sqrt).
    c->attention_scale = sqrtf((float)c->head_dim * (float)(1 + c->c2p + c->p2c));
    return 0;
}
