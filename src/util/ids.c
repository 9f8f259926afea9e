// Growable token id list (fc_ids in finecat.h).
#include <stdlib.h>

#include "finecat.h"
#include "util/alloc.h"

void fc_ids_push(fc_ids *list, int32_t id) {
    if (list->len == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 64;
        list->ids = fc_realloc(list->ids, list->cap * sizeof *list->ids);
    }
    list->ids[list->len++] = id;
}

void fc_ids_clear(fc_ids *list) {
    list->len = 0;
}

void fc_ids_free(fc_ids *list) {
    free(list->ids);
    list->ids = NULL;
    list->len = list->cap = 0;
}
