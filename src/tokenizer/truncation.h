// Truncation of the content ids before the post-processor adds special tokens, as tokenizers'
// utils/truncation.rs and Tokenizer::post_process do it (model-reference 5.4, pitfall P18).
#ifndef FC_TOKENIZER_TRUNCATION_H
#define FC_TOKENIZER_TRUNCATION_H

#include <stddef.h>

#include "finecat.h"

// How many content ids of the first (and second, when has_second) sequence to keep, given the
// caller's max_length and the number of special ids the template adds. Fails, with a message
// containing "too short", when only_first cannot take the excess from the first sequence.
int fc_truncation_lengths(fc_truncation strategy, int max_length, int special_count, size_t first_len,
                          size_t second_len, int has_second, size_t *keep_first, size_t *keep_second,
                          fc_error *err);

#endif
