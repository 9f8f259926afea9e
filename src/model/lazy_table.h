// An embedding table that a low-precision model keeps in 16 bits, each row converted from the
// checkpoint's fp32 row (or copied from its 16-bit row) the first time it is looked up
// (issue 15).
//
// Why lazily: a batch reads a few hundred of the vocabulary's rows (ModernBERT has 50,368, a
// 103 MB table in bf16) and a process only ever reads the rows of the tokens its inputs hold.
// The fp32 path reads the table in place in the mapped file, where untouched rows cost
// nothing; converting the whole table at load made every low-precision model pay for all of
// it. The 16-bit rows live in pages from fc_pages_alloc, which take memory only once written,
// and the file pages a conversion touched (the row, and the neighbours the kernel maps with it)
// are given back at once, as the conversion of the dense layers does. A 16-bit table is copied
// the same way rather than read in place: in place, each touched row kept its 64 KB
// fault-around window resident (DeBERTa-v3-base from a bf16 file: 148 MB over 64 pairs).
//
// Not for concurrent use: one forward at a time per model, as its activation record requires.
#ifndef FC_MODEL_LAZY_TABLE_H
#define FC_MODEL_LAZY_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/cpu/linear_lowp.h"

typedef struct fc_lazy_table {
    const void *source;  // [rows, width], in a file mapping when release_source
    int source_is_half;  // source holds 16-bit values of kind (copied), else fp32 (converted)
    int release_source;  // give source's pages back after converting from them
    uint16_t *half;      // [rows, width] 16-bit copies, written row by row
    uint8_t *ready;      // [rows]: 1 once half's row is written
    int rows, width;
    fc_half_kind kind;
    size_t half_bytes;
} fc_lazy_table;

// Sets t up over source (fp32, or 16-bit values of kind when source_is_half); nothing is
// converted yet. release_source: source lies in a read-only file mapping, whose pages may be
// dropped once read. 0, or -1 when out of memory.
int fc_lazy_table_init(fc_lazy_table *t, const void *source, int source_is_half, int rows,
                       int width, fc_half_kind kind, int release_source);
// Row id (0 <= id < rows) as floats into out [width]: the 16-bit value widened, exactly what a
// table converted at load would give.
void fc_lazy_table_read(fc_lazy_table *t, int id, float *out);
// Rows converted so far.
size_t fc_lazy_table_rows_ready(const fc_lazy_table *t);
void fc_lazy_table_free(fc_lazy_table *t);

#endif
