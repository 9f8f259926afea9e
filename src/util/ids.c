// Growable token id list (fc_ids in finecat.h): the public, checked fc_ids_push and the
// fallible growth of util/ids.h.
#include "util/ids.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

void fc_ids_push(fc_ids *list, int32_t id) {
    if (list->len == list->cap) {
        list->cap = fc_grown_capacity(list->cap, list->len + 1, 64);
        list->ids = fc_realloc(list->ids, list->cap * sizeof *list->ids);
    }
    list->ids[list->len++] = id;
}

int fc_ids_try_reserve(fc_ids *list, size_t extra, fc_error *err) {
    if (extra <= list->cap - list->len) return 0;
    size_t need = list->len + extra;
    if (need < list->len) return fc_fail_out_of_memory(err, "token ids", SIZE_MAX);
    size_t cap = fc_grown_capacity(list->cap, need, 64);
    int32_t *grown = fc_try_realloc_array(list->ids, cap, sizeof *grown);
    if (!grown) {
        size_t bytes = cap <= SIZE_MAX / sizeof *grown ? cap * sizeof *grown : SIZE_MAX;
        return fc_fail_out_of_memory(err, "token ids", bytes);
    }
    list->ids = grown;
    list->cap = cap;
    return 0;
}

int fc_ids_try_push(fc_ids *list, int32_t id, fc_error *err) {
    if (list->len == list->cap && fc_ids_try_reserve(list, 1, err) != 0) return -1;
    list->ids[list->len++] = id;
    return 0;
}

int fc_ids_try_append(fc_ids *list, const int32_t *ids, size_t n, fc_error *err) {
    if (fc_ids_try_reserve(list, n, err) != 0) return -1;
    if (n) memcpy(list->ids + list->len, ids, n * sizeof *ids);
    list->len += n;
    return 0;
}

void fc_ids_clear(fc_ids *list) {
    list->len = 0;
}

void fc_ids_free(fc_ids *list) {
    free(list->ids);
    list->ids = NULL;
    list->len = list->cap = 0;
}
