// DeBERTa-v3 tokenizer tests: token ids against Hugging Face transformers 4.x (the tokenizer.json
// pipeline that DebertaV2Converter builds from spm.model; fixtures written by
// tools/fixtures/deberta_tokens.py into tests/fixtures/deberta_tokens) on real NLI pairs, hand-made
// hard strings, every code point and truncation; both loading paths (spm.model in
// ../shared/data/tokenizers/deberta-v3 and the committed tokenizer.json); edited copies of
// tokenizer.json; error messages; fuzzing of the protobuf and charsmap readers; the end-to-end
// DeBERTa logits through fc_model_load.
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "finecat.h"
#include "fixture_lines.h"
#include "harness.h"
#include "nli_sources.h"
#include "tokenizer/model.h"
#include "tokenizer/precompiled.h"
#include "tokenizer/spm_model.h"
#include "tokenizer/textbuf.h"
#include "tokenizer/utf8.h"
#include "util/file.h"

enum { MAX_REPORTED = 10 };

static int reported; // mismatches printed so far

static char *spm_dir(void) {
    return fc_path_join(fc_test_shared_data_dir(), "tokenizers/deberta-v3");
}

static char *fixture_dir(void) {
    return fc_path_join(fc_test_fixtures_dir(), "deberta_tokens");
}

static char *fixture_path(const char *name) {
    char *dir = fixture_dir();
    char *p = fc_path_join(dir, name);
    free(dir);
    return p;
}

static fc_tokenizer *load_tokenizer(const char *dir) {
    fc_tokenizer *tok = NULL;
    fc_error err;
    if (fc_tokenizer_load(dir, &tok, &err)) fprintf(stderr, "cannot load the tokenizer in %s: %s\n", dir, err.message);
    return tok;
}

// --- fixture reading (the formats of tools/fixtures/deberta_tokens.py) --------------------------

// A JSONL fixture of this suite's folder, parsed (fixture_lines.c).
static cJSON *read_jsonl(const char *name) {
    char *path = fixture_path(name);
    cJSON *rows = fixture_jsonl_read(path);
    free(path);
    return rows;
}

static cJSON *read_json(const char *path) {
    char *data;
    size_t size;
    fc_error err;
    if (fc_read_file(path, &data, &size, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return NULL;
    }
    cJSON *root = cJSON_ParseWithLength(data, size);
    free(data);
    return root;
}

static const char *json_string(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
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
    for (size_t i = 0; i < ids->len && i < 48; i++) fprintf(stderr, " %d", ids->ids[i]);
    fprintf(stderr, "%s\n", ids->len > 48 ? " ..." : "");
}

static void report_mismatch(const char *what, const char *a, const char *b, const fc_ids *got, const cJSON *want) {
    if (reported++ >= MAX_REPORTED) return;
    char *w = cJSON_PrintUnformatted(want);
    fprintf(stderr, "mismatch %s\n  a=\"%.200s\"\n  b=\"%.200s\"\n", what, a, b ? b : "(none)");
    print_ids("got", got);
    fprintf(stderr, "  want: %.400s\n", w);
    free(w);
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

// A fixture row: b == NULL is a single text without special tokens ("a_hex" when it holds a
// NUL), otherwise the pair through the batch semantics ([CLS] a [SEP] b [SEP]).
static int encode_row(const fc_tokenizer *tok, const cJSON *row, fc_ids *out, fc_error *err) {
    const char *a = json_string(row, "a"), *b = json_string(row, "b"), *hex = json_string(row, "a_hex");
    out->len = 0;
    if (b) return fc_tokenizer_encode_pair(tok, a, b, 0, FC_TRUNCATE_NONE, out, err);
    if (!hex) return fc_tokenizer_encode(tok, a, strlen(a), out, err);
    size_t len;
    char *bytes = from_hex(hex, &len);
    int rc = fc_tokenizer_encode(tok, bytes, len, out, err);
    free(bytes);
    return rc;
}

// Checks rows {"a", "b", "ids"}; returns how many were checked (all must match).
static int check_rows(const fc_tokenizer *tok, const cJSON *rows, const char *what) {
    int n = 0, bad = 0;
    fc_ids ids = {0};
    fc_error err;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        if (!json_string(row, "a")) continue;
        n++;
        if (encode_row(tok, row, &ids, &err)) {
            if (reported++ < MAX_REPORTED) fprintf(stderr, "%s: error %s\n", what, err.message);
            bad++;
        } else if (!ids_match(&ids, cJSON_GetObjectItemCaseSensitive(row, "ids"))) {
            report_mismatch(what, json_string(row, "a"), json_string(row, "b"), &ids,
                            cJSON_GetObjectItemCaseSensitive(row, "ids"));
            bad++;
        }
    }
    fc_ids_free(&ids);
    if (bad) fprintf(stderr, "%s: %d of %d rows differ from Hugging Face\n", what, bad, n);
    CHECK(bad == 0);
    return n;
}

// --- the spm.model reader ----------------------------------------------------------------------

static void test_spm_model_fields(void) {
    char *dir = spm_dir();
    char *path = fc_path_join(dir, "spm.model");
    fc_spm_model m;
    fc_error err;
    int rc = fc_spm_model_load(&m, path, &err);
    if (rc) fprintf(stderr, "%s\n", err.message);
    CHECK(rc == 0);
    if (rc == 0) {
        // shared/data/MANIFEST.md 2.2: 128,000 pieces, [PAD] [CLS] [SEP] control, [UNK] unknown
        // (unk_id 3), 256 byte pieces, the nmt_nfkc charsmap.
        CHECK(m.piece_count == 128000);
        CHECK(strcmp(fc_spm_piece(&m, 0), "[PAD]") == 0 && m.type[0] == FC_SPM_CONTROL);
        CHECK(strcmp(fc_spm_piece(&m, 1), "[CLS]") == 0 && m.type[1] == FC_SPM_CONTROL);
        CHECK(strcmp(fc_spm_piece(&m, 2), "[SEP]") == 0 && m.type[2] == FC_SPM_CONTROL);
        CHECK(strcmp(fc_spm_piece(&m, 3), "[UNK]") == 0 && m.type[3] == FC_SPM_UNKNOWN);
        CHECK(strcmp(fc_spm_piece(&m, 4), "<0x00>") == 0 && m.type[4] == FC_SPM_BYTE);
        CHECK(strcmp(fc_spm_piece(&m, 259), "<0xFF>") == 0 && m.type[259] == FC_SPM_BYTE);
        int normal = 0, bytes = 0;
        for (int32_t i = 0; i < m.piece_count; i++) {
            normal += m.type[i] == FC_SPM_NORMAL;
            bytes += m.type[i] == FC_SPM_BYTE;
        }
        CHECK(normal == 127740 && bytes == 256);
        CHECK(strcmp(fc_spm_piece(&m, 266), "\u2581a") == 0 && m.score[266] < 0.0f);
        CHECK(m.unk_id == 3 && m.model_type == FC_SPM_MODEL_UNIGRAM && m.byte_fallback == 1);
        CHECK(strcmp(m.normalizer_name, "nmt_nfkc") == 0 && m.charsmap_len == 237539);
        CHECK(m.add_dummy_prefix && m.remove_extra_whitespaces && m.escape_whitespaces);
        fc_spm_model_free(&m);
    }
    free(path);
    free(dir);
}

// --- basics on both loading paths ----------------------------------------------------------------

static void test_basics(const fc_tokenizer *tok, const char *what) {
    CHECK(fc_tokenizer_token_id(tok, "[PAD]") == 0);
    CHECK(fc_tokenizer_token_id(tok, "[CLS]") == 1);
    CHECK(fc_tokenizer_token_id(tok, "[SEP]") == 2);
    CHECK(fc_tokenizer_token_id(tok, "[UNK]") == 3);
    CHECK(fc_tokenizer_token_id(tok, "[MASK]") == 128000);
    CHECK(fc_tokenizer_token_id(tok, "\u2581a") == 266);
    CHECK(fc_tokenizer_token_id(tok, "no such piece") == -1);
    CHECK(fc_tokenizer_id_to_token(tok, 266) && strcmp(fc_tokenizer_id_to_token(tok, 266), "\u2581a") == 0);
    CHECK(fc_tokenizer_id_to_token(tok, 128000) && strcmp(fc_tokenizer_id_to_token(tok, 128000), "[MASK]") == 0);
    CHECK(fc_tokenizer_id_to_token(tok, 128001) == NULL);
    CHECK(fc_tokenizer_model_max_length(tok) == 512);

    fc_ids ids = {0};
    fc_error err = {{0}};
    // The pair template: [CLS] A [SEP] B [SEP]; an empty hypothesis stays a sequence.
    CHECK(fc_tokenizer_encode_pair(tok, "Hello  world!", "A [MASK] b", 0, FC_TRUNCATE_NONE, &ids, &err) == 0);
    static const int32_t want[] = {1, 5365, 447, 300, 2, 336, 128000, 2165, 2};
    CHECK(ids.len == 9 && memcmp(ids.ids, want, sizeof want) == 0);
    CHECK(fc_tokenizer_encode_pair(tok, "", "", 0, FC_TRUNCATE_NONE, &ids, &err) == 0);
    CHECK(ids.len == 3 && ids.ids[0] == 1 && ids.ids[1] == 2 && ids.ids[2] == 2);
    CHECK(fc_tokenizer_encode_pair(tok, " \t\n", NULL, 0, FC_TRUNCATE_NONE, &ids, &err) == 0);
    CHECK(ids.len == 2 && ids.ids[0] == 1 && ids.ids[1] == 2);
    // An unknown character is [UNK] (byte fallback is off in HF's conversion).
    ids.len = 0;
    CHECK(fc_tokenizer_encode(tok, "\xe6\xbd\xae\xe9\xa8\x92", 6, &ids, &err) == 0); // 潮騒
    CHECK(ids.len >= 1);

    static const char *const invalid[] = {"ab\xff", "ab\xc3", "ab\xc0\xaf", "ab\xed\xa0\x80",
                                          "ab\xf4\x90\x80\x80", "ab\x80", "ab\xe2\x82"};
    int bad = 0;
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        ids.len = 0;
        err.message[0] = '\0';
        if (fc_tokenizer_encode(tok, invalid[i], strlen(invalid[i]), &ids, &err) != -1 ||
            !strstr(err.message, "invalid UTF-8 at byte 2"))
            bad++;
    }
    CHECK(bad == 0);
    CHECK(fc_tokenizer_encode_pair(tok, "ok", "bad \xfe", 0, FC_TRUNCATE_NONE, &ids, &err) == -1);
    CHECK(strstr(err.message, "second text: invalid UTF-8 at byte 4") != NULL);
    if (bad) fprintf(stderr, "%s: invalid UTF-8 not reported as such\n", what);
    fc_ids_free(&ids);
}

// --- the fixtures against HF ---------------------------------------------------------------------

static void test_rows_file(const fc_tokenizer *tok, const char *name, int at_least) {
    cJSON *rows = read_jsonl(name);
    CHECK(rows != NULL);
    if (!rows) return;
    CHECK(check_rows(tok, rows, name) >= at_least);
    cJSON_Delete(rows);
}

static double bulk_seconds;
static size_t bulk_pairs;

// 2,000 real pairs per source family, by reference into the shared files: full ids (hash),
// longest_first and only_first at max_length 40.
static void test_nli_bulk(const fc_tokenizer *tok, int timed) {
    char *meta_path = fixture_path("meta.json");
    cJSON *meta = read_json(meta_path);
    free(meta_path);
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
    int *ok_source = calloc((size_t)source_count, sizeof *ok_source), k = 0, families = 0;
    const cJSON *src;
    cJSON_ArrayForEach(src, sources) {
        ok_source[k] = nli_source_load(src, &loaded[k]) == 0;
        CHECK(ok_source[k]);
        k++;
    }
    const char *family_names[32] = {0};
    const int max_length = (int)cJSON_GetObjectItemCaseSensitive(meta, "bulk_truncation_max_length")->valuedouble;
    int text_bad = 0, ids_bad = 0, lf_bad = 0, of_bad = 0, n = 0;
    fc_ids ids = {0}, lf = {0}, of = {0};
    fc_error err;
    double untruncated_seconds = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        int s = (int)cJSON_GetObjectItemCaseSensitive(row, "s")->valuedouble;
        size_t r = (size_t)cJSON_GetObjectItemCaseSensitive(row, "r")->valuedouble;
        if (s < 0 || s >= source_count || !ok_source[s] || r >= loaded[s].count) {
            text_bad++;
            continue;
        }
        const char *a = loaded[s].a[r], *b = loaded[s].b[r];
        uint32_t th = fnv1a32_bytes(b, strlen(b), fnv1a32_bytes("", 1, fnv1a32_bytes(a, strlen(a), 0x811c9dc5u)));
        if (th != (uint32_t)strtoul(json_string(row, "t"), NULL, 16)) {
            text_bad++;
            continue;
        }
        n++;
        const char *fam = json_string(cJSON_GetArrayItem(sources, s), "family");
        int f = 0;
        while (f < families && strcmp(family_names[f], fam) != 0) f++;
        if (f == families && families < 32) family_names[families++] = fam;

        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int ok = fc_tokenizer_encode_pair(tok, a, b, 0, FC_TRUNCATE_NONE, &ids, &err) == 0;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        untruncated_seconds += (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        char hex[17];
        snprintf(hex, sizeof hex, "%016llx",
                 (unsigned long long)(ok ? fnv1a64_ids(ids.ids, ids.len, 0xcbf29ce484222325ULL) : 0));
        if (!ok || strcmp(hex, json_string(row, "h")) != 0) {
            ids_bad++;
            if (reported++ < MAX_REPORTED) {
                fprintf(stderr, "nli_bulk: %s row %zu differs (want %d ids)\n  a=\"%.200s\"\n  b=\"%.200s\"\n",
                        json_string(cJSON_GetArrayItem(sources, s), "path"), r,
                        (int)cJSON_GetObjectItemCaseSensitive(row, "n")->valuedouble, a, b);
                print_ids("got", &ids);
            }
        }
        ok = fc_tokenizer_encode_pair(tok, a, b, max_length, FC_TRUNCATE_LONGEST_FIRST, &lf, &err) == 0;
        if (!ok || fnv1a32_ids(&lf) != (uint32_t)strtoul(json_string(row, "lf"), NULL, 16)) lf_bad++;
        const char *want_of = json_string(row, "of");
        ok = fc_tokenizer_encode_pair(tok, a, b, max_length, FC_TRUNCATE_ONLY_FIRST, &of, &err) == 0;
        if (strcmp(want_of, "E") == 0) {
            if (ok || !strstr(err.message, "too short")) of_bad++;
        } else if (!ok || fnv1a32_ids(&of) != (uint32_t)strtoul(want_of, NULL, 16)) {
            of_bad++;
        }
    }
    if (timed) {
        bulk_seconds = untruncated_seconds;
        bulk_pairs = (size_t)n;
    }
    if (text_bad || ids_bad || lf_bad || of_bad)
        fprintf(stderr, "deberta nli_bulk: %d rows; text %d, ids %d, longest_first %d, only_first %d differ\n", n,
                text_bad, ids_bad, lf_bad, of_bad);
    CHECK(text_bad == 0);
    CHECK(ids_bad == 0);
    CHECK(lf_bad == 0);
    CHECK(of_bad == 0);
    CHECK(n >= 12000);   // 2,000 pairs for each family that has them, all rows of the others
    CHECK(families == 8); // every source family of shared/data/nli
    fc_ids_free(&ids);
    fc_ids_free(&lf);
    fc_ids_free(&of);
    for (int i = 0; i < source_count; i++) nli_source_free(&loaded[i]);
    free(loaded);
    free(ok_source);
    cJSON_Delete(rows);
    cJSON_Delete(meta);
}

static void test_truncation(const fc_tokenizer *tok) {
    cJSON *rows = read_jsonl("truncation.jsonl");
    cJSON *sample = read_jsonl("nli_sample.jsonl"), *hard = read_jsonl("hard_strings.jsonl");
    CHECK(rows && sample && hard);
    int n = 0, bad = 0, strategies[3] = {0};
    fc_ids ids = {0};
    fc_error err;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        const char *ref = json_string(row, "ref"), *strategy = json_string(row, "strategy");
        int i = (int)cJSON_GetObjectItemCaseSensitive(row, "i")->valuedouble;
        int m = (int)cJSON_GetObjectItemCaseSensitive(row, "max_length")->valuedouble;
        const cJSON *src = cJSON_GetArrayItem(strcmp(ref, "sample") == 0 ? sample : hard, i);
        const char *a = json_string(src, "a"), *b = json_string(src, "b");
        fc_truncation t = strcmp(strategy, "only_first") == 0 ? FC_TRUNCATE_ONLY_FIRST : FC_TRUNCATE_LONGEST_FIRST;
        strategies[t]++;
        n++;
        ids.len = 0;
        int rc = fc_tokenizer_encode_pair(tok, a, b, m, t, &ids, &err);
        const cJSON *want = cJSON_GetObjectItemCaseSensitive(row, "ids");
        int ok = want ? rc == 0 && ids_match(&ids, want) : rc == -1 && strstr(err.message, "too short") != NULL;
        if (!ok) {
            bad++;
            if (reported++ < MAX_REPORTED)
                fprintf(stderr, "truncation %s %d: \"%.80s\" / \"%.80s\" differs\n", strategy, m, a, b ? b : "");
        }
    }
    if (bad) fprintf(stderr, "truncation.jsonl: %d of %d rows differ\n", bad, n);
    CHECK(n > 2500 && strategies[FC_TRUNCATE_LONGEST_FIRST] > 1000 && strategies[FC_TRUNCATE_ONLY_FIRST] > 1000);
    CHECK(bad == 0);
    fc_ids_free(&ids);
    cJSON_Delete(rows);
    cJSON_Delete(sample);
    cJSON_Delete(hard);
}

// --- code points ---------------------------------------------------------------------------------

// The probes of tools/fixtures/deberta_tokens.py.
static size_t probe(int32_t cp, char *out) {
    char c[4];
    int n = fc_utf8_encode(cp, c);
    static const char *const parts[] = {"a", "b ", "1", "", " ", "!\t", " ", ""};
    size_t len = 0;
    for (int i = 0; i < 8; i++) {
        if (i > 0) {
            memcpy(out + len, c, (size_t)n);
            len += (size_t)n;
        }
        memcpy(out + len, parts[i], strlen(parts[i]));
        len += strlen(parts[i]);
    }
    return len;
}

static size_t cluster_probe(int32_t cp, char *out) {
    char c[4];
    int n = fc_utf8_encode(cp, c);
    // {c}\u0301 {c}\u200d{c} A{c} {c}\ufe0f{c}\u3099 x{c}{c}
    static const char *const parts[] = {"", "\xcc\x81 ", "\xe2\x80\x8d", " A", " ", "\xef\xb8\x8f",
                                        "\xe3\x82\x99 x", "", ""};
    size_t len = 0;
    for (int i = 0; i < 9; i++) {
        if (i > 0) {
            memcpy(out + len, c, (size_t)n);
            len += (size_t)n;
        }
        memcpy(out + len, parts[i], strlen(parts[i]));
        len += strlen(parts[i]);
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
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        int32_t cp = (int32_t)cJSON_GetObjectItemCaseSensitive(row, "cp")->valuedouble;
        char single[4];
        int len = fc_utf8_encode(cp, single);
        n++;
        ids.len = 0;
        if (fc_tokenizer_encode(tok, single, (size_t)len, &ids, &err) != 0 ||
            !ids_match(&ids, cJSON_GetObjectItemCaseSensitive(row, "ids"))) {
            bad++;
            if (reported++ < MAX_REPORTED) {
                fprintf(stderr, "code point U+%04X differs\n", (unsigned)cp);
                print_ids("got", &ids);
            }
        }
    }
    fc_ids_free(&ids);
    if (bad) fprintf(stderr, "deberta codepoints.jsonl: %d of %d code points differ\n", bad, n);
    CHECK(n > 6000);
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
    char text[96];
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        int32_t block = (int32_t)cJSON_GetObjectItemCaseSensitive(row, "b")->valuedouble;
        uint64_t h = 0xcbf29ce484222325ULL;
        int got_n = 0;
        for (int32_t cp = block << 8; cp < ((block + 1) << 8); cp++) {
            if (!codepoint_checked(cp)) continue;
            got_n++;
            int32_t sep = -1;
            h = fnv1a64_ids(&cp, 1, h);
            for (int k = 0; k < 2; k++) {
                size_t len = k == 0 ? probe(cp, text) : cluster_probe(cp, text);
                ids.len = 0;
                if (fc_tokenizer_encode(tok, text, len, &ids, &err)) ids.len = 0;
                h = fnv1a64_ids(ids.ids, ids.len, h);
                h = fnv1a64_ids(&sep, 1, h);
            }
        }
        char hex[17];
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
        blocks++;
        if (got_n != (int)cJSON_GetObjectItemCaseSensitive(row, "n")->valuedouble) count_bad++;
        if (strcmp(hex, json_string(row, "h")) != 0) {
            bad++;
            if (reported++ < MAX_REPORTED)
                fprintf(stderr, "code points U+%04X..U+%04X: tokenization differs from HF\n",
                        (unsigned)(block << 8), (unsigned)((block << 8) + 255));
        }
    }
    fc_ids_free(&ids);
    if (bad) fprintf(stderr, "deberta codepoint_blocks.jsonl: %d of %d blocks differ\n", bad, blocks);
    CHECK(blocks > 4000);
    CHECK(count_bad == 0);
    CHECK(bad == 0);
    cJSON_Delete(rows);
}

// --- edited copies of tokenizer.json -------------------------------------------------------------

static void write_file(const char *path, const char *text, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(text, 1, len, f);
    fclose(f);
}

static void write_text(const char *dir, const char *name, const char *text) {
    char *path = fc_path_join(dir, name);
    write_file(path, text, strlen(text));
    free(path);
}

static void remove_in(const char *dir, const char *name) {
    char *path = fc_path_join(dir, name);
    unlink(path);
    free(path);
}

static cJSON *json_object(const char *text) {
    return cJSON_Parse(text);
}

// The edits of variant() in tools/fixtures/deberta_tokens.py.
static void make_variant(cJSON *root, const char *name) {
    cJSON *norm = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "normalizer"), "normalizers");
    cJSON *pre = cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer");
    cJSON *metaspace = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(pre, "pretokenizers"), 0);
    if (strcmp(name, "lowercase") == 0) {
        cJSON_InsertItemInArray(norm, 0, json_object("{\"type\": \"Lowercase\"}"));
    } else if (strcmp(name, "never") == 0 || strcmp(name, "first") == 0) {
        cJSON_ReplaceItemInObjectCaseSensitive(metaspace, "prepend_scheme", cJSON_CreateString(name));
    } else if (strcmp(name, "no_split") == 0) {
        cJSON_ReplaceItemInObjectCaseSensitive(metaspace, "split", cJSON_CreateFalse());
    } else if (strcmp(name, "legacy_metaspace") == 0) {
        cJSON_ReplaceItemInObjectCaseSensitive(
            root, "pre_tokenizer",
            json_object("{\"type\": \"Metaspace\", \"replacement\": \"\u2581\", \"add_prefix_space\": true}"));
    } else if (strcmp(name, "byte_fallback") == 0) {
        cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "model"), "byte_fallback",
                                               cJSON_CreateTrue());
    } else if (strcmp(name, "v5") == 0) {
        // The tokenizer.json transformers 5.x saves: its rebuilt normalizer, no charsmap.
        cJSON_ReplaceItemInObjectCaseSensitive(
            root, "normalizer",
            json_object("{\"type\": \"Sequence\", \"normalizers\": ["
                        "{\"type\": \"Replace\", \"pattern\": {\"Regex\": \"\\\\s{2,}|[\\\\n\\\\r\\\\t]\"}, \"content\": \" \"},"
                        "{\"type\": \"NFC\"}, {\"type\": \"Strip\", \"strip_left\": false, \"strip_right\": true}]}"));
    } else if (strcmp(name, "strip_right_nfc") == 0) {
        cJSON_ReplaceItemInObjectCaseSensitive(
            root, "normalizer",
            json_object("{\"type\": \"Sequence\", \"normalizers\": ["
                        "{\"type\": \"Replace\", \"pattern\": {\"Regex\": \"\\\\s{2,}|[\\\\n\\\\r\\\\t]\"}, \"content\": \" \"},"
                        "{\"type\": \"NFC\"}, {\"type\": \"Strip\", \"strip_left\": false, \"strip_right\": true},"
                        "{\"type\": \"Replace\", \"pattern\": {\"String\": \"ab\"}, \"content\": \"X\"}]}"));
    }
}

// The committed tokenizer.json, parsed once for all the edits.
static cJSON *base_tokenizer_json(void) {
    char *path = fixture_path("tokenizer.json");
    cJSON *root = read_json(path);
    free(path);
    return root;
}

// Loads text as dir/tokenizer.json.
static fc_tokenizer *load_json_text(const char *dir, const char *text, fc_error *err) {
    write_text(dir, "tokenizer.json", text);
    fc_tokenizer *tok = NULL;
    fc_tokenizer_load(dir, &tok, err);
    remove_in(dir, "tokenizer.json");
    return tok;
}

// The rows of one variant: every single hard string (no NUL) must give the ids variants.jsonl
// lists for it, or else the unedited tokenizer's ids (hard_strings.jsonl); every listed row
// must be used.
static void check_variant_rows(const fc_tokenizer *tok, const char *name) {
    cJSON *variants = read_jsonl("variants.jsonl"), *hard = read_jsonl("hard_strings.jsonl");
    CHECK(variants && hard);
    int n = 0, bad = 0, used = 0, listed = 0;
    fc_ids ids = {0};
    fc_error err;
    const cJSON *row, *v;
    cJSON_ArrayForEach(v, variants) listed += strcmp(json_string(v, "variant"), name) == 0;
    cJSON_ArrayForEach(row, hard) {
        const char *a = json_string(row, "a");
        if (json_string(row, "b") || json_string(row, "a_hex") || !a) continue;
        const cJSON *want = cJSON_GetObjectItemCaseSensitive(row, "ids");
        cJSON_ArrayForEach(v, variants) {
            if (strcmp(json_string(v, "variant"), name) == 0 && strcmp(json_string(v, "a"), a) == 0) {
                want = cJSON_GetObjectItemCaseSensitive(v, "ids");
                used++;
                break;
            }
        }
        n++;
        ids.len = 0;
        if (fc_tokenizer_encode(tok, a, strlen(a), &ids, &err) != 0 || !ids_match(&ids, want)) {
            char what[64];
            snprintf(what, sizeof what, "variant %s", name);
            report_mismatch(what, a, NULL, &ids, want);
            bad++;
        }
    }
    if (bad) fprintf(stderr, "variant %s: %d of %d hard strings differ from Hugging Face\n", name, bad, n);
    CHECK(n > 300);
    CHECK(bad == 0);
    if (used != listed) fprintf(stderr, "variant %s: %d rows of variants.jsonl, %d used\n", name, listed, used);
    CHECK(used == listed);
    fc_ids_free(&ids);
    cJSON_Delete(variants);
    cJSON_Delete(hard);
}

static void test_variants(const char *dir) {
    cJSON *base = base_tokenizer_json();
    CHECK(base != NULL);
    if (!base) return;
    static const char *const names[] = {"lowercase", "never", "first", "no_split", "legacy_metaspace",
                                        "byte_fallback", "strip_right_nfc", "v5"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        cJSON *copy = cJSON_Duplicate(base, 1);
        make_variant(copy, names[i]);
        char *text = cJSON_PrintUnformatted(copy);
        fc_error err;
        fc_tokenizer *tok = load_json_text(dir, text, &err);
        if (!tok) fprintf(stderr, "variant %s: %s\n", names[i], err.message);
        CHECK(tok != NULL);
        if (tok) check_variant_rows(tok, names[i]);
        fc_tokenizer_free(tok);
        free(text);
        cJSON_Delete(copy);
    }
    cJSON_Delete(base);
}

// --- spm.model folders that differ from the shared one -------------------------------------------

static int copy_file(const char *from, const char *to) {
    char *data;
    size_t size;
    fc_error err;
    if (fc_read_file(from, &data, &size, &err)) return -1;
    write_file(to, data, size);
    free(data);
    return 0;
}

static void copy_shared(const char *dir, const char *name) {
    char *src_dir = spm_dir();
    char *src = fc_path_join(src_dir, name), *dst = fc_path_join(dir, name);
    CHECK(copy_file(src, dst) == 0);
    free(src);
    free(dst);
    free(src_dir);
}

// spm.model folders with other side files, as spm_folder_files() in
// tools/fixtures/deberta_tokens.py writes them: do_lower_case = true, a folder saved before
// added_tokens_decoder existed, spm.model alone. Then configurations that are refused.
static void test_spm_folders(const char *dir) {
    copy_shared(dir, "spm.model");
    fc_error err;

    char *shared_spm_dir = spm_dir();
    char *config_path = fc_path_join(shared_spm_dir, "tokenizer_config.json");
    free(shared_spm_dir);
    cJSON *config = read_json(config_path);
    free(config_path);
    CHECK(config != NULL);
    if (config) {
        cJSON_ReplaceItemInObjectCaseSensitive(config, "do_lower_case", cJSON_CreateTrue());
        char *text = cJSON_PrintUnformatted(config);
        write_text(dir, "tokenizer_config.json", text);
        free(text);
        cJSON_Delete(config);
    }
    copy_shared(dir, "added_tokens.json");
    copy_shared(dir, "special_tokens_map.json");
    fc_tokenizer *tok = load_tokenizer(dir);
    CHECK(tok != NULL);
    if (tok) check_variant_rows(tok, "spm_lowercase");
    fc_tokenizer_free(tok);

    write_text(dir, "tokenizer_config.json", "{\"model_max_length\": 512}");
    write_text(dir, "added_tokens.json", "{\"[MASK]\": 128000}");
    write_text(dir, "special_tokens_map.json",
               "{\"cls_token\": \"[CLS]\", \"sep_token\": \"[SEP]\", \"unk_token\": \"[UNK]\", \"pad_token\": \"[PAD]\","
               " \"mask_token\": {\"content\": \"[MASK]\", \"lstrip\": true, \"rstrip\": false, \"normalized\": false,"
               " \"single_word\": false}}");
    tok = load_tokenizer(dir);
    CHECK(tok != NULL);
    if (tok) check_variant_rows(tok, "spm_legacy");
    fc_tokenizer_free(tok);
    remove_in(dir, "added_tokens.json");
    remove_in(dir, "special_tokens_map.json");
    remove_in(dir, "tokenizer_config.json");

    tok = load_tokenizer(dir);
    CHECK(tok != NULL);
    if (tok) check_variant_rows(tok, "spm_bare");
    if (tok) CHECK(fc_tokenizer_token_id(tok, "[MASK]") == 128000 && fc_tokenizer_model_max_length(tok) == 0);
    fc_tokenizer_free(tok);

    fc_tokenizer *refused = NULL;
    write_text(dir, "tokenizer_config.json", "{\"split_by_punct\": true}");
    CHECK(fc_tokenizer_load(dir, &refused, &err) == -1 && refused == NULL);
    CHECK(strstr(err.message, "tokenizer_config.json: split_by_punct true") != NULL);
    write_text(dir, "tokenizer_config.json", "{\"tokenizer_class\": \"T5Tokenizer\"}");
    CHECK(fc_tokenizer_load(dir, &refused, &err) == -1);
    CHECK(strstr(err.message, "tokenizer_class \"T5Tokenizer\"") != NULL);
    write_text(dir, "tokenizer_config.json", "{\"added_tokens_decoder\": {\"x\": {\"content\": \"[MASK]\"}}}");
    CHECK(fc_tokenizer_load(dir, &refused, &err) == -1);
    CHECK(strstr(err.message, "added_tokens_decoder[\"x\"]") != NULL);
    remove_in(dir, "tokenizer_config.json");
    remove_in(dir, "spm.model");
}

// --- errors on broken files ----------------------------------------------------------------------

static int load_fails_with(const char *dir, const char *needle) {
    fc_tokenizer *tok = NULL;
    fc_error err = {{0}};
    int rc = fc_tokenizer_load(dir, &tok, &err);
    int ok = rc == -1 && tok == NULL && strstr(err.message, needle) != NULL;
    if (!ok) fprintf(stderr, "load %s: rc %d, message \"%s\", wanted \"%s\"\n", dir, rc, err.message, needle);
    fc_tokenizer_free(tok);
    return ok;
}

static void test_load_errors(const char *dir) {
    // An empty folder: neither file.
    CHECK(load_fails_with(dir, "tokenizer.json: cannot open"));
    CHECK(load_fails_with(dir, "no spm.model"));

    // Corrupt spm.model: the error names the file.
    char *spm = fc_path_join(dir, "spm.model");
    write_file(spm, "", 0);
    CHECK(load_fails_with(dir, "spm.model: not a valid SentencePiece model: it has no pieces"));
    write_file(spm, "\x0a\x05\x0a\x03", 4); // a piece message cut short
    CHECK(load_fails_with(dir, "spm.model: not a valid SentencePiece model: length past the end"));
    write_file(spm, "\x0a\x02\x18\x01", 4); // a piece without text
    CHECK(load_fails_with(dir, "spm.model: piece 0 is empty"));
    write_file(spm, "\x0a\x03\x0a\x01\xff", 5);
    CHECK(load_fails_with(dir, "spm.model: piece 0 is not valid UTF-8"));
    write_file(spm, "\x0b\x01", 2);
    CHECK(load_fails_with(dir, "spm.model: not a valid SentencePiece model: unsupported wire type"));
    write_file(spm, "\x0a\x03\x0a\x01\x61\x12\x02\x18\x02", 9); // model_type BPE
    CHECK(load_fails_with(dir, "spm.model: SentencePiece model_type 2 is not supported"));
    write_file(spm, "\x0a\x03\x0a\x01\x61\x1a\x04\x12\x02\x01\x00", 11); // a 2-byte charsmap
    CHECK(load_fails_with(dir, "spm.model: precompiled_charsmap is too short"));
    write_file(spm, "\x0a\x03\x0a\x01\x61\x12\x03\xc0\x02\x05", 10); // unk_id 5 of 1 piece
    CHECK(load_fails_with(dir, "spm.model: unk_id 5 is not in the vocabulary"));
    // One piece and no side files: transformers adds DebertaV2TokenizerFast's default special
    // tokens after the vocabulary, in the order bos, eos, unk, sep, pad, cls, mask.
    write_file(spm, "\x0a\x03\x0a\x01\x61", 5);
    fc_tokenizer *tiny = load_tokenizer(dir);
    CHECK(tiny != NULL);
    if (tiny) {
        CHECK(fc_tokenizer_token_id(tiny, "a") == 0 && fc_tokenizer_token_id(tiny, "[CLS]") == 1);
        CHECK(fc_tokenizer_token_id(tiny, "[SEP]") == 2 && fc_tokenizer_token_id(tiny, "[UNK]") == 3);
        CHECK(fc_tokenizer_token_id(tiny, "[PAD]") == 4 && fc_tokenizer_token_id(tiny, "[MASK]") == 5);
        fc_tokenizer_free(tiny);
    }
    unlink(spm);
    free(spm);

    // Corrupt tokenizer.json: the error names the file.
    cJSON *base = base_tokenizer_json();
    CHECK(base != NULL);
    char *path = fc_path_join(dir, "tokenizer.json");
    write_text(dir, "tokenizer.json", "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", -1.0], ");
    CHECK(load_fails_with(dir, "tokenizer.json: not valid JSON"));
    write_text(dir, "tokenizer.json", "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", \"x\"]]}}");
    CHECK(load_fails_with(dir, "tokenizer.json: model.vocab[0] is not [piece, score]"));
    write_text(dir, "tokenizer.json", "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}");
    CHECK(load_fails_with(dir, "tokenizer.json: the Unigram vocabulary is empty"));
    write_text(dir, "tokenizer.json", "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", 0]], \"unk_id\": 1}}");
    CHECK(load_fails_with(dir, "tokenizer.json: unk_id 1 is not in the vocabulary"));
    write_text(dir, "tokenizer.json",
               "{\"normalizer\": {\"type\": \"Precompiled\", \"precompiled_charsmap\": \"AAA*\"},"
               " \"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", 0]]}}");
    CHECK(load_fails_with(dir, "tokenizer.json: normalizer Precompiled: precompiled_charsmap is not valid base64"));
    write_text(dir, "tokenizer.json",
               "{\"normalizer\": {\"type\": \"Precompiled\", \"precompiled_charsmap\": \"/////w==\"},"
               " \"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", 0]]}}");
    CHECK(load_fails_with(dir, "tokenizer.json: precompiled_charsmap's trie"));
    write_text(dir, "tokenizer.json",
               "{\"normalizer\": {\"type\": \"Replace\", \"pattern\": {\"Regex\": \"(\"}, \"content\": \"\"},"
               " \"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", 0]]}}");
    CHECK(load_fails_with(dir, "tokenizer.json: Replace regex \"(\" does not compile"));
    write_text(dir, "tokenizer.json",
               "{\"pre_tokenizer\": {\"type\": \"Metaspace\", \"replacement\": \"ab\"},"
               " \"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", 0]]}}");
    CHECK(load_fails_with(dir, "tokenizer.json: pre_tokenizer Metaspace \"replacement\" \"ab\" is more than one"));
    write_text(dir, "tokenizer.json",
               "{\"pre_tokenizer\": {\"type\": \"Metaspace\", \"replacement\": \"_\", \"prepend_scheme\": \"sometimes\"},"
               " \"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", 0]]}}");
    CHECK(load_fails_with(dir, "prepend_scheme \"sometimes\" is not one of"));
    write_text(dir, "tokenizer.json",
               "{\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Punctuation\"}]},"
               " \"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", 0]]}}");
    CHECK(load_fails_with(dir, "tokenizer.json: pre_tokenizer type \"Punctuation\" is not supported"));
    if (base) {
        // The real file with its charsmap cut to half: a clear error, not a crash.
        cJSON *copy = cJSON_Duplicate(base, 1);
        cJSON *pre = cJSON_GetArrayItem(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(copy, "normalizer"), "normalizers"), 1);
        char *map = strdup(json_string(pre, "precompiled_charsmap"));
        map[strlen(map) / 2 / 4 * 4] = '\0';
        cJSON_ReplaceItemInObjectCaseSensitive(pre, "precompiled_charsmap", cJSON_CreateString(map));
        char *text = cJSON_PrintUnformatted(copy);
        write_text(dir, "tokenizer.json", text);
        CHECK(load_fails_with(dir, "tokenizer.json: precompiled_charsmap's trie"));
        free(text);
        free(map);
        cJSON_Delete(copy);
    }
    // A Unigram model without unk_id meets an unknown character: HF's MissingUnkId, as an error.
    fc_error err;
    fc_tokenizer *tok = load_json_text(dir, "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", -1.0]]}}", &err);
    CHECK(tok != NULL);
    if (tok) {
        fc_ids ids = {0};
        CHECK(fc_tokenizer_encode(tok, "aaa", 3, &ids, &err) == 0 && ids.len == 3 && ids.ids[0] == 0);
        CHECK(fc_tokenizer_encode(tok, "ab", 2, &ids, &err) == -1);
        CHECK(strstr(err.message, "unknown character at byte 1 and the model has no unk_id") != NULL);
        fc_ids_free(&ids);
        fc_tokenizer_free(tok);
    }
    unlink(path);
    free(path);
    cJSON_Delete(base);
}

// --- fuzzing the readers of untrusted files --------------------------------------------------------

static uint64_t rng_state;

static uint32_t next_random(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

static void put_varint(fc_textbuf *b, uint64_t v) {
    do {
        char c = (char)((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
        fc_textbuf_append(b, &c, 1);
        v >>= 7;
    } while (v);
}

static void put_bytes_field(fc_textbuf *b, uint32_t number, const void *data, size_t len) {
    put_varint(b, (uint64_t)number << 3 | 2);
    put_varint(b, len);
    fc_textbuf_append(b, data, len);
}

// A small valid ModelProto: 12 pieces, a trainer_spec and a normalizer_spec without charsmap.
static void mini_model(fc_textbuf *out) {
    static const char *const pieces[] = {"[PAD]", "[CLS]", "[SEP]", "[UNK]", "\u2581a", "a", "b", "\u2581",
                                         "ab", "\u2581ab", "<0x41>", "\xc3\xa9"};
    static const int types[] = {3, 3, 3, 2, 1, 1, 1, 1, 1, 1, 6, 4};
    out->len = 0;
    for (int i = 0; i < 12; i++) {
        fc_textbuf piece = {0};
        put_bytes_field(&piece, 1, pieces[i], strlen(pieces[i]));
        float score = -(float)i;
        uint32_t bits;
        memcpy(&bits, &score, 4);
        put_varint(&piece, 2 << 3 | 5);
        unsigned char le[4] = {(unsigned char)bits, (unsigned char)(bits >> 8), (unsigned char)(bits >> 16),
                               (unsigned char)(bits >> 24)};
        fc_textbuf_append(&piece, (const char *)le, 4);
        put_varint(&piece, 3 << 3);
        put_varint(&piece, (uint64_t)types[i]);
        put_bytes_field(out, 1, piece.data, piece.len);
        fc_textbuf_free(&piece);
    }
    fc_textbuf spec = {0};
    put_varint(&spec, 3 << 3);
    put_varint(&spec, 1);
    put_varint(&spec, 40 << 3);
    put_varint(&spec, 3);
    put_bytes_field(out, 2, spec.data, spec.len);
    spec.len = 0;
    put_bytes_field(&spec, 1, "identity", 8);
    put_varint(&spec, 3 << 3);
    put_varint(&spec, 0);
    put_bytes_field(out, 3, spec.data, spec.len);
    fc_textbuf_free(&spec);
}

// Parses data; when it parses, runs the Unigram built from it over a few words. Returns 0 when
// the outcome is consistent (an error message naming the file, or a usable model).
static int parse_and_use(const unsigned char *data, size_t len) {
    fc_spm_model m;
    fc_error err = {{0}};
    if (fc_spm_model_parse(&m, data, len, "fuzz.model", &err)) return strstr(err.message, "fuzz.model") ? 0 : 1;
    int bad = m.piece_count <= 0;
    for (int32_t i = 0; i < m.piece_count; i++) {
        size_t at;
        if (!fc_utf8_valid(fc_spm_piece(&m, i), m.piece_len[i], &at)) bad = 1;
    }
    fc_tok_model model;
    if (fc_tok_model_load_spm(&model, &m, "fuzz.model", &err) == 0) {
        fc_tok_model_scratch scratch = {0};
        fc_ids ids = {0};
        static const char *const words[] = {"\u2581ab", "abba", "\u2581\xc3\xa9x", "<0x41>", "zz"};
        for (int w = 0; w < 5; w++) {
            ids.len = 0;
            if (fc_tok_model_encode_word(&model, words[w], strlen(words[w]), &ids, &scratch, &err) == 0)
                for (size_t k = 0; k < ids.len; k++)
                    if (ids.ids[k] < 0 || ids.ids[k] >= m.piece_count) bad = 1;
        }
        fc_ids_free(&ids);
        fc_tok_model_scratch_free(&scratch);
        fc_tok_model_free(&model);
    }
    fc_spm_model_free(&m);
    return bad;
}

static void test_fuzz_spm_model(void) {
    rng_state = 0x5EED0006ULL;
    fc_textbuf model = {0};
    mini_model(&model);
    CHECK(parse_and_use((const unsigned char *)model.data, model.len) == 0);
    fc_spm_model m;
    fc_error err;
    CHECK(fc_spm_model_parse(&m, (const unsigned char *)model.data, model.len, "mini", &err) == 0);
    if (m.piece_count) {
        CHECK(m.piece_count == 12 && m.unk_id == 3 && !m.add_dummy_prefix && m.score[5] == -5.0f);
        CHECK(strcmp(m.normalizer_name, "identity") == 0 && m.charsmap == NULL);
        fc_spm_model_free(&m);
    }
    int bad = 0, parsed = 0;
    unsigned char *buf = malloc(model.len + 64);
    for (int round = 0; round < 4000; round++) {
        size_t len = model.len;
        memcpy(buf, model.data, len);
        int kind = round % 4;
        if (kind == 0) { // truncated
            len = next_random() % model.len;
        } else if (kind == 1) { // bytes flipped
            for (int k = 0, n = 1 + next_random() % 4; k < n; k++) buf[next_random() % len] ^= (unsigned char)(1 + next_random() % 255);
        } else if (kind == 2) { // bytes replaced by varint-heavy values
            for (int k = 0, n = 1 + next_random() % 3; k < n; k++) buf[next_random() % len] = (unsigned char)(0x80 | next_random());
        } else { // random bytes
            len = next_random() % 64;
            for (size_t k = 0; k < len; k++) buf[k] = (unsigned char)next_random();
        }
        int r = parse_and_use(buf, len);
        bad += r;
        fc_spm_model probe_model;
        if (fc_spm_model_parse(&probe_model, buf, len, "x", NULL) == 0) {
            parsed++;
            fc_spm_model_free(&probe_model);
        }
    }
    free(buf);
    fc_textbuf_free(&model);
    CHECK(bad == 0);
    CHECK(parsed > 100); // many mutations still parse: the model paths run too

    // Truncations of the real file.
    char *dir = spm_dir();
    char *path = fc_path_join(dir, "spm.model");
    char *data;
    size_t size;
    if (fc_read_file(path, &data, &size, &err) == 0) {
        int truncated_bad = 0;
        for (int round = 0; round < 24; round++) {
            size_t len = (size_t)next_random() % size;
            truncated_bad += parse_and_use((const unsigned char *)data, len);
        }
        CHECK(truncated_bad == 0);
        free(data);
    } else {
        CHECK(!"cannot read the shared spm.model");
    }
    free(path);
    free(dir);
}

// Corrupted copies of the real charsmap: loading fails with a message, or normalization runs
// and always yields valid UTF-8 (what the Unigram stage relies on).
static void test_fuzz_charsmap(void) {
    rng_state = 0xC4A25A9ULL;
    char *dir = spm_dir();
    char *path = fc_path_join(dir, "spm.model");
    fc_spm_model m;
    fc_error err;
    int rc = fc_spm_model_load(&m, path, &err);
    CHECK(rc == 0);
    if (rc == 0) {
        static const char *const texts[] = {"Hello, World!", "\uff21\uff22\uff23 \ufb01", "e\u0301\u0301 A\u030a",
                                            "\r\n\t\x01x", "\U0001F468\u200d\U0001F469", "\u3300\u2163\u00bd",
                                            "\u0915\u094d\u0937 \u1100\u1161\u11a8"};
        unsigned char *blob = malloc(m.charsmap_len);
        uint32_t trie_size = (uint32_t)m.charsmap[0] | (uint32_t)m.charsmap[1] << 8;
        trie_size |= (uint32_t)m.charsmap[2] << 16 | (uint32_t)m.charsmap[3] << 24;
        int bad = 0, loaded = 0;
        fc_textbuf out = {0};
        for (int round = 0; round < 300; round++) {
            memcpy(blob, m.charsmap, m.charsmap_len);
            size_t len = m.charsmap_len;
            if (round % 3 == 0) {
                len = 4 + (size_t)next_random() % (m.charsmap_len - 4);
            } else {
                // Flip bytes of the trie (the units decide every index taken).
                for (int k = 0, n = 1 + (int)(next_random() % 64); k < n; k++)
                    blob[4 + next_random() % trie_size] ^= (unsigned char)(1 + next_random() % 255);
            }
            fc_precompiled pc;
            err.message[0] = '\0';
            if (fc_precompiled_load(&pc, blob, len, "fuzz", &err)) {
                bad += strstr(err.message, "fuzz: precompiled_charsmap") == NULL;
                continue;
            }
            loaded++;
            for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
                size_t at;
                if (fc_precompiled_normalize(&pc, texts[t], strlen(texts[t]), &out, &err) != 0 ||
                    !fc_utf8_valid(out.data, out.len, &at))
                    bad++;
            }
            fc_precompiled_free(&pc);
        }
        fc_textbuf_free(&out);
        free(blob);
        CHECK(bad == 0);
        CHECK(loaded > 150);
        fc_spm_model_free(&m);
    }
    free(path);
    free(dir);
}

// --- one tokenizer shared by threads ------------------------------------------------------------

typedef struct thread_job {
    const fc_tokenizer *tok;
    const cJSON *rows;
    int bad;
} thread_job;

static void *encode_in_thread(void *arg) {
    thread_job *job = arg;
    fc_ids ids = {0};
    fc_error err;
    for (int round = 0; round < 3; round++) {
        const cJSON *row;
        cJSON_ArrayForEach(row, job->rows) {
            if (encode_row(job->tok, row, &ids, &err) || !ids_match(&ids, cJSON_GetObjectItemCaseSensitive(row, "ids")))
                job->bad++;
        }
    }
    fc_ids_free(&ids);
    return NULL;
}

static void test_threads(const fc_tokenizer *tok) {
    cJSON *rows = read_jsonl("nli_sample.jsonl");
    CHECK(rows != NULL);
    if (!rows) return;
    enum { THREADS = 4 };
    pthread_t threads[THREADS];
    thread_job jobs[THREADS];
    int started = 0, bad = 0;
    for (int t = 0; t < THREADS; t++) {
        jobs[t] = (thread_job){tok, rows, 0};
        if (pthread_create(&threads[t], NULL, encode_in_thread, &jobs[t]) != 0) break;
        started++;
    }
    CHECK(started == THREADS);
    for (int t = 0; t < started; t++) {
        pthread_join(threads[t], NULL);
        bad += jobs[t].bad;
    }
    CHECK(bad == 0);
    cJSON_Delete(rows);
}

// --- end to end: DeBERTa checkpoints load and classify from text ----------------------------------

// Every fixture checkpoint of tests/fixtures/deberta loads with its spm.model; its tokenizer
// gives the ids of reference.json (transformers 5.24 generated them: where v4 and v5 agree,
// which meta.json records for these pairs), and fc_nli_logits on the text gives the reference
// logits.
static void test_end_to_end(void) {
    char *deberta = fc_path_join(fc_test_fixtures_dir(), "deberta");
    char *ref_path = fc_path_join(deberta, "reference.json");
    cJSON *ref = read_json(ref_path);
    CHECK(ref != NULL);
    if (!ref) {
        free(ref_path);
        free(deberta);
        return;
    }
    const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(ref, "pairs");
    size_t n = (size_t)cJSON_GetArraySize(pairs), i = 0;
    fc_pair *texts = calloc(n, sizeof *texts);
    const cJSON *p;
    cJSON_ArrayForEach(p, pairs) {
        texts[i].premise = json_string(p, "premise");
        texts[i++].hypothesis = json_string(p, "hypothesis");
    }
    int models = 0, ids_bad = 0;
    double worst = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(ref, "models")) {
        char *dir = fc_path_join(deberta, entry->string);
        fc_model *model = NULL;
        fc_error err;
        int rc = fc_model_load(dir, &model, &err);
        if (rc) fprintf(stderr, "fc_model_load %s: %s\n", dir, err.message);
        CHECK(rc == 0);
        free(dir);
        if (rc) continue;
        models++;
        const cJSON *rows = cJSON_GetObjectItemCaseSensitive(entry, "rows");
        int labels = fc_model_num_labels(model);
        float *logits = calloc(n * (size_t)labels, sizeof *logits);
        fc_ids ids = {0};
        for (i = 0; i < n; i++) {
            const cJSON *row = cJSON_GetArrayItem(rows, (int)i);
            if (fc_tokenizer_encode_pair(fc_model_tokenizer(model), texts[i].premise, texts[i].hypothesis, 512,
                                         FC_TRUNCATE_LONGEST_FIRST, &ids, &err) ||
                !ids_match(&ids, cJSON_GetObjectItemCaseSensitive(row, "input_ids"))) {
                ids_bad++;
                if (reported++ < MAX_REPORTED) fprintf(stderr, "reference.json pair %zu: ids differ\n", i);
            }
        }
        fc_nli_options options = fc_nli_default_options();
        options.batch_size = 7; // mixed lengths in a batch
        rc = fc_nli_logits(model, texts, n, &options, logits, &err);
        if (rc) fprintf(stderr, "fc_nli_logits: %s\n", err.message);
        CHECK(rc == 0);
        for (i = 0; rc == 0 && i < n; i++) {
            const cJSON *want = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(rows, (int)i), "logits");
            for (int k = 0; k < labels; k++) {
                double d = logits[i * (size_t)labels + (size_t)k] - cJSON_GetArrayItem(want, k)->valuedouble;
                if (d < 0) d = -d;
                if (d > worst) worst = d;
            }
        }
        fc_ids_free(&ids);
        free(logits);
        fc_model_free(model);
    }
    CHECK(models == 5);
    CHECK(ids_bad == 0);
    CHECK_CLOSE(worst, 0.0, 1e-4);
    printf("deberta tokenizer end to end: %d checkpoints, %zu pairs from text, max |logit - HF| = %.2g\n", models,
           n, worst);
    free(texts);
    cJSON_Delete(ref);
    free(ref_path);
    free(deberta);
}

void suite_deberta_tokenizer(void) {
    reported = 0;
    char dir[] = "/tmp/fc_debtok_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    test_spm_model_fields();
    test_load_errors(dir);
    test_fuzz_spm_model();
    test_fuzz_charsmap();

    char *spm_path = spm_dir(), *json_path = fixture_dir();
    fc_tokenizer *from_spm = load_tokenizer(spm_path), *from_json = load_tokenizer(json_path);
    CHECK(from_spm != NULL);
    CHECK(from_json != NULL);
    fc_tokenizer *both[2] = {from_spm, from_json};
    for (int t = 0; t < 2; t++) {
        if (!both[t]) continue;
        const char *what = t == 0 ? "spm.model" : "tokenizer.json";
        test_basics(both[t], what);
        test_rows_file(both[t], "hard_strings.jsonl", 700);
        test_rows_file(both[t], "nli_sample.jsonl", 450);
        test_nli_bulk(both[t], t == 0);
        test_truncation(both[t]);
        test_codepoints(both[t]);
    }
    if (from_spm) {
        test_codepoint_blocks(from_spm);
        test_threads(from_spm);
        test_spm_folders(dir);
    }
    test_variants(dir);
    test_end_to_end();
    if (bulk_pairs)
        printf("deberta tokenizer: %zu real pairs in %.3f s, %.0f pairs/s on one thread (spm.model path)\n",
               bulk_pairs, bulk_seconds, (double)bulk_pairs / bulk_seconds);
    fc_tokenizer_free(from_spm);
    fc_tokenizer_free(from_json);
    free(spm_path);
    free(json_path);
    rmdir(dir);
}
