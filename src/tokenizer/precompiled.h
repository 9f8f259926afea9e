// The Precompiled normalizer: SentencePiece's compiled character map (for DeBERTa-v3 the
// nmt_nfkc rules: NFKC plus mapping of control and space-like characters), applied exactly as
// Hugging Face does it (spm_precompiled src/lib.rs and tokenizers normalizers/precompiled.rs;
// model-reference 5.3 and pitfall P17).
//
// Blob layout: [u32 LE trie size in bytes][trie: size/4 u32 LE units][pool of NUL-terminated
// UTF-8 replacements]. The trie is a Darts-clone double array searched by common prefix; a match
// gives a byte offset into the pool.
//
// Normalization walks extended grapheme clusters: a cluster under 6 bytes that has any matching
// prefix is replaced whole by the replacement of its shortest matching prefix (HF keeps this,
// trailing characters dropped included, for SentencePiece parity); otherwise each character is
// looked up on its own and replaced, or kept when nothing matches.
#ifndef FC_TOKENIZER_PRECOMPILED_H
#define FC_TOKENIZER_PRECOMPILED_H

#include <stddef.h>
#include <stdint.h>

#include "finecat.h"
#include "tokenizer/textbuf.h"

typedef struct fc_precompiled {
    uint32_t *units;
    size_t unit_count;
    char *pool; // the replacement strings (valid UTF-8)
    size_t pool_len;
    // Replacement of each ASCII character on its own: the shortcut for plain text. ascii_len
    // is -1 where the charsmap has no entry (the character stays).
    const char *ascii[128];
    int ascii_len[128];
} fc_precompiled;

// Reads a charsmap blob (copied). what names its origin in error messages.
int fc_precompiled_load(fc_precompiled *pc, const unsigned char *blob, size_t len, const char *what,
                        fc_error *err);
void fc_precompiled_free(fc_precompiled *pc);

// The replacement of the shortest prefix of key[0..len) that the charsmap holds, or NULL.
// The search stops at a NUL byte in key, as spm_precompiled's does.
const char *fc_precompiled_lookup(const fc_precompiled *pc, const char *key, size_t len,
                                  size_t *replacement_len);

// Writes the normalized form of text[0..len) (valid UTF-8) to out, replacing its contents; out
// grows fallibly, so this fails only when memory runs out.
int fc_precompiled_normalize(const fc_precompiled *pc, const char *text, size_t len, fc_textbuf *out,
                             fc_error *err);

#endif
