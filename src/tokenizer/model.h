// The model stage of tokenizer.json ("model"), model-reference 5.1 step 5, behind one small
// interface: BPE (ModernBERT, RoBERTa), Unigram (DeBERTa-v3, also built from an spm.model) and
// WordPiece (BERT). Another
// model slots in with a kind, a member, and a case in model.c.
#ifndef FC_TOKENIZER_MODEL_H
#define FC_TOKENIZER_MODEL_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "finecat.h"
#include "tokenizer/bpe.h"
#include "tokenizer/spm_model.h"
#include "tokenizer/unigram.h"
#include "tokenizer/wordpiece.h"

typedef enum fc_tok_model_kind {
    FC_TOK_MODEL_BPE = 1,
    FC_TOK_MODEL_UNIGRAM,
    FC_TOK_MODEL_WORDPIECE,
} fc_tok_model_kind;

typedef struct fc_tok_model {
    fc_tok_model_kind kind;
    fc_bpe bpe;
    fc_unigram unigram;
    fc_wordpiece wordpiece;
} fc_tok_model;

// Per-call working memory of whichever model runs.
typedef struct fc_tok_model_scratch {
    fc_bpe_scratch bpe;
    fc_unigram_scratch unigram;
    fc_textbuf wordpiece;
} fc_tok_model_scratch;

int fc_tok_model_load(fc_tok_model *model, const cJSON *json, const char *path, fc_error *err);
// The Unigram model of an spm.model (the fallback when a folder has no tokenizer.json).
int fc_tok_model_load_spm(fc_tok_model *model, const fc_spm_model *spm, const char *path, fc_error *err);
void fc_tok_model_free(fc_tok_model *model);

// Appends the ids of one pre-tokenized word. Fails where HF fails too (a Unigram model without
// unk_id meeting an unknown character), and when memory runs out: out and scratch grow with
// the word, fallibly (util/alloc.h), and out may then hold part of the word's ids.
int fc_tok_model_encode_word(const fc_tok_model *model, const char *word, size_t len, fc_ids *out,
                             fc_tok_model_scratch *scratch, fc_error *err);
void fc_tok_model_scratch_free(fc_tok_model_scratch *scratch);

int32_t fc_tok_model_token_to_id(const fc_tok_model *model, const char *token, size_t len);
const char *fc_tok_model_id_to_token(const fc_tok_model *model, int32_t id);
// One more than the largest id of the model's vocabulary.
int32_t fc_tok_model_id_count(const fc_tok_model *model);

#endif
