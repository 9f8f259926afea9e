#include "tokenizer/post_processor.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/ids.h"

static void free_pieces(fc_template_piece *pieces, int count) {
    for (int i = 0; i < count; i++) free(pieces[i].ids);
    free(pieces);
}

// Reads one template ("single" or "pair"): a list of {"SpecialToken": {"id": name, "type_id": t}}
// and {"Sequence": {"id": "A"|"B", "type_id": t}} items; special token names resolve through
// special_tokens.
static int load_template(const cJSON *list, const cJSON *specials, const char *which,
                         fc_template_piece **out, int *count, const char *path, fc_error *err) {
    if (!cJSON_IsArray(list))
        return fc_fail(err, "%s: post_processor.%s is missing or not a list", path, which);
    int n = cJSON_GetArraySize(list);
    fc_template_piece *pieces = fc_calloc((size_t)n + 1, sizeof *pieces);
    int k = 0;
    for (const cJSON *item = list->child; item; item = item->next, k++) {
        const cJSON *seq = cJSON_GetObjectItemCaseSensitive(item, "Sequence");
        const cJSON *special = cJSON_GetObjectItemCaseSensitive(item, "SpecialToken");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(seq ? seq : special, "id");
        if (!cJSON_IsString(id)) {
            free_pieces(pieces, k);
            return fc_fail(err, "%s: post_processor.%s[%d] is neither a Sequence nor a SpecialToken", path, which, k);
        }
        const cJSON *type_id = cJSON_GetObjectItemCaseSensitive(seq ? seq : special, "type_id");
        pieces[k].type_id = cJSON_IsNumber(type_id) ? (int32_t)type_id->valuedouble : 0;
        if (seq) {
            pieces[k].sequence = strcmp(id->valuestring, "B") == 0 ? 1 : 0;
            continue;
        }
        pieces[k].sequence = -1;
        const cJSON *def = cJSON_GetObjectItemCaseSensitive(specials, id->valuestring);
        const cJSON *ids = cJSON_GetObjectItemCaseSensitive(def, "ids");
        if (!cJSON_IsArray(ids)) {
            free_pieces(pieces, k + 1);
            return fc_fail(err, "%s: post_processor.special_tokens has no ids for \"%s\"", path, id->valuestring);
        }
        pieces[k].id_count = cJSON_GetArraySize(ids);
        pieces[k].ids = fc_calloc((size_t)pieces[k].id_count + 1, sizeof *pieces[k].ids);
        int j = 0;
        for (const cJSON *v = ids->child; v; v = v->next) pieces[k].ids[j++] = (int32_t)v->valuedouble;
    }
    *out = pieces;
    *count = n;
    return 0;
}

// A special token of RobertaProcessing / BertProcessing: ["</s>", 2], the text and its id.
static int special_id(const cJSON *json, const char *key, const char *type, int32_t *id, const char *path,
                      fc_error *err) {
    const cJSON *pair = cJSON_GetObjectItemCaseSensitive(json, key);
    const cJSON *value = cJSON_IsArray(pair) && cJSON_GetArraySize(pair) == 2 ? pair->child->next : NULL;
    if (!value || !cJSON_IsString(pair->child) || !cJSON_IsNumber(value) || value->valuedouble < 0)
        return fc_fail(err, "%s: post_processor %s: \"%s\" is not a [\"token\", id] pair", path, type, key);
    *id = (int32_t)value->valuedouble;
    return 0;
}

static fc_template_piece special_piece(int32_t id, int32_t type_id) {
    fc_template_piece piece = {-1, fc_calloc(1, sizeof(int32_t)), 1, type_id};
    piece.ids[0] = id;
    return piece;
}

// RobertaProcessing (processors/roberta.rs): <s> A </s> and <s> A </s> </s> B </s>, every type id
// 0. BertProcessing (processors/bert.rs): [CLS] A [SEP] and [CLS] A [SEP] B [SEP], with B and
// its [SEP] type 1. Held as the templates they amount to; their other fields (trim_offsets,
// add_prefix_space) change offsets only.
static int load_fixed(fc_post_processor *pp, const cJSON *json, int roberta, const char *path, fc_error *err) {
    const char *type = roberta ? "RobertaProcessing" : "BertProcessing";
    int32_t cls, sep;
    if (special_id(json, "cls", type, &cls, path, err) || special_id(json, "sep", type, &sep, path, err)) return -1;
    int32_t b_type = roberta ? 0 : 1;
    pp->single = fc_calloc(3, sizeof *pp->single);
    pp->single[pp->single_count++] = special_piece(cls, 0);
    pp->single[pp->single_count++] = (fc_template_piece){0, NULL, 0, 0};
    pp->single[pp->single_count++] = special_piece(sep, 0);
    pp->pair = fc_calloc(6, sizeof *pp->pair);
    pp->pair[pp->pair_count++] = special_piece(cls, 0);
    pp->pair[pp->pair_count++] = (fc_template_piece){0, NULL, 0, 0};
    pp->pair[pp->pair_count++] = special_piece(sep, 0);
    if (roberta) pp->pair[pp->pair_count++] = special_piece(sep, 0);
    pp->pair[pp->pair_count++] = (fc_template_piece){1, NULL, 0, b_type};
    pp->pair[pp->pair_count++] = special_piece(sep, b_type);
    pp->has_template = 1;
    return 0;
}

static int load_one(fc_post_processor *pp, const cJSON *json, const char *path, fc_error *err) {
    if (!json || cJSON_IsNull(json)) return 0;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(json, "type");
    if (!cJSON_IsString(type)) return fc_fail(err, "%s: post_processor has no \"type\"", path);
    if (strcmp(type->valuestring, "ByteLevel") == 0) return 0; // adjusts offsets only
    if (strcmp(type->valuestring, "Sequence") == 0) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(json, "processors");
        if (!cJSON_IsArray(list)) return fc_fail(err, "%s: post_processor Sequence has no \"processors\"", path);
        for (const cJSON *item = list->child; item; item = item->next)
            if (load_one(pp, item, path, err)) return -1;
        return 0;
    }
    int roberta = strcmp(type->valuestring, "RobertaProcessing") == 0;
    int bert = strcmp(type->valuestring, "BertProcessing") == 0;
    if (!roberta && !bert && strcmp(type->valuestring, "TemplateProcessing") != 0)
        return fc_fail(err, "%s: post_processor type \"%s\" is not supported (supported: "
                       "TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel, Sequence, null)",
                       path, type->valuestring);
    if (pp->has_template)
        return fc_fail(err, "%s: more than one of TemplateProcessing, RobertaProcessing, BertProcessing", path);
    if (roberta || bert) return load_fixed(pp, json, roberta, path, err);
    const cJSON *specials = cJSON_GetObjectItemCaseSensitive(json, "special_tokens");
    if (load_template(cJSON_GetObjectItemCaseSensitive(json, "single"), specials, "single", &pp->single,
                      &pp->single_count, path, err))
        return -1;
    if (load_template(cJSON_GetObjectItemCaseSensitive(json, "pair"), specials, "pair", &pp->pair,
                      &pp->pair_count, path, err))
        return -1;
    pp->has_template = 1;
    return 0;
}

int fc_post_processor_load(fc_post_processor *pp, const cJSON *json, const char *path, fc_error *err) {
    memset(pp, 0, sizeof *pp);
    if (load_one(pp, json, path, err)) {
        fc_post_processor_free(pp);
        return -1;
    }
    return 0;
}

void fc_post_processor_free(fc_post_processor *pp) {
    free_pieces(pp->single, pp->single_count);
    free_pieces(pp->pair, pp->pair_count);
    memset(pp, 0, sizeof *pp);
}

int fc_post_processor_added_count(const fc_post_processor *pp, int is_pair) {
    if (!pp->has_template) return 0;
    const fc_template_piece *pieces = is_pair ? pp->pair : pp->single;
    int count = is_pair ? pp->pair_count : pp->single_count, total = 0;
    for (int i = 0; i < count; i++) total += pieces[i].id_count;
    return total;
}

// The number of ids the single or pair template yields for sequences of a_len and b_len ids.
static size_t output_length(const fc_post_processor *pp, size_t a_len, size_t b_len, int has_b) {
    if (!pp->has_template) return a_len + (has_b ? b_len : 0);
    const fc_template_piece *pieces = has_b ? pp->pair : pp->single;
    int count = has_b ? pp->pair_count : pp->single_count;
    size_t total = 0;
    for (int i = 0; i < count; i++) {
        const fc_template_piece *p = &pieces[i];
        if (p->sequence < 0)
            total += (size_t)p->id_count;
        else if (p->sequence == 0)
            total += a_len;
        else if (has_b)
            total += b_len;
    }
    return total;
}

// Both lists are reserved first (the fallible step), so the pushes below cannot fail.
static void push_all(fc_ids *out, const int32_t *ids, size_t n) {
    if (n) memcpy(out->ids + out->len, ids, n * sizeof *ids);
    out->len += n;
}

static void push_type(fc_ids *type_ids, int32_t type_id, size_t n) {
    if (!type_ids) return;
    for (size_t i = 0; i < n; i++) type_ids->ids[type_ids->len++] = type_id;
}

int fc_post_processor_apply(const fc_post_processor *pp, const int32_t *a, size_t a_len, const int32_t *b,
                            size_t b_len, int has_b, fc_ids *out, fc_ids *type_ids, fc_error *err) {
    out->len = 0;
    if (type_ids) type_ids->len = 0;
    size_t total = output_length(pp, a_len, b_len, has_b);
    if (fc_ids_try_reserve(out, total, err) != 0 || (type_ids && fc_ids_try_reserve(type_ids, total, err) != 0))
        return -1;
    if (!pp->has_template) {
        // Without a template, Tokenizer::encode's own type ids stay: 0 for A, 1 for B.
        push_all(out, a, a_len);
        push_type(type_ids, 0, a_len);
        if (has_b) {
            push_all(out, b, b_len);
            push_type(type_ids, 1, b_len);
        }
        return 0;
    }
    const fc_template_piece *pieces = has_b ? pp->pair : pp->single;
    int count = has_b ? pp->pair_count : pp->single_count;
    for (int i = 0; i < count; i++) {
        const fc_template_piece *p = &pieces[i];
        if (p->sequence < 0) {
            push_all(out, p->ids, (size_t)p->id_count);
            push_type(type_ids, p->type_id, (size_t)p->id_count);
        } else if (p->sequence == 0) {
            push_all(out, a, a_len);
            push_type(type_ids, p->type_id, a_len);
        } else if (has_b) {
            push_all(out, b, b_len);
            push_type(type_ids, p->type_id, b_len);
        }
    }
    return 0;
}
