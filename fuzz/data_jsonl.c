// Fuzzes the JSON Lines readers (src/data/reader_jsonl.c): byte 0 picks the format (finecat,
// snli-jsonl, mnli-jsonl, anli, wanli, lingnli, nli-fever, generic jsonl) and the reader
// options (fc_fuzz_read_dataset); the rest is the file.
#include "fuzz.h"

#include <stdlib.h>

#include "data/dataset.h"

int fc_fuzz_data_jsonl(const uint8_t *data, size_t size) {
    static const int formats[8] = {FC_FORMAT_FINECAT, FC_FORMAT_SNLI_JSONL, FC_FORMAT_MNLI_JSONL,
                                   FC_FORMAT_ANLI,    FC_FORMAT_WANLI,      FC_FORMAT_LINGNLI,
                                   FC_FORMAT_NLI_FEVER, FC_FORMAT_JSONL};
    if (size < 1) return 0;
    fc_fuzz_subdir("data_jsonl");
    const char *path = fc_fuzz_write("data_jsonl/train.jsonl", data + 1, size - 1);
    return fc_fuzz_read_dataset(path, formats[data[0] & 7], data[0] >> 3);
}

#ifdef FC_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_data_jsonl(data, size) != 0) abort();
    return 0;
}
#endif
