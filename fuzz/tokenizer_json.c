// Fuzzes tokenizer.json loading (src/tokenizer/tokenizer.c and every stage it builds: added
// tokens, normalizers, pre-tokenizers, BPE / Unigram / WordPiece models, post-processor), then
// encodes a fixed pair with the tokenizer it got.
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int fc_fuzz_tokenizer_json(const uint8_t *data, size_t size) {
    const char *dir = fc_fuzz_subdir("tokenizer_json");
    char path[1024];
    strcpy(path, dir);
    fc_fuzz_write("tokenizer_json/tokenizer.json", data, size);
    fc_tokenizer *tok = NULL;
    fc_error err = {{0}};
    if (fc_tokenizer_load(path, &tok, &err) != 0) return fc_fuzz_error_named(-1, &err);
    // byte 0: encode_pair, longest first; byte 1: max_length 12; then "A cat sat." / "Ünïcode 猫".
    static const char pair[] = "\x05\x0c" "A cat sat.\xff" "\xc3\x9cn\xc3\xaf" "code \xe7\x8c\xab";
    int rc = fc_fuzz_encode(tok, (const uint8_t *)pair, sizeof pair - 1);
    if (rc == 0) rc = fc_fuzz_encode(tok, (const uint8_t *)"\x02\x00  x  y ", 8);
    fc_tokenizer_free(tok);
    return rc;
}

#ifdef FC_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_tokenizer_json(data, size) != 0) abort();
    return 0;
}
#endif
