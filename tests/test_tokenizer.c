// Tokenizer tests: token ids against Hugging Face transformers on real NLI text and hand-made
// hard strings (fixtures written by tools/fixtures/tokens.py into tests/fixtures/tokens), the
// truncation rules of model-reference 5.4, every code point, both serialized merge forms, and
// the error paths.
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "finecat.h"
#include "fixture_lines.h"
#include "harness.h"
#include "nli_sources.h"
#include "tokenizer/truncation.h"
#include "util/file.h"

enum { MAX_REPORTED_MISMATCHES = 10 };

static int reported; // mismatches printed so far, to keep a broken build's output readable

static int utf8_of(int32_t cp, char *c);

static char *tokenizer_dir(void) {
    return fc_path_join(fc_test_shared_data_dir(), "tokenizers/ModernBERT-large");
}

static char *fixture_path(const char *name) {
    char *dir = fc_path_join(fc_test_fixtures_dir(), "tokens");
    char *p = fc_path_join(dir, name);
    free(dir);
    return p;
}

// --- small helpers ---------------------------------------------------------------------------

// A JSONL fixture of this suite's folder, parsed (fixture_lines.c).
static cJSON *read_jsonl(const char *name) {
    char *path = fixture_path(name);
    cJSON *rows = fixture_jsonl_read(path);
    free(path);
    return rows;
}

static int ids_match(const fc_ids *got, const cJSON *want) {
    if (!cJSON_IsArray(want) || (size_t)cJSON_GetArraySize(want) != got->len) return 0;
    size_t i = 0;
    for (const cJSON *v = want->child; v; v = v->next, i++)
        if ((int32_t)v->valuedouble != got->ids[i]) return 0;
    return 1;
}

static void print_ids(const char *label, const fc_ids *ids) {
    fprintf(stderr, "  %s (%zu):", label, ids->len);
    for (size_t i = 0; i < ids->len && i < 64; i++) fprintf(stderr, " %d", ids->ids[i]);
    fprintf(stderr, "%s\n", ids->len > 64 ? " ..." : "");
}

static void report_mismatch(const char *what, const char *a, const char *b, const fc_ids *got,
                            const cJSON *want) {
    if (reported++ >= MAX_REPORTED_MISMATCHES) return;
    char *w = cJSON_PrintUnformatted(want);
    fprintf(stderr, "mismatch %s\n  a=\"%.200s\"\n  b=\"%.200s\"\n", what, a, b ? b : "(none)");
    print_ids("got", got);
    fprintf(stderr, "  want: %.600s\n", w);
    free(w);
}

static const char *json_string(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
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

static uint32_t fnv1a32_ids(const fc_ids *ids) {
    uint32_t h = 0x811c9dc5u;
    for (size_t i = 0; i < ids->len; i++) {
        uint32_t v = (uint32_t)ids->ids[i];
        unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                              (unsigned char)(v >> 24)};
        h = fnv1a32_bytes(b, 4, h);
    }
    return h;
}

// Encodes a fixture row: b == NULL means a single text without special tokens.
static int encode_row(const fc_tokenizer *tok, const char *a, const char *b, fc_ids *out, fc_error *err) {
    out->len = 0;
    if (!b) return fc_tokenizer_encode(tok, a, strlen(a), out, err);
    return fc_tokenizer_encode_pair(tok, a, b, 0, FC_TRUNCATE_NONE, out, err);
}

// Text given as hex ("a_hex"), for the rows whose text holds a NUL that a C string cannot.
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

// Checks every row {"a", "b", "ids"} of a fixture against tok; returns the number of rows.
static int check_rows(const fc_tokenizer *tok, const cJSON *rows, const char *what) {
    int n = 0, bad = 0;
    fc_ids ids = {0};
    fc_error err;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        const char *a = json_string(row, "a"), *b = json_string(row, "b");
        const char *hex = json_string(row, "a_hex");
        if (!a) continue;
        n++;
        int rc;
        if (hex && !b) {
            size_t len;
            char *bytes = from_hex(hex, &len);
            ids.len = 0;
            rc = fc_tokenizer_encode(tok, bytes, len, &ids, &err);
            free(bytes);
        } else {
            rc = encode_row(tok, a, b, &ids, &err);
        }
        if (rc) {
            if (reported++ < MAX_REPORTED_MISMATCHES) fprintf(stderr, "%s: error %s\n", what, err.message);
            bad++;
            continue;
        }
        if (!ids_match(&ids, cJSON_GetObjectItemCaseSensitive(row, "ids"))) {
            report_mismatch(what, a, b, &ids, cJSON_GetObjectItemCaseSensitive(row, "ids"));
            bad++;
        }
    }
    fc_ids_free(&ids);
    if (bad) fprintf(stderr, "%s: %d of %d rows differ from Hugging Face\n", what, bad, n);
    CHECK(bad == 0);
    return n;
}

// --- error paths -----------------------------------------------------------------------------

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

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
    char dir[] = "/tmp/fc_tok_errXXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    char *json = fc_path_join(dir, "tokenizer.json");
    CHECK(load_message_contains(dir, "tokenizer.json: cannot open"));
    write_file(json, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, ");
    CHECK(load_message_contains(dir, "tokenizer.json: not valid JSON"));
    write_file(json, "[1, 2]");
    CHECK(load_message_contains(dir, "not a JSON object"));
    write_file(json, "{\"normalizer\": null}");
    CHECK(load_message_contains(dir, "tokenizer.json: no \"model\""));
    write_file(json, "{\"model\": {\"type\": \"BPE\", \"merges\": []}}");
    CHECK(load_message_contains(dir, "model.vocab is missing"));
    write_file(json, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}}");
    CHECK(load_message_contains(dir, "model.merges is missing"));
    write_file(json, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a b\"]}}");
    CHECK(load_message_contains(dir, "model.merges[0] (\"a\" \"b\"): right token not in model.vocab"));
    write_file(json, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"ab\"]}}");
    CHECK(load_message_contains(dir, "model.merges[0] \"ab\" has no space"));
    write_file(json, "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {}}}");
    CHECK(load_message_contains(dir, "model type \"WordLevel\" is not supported"));
    write_file(json, "{\"normalizer\": {\"type\": \"NFKC\"}, \"model\": {\"type\": \"BPE\", "
                     "\"vocab\": {}, \"merges\": []}}");
    CHECK(load_message_contains(dir, "normalizer type \"NFKC\" is not supported"));
    // A vocabulary id of 2^31 - 1 once overflowed the id count (issue 14).
    write_file(json, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 2147483647}, \"merges\": []}}");
    CHECK(load_message_contains(dir, "model.vocab[\"a\"] is not a valid id"));
    // An added token whose content is invalid UTF-8 under an NFC normalizer: once a use after
    // free (issue 14), then an error naming the token by id; now the file is refused before any
    // stage reads it, since JSON text must be UTF-8 (a fuzz finding, issue 14).
    write_file(json, "{\"normalizer\": {\"type\": \"NFC\"}, \"added_tokens\": [{\"id\": 7, "
                     "\"content\": \"\xff\xfe\", \"normalized\": true}], \"model\": {\"type\": "
                     "\"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}");
    CHECK(load_message_contains(dir, "tokenizer.json: not valid UTF-8 (byte 71)"));
    write_file(json, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}");
    char *config = fc_path_join(dir, "tokenizer_config.json");
    write_file(config, "{\"model_max_length\": ");
    CHECK(load_message_contains(dir, "tokenizer_config.json: not valid JSON"));

    // A minimal valid file: no normalizer, no pre-tokenizer, no post-processor.
    write_file(config, "{\"model_max_length\": 512}");
    write_file(json, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, "
                     "\"merges\": [[\"a\", \"b\"]]}}");
    fc_tokenizer *tok = NULL;
    fc_error err;
    CHECK(fc_tokenizer_load(dir, &tok, &err) == 0);
    if (tok) {
        fc_ids ids = {0};
        CHECK(fc_tokenizer_model_max_length(tok) == 512);
        CHECK(fc_tokenizer_encode_pair(tok, "abab", "ba", 0, FC_TRUNCATE_NONE, &ids, &err) == 0);
        CHECK(ids.len == 4 && ids.ids[0] == 2 && ids.ids[1] == 2 && ids.ids[2] == 1 && ids.ids[3] == 0);
        fc_ids_free(&ids);
        fc_tokenizer_free(tok);
    }
    unlink(config);
    unlink(json);
    rmdir(dir);
    free(config);
    free(json);
}

// --- basic properties ------------------------------------------------------------------------

static void test_basics(const fc_tokenizer *tok) {
    // Ids as tokenizer.json defines them (model-reference 5.2).
    CHECK(fc_tokenizer_token_id(tok, "[CLS]") == 50281);
    CHECK(fc_tokenizer_token_id(tok, "[SEP]") == 50282);
    CHECK(fc_tokenizer_token_id(tok, "[PAD]") == 50283);
    CHECK(fc_tokenizer_token_id(tok, "[MASK]") == 50284);
    CHECK(fc_tokenizer_token_id(tok, "|||IP_ADDRESS|||") == 0);
    CHECK(fc_tokenizer_token_id(tok, "Ġthe") == 253);
    CHECK(fc_tokenizer_token_id(tok, "no such token") == -1);
    CHECK(fc_tokenizer_id_to_token(tok, 50282) && strcmp(fc_tokenizer_id_to_token(tok, 50282), "[SEP]") == 0);
    CHECK(fc_tokenizer_id_to_token(tok, 253) && strcmp(fc_tokenizer_id_to_token(tok, 253), "Ġthe") == 0);
    CHECK(fc_tokenizer_id_to_token(tok, 50367) && strcmp(fc_tokenizer_id_to_token(tok, 50367), "[unused82]") == 0);
    CHECK(fc_tokenizer_id_to_token(tok, 50368) == NULL);
    CHECK(fc_tokenizer_id_to_token(tok, -1) == NULL);
    CHECK(fc_tokenizer_model_max_length(tok) == 0); // 1e30 in tokenizer_config.json = no limit

    fc_ids ids = {0};
    fc_error err = {{0}};
    CHECK(fc_tokenizer_encode_pair(tok, "", "", 0, FC_TRUNCATE_NONE, &ids, &err) == 0);
    CHECK(ids.len == 3 && ids.ids[0] == 50281 && ids.ids[1] == 50282 && ids.ids[2] == 50282);
    CHECK(fc_tokenizer_encode_pair(tok, "", NULL, 0, FC_TRUNCATE_NONE, &ids, &err) == 0);
    CHECK(ids.len == 2 && ids.ids[0] == 50281 && ids.ids[1] == 50282);
    ids.len = 0;
    CHECK(fc_tokenizer_encode(tok, "", 0, &ids, &err) == 0 && ids.len == 0);
    // encode appends.
    CHECK(fc_tokenizer_encode(tok, "a", 1, &ids, &err) == 0 && fc_tokenizer_encode(tok, "a", 1, &ids, &err) == 0);
    CHECK(ids.len == 2 && ids.ids[0] == 66 && ids.ids[1] == 66);
    // An embedded NUL is text like any other (byte 0 -> U+0100 'Ā').
    ids.len = 0;
    CHECK(fc_tokenizer_encode(tok, "a\0b", 3, &ids, &err) == 0 && ids.len == 3);

    // Invalid UTF-8: an error naming the byte, never a crash.
    static const char *const invalid[] = {"ab\xff", "ab\xc3", "ab\xc0\xaf", "ab\xed\xa0\x80",
                                          "ab\xf4\x90\x80\x80", "ab\x80", "ab\xe2\x82"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        ids.len = 0;
        err.message[0] = '\0';
        CHECK(fc_tokenizer_encode(tok, invalid[i], strlen(invalid[i]), &ids, &err) == -1);
        CHECK(strstr(err.message, "invalid UTF-8 at byte 2") != NULL);
    }
    CHECK(fc_tokenizer_encode_pair(tok, "ok", "bad \xfe", 0, FC_TRUNCATE_NONE, &ids, &err) == -1);
    CHECK(strstr(err.message, "second text: invalid UTF-8 at byte 4") != NULL);

    // Literal special-token text is the special id, as in HF (pitfall P19); [MASK] takes the
    // spaces before it (lstrip), and a 2-space run is its own added token (P15).
    CHECK(fc_tokenizer_encode_pair(tok, "a [SEP] b", "[MASK]", 0, FC_TRUNCATE_NONE, &ids, &err) == 0);
    static const int32_t want[] = {50281, 66, 209, 50282, 270, 50282, 50284, 50282};
    CHECK(ids.len == 8 && memcmp(ids.ids, want, sizeof want) == 0);
    ids.len = 0;
    CHECK(fc_tokenizer_encode(tok, "x  [MASK]y", 10, &ids, &err) == 0);
    CHECK(ids.len == 3 && ids.ids[0] == 89 && ids.ids[1] == 50284 && ids.ids[2] == 90);
    fc_ids_free(&ids);
}

// Random bytes and random code points: never a crash (run under ASan by make asan), invalid
// UTF-8 always reported as such, valid text always encoded, and re-encoding gives the same ids.
static void test_random_input(const fc_tokenizer *tok) {
    uint64_t state = 0x9E3779B97F4A7C15ULL;
    char text[512];
    fc_ids ids = {0}, again = {0};
    fc_error err;
    int bad = 0;
    for (int round = 0; round < 3000; round++) {
        size_t len = 0;
        int valid_only = round % 2 == 0;
        size_t target = (size_t)(round % 97) * 4;
        while (len + 4 < target) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            uint32_t r = (uint32_t)(state >> 33);
            if (!valid_only) {
                text[len++] = (char)(r & 0xFF);
                continue;
            }
            // Mostly ASCII and spaces, some of everything else.
            int32_t cp = r % 4 == 0 ? (int32_t)(r >> 8) % 0x110000 : r % 4 == 1 ? (int32_t)(r >> 8) % 0x3100 : (int32_t)(32 + (r >> 8) % 95);
            if (cp >= 0xD800 && cp <= 0xDFFF) cp = ' ';
            len += (size_t)utf8_of(cp, text + len);
        }
        ids.len = 0;
        err.message[0] = '\0';
        int rc = fc_tokenizer_encode(tok, text, len, &ids, &err);
        if (valid_only && rc != 0) bad++;
        if (rc != 0 && !strstr(err.message, "invalid UTF-8 at byte")) bad++;
        if (rc == 0) {
            again.len = 0;
            if (fc_tokenizer_encode(tok, text, len, &again, &err) != 0 || again.len != ids.len ||
                (ids.len && memcmp(again.ids, ids.ids, ids.len * sizeof *ids.ids) != 0))
                bad++;
        }
    }
    fc_ids_free(&ids);
    fc_ids_free(&again);
    CHECK(bad == 0);
}

// --- fixtures against HF ---------------------------------------------------------------------

static void test_hard_strings(const fc_tokenizer *tok) {
    cJSON *rows = read_jsonl("hard_strings.jsonl");
    CHECK(rows != NULL);
    if (!rows) return;
    CHECK(check_rows(tok, rows, "hard_strings.jsonl") >= 400);
    cJSON_Delete(rows);
}

static void test_nli_sample(const fc_tokenizer *tok) {
    cJSON *rows = read_jsonl("nli_sample.jsonl");
    CHECK(rows != NULL);
    if (!rows) return;
    CHECK(check_rows(tok, rows, "nli_sample.jsonl") >= 400);
    cJSON_Delete(rows);
}

static uint32_t hex32(const char *s) {
    return s ? (uint32_t)strtoul(s, NULL, 16) : 0;
}

// 2,000 real pairs per source family (all rows of the smaller ones), referenced by file and row:
// text hash, full ids hash, and the hashes of longest_first / only_first at max_length 40.
static double bulk_seconds;
static size_t bulk_pairs;

static void test_nli_bulk(const fc_tokenizer *tok) {
    char *meta_path = fixture_path("meta.json");
    char *meta_text;
    size_t size;
    fc_error err;
    CHECK(fc_read_file(meta_path, &meta_text, &size, &err) == 0);
    free(meta_path);
    if (!meta_text) return;
    cJSON *meta = cJSON_Parse(meta_text);
    free(meta_text);
    cJSON *rows = read_jsonl("nli_bulk.jsonl");
    CHECK(meta != NULL && rows != NULL);
    if (!meta || !rows) {
        cJSON_Delete(meta);
        cJSON_Delete(rows);
        return;
    }
    const cJSON *sources = cJSON_GetObjectItemCaseSensitive(meta, "sources");
    int source_count = cJSON_GetArraySize(sources);
    nli_source *loaded = calloc((size_t)source_count, sizeof *loaded);
    int *loaded_ok = calloc((size_t)source_count, sizeof *loaded_ok);
    int k = 0;
    const cJSON *src;
    cJSON_ArrayForEach(src, sources) {
        loaded_ok[k] = nli_source_load(src, &loaded[k]) == 0;
        CHECK(loaded_ok[k]);
        k++;
    }
    const int max_length = (int)cJSON_GetObjectItemCaseSensitive(meta, "bulk_truncation_max_length")->valuedouble;

    // Pairs checked per family, to prove the coverage the fixture claims.
    int family_checked[32] = {0};
    const char *family_names[32] = {0};
    int family_count = 0;

    int text_bad = 0, ids_bad = 0, lf_bad = 0, of_bad = 0, n = 0;
    fc_ids ids = {0}, lf = {0}, of = {0};
    clock_t t0 = clock();
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        int s = (int)cJSON_GetObjectItemCaseSensitive(row, "s")->valuedouble;
        size_t r = (size_t)cJSON_GetObjectItemCaseSensitive(row, "r")->valuedouble;
        if (s < 0 || s >= source_count || !loaded_ok[s] || r >= loaded[s].count) {
            text_bad++;
            continue;
        }
        const char *a = loaded[s].a[r], *b = loaded[s].b[r];
        uint32_t th = fnv1a32_bytes(a, strlen(a), 0x811c9dc5u);
        th = fnv1a32_bytes("", 1, th);
        th = fnv1a32_bytes(b, strlen(b), th);
        if (th != hex32(json_string(row, "t"))) {
            text_bad++;
            continue;
        }
        n++;
        const char *fam = json_string(cJSON_GetArrayItem(sources, s), "family");
        int f = 0;
        while (f < family_count && strcmp(family_names[f], fam) != 0) f++;
        if (f == family_count && family_count < 32) family_names[family_count++] = fam;
        family_checked[f]++;

        int ok = fc_tokenizer_encode_pair(tok, a, b, 0, FC_TRUNCATE_NONE, &ids, &err) == 0;
        uint64_t h = ok ? fnv1a64_ids(ids.ids, ids.len, 0xcbf29ce484222325ULL) : 0;
        char hex[17];
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
        const char *want_h = json_string(row, "h");
        if (!ok || !want_h || strcmp(hex, want_h) != 0) {
            ids_bad++;
            if (reported++ < MAX_REPORTED_MISMATCHES) {
                fprintf(stderr, "nli_bulk: %s row %zu differs (want %d ids)\n  a=\"%.200s\"\n  b=\"%.200s\"\n",
                        json_string(cJSON_GetArrayItem(sources, s), "path"), r,
                        (int)cJSON_GetObjectItemCaseSensitive(row, "n")->valuedouble, a, b);
                print_ids("got", &ids);
            }
        }
        ok = fc_tokenizer_encode_pair(tok, a, b, max_length, FC_TRUNCATE_LONGEST_FIRST, &lf, &err) == 0;
        if (!ok || fnv1a32_ids(&lf) != hex32(json_string(row, "lf"))) lf_bad++;
        const char *want_of = json_string(row, "of");
        ok = fc_tokenizer_encode_pair(tok, a, b, max_length, FC_TRUNCATE_ONLY_FIRST, &of, &err) == 0;
        if (want_of && strcmp(want_of, "E") == 0) {
            if (ok || !strstr(err.message, "too short")) of_bad++;
        } else if (!ok || fnv1a32_ids(&of) != hex32(want_of)) {
            of_bad++;
        }
    }
    bulk_seconds = (double)(clock() - t0) / CLOCKS_PER_SEC;
    bulk_pairs = (size_t)n;
    if (text_bad || ids_bad || lf_bad || of_bad)
        fprintf(stderr, "nli_bulk: %d rows; text %d, ids %d, longest_first %d, only_first %d differ\n", n,
                text_bad, ids_bad, lf_bad, of_bad);
    CHECK(text_bad == 0);
    CHECK(ids_bad == 0);
    CHECK(lf_bad == 0);
    CHECK(of_bad == 0);
    // Every family of the brief is there with its 2,000 pairs (WANLI and the native SNLI
    // fixtures have only 200 and 50 rows: all of them).
    const cJSON *families = cJSON_GetObjectItemCaseSensitive(meta, "families");
    CHECK(cJSON_GetArraySize(families) == 8);
    const cJSON *fam;
    cJSON_ArrayForEach(fam, families) {
        int rows_in_family = (int)cJSON_GetObjectItemCaseSensitive(fam, "rows")->valuedouble;
        int want = rows_in_family < 2000 ? rows_in_family : 2000;
        int got = 0;
        for (int f = 0; f < family_count; f++)
            if (strcmp(family_names[f], fam->string) == 0) got = family_checked[f];
        if (got != want) fprintf(stderr, "nli_bulk: family %s: %d pairs checked, want %d\n", fam->string, got, want);
        CHECK(got == want);
    }
    fc_ids_free(&ids);
    fc_ids_free(&lf);
    fc_ids_free(&of);
    for (int i = 0; i < source_count; i++) nli_source_free(&loaded[i]);
    free(loaded);
    free(loaded_ok);
    cJSON_Delete(rows);
    cJSON_Delete(meta);
}

static fc_truncation strategy_from_name(const char *name) {
    if (name && strcmp(name, "longest_first") == 0) return FC_TRUNCATE_LONGEST_FIRST;
    if (name && strcmp(name, "only_first") == 0) return FC_TRUNCATE_ONLY_FIRST;
    return FC_TRUNCATE_NONE;
}

static void test_truncation_fixture(const fc_tokenizer *tok) {
    cJSON *sample = read_jsonl("nli_sample.jsonl"), *hard = read_jsonl("hard_strings.jsonl");
    cJSON *rows = read_jsonl("truncation.jsonl");
    CHECK(sample && hard && rows);
    if (!sample || !hard || !rows) goto done;
    int n = 0, bad = 0, errors = 0;
    fc_ids ids = {0};
    fc_error err;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        const char *ref = json_string(row, "ref");
        int i = (int)cJSON_GetObjectItemCaseSensitive(row, "i")->valuedouble;
        const cJSON *src = cJSON_GetArrayItem(ref && strcmp(ref, "hard") == 0 ? hard : sample, i);
        const char *a = json_string(src, "a"), *b = json_string(src, "b");
        if (!a) {
            bad++;
            continue;
        }
        int max_length = (int)cJSON_GetObjectItemCaseSensitive(row, "max_length")->valuedouble;
        fc_truncation strategy = strategy_from_name(json_string(row, "strategy"));
        n++;
        err.message[0] = '\0';
        int rc = fc_tokenizer_encode_pair(tok, a, b, max_length, strategy, &ids, &err);
        if (json_string(row, "error")) {
            errors++;
            if (rc != -1 || !strstr(err.message, "too short")) {
                bad++;
                if (reported++ < MAX_REPORTED_MISMATCHES)
                    fprintf(stderr, "truncation: wanted a \"too short\" error for %s max_length %d, a=\"%.100s\"\n",
                            json_string(row, "strategy"), max_length, a);
            }
        } else if (rc != 0 || !ids_match(&ids, cJSON_GetObjectItemCaseSensitive(row, "ids"))) {
            bad++;
            char what[128];
            snprintf(what, sizeof what, "truncation %s max_length %d", json_string(row, "strategy"), max_length);
            report_mismatch(what, a, b, &ids, cJSON_GetObjectItemCaseSensitive(row, "ids"));
        }
    }
    fc_ids_free(&ids);
    if (bad) fprintf(stderr, "truncation.jsonl: %d of %d rows differ\n", bad, n);
    CHECK(n > 1000);
    CHECK(errors > 10); // the fixture holds real "too short" cases
    CHECK(bad == 0);
done:
    cJSON_Delete(sample);
    cJSON_Delete(hard);
    cJSON_Delete(rows);
}

// The balanced split, by hand (model-reference 5.4).
static void test_truncation_rules(void) {
    size_t ka, kb;
    fc_error err;
    // m = 509 (max_length 512, 3 specials), a = 400, b = 300 -> 255 / 254.
    CHECK(fc_truncation_lengths(FC_TRUNCATE_LONGEST_FIRST, 512, 3, 400, 300, 1, &ka, &kb, &err) == 0);
    CHECK(ka == 255 && kb == 254);
    // The shorter fits whole: the longer gets the rest.
    CHECK(fc_truncation_lengths(FC_TRUNCATE_LONGEST_FIRST, 13, 3, 4, 30, 1, &ka, &kb, &err) == 0);
    CHECK(ka == 4 && kb == 6);
    // A tie: the second sequence gets the odd token.
    CHECK(fc_truncation_lengths(FC_TRUNCATE_LONGEST_FIRST, 14, 3, 20, 20, 1, &ka, &kb, &err) == 0);
    CHECK(ka == 5 && kb == 6);
    // Fits: untouched.
    CHECK(fc_truncation_lengths(FC_TRUNCATE_LONGEST_FIRST, 13, 3, 4, 6, 1, &ka, &kb, &err) == 0);
    CHECK(ka == 4 && kb == 6);
    // Single sequence.
    CHECK(fc_truncation_lengths(FC_TRUNCATE_LONGEST_FIRST, 10, 2, 30, 0, 0, &ka, &kb, &err) == 0);
    CHECK(ka == 8 && kb == 0);
    // only_first takes the whole excess from the premise, or fails with "too short".
    CHECK(fc_truncation_lengths(FC_TRUNCATE_ONLY_FIRST, 13, 3, 8, 6, 1, &ka, &kb, &err) == 0);
    CHECK(ka == 4 && kb == 6);
    CHECK(fc_truncation_lengths(FC_TRUNCATE_ONLY_FIRST, 13, 3, 4, 10, 1, &ka, &kb, &err) == -1);
    CHECK(strstr(err.message, "too short") != NULL);
    // A zero budget empties both, whatever the strategy; below zero HF does not truncate.
    CHECK(fc_truncation_lengths(FC_TRUNCATE_ONLY_FIRST, 3, 3, 4, 10, 1, &ka, &kb, &err) == 0);
    CHECK(ka == 0 && kb == 0);
    CHECK(fc_truncation_lengths(FC_TRUNCATE_LONGEST_FIRST, 2, 3, 4, 10, 1, &ka, &kb, &err) == 0);
    CHECK(ka == 4 && kb == 10);
    CHECK(fc_truncation_lengths(FC_TRUNCATE_NONE, 5, 3, 4, 10, 1, &ka, &kb, &err) == 0);
    CHECK(ka == 4 && kb == 10);
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

// The probe of tools/fixtures/tokens.py, a{c}b {c}1{c}{c} {c}!\t{c} {c}: the code point next to
// letters, digits, itself, spaces, punctuation and a tab, in every context the split regex tells
// apart.
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

static void test_codepoints(const fc_tokenizer *tok) {
    cJSON *rows = read_jsonl("codepoints.jsonl");
    CHECK(rows != NULL);
    if (!rows) return;
    int n = 0, bad = 0;
    fc_ids ids = {0};
    fc_error err;
    char text[64];
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        int32_t cp = (int32_t)cJSON_GetObjectItemCaseSensitive(row, "cp")->valuedouble;
        n++;
        size_t len = probe(cp, text);
        char single[4];
        int clen = utf8_of(cp, single);
        ids.len = 0;
        int ok = fc_tokenizer_encode(tok, single, (size_t)clen, &ids, &err) == 0 &&
                 ids_match(&ids, cJSON_GetObjectItemCaseSensitive(row, "ids1"));
        if (ok) {
            ids.len = 0;
            ok = fc_tokenizer_encode(tok, text, len, &ids, &err) == 0 &&
                 ids_match(&ids, cJSON_GetObjectItemCaseSensitive(row, "ids2"));
        }
        if (!ok) {
            bad++;
            if (reported++ < MAX_REPORTED_MISMATCHES) {
                fprintf(stderr, "codepoint U+%04X differs\n", (unsigned)cp);
                print_ids("got", &ids);
            }
        }
    }
    fc_ids_free(&ids);
    if (bad) fprintf(stderr, "codepoints.jsonl: %d of %d code points differ\n", bad, n);
    CHECK(n > 2000);
    CHECK(bad == 0);
    cJSON_Delete(rows);
}

static int codepoint_checked(int32_t cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    int plane = cp >> 16;
    return plane <= 3 || plane == 14 || cp % 16 == 0;
}

static void test_codepoint_blocks(const fc_tokenizer *tok) {
    cJSON *rows = read_jsonl("codepoint_blocks.jsonl");
    CHECK(rows != NULL);
    if (!rows) return;
    int blocks = 0, bad = 0, count_bad = 0;
    fc_ids ids = {0};
    fc_error err;
    char text[64];
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        int32_t block = (int32_t)cJSON_GetObjectItemCaseSensitive(row, "b")->valuedouble;
        int want_n = (int)cJSON_GetObjectItemCaseSensitive(row, "n")->valuedouble;
        uint64_t h = 0xcbf29ce484222325ULL;
        int got_n = 0;
        for (int32_t cp = block << 8; cp < ((block + 1) << 8); cp++) {
            if (!codepoint_checked(cp)) continue;
            got_n++;
            size_t len = probe(cp, text);
            ids.len = 0;
            if (fc_tokenizer_encode(tok, text, len, &ids, &err)) ids.len = 0;
            int32_t head = cp, sep = -1;
            h = fnv1a64_ids(&head, 1, h);
            h = fnv1a64_ids(ids.ids, ids.len, h);
            h = fnv1a64_ids(&sep, 1, h);
        }
        char hex[17];
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
        blocks++;
        if (got_n != want_n) count_bad++;
        if (strcmp(hex, json_string(row, "h")) != 0) {
            bad++;
            if (reported++ < MAX_REPORTED_MISMATCHES)
                fprintf(stderr, "code points U+%04X..U+%04X: tokenization differs from HF\n",
                        (unsigned)(block << 8), (unsigned)((block << 8) + 255));
        }
    }
    fc_ids_free(&ids);
    if (bad) fprintf(stderr, "codepoint_blocks.jsonl: %d of %d blocks differ\n", bad, blocks);
    CHECK(blocks > 4000);
    CHECK(count_bad == 0);
    CHECK(bad == 0);
    cJSON_Delete(rows);
}

// --- merges as ["a", "b"] arrays -------------------------------------------------------------

// Rewrites the shared tokenizer.json with array merges into a temporary folder.
static int write_array_merges_copy(const char *dir) {
    char *src_dir = tokenizer_dir();
    char *src = fc_path_join(src_dir, "tokenizer.json");
    char *data;
    size_t size;
    fc_error err;
    int rc = fc_read_file(src, &data, &size, &err);
    free(src);
    free(src_dir);
    if (rc) return -1;
    cJSON *root = cJSON_ParseWithLength(data, size);
    free(data);
    if (!root) return -1;
    cJSON *merges = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "model"), "merges");
    cJSON *arrays = cJSON_CreateArray();
    const cJSON *m;
    cJSON_ArrayForEach(m, merges) {
        const char *s = m->valuestring, *space = strchr(s, ' ');
        cJSON *pair = cJSON_CreateArray();
        char *left = strndup(s, (size_t)(space - s));
        cJSON_AddItemToArray(pair, cJSON_CreateString(left));
        cJSON_AddItemToArray(pair, cJSON_CreateString(space + 1));
        free(left);
        cJSON_AddItemToArray(arrays, pair);
    }
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "model"), "merges", arrays);
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    char *out = fc_path_join(dir, "tokenizer.json");
    write_file(out, text);
    free(out);
    free(text);
    return 0;
}

static void test_array_merges(const fc_tokenizer *tok) {
    char dir[] = "/tmp/fc_tok_arrXXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    CHECK(write_array_merges_copy(dir) == 0);
    fc_tokenizer *arr = NULL;
    fc_error err;
    int rc = fc_tokenizer_load(dir, &arr, &err);
    if (rc) fprintf(stderr, "array merges: %s\n", err.message);
    CHECK(rc == 0);
    if (arr) {
        // Same ids as the string form on every hard string and real sample pair.
        const char *names[] = {"hard_strings.jsonl", "nli_sample.jsonl"};
        int n = 0, bad = 0;
        fc_ids x = {0}, y = {0};
        for (int f = 0; f < 2; f++) {
            cJSON *rows = read_jsonl(names[f]);
            const cJSON *row;
            cJSON_ArrayForEach(row, rows) {
                const char *a = json_string(row, "a"), *b = json_string(row, "b");
                n++;
                if (encode_row(tok, a, b, &x, &err) || encode_row(arr, a, b, &y, &err) || x.len != y.len ||
                    (x.len && memcmp(x.ids, y.ids, x.len * sizeof *x.ids) != 0))
                    bad++;
            }
            cJSON_Delete(rows);
        }
        fc_ids_free(&x);
        fc_ids_free(&y);
        CHECK(n > 900);
        CHECK(bad == 0);
        fc_tokenizer_free(arr);
    }
    char *json = fc_path_join(dir, "tokenizer.json");
    unlink(json);
    free(json);
    rmdir(dir);
}

// --- one tokenizer shared by threads ----------------------------------------------------------

typedef struct thread_job {
    const fc_tokenizer *tok;
    const cJSON *rows;
    int bad;
} thread_job;

static void *encode_rows_in_thread(void *arg) {
    thread_job *job = arg;
    fc_ids ids = {0};
    fc_error err;
    for (int round = 0; round < 3; round++) {
        const cJSON *row;
        cJSON_ArrayForEach(row, job->rows) {
            if (encode_row(job->tok, json_string(row, "a"), json_string(row, "b"), &ids, &err) ||
                !ids_match(&ids, cJSON_GetObjectItemCaseSensitive(row, "ids")))
                job->bad++;
        }
    }
    fc_ids_free(&ids);
    return NULL;
}

// Encoding takes a const tokenizer and keeps all working memory per call, so threads (the
// batched NLI paths use OpenMP) can share one; under make asan this also runs instrumented.
static void test_threads(const fc_tokenizer *tok) {
    cJSON *rows = read_jsonl("nli_sample.jsonl");
    CHECK(rows != NULL);
    if (!rows) return;
    enum { THREADS = 4 };
    pthread_t threads[THREADS];
    thread_job jobs[THREADS];
    int started = 0;
    for (int t = 0; t < THREADS; t++) {
        jobs[t] = (thread_job){tok, rows, 0};
        if (pthread_create(&threads[t], NULL, encode_rows_in_thread, &jobs[t]) == 0) started++;
        else break;
    }
    CHECK(started == THREADS);
    int bad = 0;
    for (int t = 0; t < started; t++) {
        pthread_join(threads[t], NULL);
        bad += jobs[t].bad;
    }
    CHECK(bad == 0);
    cJSON_Delete(rows);
}

// --- edited copies of tokenizer.json: added-token flags and ignore_merges ----------------------

// The edits of variant() in tools/fixtures/tokens.py.
static void add_token(cJSON *list, int id, const char *content, int single_word, int lstrip, int rstrip,
                      int normalized, int special) {
    cJSON *t = cJSON_CreateObject();
    cJSON_AddNumberToObject(t, "id", id);
    cJSON_AddStringToObject(t, "content", content);
    cJSON_AddBoolToObject(t, "single_word", single_word);
    cJSON_AddBoolToObject(t, "lstrip", lstrip);
    cJSON_AddBoolToObject(t, "rstrip", rstrip);
    cJSON_AddBoolToObject(t, "normalized", normalized);
    cJSON_AddBoolToObject(t, "special", special);
    cJSON_AddItemToArray(list, t);
}

static void make_variant(cJSON *root, const char *name) {
    if (strcmp(name, "flags") == 0) {
        cJSON *added = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
        add_token(added, 50368, "<sw>", 1, 0, 0, 0, 1);
        add_token(added, 50369, "<rs>", 0, 0, 1, 0, 1);
        add_token(added, 50370, "<ls>", 0, 1, 0, 1, 0);
        add_token(added, 50371, "\u212b\u212b" /* two ANGSTROM SIGNs; NFC makes them U+00C5 */, 0, 0, 0, 1, 0);
        add_token(added, 50372, "swx", 1, 0, 0, 1, 0);
    } else if (strcmp(name, "ignore_merges") == 0) {
        cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "model"), "ignore_merges",
                                               cJSON_CreateTrue());
    }
}

static fc_tokenizer *load_variant(const char *name, char *dir) {
    char *src_dir = tokenizer_dir();
    char *src = fc_path_join(src_dir, "tokenizer.json");
    char *data;
    size_t size;
    fc_error err;
    fc_tokenizer *tok = NULL;
    if (fc_read_file(src, &data, &size, &err) == 0) {
        cJSON *root = cJSON_ParseWithLength(data, size);
        free(data);
        make_variant(root, name);
        char *text = cJSON_PrintUnformatted(root);
        cJSON_Delete(root);
        char *out = fc_path_join(dir, "tokenizer.json");
        write_file(out, text);
        free(text);
        if (fc_tokenizer_load(dir, &tok, &err)) fprintf(stderr, "variant %s: %s\n", name, err.message);
        unlink(out);
        free(out);
    }
    free(src);
    free(src_dir);
    return tok;
}

static void test_variants(void) {
    cJSON *rows = read_jsonl("variants.jsonl");
    CHECK(rows != NULL);
    if (!rows) return;
    char dir[] = "/tmp/fc_tok_varXXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        cJSON_Delete(rows);
        return;
    }
    const char *names[] = {"flags", "ignore_merges"};
    for (int v = 0; v < 2; v++) {
        fc_tokenizer *tok = load_variant(names[v], dir);
        CHECK(tok != NULL);
        if (!tok) continue;
        cJSON *subset = cJSON_CreateArray();
        const cJSON *row;
        cJSON_ArrayForEach(row, rows) {
            const char *name = json_string(row, "variant");
            if (name && strcmp(name, names[v]) == 0) cJSON_AddItemReferenceToArray(subset, (cJSON *)row);
        }
        char what[64];
        snprintf(what, sizeof what, "variants.jsonl (%s)", names[v]);
        CHECK(check_rows(tok, subset, what) > 250);
        cJSON_Delete(subset);
        fc_tokenizer_free(tok);
    }
    rmdir(dir);
    cJSON_Delete(rows);
}

void suite_tokenizer(void) {
    reported = 0;
    test_load_errors();
    test_truncation_rules();
    char *dir = tokenizer_dir();
    fc_tokenizer *tok = NULL;
    fc_error err;
    int rc = fc_tokenizer_load(dir, &tok, &err);
    if (rc) fprintf(stderr, "cannot load %s: %s\n", dir, err.message);
    CHECK(rc == 0);
    free(dir);
    if (!tok) return;
    test_basics(tok);
    test_random_input(tok);
    test_hard_strings(tok);
    test_nli_sample(tok);
    test_nli_bulk(tok);
    test_truncation_fixture(tok);
    test_codepoints(tok);
    test_codepoint_blocks(tok);
    test_array_merges(tok);
    test_threads(tok);
    test_variants();
    if (bulk_pairs)
        printf("tokenizer: %zu real pairs, each encoded 3 times (untruncated, longest_first, only_first) "
               "in %.2f s\n", bulk_pairs, bulk_seconds);
    fc_tokenizer_free(tok);
}
