// Builds a model input from the content ids of a premise and a hypothesis that were tokenized
// once each, so that a text shared by many pairs (zero-shot: one premise, many labels; check:
// one context window, many answer sentences) is not tokenized again for every pair. Produces
// exactly what fc_tokenizer_encode_pair gives for the same texts: the same truncation budget
// rule (tokenizer/truncation.c) and the post-processor's own special tokens.
#ifndef FC_TASKS_PAIR_ASSEMBLY_H
#define FC_TASKS_PAIR_ASSEMBLY_H

#include <stddef.h>

#include "finecat.h"

// Writes the post-processed pair (e.g. [CLS] premise [SEP] hypothesis [SEP]) into out,
// replacing its contents, truncated to max_length (<= 0: none) with the given strategy. Fails
// as fc_tokenizer_encode_pair does, with "too short" in the message when only_first cannot fit
// and "out of memory" when out cannot grow.
int fc_pair_assemble(const fc_tokenizer *tok, const fc_ids *premise, const fc_ids *hypothesis,
                     int max_length, fc_truncation truncation, fc_ids *out, fc_error *err);

// The zero-shot pipeline's encoding (model-reference.md §6 step 2): only_first truncation to
// max_length and, when the premise is too short to absorb the excess, no truncation at all.
int fc_pair_assemble_only_first_or_none(const fc_tokenizer *tok, const fc_ids *premise,
                                        const fc_ids *hypothesis, int max_length, fc_ids *out,
                                        fc_error *err);

// Number of special ids the post-processor adds to a pair (3 for [CLS] A [SEP] B [SEP]).
int fc_pair_special_count(const fc_tokenizer *tok);

#endif
