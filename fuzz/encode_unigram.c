// Fuzzes encode / encode_pair of the SentencePiece Unigram tokenizer (DeBERTa-v3's spm.model) on arbitrary bytes
// (the input layout is fc_fuzz_encode's, fuzz/fuzz.h).
#include "fuzz.h"

#include <stdlib.h>

static fc_tokenizer *tokenizer;

int fc_fuzz_encode_unigram(const uint8_t *data, size_t size) {
    return fc_fuzz_encode(fc_fuzz_fixture_tokenizer("tests/fixtures/deberta/plain", &tokenizer), data, size);
}

#ifdef FC_FUZZ_MAIN
// Loads the fixture before fuzzing starts, so that its load does not count against the first
// input's time limit.
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    fc_fuzz_encode_unigram((const uint8_t *)"", 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_encode_unigram(data, size) != 0) abort();
    return 0;
}
#endif
