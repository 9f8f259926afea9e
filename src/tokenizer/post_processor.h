// The post-processor stage of tokenizer.json ("post_processor"): the special tokens put around
// the content ids of one or two sequences (model-reference 5.1 step 6), and the type id
// (token_type_ids) of every position. Supported: TemplateProcessing (ids and type ids read from
// its special_tokens and items, never hard-coded), RobertaProcessing (<s> A </s> </s> B </s>,
// every type id 0), BertProcessing ([CLS] A [SEP] B [SEP], B and its [SEP] type 1), ByteLevel
// (offsets only, so nothing here), a Sequence of those, and null (plain concatenation, type 0).
// The Roberta and Bert forms are held as the templates they amount to.
#ifndef FC_TOKENIZER_POST_PROCESSOR_H
#define FC_TOKENIZER_POST_PROCESSOR_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "finecat.h"

// One item of a template: sequence 0 ($A) or 1 ($B), or a special token's ids (sequence -1),
// with the type id every position it yields gets.
typedef struct fc_template_piece {
    int sequence;
    int32_t *ids;
    int id_count;
    int32_t type_id;
} fc_template_piece;

typedef struct fc_post_processor {
    int has_template;
    fc_template_piece *single, *pair;
    int single_count, pair_count;
} fc_post_processor;

int fc_post_processor_load(fc_post_processor *pp, const cJSON *json, const char *path, fc_error *err);
void fc_post_processor_free(fc_post_processor *pp);

// Number of special ids the template adds to one sequence or to a pair (HF's
// num_special_tokens_to_add, which truncation subtracts from max_length).
int fc_post_processor_added_count(const fc_post_processor *pp, int is_pair);

// Writes the final ids into out (replacing its contents): the single template when has_b is 0,
// the pair template otherwise (an empty second sequence is still a pair: [CLS] A [SEP] [SEP]).
// type_ids, when not NULL, gets the type id of each position (replacing its contents). Both
// grow fallibly: when memory runs out, -1 with err saying so and both left empty.
int fc_post_processor_apply(const fc_post_processor *pp, const int32_t *a, size_t a_len, const int32_t *b,
                            size_t b_len, int has_b, fc_ids *out, fc_ids *type_ids, fc_error *err);

#endif
