// Fuzzes encode / encode_pair of the RoBERTa byte-level BPE tokenizer (tokenizer.json) on arbitrary bytes
// (the input layout is fc_fuzz_encode's, fuzz/fuzz.h).
#include "fuzz.h"

#include <stdlib.h>

static fc_tokenizer *tokenizer;

int fc_fuzz_encode_roberta(const uint8_t *data, size_t size) {
    return fc_fuzz_encode(fc_fuzz_fixture_tokenizer("tests/fixtures/bert_tokens/roberta", &tokenizer), data, size);
}

#ifdef FC_FUZZ_MAIN
// Loads the fixture before fuzzing starts, so that its load does not count against the first
// input's time limit.
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    fc_fuzz_encode_roberta((const uint8_t *)"", 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_encode_roberta(data, size) != 0) abort();
    return 0;
}
#endif
