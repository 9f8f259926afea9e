#include "tokenizer/model.h"

#include <string.h>

#include "util/error.h"

int fc_tok_model_load(fc_tok_model *model, const cJSON *json, const char *path, fc_error *err) {
    memset(model, 0, sizeof *model);
    if (!cJSON_IsObject(json)) return fc_fail(err, "%s: \"model\" is missing or not an object", path);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(json, "type");
    // Old files may omit "type"; tokenizers then recognizes the model by its fields (serde's
    // untagged fallback): BPE by vocab + merges, Unigram by a vocab list.
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(json, "vocab");
    const char *name = cJSON_IsString(type) ? type->valuestring
                       : cJSON_GetObjectItemCaseSensitive(json, "merges") ? "BPE"
                       : cJSON_IsArray(vocab) ? "Unigram"
                                              : "(none)";
    if (strcmp(name, "BPE") == 0) {
        model->kind = FC_TOK_MODEL_BPE;
        return fc_bpe_load(&model->bpe, json, path, err);
    }
    if (strcmp(name, "Unigram") == 0) {
        model->kind = FC_TOK_MODEL_UNIGRAM;
        return fc_unigram_load_json(&model->unigram, json, path, err);
    }
    if (strcmp(name, "WordPiece") == 0) {
        model->kind = FC_TOK_MODEL_WORDPIECE;
        return fc_wordpiece_load(&model->wordpiece, json, path, err);
    }
    return fc_fail(err, "%s: model type \"%s\" is not supported (supported: BPE, Unigram, WordPiece)", path, name);
}

int fc_tok_model_load_spm(fc_tok_model *model, const fc_spm_model *spm, const char *path, fc_error *err) {
    memset(model, 0, sizeof *model);
    model->kind = FC_TOK_MODEL_UNIGRAM;
    return fc_unigram_load_spm(&model->unigram, spm, path, err);
}

void fc_tok_model_free(fc_tok_model *model) {
    if (model->kind == FC_TOK_MODEL_BPE) fc_bpe_free(&model->bpe);
    if (model->kind == FC_TOK_MODEL_UNIGRAM) fc_unigram_free(&model->unigram);
    if (model->kind == FC_TOK_MODEL_WORDPIECE) fc_wordpiece_free(&model->wordpiece);
    memset(model, 0, sizeof *model);
}

int fc_tok_model_encode_word(const fc_tok_model *model, const char *word, size_t len, fc_ids *out,
                             fc_tok_model_scratch *scratch, fc_error *err) {
    switch (model->kind) {
    case FC_TOK_MODEL_BPE:
        return fc_bpe_encode_word(&model->bpe, word, len, out, &scratch->bpe, err);
    case FC_TOK_MODEL_UNIGRAM:
        return fc_unigram_encode_word(&model->unigram, word, len, out, &scratch->unigram, err);
    case FC_TOK_MODEL_WORDPIECE:
        return fc_wordpiece_encode_word(&model->wordpiece, word, len, out, &scratch->wordpiece, err);
    }
    return fc_fail(err, "unknown tokenizer model kind %d", (int)model->kind);
}

void fc_tok_model_scratch_free(fc_tok_model_scratch *scratch) {
    fc_bpe_scratch_free(&scratch->bpe);
    fc_unigram_scratch_free(&scratch->unigram);
    fc_textbuf_free(&scratch->wordpiece);
}

int32_t fc_tok_model_token_to_id(const fc_tok_model *model, const char *token, size_t len) {
    switch (model->kind) {
    case FC_TOK_MODEL_BPE:
        return fc_bpe_token_to_id(&model->bpe, token, len);
    case FC_TOK_MODEL_UNIGRAM:
        return fc_unigram_token_to_id(&model->unigram, token, len);
    case FC_TOK_MODEL_WORDPIECE:
        return fc_wordpiece_token_to_id(&model->wordpiece, token, len);
    }
    return -1;
}

const char *fc_tok_model_id_to_token(const fc_tok_model *model, int32_t id) {
    switch (model->kind) {
    case FC_TOK_MODEL_BPE:
        return fc_bpe_id_to_token(&model->bpe, id);
    case FC_TOK_MODEL_UNIGRAM:
        return fc_unigram_id_to_token(&model->unigram, id);
    case FC_TOK_MODEL_WORDPIECE:
        return fc_wordpiece_id_to_token(&model->wordpiece, id);
    }
    return NULL;
}

int32_t fc_tok_model_id_count(const fc_tok_model *model) {
    switch (model->kind) {
    case FC_TOK_MODEL_BPE:
        return model->bpe.id_count;
    case FC_TOK_MODEL_UNIGRAM:
        return model->unigram.piece_count;
    case FC_TOK_MODEL_WORDPIECE:
        return model->wordpiece.id_count;
    }
    return 0;
}
