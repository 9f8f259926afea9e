// Fuzzes the SentEval / e-SNLI reader (src/data/reader_senteval.c): the input is the three
// line-aligned files s1.dev, s2.dev and labels.dev, separated by 0xFF bytes; byte 0 picks the
// reader options (fc_fuzz_read_dataset).
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"

int fc_fuzz_data_senteval(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    static const char *const names[3] = {"data_senteval/s1.dev", "data_senteval/s2.dev",
                                         "data_senteval/labels.dev"};
    char prefix[1100];
    snprintf(prefix, sizeof prefix, "%s/dev", fc_fuzz_subdir("data_senteval"));
    const uint8_t *rest = data + 1;
    size_t rest_len = size - 1;
    for (int i = 0; i < 3; i++) {
        size_t part_len, next_len;
        const uint8_t *next;
        fc_fuzz_split(rest, rest_len, 0xFF, &part_len, &next, &next_len);
        fc_fuzz_write(names[i], rest, part_len);
        rest = next;
        rest_len = next_len;
    }
    return fc_fuzz_read_dataset(prefix, FC_FORMAT_SENTEVAL, data[0]);
}

#ifdef FC_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_data_senteval(data, size) != 0) abort();
    return 0;
}
#endif
