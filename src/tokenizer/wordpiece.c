#include "tokenizer/wordpiece.h"

#include <stdlib.h>
#include <string.h>

#include "tokenizer/utf8.h"
#include "tokenizer/vocab.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/ids.h"

static int load_vocab(fc_wordpiece *wp, const cJSON *vocab, const char *path, fc_error *err) {
    return fc_vocab_load(vocab, path, &wp->vocab, &wp->id_to_token, &wp->id_count,
                         &wp->longest_token, err);
}

int fc_wordpiece_load(fc_wordpiece *wp, const cJSON *model, const char *path, fc_error *err) {
    memset(wp, 0, sizeof *wp);
    // The crate's defaults (WordPieceBuilder): "[UNK]", "##", 100.
    const cJSON *unk = cJSON_GetObjectItemCaseSensitive(model, "unk_token");
    const cJSON *prefix = cJSON_GetObjectItemCaseSensitive(model, "continuing_subword_prefix");
    const cJSON *max_chars = cJSON_GetObjectItemCaseSensitive(model, "max_input_chars_per_word");
    if (unk && !cJSON_IsString(unk)) return fc_fail(err, "%s: model.unk_token is not a string", path);
    if (prefix && !cJSON_IsString(prefix))
        return fc_fail(err, "%s: model.continuing_subword_prefix is not a string", path);
    if (max_chars && !(cJSON_IsNumber(max_chars) && max_chars->valuedouble >= 0))
        return fc_fail(err, "%s: model.max_input_chars_per_word is not a count", path);
    wp->prefix = fc_strdup(prefix ? prefix->valuestring : "##");
    wp->prefix_len = strlen(wp->prefix);
    wp->max_chars = max_chars ? (size_t)max_chars->valuedouble : 100;
    if (load_vocab(wp, cJSON_GetObjectItemCaseSensitive(model, "vocab"), path, err)) {
        fc_wordpiece_free(wp);
        return -1;
    }
    const char *unk_token = unk ? unk->valuestring : "[UNK]";
    wp->unk_id = fc_strmap_get(&wp->vocab, unk_token, strlen(unk_token));
    if (wp->unk_id < 0) {
        fc_fail(err, "%s: model.unk_token \"%s\" is not in model.vocab", path, unk_token);
        fc_wordpiece_free(wp);
        return -1;
    }
    return 0;
}

void fc_wordpiece_free(fc_wordpiece *wp) {
    free(wp->id_to_token); // the texts too (vocab.h)
    free(wp->prefix);
    fc_strmap_free(&wp->vocab);
    memset(wp, 0, sizeof *wp);
}

int32_t fc_wordpiece_token_to_id(const fc_wordpiece *wp, const char *token, size_t len) {
    return fc_strmap_get(&wp->vocab, token, len);
}

const char *fc_wordpiece_id_to_token(const fc_wordpiece *wp, int32_t id) {
    return id >= 0 && id < wp->id_count ? wp->id_to_token[id] : NULL;
}

static size_t char_count(const char *s, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

// Start of the character that ends at s[end] (exclusive).
static size_t last_char_start(const char *s, size_t end) {
    size_t i = end - 1;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) i--;
    return i;
}

int fc_wordpiece_encode_word(const fc_wordpiece *wp, const char *word, size_t len, fc_ids *out,
                             fc_textbuf *scratch, fc_error *err) {
    if (char_count(word, len) > wp->max_chars) return fc_ids_try_push(out, wp->unk_id, err);
    size_t first_new = out->len; // pieces found so far are dropped if a later part has no match
    for (size_t start = 0; start < len;) {
        // Longest piece first; one longer than every vocabulary token cannot match, so start
        // there (rounded down to a character boundary) rather than at the end of the word.
        size_t end = len;
        if (end - start > wp->longest_token) {
            end = start + wp->longest_token + 1;
            while (end > start && end < len && ((unsigned char)word[end] & 0xC0) == 0x80) end--;
        }
        int32_t id = -1;
        while (end > start) {
            if (start == 0) {
                id = fc_strmap_get(&wp->vocab, word, end);
            } else {
                scratch->len = 0;
                if (fc_textbuf_try_append(scratch, wp->prefix, wp->prefix_len, err) ||
                    fc_textbuf_try_append(scratch, word + start, end - start, err))
                    return -1;
                id = fc_strmap_get(&wp->vocab, scratch->data, scratch->len);
            }
            if (id >= 0) break;
            end = last_char_start(word, end);
        }
        if (id < 0) {
            out->len = first_new;
            return fc_ids_try_push(out, wp->unk_id, err);
        }
        if (fc_ids_try_push(out, id, err) != 0) return -1;
        start = end;
    }
    return 0;
}
