// The token embedding table of a model whose weights are kept in low precision (`--dtype`
// bf16, f16, int8; issue 15), shared by the architectures. Rows are widened to fp32 as a batch
// looks them up. A table the file stores in fp32 or 16 bits is copied into 16 bits a row at a
// time as tokens first need it (lazy_table.h), so memory grows with the rows used only;
// anything else (another dtype, unaligned data) is converted whole at load.
#ifndef FC_MODEL_LOWP_TABLE_H
#define FC_MODEL_LOWP_TABLE_H

#include <stdint.h>

#include "io/safetensors.h"
#include "kernels/cpu/linear_lowp.h"
#include "model/lazy_table.h"
#include "util/error.h"

typedef struct fc_lowp_table {
    int rows, width;
    fc_half_kind kind;
    const uint16_t *half; // [rows, width] in place, or owned; NULL when lazy
    uint16_t *owned;
    fc_lazy_table *lazy;
} fc_lowp_table;

// Binds tensor `name` ([rows, width]) of st; a table stored in fp32 (or anything but 16 bits)
// becomes convert_to. 0, or -1 with err set (missing tensor, wrong shape, out of memory).
int fc_lowp_table_bind(fc_lowp_table *t, const fc_safetensors *st, const char *name, int rows,
                       int width, fc_half_kind convert_to, fc_error *err);
// Row id (0 <= id < rows) widened into out [width]. Not for concurrent use (lazy_table.h).
void fc_lowp_table_row(const fc_lowp_table *t, int id, float *out);
void fc_lowp_table_free(fc_lowp_table *t);

// A 16-bit copy of tensor `found` (the spec's shape, count values) of the given kind: the
// mapping itself when the file stores that dtype, else converted into *owned (the fp32 pages of
// the mapping it read are given back). NULL with err set on failure.
const uint16_t *fc_tensor_as_half(const fc_safetensors *st, const fc_tensor *found,
                                  const char *name, int ndim, const int64_t *shape, size_t count,
                                  fc_half_kind kind, uint16_t **owned, fc_error *err);

#endif
