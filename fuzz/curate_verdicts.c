// Fuzzes the verdict files of `curate` (src/curate/verdicts.c): a screener's answer or a review
// file a person edited, one JSON object per line. Byte 0 picks which (even: screener, odd:
// review); the rest is the file.
#include "fuzz.h"

#include <stdlib.h>

#include "curate/verdicts.h"

int fc_fuzz_curate_verdicts(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    fc_fuzz_subdir("curate_verdicts");
    const char *path = fc_fuzz_write("curate_verdicts/verdicts.jsonl", data + 1, size - 1);
    fc_verdict_source source = data[0] & 1 ? FC_VERDICTS_REVIEW : FC_VERDICTS_STRICT;
    fc_verdict_list list;
    fc_error err = {{0}};
    if (fc_verdicts_read(path, source, &list, &err) != 0) return fc_fuzz_error_named(-1, &err);
    int ok = 1;
    for (size_t i = 0; ok && i < list.count; i++) {
        const fc_verdict_entry *e = &list.entries[i];
        ok = e->id && fc_verdicts_find(&list, e->id) != NULL && e->label >= -1 &&
             e->label < FC_LABEL_COUNT && (e->kind != FC_VERDICT_RELABEL || e->label >= 0);
    }
    fc_verdicts_free(&list);
    return ok ? 0 : -1;
}

#ifdef FC_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_curate_verdicts(data, size) != 0) abort();
    return 0;
}
#endif
