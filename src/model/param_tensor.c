#include "model/param_tensor.h"

#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

void fc_tensor_spec_add(fc_tensor_spec_list *l, const char *name, fc_tensor_role role,
                        int64_t rows, int64_t cols) {
    if (l->count == l->capacity) {
        l->capacity = l->capacity ? 2 * l->capacity : 64;
        l->items = fc_realloc(l->items, (size_t)l->capacity * sizeof *l->items);
    }
    fc_tensor_spec *s = &l->items[l->count++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->ndim = cols > 0 ? 2 : 1;
    s->shape[0] = rows;
    s->shape[1] = cols > 0 ? cols : 0;
    s->role = role;
}
