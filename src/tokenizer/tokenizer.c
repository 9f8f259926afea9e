// Loading tokenizer.json (or a DeBERTa spm.model) and running the pipeline stages in order
// (model-reference 5.1).
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/textbuf.h"
#include "tokenizer/tokenizer_internal.h"
#include "tokenizer/truncation.h"
#include "tokenizer/utf8.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"
#include "util/ids.h"

cJSON *fc_tokenizer_parse_json_file(const char *path, fc_error *err) {
    char *data;
    size_t size;
    if (fc_read_file(path, &data, &size, err)) return NULL;
    // JSON text is UTF-8 (RFC 8259), and every stage decodes tokens assuming it: a vocabulary
    // token ending in a cut sequence was once read past its end (found by fuzzing, issue 14).
    // cJSON's \u escapes always decode to valid UTF-8, so checking the bytes is enough.
    size_t bad;
    if (!fc_utf8_valid(data, size, &bad)) {
        free(data);
        fc_fail(err, "%s: not valid UTF-8 (byte %zu)", path, bad);
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(data, size, &end, 0);
    if (!root) {
        size_t at = end ? (size_t)(end - data) : 0;
        fc_fail(err, "%s: not valid JSON (error near byte %zu)", path, at);
    } else if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        root = NULL;
        fc_fail(err, "%s: the top level is not a JSON object", path);
    }
    free(data);
    return root;
}

// model_max_length from tokenizer_config.json. HF treats values above 1e20 (the 1e30 default
// sentinel) as "no limit" (model-reference 5.4).
static int load_config(fc_tokenizer *tok, const char *dir, fc_error *err) {
    char *path = fc_path_join(dir, "tokenizer_config.json");
    int rc = 0;
    if (fc_file_exists(path)) {
        cJSON *root = fc_tokenizer_parse_json_file(path, err);
        if (!root) {
            rc = -1;
        } else {
            const cJSON *mml = cJSON_GetObjectItemCaseSensitive(root, "model_max_length");
            if (cJSON_IsNumber(mml) && mml->valuedouble > 0 && mml->valuedouble <= 1e20)
                tok->model_max_length = mml->valuedouble > 2147483647.0 ? 0 : (int)mml->valuedouble;
            cJSON_Delete(root);
        }
    }
    free(path);
    return rc;
}

static int load_stages(fc_tokenizer *tok, const cJSON *root, const char *path, fc_error *err) {
    if (!cJSON_GetObjectItemCaseSensitive(root, "model"))
        return fc_fail(err, "%s: no \"model\" section", path);
    if (fc_normalizer_load(&tok->normalizer, cJSON_GetObjectItemCaseSensitive(root, "normalizer"), path, err))
        return -1;
    if (fc_added_tokens_load(&tok->added, cJSON_GetObjectItemCaseSensitive(root, "added_tokens"),
                             &tok->normalizer, path, err))
        return -1;
    if (fc_pretokenizer_load(&tok->pretokenizer, cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer"),
                             path, err))
        return -1;
    if (fc_tok_model_load(&tok->model, cJSON_GetObjectItemCaseSensitive(root, "model"), path, err))
        return -1;
    if (fc_post_processor_load(&tok->post_processor, cJSON_GetObjectItemCaseSensitive(root, "post_processor"),
                               path, err))
        return -1;
    return 0;
}

// tokenizer.json when the folder has one; otherwise a DeBERTa-v2/v3 spm.model, the way
// transformers v4 converts it (model-reference 5.3).
static int load_stages_from_dir(fc_tokenizer *tok, const char *dir, fc_error *err) {
    char *path = fc_path_join(dir, "tokenizer.json");
    char *spm_path = fc_path_join(dir, "spm.model");
    int rc;
    if (!fc_file_exists(path) && fc_file_exists(spm_path)) {
        rc = fc_tokenizer_load_spm_stages(tok, dir, err);
    } else {
        cJSON *root = fc_tokenizer_parse_json_file(path, err);
        rc = root ? load_stages(tok, root, path, err) : -1;
        if (!root && !fc_file_exists(path)) {
            char message[sizeof err->message];
            snprintf(message, sizeof message, "%s", err->message);
            fc_fail(err, "%s (and there is no spm.model beside it)", message);
        }
        cJSON_Delete(root);
    }
    free(path);
    free(spm_path);
    return rc;
}

int fc_tokenizer_load(const char *dir, fc_tokenizer **out, fc_error *err) {
    *out = NULL;
    fc_tokenizer *tok = fc_calloc(1, sizeof *tok);
    int rc = load_stages_from_dir(tok, dir, err);
    if (rc == 0) rc = load_config(tok, dir, err);
    if (rc) {
        fc_tokenizer_free(tok);
        return -1;
    }
    *out = tok;
    return 0;
}

void fc_tokenizer_free(fc_tokenizer *tok) {
    if (!tok) return;
    fc_added_tokens_free(&tok->added);
    fc_normalizer_free(&tok->normalizer);
    fc_pretokenizer_free(&tok->pretokenizer);
    fc_tok_model_free(&tok->model);
    fc_post_processor_free(&tok->post_processor);
    free(tok);
}

// Working memory of one encode call; every buffer only grows while the call runs. All of it,
// and the ids, are sized by the text and grow fallibly (util/alloc.h): each stage returns an
// out-of-memory error when its memory is not there, and the error travels up to the caller.
typedef struct encode_scratch {
    fc_segments raw_pieces, normalized_pieces;
    fc_textbuf normalized;
    fc_words words;
    fc_tok_model_scratch model;
} encode_scratch;

static void encode_scratch_free(encode_scratch *s) {
    fc_segments_free(&s->raw_pieces);
    fc_segments_free(&s->normalized_pieces);
    fc_textbuf_free(&s->normalized);
    fc_words_free(&s->words);
    fc_tok_model_scratch_free(&s->model);
}

// Pre-tokenizer and model over one normalized piece that holds no added token. starts_text:
// the piece begins the original text (for Metaspace's "first" prepend scheme).
static int encode_piece(const fc_tokenizer *tok, const char *text, size_t len, int starts_text, fc_ids *out,
                        encode_scratch *s, fc_error *err) {
    if (fc_pretokenize(&tok->pretokenizer, text, len, starts_text, &s->words, err)) return -1;
    size_t start = 0;
    for (size_t w = 0; w < s->words.count; w++) {
        size_t end = s->words.ends[w];
        if (fc_tok_model_encode_word(&tok->model, s->words.text.data + start, end - start, out, &s->model, err))
            return -1;
        start = end;
    }
    return 0;
}

// Whether the first normalized piece of a raw piece still starts at original offset 0: HF takes
// the original offset of the piece's first normalized character, which a left Strip moves past
// the whitespace it removes. Only Metaspace's "first" scheme asks; the steps before the Strip
// in the normalizers HF's converters build (Lowercase) keep whitespace as it is.
static int normalized_starts_at_origin(const fc_normalizer *norm, const char *raw, size_t len) {
    if (len == 0) return 1;
    if (norm->kind == FC_NORMALIZER_SEQUENCE) {
        for (int i = 0; i < norm->step_count; i++) {
            const fc_normalizer *step = &norm->steps[i];
            if (step->kind == FC_NORMALIZER_SEQUENCE || (step->kind == FC_NORMALIZER_STRIP && step->strip_left))
                return normalized_starts_at_origin(step, raw, len);
        }
        return 1;
    }
    if (norm->kind != FC_NORMALIZER_STRIP || !norm->strip_left) return 1;
    int32_t cp;
    fc_utf8_decode(raw, &cp);
    return !fc_unicode_is_white_space(cp);
}

// Runs every stage up to the model on valid UTF-8 text; appends content ids to out.
static int encode_text(const fc_tokenizer *tok, const char *text, size_t len, fc_ids *out,
                       encode_scratch *s, fc_error *err) {
    // 1. Added tokens with normalized = false, in the raw text.
    if (fc_added_tokens_split(&tok->added, &tok->added.raw, text, len, &s->raw_pieces, err) != 0) return -1;
    for (size_t i = 0; i < s->raw_pieces.len; i++) {
        const fc_segment *raw = &s->raw_pieces.items[i];
        if (raw->id >= 0) {
            if (fc_ids_try_push(out, raw->id, err) != 0) return -1;
            continue;
        }
        // 2. The normalizer, on each remaining piece.
        if (fc_normalize(&tok->normalizer, text + raw->start, raw->len, &s->normalized, err)) return -1;
        const char *piece = s->normalized.data;
        // 3. Added tokens with normalized = true, in the normalized piece.
        if (fc_added_tokens_split(&tok->added, &tok->added.normalized, piece, s->normalized.len,
                                  &s->normalized_pieces, err) != 0)
            return -1;
        for (size_t j = 0; j < s->normalized_pieces.len; j++) {
            const fc_segment *seg = &s->normalized_pieces.items[j];
            if (seg->id >= 0) {
                if (fc_ids_try_push(out, seg->id, err) != 0) return -1;
                continue;
            }
            // 4-5. Pre-tokenizer and model.
            int starts_text = raw->start == 0 && seg->start == 0 &&
                              normalized_starts_at_origin(&tok->normalizer, text, raw->len);
            if (encode_piece(tok, piece + seg->start, seg->len, starts_text, out, s, err)) return -1;
        }
    }
    return 0;
}

static int encode_checked(const fc_tokenizer *tok, const char *text, size_t len, fc_ids *out,
                          encode_scratch *s, fc_error *err) {
    size_t bad;
    if (!fc_utf8_valid(text, len, &bad)) return fc_fail(err, "invalid UTF-8 at byte %zu", bad);
    return encode_text(tok, text, len, out, s, err);
}

int fc_tokenizer_encode(const fc_tokenizer *tok, const char *text, size_t len, fc_ids *out,
                        fc_error *err) {
    encode_scratch s = {0};
    size_t before = out->len;
    int rc = encode_checked(tok, text, len, out, &s, err);
    if (rc) out->len = before; // no ids of a text that failed half way
    encode_scratch_free(&s);
    return rc;
}

int fc_tokenizer_encode_pair(const fc_tokenizer *tok, const char *first, const char *second,
                             int max_length, fc_truncation truncation, fc_ids *out, fc_error *err) {
    return fc_tokenizer_encode_pair_typed(tok, first, second, max_length, truncation, out, NULL, err);
}

int fc_tokenizer_encode_pair_typed(const fc_tokenizer *tok, const char *first, const char *second,
                                   int max_length, fc_truncation truncation, fc_ids *out, fc_ids *type_ids,
                                   fc_error *err) {
    if (!first) return fc_fail(err, "encode_pair: the first text is NULL");
    encode_scratch s = {0};
    fc_ids a = {0}, b = {0};
    int rc = encode_checked(tok, first, strlen(first), &a, &s, err);
    if (rc) fc_fail_prefix(err, "first text");
    if (rc == 0 && second) {
        rc = encode_checked(tok, second, strlen(second), &b, &s, err);
        if (rc) fc_fail_prefix(err, "second text");
    }
    size_t keep_a = 0, keep_b = 0;
    if (rc == 0)
        rc = fc_truncation_lengths(truncation, max_length,
                                   fc_post_processor_added_count(&tok->post_processor, second != NULL),
                                   a.len, b.len, second != NULL, &keep_a, &keep_b, err);
    if (rc == 0)
        rc = fc_post_processor_apply(&tok->post_processor, a.ids, keep_a, b.ids, keep_b, second != NULL, out,
                                     type_ids, err);
    if (rc) { // whatever out and type_ids held is gone or partial: leave nothing that looks valid
        out->len = 0;
        if (type_ids) type_ids->len = 0;
    }
    encode_scratch_free(&s);
    fc_ids_free(&a);
    fc_ids_free(&b);
    return rc;
}

int fc_tokenizer_model_max_length(const fc_tokenizer *tok) {
    return tok->model_max_length;
}

int32_t fc_tokenizer_token_id(const fc_tokenizer *tok, const char *token) {
    // Added tokens first, then the model's vocabulary, as AddedVocabulary::token_to_id.
    int32_t id = fc_added_tokens_find(&tok->added, token);
    return id >= 0 ? id : fc_tok_model_token_to_id(&tok->model, token, strlen(token));
}

const char *fc_tokenizer_id_to_token(const fc_tokenizer *tok, int32_t id) {
    const fc_added_token *t = fc_added_tokens_by_id(&tok->added, id);
    return t ? t->content : fc_tok_model_id_to_token(&tok->model, id);
}
