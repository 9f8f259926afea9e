// BERT WordPiece and RoBERTa tokenizer tests: token ids and type ids (token_type_ids) against the
// Hugging Face tokenizers library, on the real NLI pairs the other tokenizer suites use, hand-made
// hard strings, truncation at max lengths 1 to 128, every code point of planes 0-3 and 14, and
// edited copies of tokenizer.json; the fixtures are written by tools/fixtures/bert_tokens.py into
// tests/fixtures/bert_tokens/<name>/ beside the tokenizer files: all-MiniLM-L6-v2's BERT
// tokenizer (minilm) and a RoBERTa one built by transformers (roberta). Then the error paths.
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "finecat.h"
#include "fixture_lines.h"
#include "harness.h"
#include "nli_sources.h"
#include "util/error.h"
#include "util/file.h"

enum { MAX_REPORTED_MISMATCHES = 10 };

static int reported; // mismatches printed so far, to keep a broken build's output readable

// The fixture folder of one tokenizer (it holds the tokenizer files too).
static char *tokenizer_dir(const char *name) {
    char *root = fc_path_join(fc_test_fixtures_dir(), "bert_tokens");
    char *dir = fc_path_join(root, name);
    free(root);
    return dir;
}

static cJSON *read_jsonl(const char *name, const char *file) {
    char *dir = tokenizer_dir(name);
    char *path = fc_path_join(dir, file);
    cJSON *rows = fixture_jsonl_read(path);
    free(dir);
    free(path);
    return rows;
}

static cJSON *read_meta(const char *name) {
    char *dir = tokenizer_dir(name);
    char *path = fc_path_join(dir, "meta.json");
    char *text = NULL;
    size_t size;
    fc_error err;
    cJSON *meta = NULL;
    if (fc_read_file(path, &text, &size, &err) == 0) meta = cJSON_ParseWithLength(text, size);
    else fprintf(stderr, "%s\n", err.message);
    free(text);
    free(path);
    free(dir);
    return meta;
}

static fc_tokenizer *load_tokenizer(const char *dir) {
    fc_tokenizer *tok = NULL;
    fc_error err;
    if (fc_tokenizer_load(dir, &tok, &err)) fprintf(stderr, "cannot load %s: %s\n", dir, err.message);
    return tok;
}

static const char *json_string(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int json_int(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? (int)v->valuedouble : -1;
}

static int ids_match(const fc_ids *got, const int32_t *want, size_t n) {
    return got->len == n && (n == 0 || memcmp(got->ids, want, n * sizeof *want) == 0);
}

// A JSON array of ints as a malloc'ed int32 array.
static int32_t *json_ids(const cJSON *list, size_t *n) {
    *n = cJSON_IsArray(list) ? (size_t)cJSON_GetArraySize(list) : 0;
    int32_t *ids = malloc((*n + 1) * sizeof *ids);
    size_t i = 0;
    for (const cJSON *v = cJSON_IsArray(list) ? list->child : NULL; v; v = v->next) ids[i++] = (int32_t)v->valuedouble;
    return ids;
}

static void print_ids(const char *label, const fc_ids *ids) {
    fprintf(stderr, "  %s (%zu):", label, ids->len);
    for (size_t i = 0; i < ids->len && i < 48; i++) fprintf(stderr, " %d", ids->ids[i]);
    fprintf(stderr, "%s\n", ids->len > 48 ? " ..." : "");
}

static void report(const char *what, const char *a, const char *b, const fc_ids *ids, const fc_ids *types) {
    if (reported++ >= MAX_REPORTED_MISMATCHES) return;
    fprintf(stderr, "mismatch %s\n  a=\"%.200s\"\n  b=\"%.200s\"\n", what, a, b ? b : "(none)");
    print_ids("got ids", ids);
    if (types) print_ids("got types", types);
}

static uint32_t fnv1a32_ids(const int32_t *ids, size_t n, uint32_t h) {
    for (size_t i = 0; i < n; i++) {
        uint32_t v = (uint32_t)ids[i];
        for (int k = 0; k < 4; k++) h = (h ^ ((v >> (8 * k)) & 0xFF)) * 0x01000193u;
    }
    return h;
}

static uint64_t fnv1a64_ids(const int32_t *ids, size_t n, uint64_t h) {
    for (size_t i = 0; i < n; i++) {
        uint32_t v = (uint32_t)ids[i];
        for (int k = 0; k < 4; k++) h = (h ^ ((v >> (8 * k)) & 0xFF)) * 0x100000001b3ULL;
    }
    return h;
}

static uint32_t fnv1a32_bytes(const void *data, size_t n, uint32_t h) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x01000193u;
    return h;
}

// The "hash of ids and types" of tools/fixtures/bert_tokens.py.
static uint32_t hash_ids_types(const fc_ids *ids, const fc_ids *types) {
    return fnv1a32_ids(types->ids, types->len, fnv1a32_ids(ids->ids, ids->len, 0x811c9dc5u));
}

static uint32_t hex32(const char *s) {
    return s ? (uint32_t)strtoul(s, NULL, 16) : 0;
}

static char *from_hex(const char *hex, size_t *len) {
    size_t n = strlen(hex) / 2;
    char *out = malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (char)v;
    }
    out[n] = '\0';
    *len = n;
    return out;
}

static fc_truncation strategy_from_name(const char *name) {
    if (name && strcmp(name, "longest_first") == 0) return FC_TRUNCATE_LONGEST_FIRST;
    if (name && strcmp(name, "only_first") == 0) return FC_TRUNCATE_ONLY_FIRST;
    return FC_TRUNCATE_NONE;
}

// Encodes a and b (NULL: a single text) with the template and checks the ids and type ids: they
// always come in equal numbers.
static int encode_typed(const fc_tokenizer *tok, const char *a, const char *b, int max_length,
                        fc_truncation strategy, fc_ids *ids, fc_ids *types, fc_error *err) {
    int rc = fc_tokenizer_encode_pair_typed(tok, a, b, max_length, strategy, ids, types, err);
    if (rc == 0 && ids->len != types->len) return fc_fail(err, "%zu ids but %zu type ids", ids->len, types->len);
    return rc;
}

// --- fixtures against HF ---------------------------------------------------------------------

// Rows {"a", "b", "ids", "types"} (or "a_hex" with content ids): full ids and type ids, and for a
// single text also fc_tokenizer_encode's content ids, the template's ids without its first and
// last (both templates add one special token on each side of a single text).
static int check_rows(const fc_tokenizer *tok, const cJSON *rows, const char *what) {
    int n = 0, bad = 0;
    fc_ids ids = {0}, types = {0}, content = {0};
    fc_error err;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        const char *a = json_string(row, "a"), *b = json_string(row, "b"), *hex = json_string(row, "a_hex");
        if (!a) continue;
        n++;
        size_t want_n, want_types_n;
        int32_t *want = json_ids(cJSON_GetObjectItemCaseSensitive(row, "ids"), &want_n);
        int32_t *want_types = json_ids(cJSON_GetObjectItemCaseSensitive(row, "types"), &want_types_n);
        int ok;
        if (hex) {
            size_t len;
            char *bytes = from_hex(hex, &len);
            content.len = 0;
            ok = fc_tokenizer_encode(tok, bytes, len, &content, &err) == 0 && ids_match(&content, want, want_n);
            free(bytes);
            if (!ok) report(what, a, NULL, &content, NULL);
        } else {
            ok = encode_typed(tok, a, b, 0, FC_TRUNCATE_NONE, &ids, &types, &err) == 0 &&
                 ids_match(&ids, want, want_n) && ids_match(&types, want_types, want_types_n);
            if (ok && !b) {
                content.len = 0;
                ok = fc_tokenizer_encode(tok, a, strlen(a), &content, &err) == 0 && want_n >= 2 &&
                     ids_match(&content, want + 1, want_n - 2);
            }
            if (!ok) report(what, a, b, &ids, &types);
        }
        bad += !ok;
        free(want);
        free(want_types);
    }
    fc_ids_free(&ids);
    fc_ids_free(&types);
    fc_ids_free(&content);
    printf("bert_tokenizer: %s: %d rows, %d differ\n", what, n, bad);
    CHECK(bad == 0);
    return n;
}

static void test_rows_file(const fc_tokenizer *tok, const char *name, const char *file, int at_least) {
    cJSON *rows = read_jsonl(name, file);
    CHECK(rows != NULL);
    if (!rows) return;
    char what[96];
    snprintf(what, sizeof what, "%s/%s", name, file);
    CHECK(check_rows(tok, rows, what) >= at_least);
    cJSON_Delete(rows);
}

// Every real pair tools/fixtures/tokens.py checks: ids and types untruncated, then one hash over
// longest_first and only_first at each of the fixture's max lengths.
static void test_nli_bulk(const fc_tokenizer *tok, const char *name) {
    cJSON *meta = read_meta(name), *rows = read_jsonl(name, "nli_bulk.jsonl");
    CHECK(meta != NULL && rows != NULL);
    if (!meta || !rows) {
        cJSON_Delete(meta);
        cJSON_Delete(rows);
        return;
    }
    const cJSON *sources = cJSON_GetObjectItemCaseSensitive(meta, "sources");
    const cJSON *lengths = cJSON_GetObjectItemCaseSensitive(meta, "bulk_max_lengths");
    int source_count = cJSON_GetArraySize(sources);
    nli_source *loaded = calloc((size_t)source_count, sizeof *loaded);
    int *ok_source = calloc((size_t)source_count, sizeof *ok_source);
    int k = 0;
    const cJSON *src;
    cJSON_ArrayForEach(src, sources) {
        ok_source[k] = nli_source_load(src, &loaded[k]) == 0;
        CHECK(ok_source[k]);
        k++;
    }
    int n = 0, text_bad = 0, ids_bad = 0, trunc_bad = 0, truncated_cases = 0;
    fc_ids ids = {0}, types = {0};
    fc_error err;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        int s = json_int(row, "s"), r = json_int(row, "r");
        if (s < 0 || s >= source_count || !ok_source[s] || r < 0 || (size_t)r >= loaded[s].count) {
            text_bad++;
            continue;
        }
        const char *a = loaded[s].a[r], *b = loaded[s].b[r];
        uint32_t th = fnv1a32_bytes(b, strlen(b), fnv1a32_bytes("", 1, fnv1a32_bytes(a, strlen(a), 0x811c9dc5u)));
        if (th != hex32(json_string(row, "t"))) {
            text_bad++;
            continue;
        }
        n++;
        if (encode_typed(tok, a, b, 0, FC_TRUNCATE_NONE, &ids, &types, &err) != 0 ||
            (int)ids.len != json_int(row, "n") || hash_ids_types(&ids, &types) != hex32(json_string(row, "h"))) {
            ids_bad++;
            report("nli_bulk (untruncated)", a, b, &ids, &types);
        }
        uint32_t x = 0x811c9dc5u;
        const cJSON *m;
        cJSON_ArrayForEach(m, lengths) {
            for (int st = 0; st < 2; st++) {
                fc_truncation strategy = st == 0 ? FC_TRUNCATE_LONGEST_FIRST : FC_TRUNCATE_ONLY_FIRST;
                int32_t h = 0; // HF's "too short" error
                if (encode_typed(tok, a, b, (int)m->valuedouble, strategy, &ids, &types, &err) == 0)
                    h = (int32_t)hash_ids_types(&ids, &types);
                else if (!strstr(err.message, "too short"))
                    h = -1; // an error HF does not give: never matches
                x = fnv1a32_ids(&h, 1, x);
                truncated_cases++;
            }
        }
        if (x != hex32(json_string(row, "x"))) {
            trunc_bad++;
            report("nli_bulk (truncated)", a, b, &ids, &types);
        }
    }
    printf("bert_tokenizer: %s/nli_bulk.jsonl: %d real pairs (%d truncated encodings); text %d, ids %d, "
           "truncation %d differ\n", name, n, truncated_cases, text_bad, ids_bad, trunc_bad);
    CHECK(n == 12250);
    CHECK(text_bad == 0);
    CHECK(ids_bad == 0);
    CHECK(trunc_bad == 0);
    fc_ids_free(&ids);
    fc_ids_free(&types);
    for (int i = 0; i < source_count; i++) nli_source_free(&loaded[i]);
    free(loaded);
    free(ok_source);
    cJSON_Delete(rows);
    cJSON_Delete(meta);
}

static void test_truncation(const fc_tokenizer *tok, const char *name) {
    cJSON *sample = read_jsonl(name, "nli_sample.jsonl"), *hard = read_jsonl(name, "hard_strings.jsonl");
    cJSON *rows = read_jsonl(name, "truncation.jsonl");
    CHECK(sample && hard && rows);
    int n = 0, bad = 0, errors = 0, min_length = 1 << 30, max_length_seen = 0;
    fc_ids ids = {0}, types = {0};
    fc_error err;
    const cJSON *row;
    if (sample && hard && rows) {
        cJSON_ArrayForEach(row, rows) {
            const char *ref = json_string(row, "ref");
            const cJSON *src = cJSON_GetArrayItem(ref && strcmp(ref, "hard") == 0 ? hard : sample, json_int(row, "i"));
            const char *a = json_string(src, "a"), *b = json_string(src, "b");
            int max_length = json_int(row, "max_length");
            n++;
            if (!a) {
                bad++;
                continue;
            }
            if (max_length < min_length) min_length = max_length;
            if (max_length > max_length_seen) max_length_seen = max_length;
            err.message[0] = '\0';
            int rc = encode_typed(tok, a, b, max_length, strategy_from_name(json_string(row, "strategy")), &ids,
                                  &types, &err);
            int ok;
            if (json_string(row, "error")) {
                errors++;
                ok = rc == -1 && strstr(err.message, "too short") != NULL;
            } else {
                ok = rc == 0 && (int)ids.len == json_int(row, "n") &&
                     hash_ids_types(&ids, &types) == hex32(json_string(row, "h"));
            }
            if (!ok) {
                bad++;
                char what[96];
                snprintf(what, sizeof what, "truncation %s max_length %d", json_string(row, "strategy"), max_length);
                report(what, a, b, &ids, &types);
            }
        }
    }
    printf("bert_tokenizer: %s/truncation.jsonl: %d cases (max_length %d to %d, %d \"too short\"), %d differ\n",
           name, n, min_length, max_length_seen, errors, bad);
    CHECK(n > 5000);
    CHECK(errors > 10);
    CHECK(min_length == 1 && max_length_seen == 128);
    CHECK(bad == 0);
    fc_ids_free(&ids);
    fc_ids_free(&types);
    cJSON_Delete(sample);
    cJSON_Delete(hard);
    cJSON_Delete(rows);
}

// --- code points -----------------------------------------------------------------------------

static int utf8_of(int32_t cp, char *c) {
    if (cp < 0x80) {
        c[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        c[0] = (char)(0xC0 | (cp >> 6));
        c[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        c[0] = (char)(0xE0 | (cp >> 12));
        c[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        c[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    c[0] = (char)(0xF0 | (cp >> 18));
    c[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    c[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    c[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

// The probe of tools/fixtures/tokens.py: a{c}b {c}1{c}{c} {c}!\t{c} {c}.
static size_t probe(int32_t cp, char *out) {
    char c[4];
    int n = utf8_of(cp, c);
    static const char *const parts[] = {"a", "b ", "1", "", " ", "!\t", " ", ""};
    size_t len = 0;
    for (int i = 0; i < 8; i++) {
        if (i > 0) {
            memcpy(out + len, c, (size_t)n);
            len += (size_t)n;
        }
        size_t pl = strlen(parts[i]);
        memcpy(out + len, parts[i], pl);
        len += pl;
    }
    return len;
}

static void test_codepoints(const fc_tokenizer *tok, const char *name) {
    cJSON *rows = read_jsonl(name, "codepoints.jsonl");
    CHECK(rows != NULL);
    if (!rows) return;
    int n = 0, bad = 0;
    fc_ids ids = {0};
    fc_error err;
    char text[64];
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        int32_t cp = json_int(row, "cp");
        size_t want_n;
        int32_t *want = json_ids(cJSON_GetObjectItemCaseSensitive(row, "ids"), &want_n);
        n++;
        ids.len = 0;
        if (fc_tokenizer_encode(tok, text, probe(cp, text), &ids, &err) != 0 || !ids_match(&ids, want, want_n)) {
            bad++;
            if (reported++ < MAX_REPORTED_MISMATCHES) {
                fprintf(stderr, "%s: code point U+%04X differs\n", name, (unsigned)cp);
                print_ids("got", &ids);
            }
        }
        free(want);
    }
    printf("bert_tokenizer: %s/codepoints.jsonl: %d code points, %d differ\n", name, n, bad);
    CHECK(n > 2000);
    CHECK(bad == 0);
    fc_ids_free(&ids);
    cJSON_Delete(rows);
}

static int codepoint_checked(int32_t cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    int plane = cp >> 16;
    return plane <= 3 || plane == 14 || cp % 16 == 0;
}

static void test_codepoint_blocks(const fc_tokenizer *tok, const char *name) {
    cJSON *rows = read_jsonl(name, "codepoint_blocks.jsonl");
    CHECK(rows != NULL);
    if (!rows) return;
    int blocks = 0, bad = 0, count_bad = 0, checked = 0;
    fc_ids ids = {0};
    fc_error err;
    char text[64];
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        int32_t block = json_int(row, "b");
        uint64_t h = 0xcbf29ce484222325ULL;
        int got_n = 0;
        for (int32_t cp = block << 8; cp < ((block + 1) << 8); cp++) {
            if (!codepoint_checked(cp)) continue;
            got_n++;
            ids.len = 0;
            if (fc_tokenizer_encode(tok, text, probe(cp, text), &ids, &err)) ids.len = 0;
            int32_t head = cp, sep = -1;
            h = fnv1a64_ids(&sep, 1, fnv1a64_ids(ids.ids, ids.len, fnv1a64_ids(&head, 1, h)));
        }
        char hex[17];
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
        blocks++;
        checked += got_n;
        if (got_n != json_int(row, "n")) count_bad++;
        if (!json_string(row, "h") || strcmp(hex, json_string(row, "h")) != 0) {
            bad++;
            if (reported++ < MAX_REPORTED_MISMATCHES)
                fprintf(stderr, "%s: code points U+%04X..U+%04X: tokenization differs from HF\n", name,
                        (unsigned)(block << 8), (unsigned)((block << 8) + 255));
        }
    }
    printf("bert_tokenizer: %s/codepoint_blocks.jsonl: %d code points in %d blocks, %d blocks differ\n", name,
           checked, blocks, bad);
    CHECK(blocks > 4000);
    CHECK(count_bad == 0);
    CHECK(bad == 0);
    fc_ids_free(&ids);
    cJSON_Delete(rows);
}

// --- edited copies of tokenizer.json ----------------------------------------------------------

static void set_item(cJSON *obj, const char *key, cJSON *value) {
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value);
    else
        cJSON_AddItemToObject(obj, key, value);
}

static cJSON *processing(const char *type, const char *cls, int cls_id, const char *sep, int sep_id) {
    cJSON *pp = cJSON_CreateObject();
    cJSON_AddStringToObject(pp, "type", type);
    cJSON *s = cJSON_AddArrayToObject(pp, "sep");
    cJSON_AddItemToArray(s, cJSON_CreateString(sep));
    cJSON_AddItemToArray(s, cJSON_CreateNumber(sep_id));
    cJSON *c = cJSON_AddArrayToObject(pp, "cls");
    cJSON_AddItemToArray(c, cJSON_CreateString(cls));
    cJSON_AddItemToArray(c, cJSON_CreateNumber(cls_id));
    return pp;
}

// The edits of variant() in tools/fixtures/bert_tokens.py.
static void make_variant(cJSON *root, const char *name) {
    cJSON *norm = cJSON_GetObjectItemCaseSensitive(root, "normalizer");
    if (strcmp(name, "bert_processing") == 0) {
        set_item(root, "post_processor", processing("BertProcessing", "[CLS]", 101, "[SEP]", 102));
    } else if (strcmp(name, "bert_processing_roberta") == 0) {
        set_item(root, "post_processor", processing("BertProcessing", "<s>", 0, "</s>", 2));
    } else if (strcmp(name, "cased") == 0) {
        set_item(norm, "lowercase", cJSON_CreateFalse());
    } else if (strcmp(name, "strip_only") == 0) {
        set_item(norm, "lowercase", cJSON_CreateFalse());
        set_item(norm, "strip_accents", cJSON_CreateTrue());
    } else if (strcmp(name, "lower_keep_accents") == 0) {
        set_item(norm, "strip_accents", cJSON_CreateFalse());
    } else if (strcmp(name, "raw_text") == 0) {
        set_item(norm, "clean_text", cJSON_CreateFalse());
        set_item(norm, "handle_chinese_chars", cJSON_CreateFalse());
    } else if (strcmp(name, "max_chars_10") == 0) {
        set_item(cJSON_GetObjectItemCaseSensitive(root, "model"), "max_input_chars_per_word", cJSON_CreateNumber(10));
    } else if (strcmp(name, "no_prefix_space") == 0) {
        set_item(cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer"), "add_prefix_space", cJSON_CreateFalse());
        set_item(cJSON_GetObjectItemCaseSensitive(root, "post_processor"), "add_prefix_space", cJSON_CreateFalse());
    } else if (strcmp(name, "no_post_processor") == 0) {
        set_item(root, "post_processor", cJSON_CreateNull());
    }
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

// Loads an edited copy of name's tokenizer.json from a temporary folder.
static fc_tokenizer *load_variant(const char *name, const char *variant) {
    char *src_dir = tokenizer_dir(name);
    char *src = fc_path_join(src_dir, "tokenizer.json");
    char *data = NULL;
    size_t size;
    fc_error err;
    fc_tokenizer *tok = NULL;
    char dir[] = "/tmp/fc_bert_varXXXXXX";
    if (fc_read_file(src, &data, &size, &err) == 0 && mkdtemp(dir)) {
        cJSON *root = cJSON_ParseWithLength(data, size);
        make_variant(root, variant);
        char *text = cJSON_PrintUnformatted(root);
        cJSON_Delete(root);
        char *out = fc_path_join(dir, "tokenizer.json");
        write_file(out, text);
        free(text);
        if (fc_tokenizer_load(dir, &tok, &err)) fprintf(stderr, "variant %s: %s\n", variant, err.message);
        unlink(out);
        free(out);
        rmdir(dir);
    }
    free(data);
    free(src);
    free(src_dir);
    return tok;
}

static void test_variants(const char *name) {
    cJSON *meta = read_meta(name), *hard = read_jsonl(name, "hard_strings.jsonl");
    cJSON *rows = read_jsonl(name, "variants.jsonl");
    CHECK(meta && hard && rows);
    const cJSON *variants = meta ? cJSON_GetObjectItemCaseSensitive(meta, "variants") : NULL;
    CHECK(cJSON_GetArraySize(variants) >= 2);
    const cJSON *variant;
    cJSON_ArrayForEach(variant, variants) {
        fc_tokenizer *tok = load_variant(name, variant->valuestring);
        CHECK(tok != NULL);
        if (!tok || !hard || !rows) {
            fc_tokenizer_free(tok);
            continue;
        }
        int n = 0, bad = 0;
        fc_ids ids = {0}, types = {0};
        fc_error err;
        const cJSON *row;
        cJSON_ArrayForEach(row, rows) {
            if (!json_string(row, "variant") || strcmp(json_string(row, "variant"), variant->valuestring) != 0)
                continue;
            const cJSON *src = cJSON_GetArrayItem(hard, json_int(row, "i"));
            const char *a = json_string(src, "a"), *b = json_string(src, "b");
            n++;
            if (!a || encode_typed(tok, a, b, 0, FC_TRUNCATE_NONE, &ids, &types, &err) != 0 ||
                hash_ids_types(&ids, &types) != hex32(json_string(row, "h"))) {
                bad++;
                char what[96];
                snprintf(what, sizeof what, "%s variant %s", name, variant->valuestring);
                report(what, a ? a : "", b, &ids, &types);
            }
        }
        printf("bert_tokenizer: %s/variants.jsonl (%s): %d rows, %d differ\n", name, variant->valuestring, n, bad);
        CHECK(n > 500);
        CHECK(bad == 0);
        fc_ids_free(&ids);
        fc_ids_free(&types);
        fc_tokenizer_free(tok);
    }
    cJSON_Delete(meta);
    cJSON_Delete(hard);
    cJSON_Delete(rows);
}

// --- hand-checked properties -------------------------------------------------------------------

static void test_minilm_basics(const fc_tokenizer *tok) {
    CHECK(fc_tokenizer_token_id(tok, "[PAD]") == 0);
    CHECK(fc_tokenizer_token_id(tok, "[UNK]") == 100);
    CHECK(fc_tokenizer_token_id(tok, "[CLS]") == 101);
    CHECK(fc_tokenizer_token_id(tok, "[SEP]") == 102);
    CHECK(fc_tokenizer_token_id(tok, "[MASK]") == 103);
    CHECK(fc_tokenizer_token_id(tok, "##ing") == 2075);
    CHECK(fc_tokenizer_id_to_token(tok, 7592) && strcmp(fc_tokenizer_id_to_token(tok, 7592), "hello") == 0);
    CHECK(fc_tokenizer_model_max_length(tok) == 512);

    // The file's own "truncation" (128) and "padding" (Fixed 128) are ignored, as transformers
    // ignores them unless asked: no padding ever, truncation only as given per call.
    fc_ids ids = {0}, types = {0};
    fc_error err;
    CHECK(fc_tokenizer_encode_pair_typed(tok, "hello there", "general kenobi", 0, FC_TRUNCATE_NONE, &ids, &types,
                                         &err) == 0);
    static const int32_t want[] = {101, 7592, 2045, 102, 2236, 6358, 16429, 2072, 102};
    static const int32_t want_types[] = {0, 0, 0, 0, 1, 1, 1, 1, 1};
    CHECK(ids_match(&ids, want, 9) && ids_match(&types, want_types, 9));
    char long_text[2000];
    for (int i = 0; i < 300; i++) memcpy(long_text + 2 * i, "a ", 2);
    long_text[600] = '\0';
    CHECK(fc_tokenizer_encode_pair_typed(tok, long_text, NULL, 0, FC_TRUNCATE_NONE, &ids, &types, &err) == 0);
    CHECK(ids.len == 302 && types.len == 302);
    // A NULL type_ids is the untyped call.
    CHECK(fc_tokenizer_encode_pair_typed(tok, "a", "b", 0, FC_TRUNCATE_NONE, &ids, NULL, &err) == 0 && ids.len == 5);

    // WordPiece: 100 characters (after normalization) is one word's limit.
    char word[256];
    memset(word, 'a', 101);
    word[101] = '\0';
    ids.len = 0;
    CHECK(fc_tokenizer_encode(tok, word, 101, &ids, &err) == 0 && ids.len == 1 && ids.ids[0] == 100);
    ids.len = 0;
    CHECK(fc_tokenizer_encode(tok, word, 100, &ids, &err) == 0 && ids.len == 50);
    ids.len = 0;
    CHECK(fc_tokenizer_encode(tok, "unaffable", 9, &ids, &err) == 0 && ids.len == 3);

    // Invalid UTF-8: an error naming the byte, never a crash.
    static const char *const invalid[] = {"ab\xff", "ab\xc3", "ab\xc0\xaf", "ab\xed\xa0\x80", "ab\xf4\x90\x80\x80"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        ids.len = 0;
        err.message[0] = '\0';
        CHECK(fc_tokenizer_encode(tok, invalid[i], strlen(invalid[i]), &ids, &err) == -1);
        CHECK(strstr(err.message, "invalid UTF-8 at byte 2") != NULL);
    }
    CHECK(fc_tokenizer_encode_pair_typed(tok, "ok", "bad \xfe", 0, FC_TRUNCATE_NONE, &ids, &types, &err) == -1);
    CHECK(strstr(err.message, "second text: invalid UTF-8 at byte 4") != NULL);
    fc_ids_free(&ids);
    fc_ids_free(&types);
}

static void test_roberta_basics(const fc_tokenizer *tok) {
    CHECK(fc_tokenizer_token_id(tok, "<s>") == 0);
    CHECK(fc_tokenizer_token_id(tok, "<pad>") == 1);
    CHECK(fc_tokenizer_token_id(tok, "</s>") == 2);
    CHECK(fc_tokenizer_token_id(tok, "<unk>") == 3);
    fc_ids ids = {0}, types = {0};
    fc_error err;
    // <s> A </s> </s> B </s>, every type id 0; and a pair adds 4 special tokens when truncating.
    CHECK(fc_tokenizer_encode_pair_typed(tok, "a", "b", 0, FC_TRUNCATE_NONE, &ids, &types, &err) == 0);
    CHECK(ids.len == 6 && ids.ids[0] == 0 && ids.ids[2] == 2 && ids.ids[3] == 2 && ids.ids[5] == 2);
    CHECK(types.len == 6 && types.ids[0] == 0 && types.ids[4] == 0 && types.ids[5] == 0);
    CHECK(fc_tokenizer_encode_pair_typed(tok, "a b c d", "e f g h", 6, FC_TRUNCATE_LONGEST_FIRST, &ids, &types,
                                         &err) == 0);
    CHECK(ids.len == 6);
    CHECK(fc_tokenizer_encode_pair_typed(tok, "a b c d", NULL, 4, FC_TRUNCATE_LONGEST_FIRST, &ids, &types, &err) == 0);
    CHECK(ids.len == 4 && ids.ids[0] == 0 && ids.ids[3] == 2);
    // add_prefix_space: "a" alone and " a" are the same word.
    fc_ids x = {0};
    ids.len = 0;
    CHECK(fc_tokenizer_encode(tok, "a", 1, &ids, &err) == 0 && fc_tokenizer_encode(tok, " a", 2, &x, &err) == 0);
    CHECK(ids.len == 1 && x.len == 1 && ids.ids[0] == x.ids[0]);
    fc_ids_free(&x);
    fc_ids_free(&ids);
    fc_ids_free(&types);
}

// --- error paths -----------------------------------------------------------------------------

static int load_message_contains(const char *dir, const char *needle) {
    fc_tokenizer *tok = NULL;
    fc_error err = {{0}};
    int rc = fc_tokenizer_load(dir, &tok, &err);
    int ok = rc == -1 && tok == NULL && strstr(err.message, needle) != NULL;
    if (!ok) fprintf(stderr, "load %s: rc %d, message \"%s\", wanted \"%s\"\n", dir, rc, err.message, needle);
    fc_tokenizer_free(tok);
    return ok;
}

static void test_load_errors(void) {
    char dir[] = "/tmp/fc_bert_errXXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    char *json = fc_path_join(dir, "tokenizer.json");
    write_file(json, "{\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\"}}");
    CHECK(load_message_contains(dir, "tokenizer.json: model.vocab is missing or not an object"));
    write_file(json, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": [1, 2]}}");
    CHECK(load_message_contains(dir, "tokenizer.json: model.vocab is missing or not an object"));
    write_file(json, "{\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"vocab\": {\"a\": 0}}}");
    CHECK(load_message_contains(dir, "tokenizer.json: model.unk_token \"[UNK]\" is not in model.vocab"));
    write_file(json, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}}}"); // default "[UNK]"
    CHECK(load_message_contains(dir, "model.unk_token \"[UNK]\" is not in model.vocab"));
    write_file(json, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": \"x\", \"[UNK]\": 1}}}");
    CHECK(load_message_contains(dir, "model.vocab[\"a\"] is not a valid id"));
    write_file(json, "{\"model\": {\"type\": \"WordPiece\", \"unk_token\": 5, \"vocab\": {\"[UNK]\": 0}}}");
    CHECK(load_message_contains(dir, "model.unk_token is not a string"));
    write_file(json, "{\"model\": {\"type\": \"WordPiece\", \"max_input_chars_per_word\": -1, \"vocab\": {\"[UNK]\": 0}}}");
    CHECK(load_message_contains(dir, "model.max_input_chars_per_word is not a count"));
    write_file(json, "{\"normalizer\": {\"type\": \"BertNormalizer\", \"lowercase\": \"yes\"}, "
                     "\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 0}}}");
    CHECK(load_message_contains(dir, "tokenizer.json: normalizer BertNormalizer: \"lowercase\" is not a boolean"));
    write_file(json, "{\"post_processor\": {\"type\": \"RobertaProcessing\", \"sep\": [\"</s>\"], \"cls\": [\"<s>\", 0]}, "
                     "\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 0}}}");
    CHECK(load_message_contains(dir, "post_processor RobertaProcessing: \"sep\" is not a [\"token\", id] pair"));
    write_file(json, "{\"post_processor\": {\"type\": \"BertProcessing\", \"sep\": [\"[SEP]\", 1]}, "
                     "\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 0}}}");
    CHECK(load_message_contains(dir, "post_processor BertProcessing: \"cls\" is not a [\"token\", id] pair"));
    write_file(json, "{\"pre_tokenizer\": {\"type\": \"WhitespaceSplit\"}, "
                     "\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 0}}}");
    CHECK(load_message_contains(dir, "pre_tokenizer type \"WhitespaceSplit\" is not supported"));

    // A small valid one, checked by hand (tokenizers' own WordPiece test: "banana" is ba ##na ##na,
    // "nanana" has no first piece and is one [UNK]), with every BERT stage at its defaults.
    write_file(json, "{\"normalizer\": {\"type\": \"BertNormalizer\"}, \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"}, "
                     "\"post_processor\": {\"type\": \"BertProcessing\", \"sep\": [\"[SEP]\", 4], \"cls\": [\"[CLS]\", 3]}, "
                     "\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"##na\": 0, \"ba\": 1, \"[UNK]\": 2, "
                     "\"!\": 5, \"\\u4e2d\": 6}}}");
    fc_tokenizer *tok = NULL;
    fc_error err;
    CHECK(fc_tokenizer_load(dir, &tok, &err) == 0);
    if (tok) {
        fc_ids ids = {0}, types = {0};
        CHECK(encode_typed(tok, "BaNaNa! nanana", "\xe4\xb8\xad\xe4\xb8\xad", 0, FC_TRUNCATE_NONE, &ids, &types,
                           &err) == 0);
        static const int32_t want[] = {3, 1, 0, 0, 5, 2, 4, 6, 6, 4};
        static const int32_t want_types[] = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
        CHECK(ids_match(&ids, want, 10) && ids_match(&types, want_types, 10));
        // BertProcessing adds 3 to a pair: at max_length 6 three content ids remain.
        CHECK(encode_typed(tok, "banana banana", "ba", 6, FC_TRUNCATE_ONLY_FIRST, &ids, &types, &err) == 0);
        static const int32_t want_cut[] = {3, 1, 0, 4, 1, 4};
        CHECK(ids_match(&ids, want_cut, 6));
        fc_ids_free(&ids);
        fc_ids_free(&types);
        fc_tokenizer_free(tok);
    }
    unlink(json);
    rmdir(dir);
    free(json);
}

// --- one tokenizer -----------------------------------------------------------------------------

static void run_tokenizer(const char *name) {
    char *dir = tokenizer_dir(name);
    // The fixture folder holds only tokenizer files (no config.json, no weights): loading needs
    // nothing else.
    fc_tokenizer *tok = load_tokenizer(dir);
    CHECK(tok != NULL);
    free(dir);
    if (!tok) return;
    if (strcmp(name, "minilm") == 0) test_minilm_basics(tok);
    else test_roberta_basics(tok);
    test_rows_file(tok, name, "hard_strings.jsonl", 600);
    test_rows_file(tok, name, "nli_sample.jsonl", 400);
    test_nli_bulk(tok, name);
    test_truncation(tok, name);
    if (strcmp(name, "minilm") == 0) test_codepoints(tok, name);
    test_codepoint_blocks(tok, name);
    test_variants(name);
    fc_tokenizer_free(tok);
}

void suite_bert_tokenizer(void) {
    reported = 0;
    test_load_errors();
    run_tokenizer("minilm");
    run_tokenizer("roberta");
}
