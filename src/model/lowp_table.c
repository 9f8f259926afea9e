#include "model/lowp_table.h"

#include <stdlib.h>
#include <string.h>

#include "io/dtype.h"
#include "util/alloc.h"
#include "util/pages.h"

const uint16_t *fc_tensor_as_half(const fc_safetensors *st, const fc_tensor *found,
                                  const char *name, int ndim, const int64_t *shape, size_t count,
                                  fc_half_kind kind, uint16_t **owned, fc_error *err) {
    *owned = NULL;
    fc_dtype want = kind == FC_HALF_BF16 ? FC_DTYPE_BF16 : FC_DTYPE_F16;
    if (found->dtype == want && fc_tensor_has_shape(found, ndim, shape) && ((uintptr_t)found->data % 2) == 0)
        return found->data;
    float *temp;
    const float *values = fc_safetensors_f32(st, name, ndim, shape, &temp, err);
    if (!values) return NULL;
    *owned = fc_try_calloc(count, sizeof(uint16_t));
    if (!*owned) {
        free(temp);
        fc_fail_out_of_memory(err, "a 16-bit copy of the tensor", count * sizeof(uint16_t));
        fc_fail_prefix(err, "tensor \"%s\"", name);
        return NULL;
    }
    if (kind == FC_HALF_BF16)
        fc_f32_array_to_bf16(values, *owned, count);
    else
        fc_f32_array_to_f16(values, *owned, count);
    free(temp);
    fc_release_pages(found->data, found->nbytes); // the file's pages the conversion read
    return *owned;
}

int fc_lowp_table_bind(fc_lowp_table *t, const fc_safetensors *st, const char *name, int rows,
                       int width, fc_half_kind convert_to, fc_error *err) {
    memset(t, 0, sizeof *t);
    const fc_tensor *found = fc_safetensors_find(st, name);
    if (!found) return fc_fail(err, "missing tensor \"%s\"", name);
    int64_t shape[2] = {rows, width};
    t->rows = rows;
    t->width = width;
    t->kind = found->dtype == FC_DTYPE_F16    ? FC_HALF_F16
              : found->dtype == FC_DTYPE_BF16 ? FC_HALF_BF16
                                              : convert_to;
    int half = found->dtype == FC_DTYPE_F16 || found->dtype == FC_DTYPE_BF16;
    size_t element = half ? sizeof(uint16_t) : sizeof(float);
    if ((half || found->dtype == FC_DTYPE_F32) && fc_tensor_has_shape(found, 2, shape) &&
        ((uintptr_t)found->data % element) == 0) {
        t->lazy = calloc(1, sizeof *t->lazy);
        if (!t->lazy ||
            fc_lazy_table_init(t->lazy, found->data, half, rows, width, t->kind, 1) != 0) {
            free(t->lazy);
            t->lazy = NULL;
            fc_fail_out_of_memory(err, "the embedding table", (size_t)rows * width * 2);
            return fc_fail_prefix(err, "tensor \"%s\"", name);
        }
        return 0;
    }
    t->half = fc_tensor_as_half(st, found, name, 2, shape, (size_t)rows * width, t->kind,
                                &t->owned, err);
    return t->half ? 0 : -1;
}

void fc_lowp_table_row(const fc_lowp_table *t, int id, float *out) {
    if (t->lazy) {
        fc_lazy_table_read(t->lazy, id, out);
        return;
    }
    const uint16_t *row = t->half + (size_t)id * t->width;
    if (t->kind == FC_HALF_BF16)
        fc_bf16_array_to_f32(row, out, (size_t)t->width);
    else
        fc_f16_array_to_f32(row, out, (size_t)t->width);
}

void fc_lowp_table_free(fc_lowp_table *t) {
    if (t->lazy) fc_lazy_table_free(t->lazy);
    free(t->lazy);
    free(t->owned);
    memset(t, 0, sizeof *t);
}
