#include "tokenizer/vocab.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

int fc_vocab_load(const cJSON *vocab, const char *path, fc_strmap *map, char ***id_to_token,
                  int32_t *id_count, size_t *longest, fc_error *err) {
    if (!cJSON_IsObject(vocab))
        return fc_fail(err, "%s: model.vocab is missing or not an object", path);
    fc_strmap_init(map, (size_t)cJSON_GetArraySize(vocab));
    int32_t max_id = -1;
    size_t longest_len = 0;
    for (const cJSON *item = vocab->child; item; item = item->next) {
        if (!cJSON_IsNumber(item) || item->valuedouble < 0 ||
            item->valuedouble > FC_VOCAB_MAX_ID || item->valuedouble != (int32_t)item->valuedouble)
            return fc_fail(err, "%s: model.vocab[\"%s\"] is not a valid id (a whole number in "
                                "0..%d)", path, item->string, FC_VOCAB_MAX_ID);
        int32_t id = (int32_t)item->valuedouble;
        size_t len = strlen(item->string);
        fc_strmap_put(map, item->string, len, id);
        if (id > max_id) max_id = id;
        if (len > longest_len) longest_len = len;
    }
    *id_count = max_id + 1;
    char **table = fc_calloc((size_t)*id_count + 1, sizeof *table);
    for (const cJSON *item = vocab->child; item; item = item->next) {
        int32_t id = (int32_t)item->valuedouble;
        free(table[id]);
        table[id] = fc_strdup(item->string);
    }
    *id_to_token = table;
    if (longest) *longest = longest_len;
    return 0;
}
