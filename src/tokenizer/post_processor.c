#include "tokenizer/post_processor.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

static void free_pieces(fc_template_piece *pieces, int count) {
    for (int i = 0; i < count; i++) free(pieces[i].ids);
    free(pieces);
}

// Reads one template ("single" or "pair"): a list of {"SpecialToken": {"id": name}} and
// {"Sequence": {"id": "A"|"B"}} items; special token names resolve through special_tokens.
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
    if (strcmp(type->valuestring, "TemplateProcessing") != 0)
        return fc_fail(err, "%s: post_processor type \"%s\" is not supported (supported: "
                       "TemplateProcessing, ByteLevel, Sequence, null)", path, type->valuestring);
    if (pp->has_template) return fc_fail(err, "%s: more than one TemplateProcessing", path);
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

static void push_all(fc_ids *out, const int32_t *ids, size_t n) {
    for (size_t i = 0; i < n; i++) fc_ids_push(out, ids[i]);
}

void fc_post_processor_apply(const fc_post_processor *pp, const int32_t *a, size_t a_len,
                             const int32_t *b, size_t b_len, int has_b, fc_ids *out) {
    out->len = 0;
    if (!pp->has_template) {
        push_all(out, a, a_len);
        if (has_b) push_all(out, b, b_len);
        return;
    }
    const fc_template_piece *pieces = has_b ? pp->pair : pp->single;
    int count = has_b ? pp->pair_count : pp->single_count;
    for (int i = 0; i < count; i++) {
        if (pieces[i].sequence < 0)
            push_all(out, pieces[i].ids, (size_t)pieces[i].id_count);
        else if (pieces[i].sequence == 0)
            push_all(out, a, a_len);
        else if (has_b)
            push_all(out, b, b_len);
    }
}
