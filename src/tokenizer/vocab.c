#include "tokenizer/vocab.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

int fc_vocab_load(const cJSON *vocab, const char *path, fc_strmap *map, char ***id_to_token,
                  int32_t *id_count, size_t *longest, fc_error *err) {
    if (!cJSON_IsObject(vocab))
        return fc_fail(err, "%s: model.vocab is missing or not an object", path);
    size_t text_bytes = 0;
    for (const cJSON *item = vocab->child; item; item = item->next) text_bytes += strlen(item->string) + 1;
    if (fc_strmap_init(map, (size_t)cJSON_GetArraySize(vocab), text_bytes, err) != 0) return -1;
    int32_t max_id = -1;
    size_t longest_len = 0;
    for (const cJSON *item = vocab->child; item; item = item->next) {
        if (!cJSON_IsNumber(item) || item->valuedouble < 0 ||
            item->valuedouble > FC_VOCAB_MAX_ID || item->valuedouble != (int32_t)item->valuedouble)
            return fc_fail(err, "%s: model.vocab[\"%s\"] is not a valid id (a whole number in "
                                "0..%d)", path, item->string, FC_VOCAB_MAX_ID);
        int32_t id = (int32_t)item->valuedouble;
        size_t len = strlen(item->string);
        if (fc_strmap_put(map, item->string, len, id, err) != 0) return -1;
        if (id > max_id) max_id = id;
        if (len > longest_len) longest_len = len;
    }
    *id_count = max_id + 1;
    // The pointers first, then the texts end to end (the texts of the JSON tree, which fit in
    // memory, so the sum cannot overflow).
    size_t slots = (size_t)*id_count + 1, bytes = slots * sizeof(char *) + text_bytes;
    char **table = fc_try_malloc(bytes);
    if (!table) return fc_fail_out_of_memory(err, "the vocabulary's id table", bytes);
    for (size_t i = 0; i < slots; i++) table[i] = NULL;
    char *text = (char *)(table + slots);
    for (const cJSON *item = vocab->child; item; item = item->next) {
        size_t len = strlen(item->string) + 1;
        memcpy(text, item->string, len);
        table[(int32_t)item->valuedouble] = text; // a repeated id keeps its last text
        text += len;
    }
    *id_to_token = table;
    if (longest) *longest = longest_len;
    return 0;
}
