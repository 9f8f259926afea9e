// Text normalization for curation, in two strengths.
//
// The text that ingest writes: Unicode NFC (the form the ModernBERT tokenizer's normalizer
// produces anyway, so equal-looking texts are equal bytes), whitespace trimmed and every run of
// whitespace made one ASCII space. Whitespace is Unicode's White_Space property (ASCII blanks,
// NEL, NBSP, the U+2000 spaces, line and paragraph separators, ideographic space).
//
// The key that dedupe compares: NFC, full case folding, every punctuation character (Unicode
// general category P*, plus ` and the acute accent, which stand in for quotes) and every
// whitespace character removed, and PTB bracket tokens (-LRB- ...) dropped. So "A man,
// sleeping." meets "a man sleeping", and a PTB-tokenized copy meets its raw text: "I ca n't
// go ." and "I can't go.", "`` Hi '' -LRB- sic -RRB-" and "\"Hi\" (sic)". Whitespace has to go
// entirely because PTB splits inside words ("ca n't", "John 's", "can not"); the cost is that
// "a part" and "apart" share a key, which for deduplication and leakage is the safe side.
#ifndef FC_CURATE_NORMALIZE_H
#define FC_CURATE_NORMALIZE_H

#include <stddef.h>

#include "finecat.h"
#include "tokenizer/textbuf.h"

// Replaces out's contents with the normalized text, NUL-terminated (out->len excludes the NUL).
// *changed (may be NULL) says whether it differs from text. Fails only on invalid UTF-8.
int fc_curate_normalize_text(const char *text, fc_textbuf *out, int *changed, fc_error *err);

// Appends the dedupe key of text[0..length) to out (no NUL). Fails only on invalid UTF-8.
int fc_curate_dedupe_key(const char *text, size_t length, fc_textbuf *out, fc_error *err);

// The dedupe key of a pair: key(premise), the byte 0xFF (which UTF-8 never holds, so no two
// pairs share a key by shifting text between the halves), key(hypothesis). Replaces out's
// contents.
int fc_curate_pair_key(const char *premise, const char *hypothesis, fc_textbuf *out,
                       fc_error *err);

#endif
