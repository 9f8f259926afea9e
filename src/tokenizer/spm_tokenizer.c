// The DeBERTa-v2/v3 tokenizer built from spm.model when a folder has no tokenizer.json, the way
// transformers v4 builds DebertaV2TokenizerFast (convert_slow_tokenizer.py: SpmConverter and
// DebertaV2Converter; model-reference 5.3):
//   normalizer     Sequence [Lowercase if do_lower_case], Strip (both sides), Precompiled (the
//                  spm.model charsmap, when it has one), Replace Regex " {2,}" -> " "
//   pre-tokenizer  Metaspace "▁", prepend_scheme always, split
//   model          Unigram over the pieces in file order, unk_id from trainer_spec, no byte
//                  fallback (DebertaV2Converter leaves handle_byte_fallback off)
//   added tokens   the control and user-defined pieces (normalized false), then
//                  tokenizer_config.json's added_tokens_decoder, or, in folders saved before
//                  transformers 4.34, added_tokens.json; then every special token (from
//                  special_tokens_map.json, else DebertaV2TokenizerFast's defaults) still missing
//   post-processor [CLS]:0 $A:0 [SEP]:0 ($B:1 [SEP]:1)
// The result equals the tokenizer.json that v4 saves for the same folder (checked by
// tests/test_deberta_tokenizer.c on every fixture).
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/spm_model.h"
#include "tokenizer/tokenizer_internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

// The transformers files beside spm.model, each NULL when absent.
typedef struct spm_side_files {
    cJSON *config;         // tokenizer_config.json
    cJSON *added;          // added_tokens.json
    cJSON *special_tokens; // special_tokens_map.json
} spm_side_files;

static int read_optional_json(const char *dir, const char *name, cJSON **out, fc_error *err) {
    char *path = fc_path_join(dir, name);
    *out = NULL;
    int rc = 0;
    if (fc_file_exists(path)) {
        *out = fc_tokenizer_parse_json_file(path, err);
        if (!*out) rc = -1;
    }
    free(path);
    return rc;
}

static int config_flag(const cJSON *config, const char *key) {
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(config, key));
}

// Only DebertaV2Converter's pipeline is built here; other SentencePiece tokenizers (T5, XLNet,
// ALBERT...) convert differently and must come with their tokenizer.json.
static int check_config(const cJSON *config, const char *dir, fc_error *err) {
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(config, "tokenizer_class");
    if (cJSON_IsString(cls) && strcmp(cls->valuestring, "DebertaV2Tokenizer") != 0 &&
        strcmp(cls->valuestring, "DebertaV2TokenizerFast") != 0)
        return fc_fail(err, "%s/tokenizer_config.json: tokenizer_class \"%s\" with spm.model and no "
                       "tokenizer.json; only DebertaV2Tokenizer can be built from spm.model", dir,
                       cls->valuestring);
    const cJSON *vocab_type = cJSON_GetObjectItemCaseSensitive(config, "vocab_type");
    if (cJSON_IsString(vocab_type) && strcmp(vocab_type->valuestring, "spm") != 0)
        return fc_fail(err, "%s/tokenizer_config.json: vocab_type \"%s\" is not supported (supported: spm)",
                       dir, vocab_type->valuestring);
    if (config_flag(config, "split_by_punct"))
        return fc_fail(err, "%s/tokenizer_config.json: split_by_punct true (a Punctuation pre-tokenizer) "
                       "is not supported", dir);
    return 0;
}

static int build_normalizer(fc_normalizer *norm, const fc_spm_model *spm, int lowercase, const char *path,
                            fc_error *err) {
    int has_charsmap = spm->charsmap_len > 0;
    fc_normalizer_init_sequence(norm, 2 + lowercase + has_charsmap);
    int i = 0;
    if (lowercase) fc_normalizer_init_lowercase(&norm->steps[i++]);
    fc_normalizer_init_strip(&norm->steps[i++], 1, 1);
    if (has_charsmap &&
        fc_normalizer_init_precompiled(&norm->steps[i++], spm->charsmap, spm->charsmap_len, path, err))
        return -1;
    return fc_normalizer_init_replace(&norm->steps[i], " {2,}", 1, " ", path, err);
}

static cJSON *added_token_json(int32_t id, const char *content, int lstrip, int rstrip, int single_word,
                               int normalized, int special) {
    cJSON *t = cJSON_CreateObject();
    cJSON_AddNumberToObject(t, "id", id);
    cJSON_AddStringToObject(t, "content", content);
    cJSON_AddBoolToObject(t, "single_word", single_word);
    cJSON_AddBoolToObject(t, "lstrip", lstrip);
    cJSON_AddBoolToObject(t, "rstrip", rstrip);
    cJSON_AddBoolToObject(t, "normalized", normalized);
    cJSON_AddBoolToObject(t, "special", special);
    return t;
}

static int json_bool(const cJSON *obj, const char *key, int fallback) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : fallback;
}

// Puts token (id, content) into list, replacing an earlier entry with the same id (a later
// definition of a token replaces its flags, as AddedVocabulary::add_tokens does).
static void put_token(cJSON *list, cJSON *token) {
    int32_t id = (int32_t)cJSON_GetObjectItemCaseSensitive(token, "id")->valuedouble;
    int index = 0;
    for (cJSON *t = list->child; t; t = t->next, index++) {
        if ((int32_t)cJSON_GetObjectItemCaseSensitive(t, "id")->valuedouble == id) {
            cJSON_ReplaceItemInArray(list, index, token);
            return;
        }
    }
    cJSON_AddItemToArray(list, token);
}

// DebertaV2TokenizerFast's special tokens: bos, eos, unk, sep, pad, cls, mask (the order of
// SPECIAL_TOKENS_ATTRIBUTES), with its __init__ defaults where neither special_tokens_map.json
// nor tokenizer_config.json names them (special_tokens_map.json wins, as in from_pretrained).
static const char *const special_keys[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                           "pad_token", "cls_token", "mask_token"};
static const char *const special_defaults[] = {"[CLS]", "[SEP]", "[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"};

static const cJSON *special_entry(const spm_side_files *side, int k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(side->special_tokens, special_keys[k]);
    return v ? v : cJSON_GetObjectItemCaseSensitive(side->config, special_keys[k]);
}

// The content of a special-token entry: a string, or an object with "content".
static const char *special_content(const cJSON *entry) {
    const cJSON *content = cJSON_IsObject(entry) ? cJSON_GetObjectItemCaseSensitive(entry, "content") : entry;
    return cJSON_IsString(content) ? content->valuestring : NULL;
}

static int is_special_content(const spm_side_files *side, const char *text) {
    for (int k = 0; k < 7; k++) {
        const char *c = special_content(special_entry(side, k));
        if (strcmp(c ? c : special_defaults[k], text) == 0) return 1;
    }
    const cJSON *extra;
    cJSON_ArrayForEach(extra, cJSON_GetObjectItemCaseSensitive(side->special_tokens, "additional_special_tokens")) {
        const char *c = special_content(extra);
        if (c && strcmp(c, text) == 0) return 1;
    }
    return 0;
}

static const cJSON *find_content(const cJSON *list, const char *content) {
    const cJSON *t;
    cJSON_ArrayForEach(t, list) {
        if (strcmp(cJSON_GetObjectItemCaseSensitive(t, "content")->valuestring, content) == 0) return t;
    }
    return NULL;
}

// AddedVocabulary::add_tokens' id for a new token: its piece id when the vocabulary has the
// text, otherwise the next id after the vocabulary and the added tokens so far.
static int32_t new_token_id(const cJSON *list, const fc_spm_model *spm, const char *content) {
    for (int32_t i = 0; i < spm->piece_count; i++)
        if (strcmp(fc_spm_piece(spm, i), content) == 0) return i;
    int32_t next = spm->piece_count;
    const cJSON *t;
    cJSON_ArrayForEach(t, list) {
        int32_t id = (int32_t)cJSON_GetObjectItemCaseSensitive(t, "id")->valuedouble;
        if (id >= next) next = id + 1;
    }
    return next;
}

// PreTrainedTokenizerFast.__init__ adds every special token that the added vocabulary lacks: as
// a special AddedToken, with the flags of an object entry. A string entry is not normalized,
// except the unknown token: DebertaV2Tokenizer's __init__ makes a string unk_token
// AddedToken(normalized=True), and the fast tokenizer takes its special tokens from there.
static void add_missing_special(cJSON *list, const fc_spm_model *spm, const cJSON *entry, const char *content,
                                int string_normalized) {
    if (!content || !content[0] || find_content(list, content)) return;
    int object = cJSON_IsObject(entry);
    put_token(list, added_token_json(new_token_id(list, spm, content), content,
                                     object && json_bool(entry, "lstrip", 0), object && json_bool(entry, "rstrip", 0),
                                     object && json_bool(entry, "single_word", 0),
                                     object ? json_bool(entry, "normalized", 0) : string_normalized, 1));
}

static cJSON *build_added_tokens(const fc_spm_model *spm, const spm_side_files *side, const char *dir,
                                 fc_error *err) {
    cJSON *list = cJSON_CreateArray();
    // SpmConverter.tokenizer: control pieces are special, user-defined ones are not; neither is
    // normalized.
    for (int32_t i = 0; i < spm->piece_count; i++) {
        if (spm->type[i] != FC_SPM_CONTROL && spm->type[i] != FC_SPM_USER_DEFINED) continue;
        put_token(list, added_token_json(i, fc_spm_piece(spm, i), 0, 0, 0, 0, spm->type[i] == FC_SPM_CONTROL));
    }
    const cJSON *decoder = cJSON_GetObjectItemCaseSensitive(side->config, "added_tokens_decoder");
    const cJSON *item;
    if (cJSON_IsObject(decoder)) {
        cJSON_ArrayForEach(item, decoder) {
            const cJSON *content = cJSON_GetObjectItemCaseSensitive(item, "content");
            char *end;
            long id = strtol(item->string, &end, 10);
            if (!cJSON_IsString(content) || *end != '\0' || id < 0 || id > 2147483647L) {
                cJSON_Delete(list);
                fc_fail(err, "%s/tokenizer_config.json: added_tokens_decoder[\"%s\"] is not an id with "
                        "a \"content\"", dir, item->string);
                return NULL;
            }
            put_token(list, added_token_json((int32_t)id, content->valuestring, json_bool(item, "lstrip", 0),
                                             json_bool(item, "rstrip", 0), json_bool(item, "single_word", 0),
                                             json_bool(item, "normalized", 1), json_bool(item, "special", 0)));
        }
    } else {
        // Folders saved before transformers 4.34: added_tokens.json gives the ids; a special
        // token's entry is not normalized, any other is.
        cJSON_ArrayForEach(item, side->added) {
            if (!cJSON_IsNumber(item) || item->valuedouble < 0 || item->valuedouble > 2147483647.0) {
                cJSON_Delete(list);
                fc_fail(err, "%s/added_tokens.json: \"%s\" has no valid id", dir, item->string);
                return NULL;
            }
            int special = is_special_content(side, item->string);
            put_token(list, added_token_json((int32_t)item->valuedouble, item->string, 0, 0, 0, !special, special));
        }
    }
    for (int k = 0; k < 7; k++) {
        const cJSON *entry = special_entry(side, k);
        const char *content = special_content(entry);
        add_missing_special(list, spm, entry, content ? content : special_defaults[k],
                            strcmp(special_keys[k], "unk_token") == 0);
    }
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(side->special_tokens, "additional_special_tokens"))
        add_missing_special(list, spm, item, special_content(item), 0);
    return list;
}

// The id of a token by content: added tokens first, then the pieces.
static int32_t find_id(const cJSON *added, const fc_spm_model *spm, const char *content) {
    const cJSON *t;
    cJSON_ArrayForEach(t, added) {
        if (strcmp(cJSON_GetObjectItemCaseSensitive(t, "content")->valuestring, content) == 0)
            return (int32_t)cJSON_GetObjectItemCaseSensitive(t, "id")->valuedouble;
    }
    for (int32_t i = 0; i < spm->piece_count; i++)
        if (strcmp(fc_spm_piece(spm, i), content) == 0) return i;
    return -1;
}

static int load_fixed_stages(fc_tokenizer *tok, const cJSON *added, const fc_spm_model *spm,
                             const char *spm_path, fc_error *err) {
    // DebertaV2Converter takes convert_tokens_to_ids("[CLS]") and ("[SEP]"): an unknown text
    // gives the unknown id there.
    int32_t cls = find_id(added, spm, "[CLS]"), sep = find_id(added, spm, "[SEP]");
    if (cls < 0) cls = spm->unk_id;
    if (sep < 0) sep = spm->unk_id;
    char post[1024];
    snprintf(post, sizeof post,
             "{\"type\": \"TemplateProcessing\","
             " \"single\": [{\"SpecialToken\": {\"id\": \"[CLS]\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}},"
             "  {\"SpecialToken\": {\"id\": \"[SEP]\", \"type_id\": 0}}],"
             " \"pair\": [{\"SpecialToken\": {\"id\": \"[CLS]\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}},"
             "  {\"SpecialToken\": {\"id\": \"[SEP]\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"B\", \"type_id\": 1}},"
             "  {\"SpecialToken\": {\"id\": \"[SEP]\", \"type_id\": 1}}],"
             " \"special_tokens\": {\"[CLS]\": {\"id\": \"[CLS]\", \"ids\": [%d], \"tokens\": [\"[CLS]\"]},"
             "  \"[SEP]\": {\"id\": \"[SEP]\", \"ids\": [%d], \"tokens\": [\"[SEP]\"]}}}",
             cls, sep);
    static const char metaspace[] =
        "{\"type\": \"Metaspace\", \"replacement\": \"\u2581\", \"prepend_scheme\": \"always\", \"split\": true}";
    cJSON *post_json = cJSON_Parse(post), *pre_json = cJSON_Parse(metaspace);
    int rc = fc_pretokenizer_load(&tok->pretokenizer, pre_json, spm_path, err);
    if (rc == 0) rc = fc_post_processor_load(&tok->post_processor, post_json, spm_path, err);
    cJSON_Delete(post_json);
    cJSON_Delete(pre_json);
    return rc;
}

int fc_tokenizer_load_spm_stages(fc_tokenizer *tok, const char *dir, fc_error *err) {
    spm_side_files side = {0};
    fc_spm_model spm;
    memset(&spm, 0, sizeof spm);
    char *spm_path = fc_path_join(dir, "spm.model");
    cJSON *added = NULL;
    int rc = read_optional_json(dir, "tokenizer_config.json", &side.config, err);
    if (rc == 0) rc = read_optional_json(dir, "added_tokens.json", &side.added, err);
    if (rc == 0) rc = read_optional_json(dir, "special_tokens_map.json", &side.special_tokens, err);
    if (rc == 0) rc = check_config(side.config, dir, err);
    if (rc == 0) rc = fc_spm_model_load(&spm, spm_path, err);
    if (rc == 0) rc = build_normalizer(&tok->normalizer, &spm, config_flag(side.config, "do_lower_case"), spm_path, err);
    if (rc == 0) rc = fc_tok_model_load_spm(&tok->model, &spm, spm_path, err);
    if (rc == 0) {
        added = build_added_tokens(&spm, &side, dir, err);
        rc = added ? 0 : -1;
    }
    if (rc == 0) rc = fc_added_tokens_load(&tok->added, added, &tok->normalizer, spm_path, err);
    if (rc == 0) rc = load_fixed_stages(tok, added, &spm, spm_path, err);
    cJSON_Delete(added);
    cJSON_Delete(side.config);
    cJSON_Delete(side.added);
    cJSON_Delete(side.special_tokens);
    fc_spm_model_free(&spm);
    free(spm_path);
    return rc;
}
