// POST /tokenize: text-embeddings-inference's tokenize route. For each input, its tokens as
// [{"id", "text", "special", "start", "stop"}] (a list per input, always a list of lists, as
// text-embeddings-inference answers). Special tokens (those the post-processor adds) have
// their vocabulary text and null offsets, as there.
//
// The tokenizer does not track offsets, so start and stop (byte offsets into the input, stop
// exclusive) are found by aligning each token's surface form with the input: the vocabulary
// text with WordPiece's "##" and SentencePiece's "\u2581" undone, or its GPT-2 byte-level form
// decoded, matched after the whitespace the pre-tokenizer dropped, ASCII case folded (for
// lowercasing tokenizers). Where a normalizer changed the text (accents stripped, NFKC forms)
// the token cannot be found: its start and stop are null and its text is the vocabulary's,
// and the next token is looked for further on.
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "serve/handlers.h"
#include "serve/request.h"
#include "tasks/result_json.h"
#include "tokenizer/bytelevel.h"
#include "tokenizer/utf8.h"
#include "util/alloc.h"

// GPT-2's table backwards: the byte each of its code points stands for, -1 for the others.
typedef struct bytelevel_inverse {
    short byte_of[512];
} bytelevel_inverse;

static void bytelevel_inverse_init(bytelevel_inverse *inv) {
    for (int cp = 0; cp < 512; cp++) inv->byte_of[cp] = -1;
    for (int b = 0; b < 256; b++) inv->byte_of[fc_bytelevel_char((unsigned char)b)] = (short)b;
}

// The surface form of a vocabulary token in out (NUL-terminated), leading spaces dropped.
// byte_level: decode it as GPT-2 byte-level text; 0 when it is not such text.
static int surface_form(const char *token, int byte_level, const bytelevel_inverse *inv,
                        char *out, size_t size) {
    size_t len = 0;
    const char *p = token;
    if (!byte_level && strncmp(p, "##", 2) == 0 && p[2]) p += 2;
    while (*p && len + 5 < size) {
        int32_t cp;
        int n = fc_utf8_decode(p, &cp);
        if (n <= 0) return 0;
        if (byte_level) {
            if (cp < 0 || cp >= 512 || inv->byte_of[cp] < 0) return 0;
            out[len++] = (char)inv->byte_of[cp];
        } else if (cp == 0x2581) { // SentencePiece's word boundary
            out[len++] = ' ';
        } else {
            memcpy(out + len, p, (size_t)n);
            len += (size_t)n;
        }
        p += n;
    }
    if (*p) return 0; // longer than out: no alignment
    out[len] = '\0';
    size_t lead = 0;
    while (out[lead] == ' ') lead++;
    memmove(out, out + lead, len - lead + 1);
    return out[0] != '\0';
}

// Where form is in text: right at cursor (past whitespace), or, when search is set (the
// previous token could not be found, so the cursor lags), at its first occurrence after the
// cursor. Its [start, stop), or -1.
static int align(const char *text, size_t len, size_t cursor, const char *form, int search,
                 size_t *start, size_t *stop) {
    while (cursor < len && isspace((unsigned char)text[cursor])) cursor++;
    size_t n = strlen(form);
    for (; cursor + n <= len; cursor++) {
        if (strncasecmp(text + cursor, form, n) == 0) {
            *start = cursor;
            *stop = cursor + n;
            return 0;
        }
        if (!search) break;
    }
    return -1;
}

static void write_token(fc_textbuf *out, int32_t id, const char *text, size_t text_len,
                        int special, int aligned, size_t start, size_t stop) {
    fc_jsonbuf_printf(out, "{\"id\":%d,\"text\":", (int)id);
    fc_jsonbuf_string(out, text, text_len);
    fc_jsonbuf_printf(out, ",\"special\":%s,", special ? "true" : "false");
    if (aligned)
        fc_jsonbuf_printf(out, "\"start\":%zu,\"stop\":%zu}", start, stop);
    else
        fc_textbuf_append(out, "\"start\":null,\"stop\":null}", 25);
}

// The tokens of one input; content tokens are ids[first, first + n_content).
static void write_tokens(fc_textbuf *out, const fc_tokenizer *tok, const char *text,
                         const fc_ids *ids, size_t first, size_t n_content,
                         const bytelevel_inverse *inv) {
    size_t len = strlen(text), cursor = 0;
    int lost = 0; // the previous content token was not found
    fc_textbuf_append(out, "[", 1);
    for (size_t i = 0; i < ids->len; i++) {
        if (i) fc_textbuf_append(out, ",", 1);
        const char *token = fc_tokenizer_id_to_token(tok, ids->ids[i]);
        if (!token) token = "";
        int special = i < first || i >= first + n_content;
        size_t start = 0, stop = 0;
        int aligned = 0;
        char form[256];
        if (!special)
            for (int byte_level = 0; byte_level <= 1 && !aligned; byte_level++)
                aligned = surface_form(token, byte_level, inv, form, sizeof form) &&
                          align(text, len, cursor, form, lost, &start, &stop) == 0;
        if (!special) lost = !aligned;
        size_t bad;
        if (aligned) {
            cursor = stop;
            // A byte-level token can hold part of a character: then its text is the
            // vocabulary's, as the input's bytes are no JSON string.
            if (fc_utf8_valid(text + start, stop - start, &bad))
                write_token(out, ids->ids[i], text + start, stop - start, 0, 1, start, stop);
            else
                write_token(out, ids->ids[i], token, strlen(token), 0, 1, start, stop);
        } else {
            write_token(out, ids->ids[i], token, strlen(token), special, 0, 0, 0);
        }
    }
    fc_textbuf_append(out, "]", 1);
}

// Where the content tokens sit inside the template's encoding: the first offset at which
// they all match (the template adds tokens only around them).
static size_t content_offset(const fc_ids *full, const fc_ids *content) {
    for (size_t at = 0; at + content->len <= full->len; at++)
        if (content->len == 0 ||
            memcmp(full->ids + at, content->ids, content->len * sizeof *content->ids) == 0)
            return at;
    return 0;
}

void fc_handle_tokenize(const fc_serve_context *ctx, const char *body, size_t len,
                        fc_reply *reply) {
    fc_tokenize_request request;
    if (fc_parse_tokenize(body, len, (size_t)ctx->options->max_client_batch_size, &request,
                          reply) != 0) {
        fc_tokenize_request_free(&request);
        return;
    }
    const fc_tokenizer *tok = fc_model_tokenizer(ctx->model);
    bytelevel_inverse inv;
    bytelevel_inverse_init(&inv);
    fc_textbuf out = {0};
    fc_textbuf_append(&out, "[", 1);
    int failed = 0;
    for (size_t i = 0; i < request.n_inputs && !failed; i++) {
        const char *text = request.inputs[i];
        fc_ids content = {0}, full = {0};
        fc_error err;
        failed = fc_tokenizer_encode(tok, text, strlen(text), &content, &err) != 0 ||
                 (request.add_special_tokens &&
                  fc_tokenizer_encode_pair(tok, text, NULL, 0, FC_TRUNCATE_NONE, &full, &err) != 0);
        if (failed) {
            char where[48];
            snprintf(where, sizeof where, "inputs[%zu]", i);
            fc_reply_tokenizer_failed(reply, where, &err);
        } else {
            const fc_ids *ids = request.add_special_tokens ? &full : &content;
            size_t first = request.add_special_tokens ? content_offset(&full, &content) : 0;
            if (i) fc_textbuf_append(&out, ",", 1);
            write_tokens(&out, tok, text, ids, first, content.len, &inv);
        }
        fc_ids_free(&content);
        fc_ids_free(&full);
    }
    if (!failed) {
        fc_textbuf_append(&out, "]", 1);
        fc_textbuf_free(&reply->body);
        reply->body = out;
        out = (fc_textbuf){0};
        fc_reply_json_ok(reply);
    }
    fc_textbuf_free(&out);
    fc_tokenize_request_free(&request);
}
