// Tests of the curation pipeline (src/curate/, `finecat curate`): every real source of
// ../shared/data/nli ingested with MANIFEST.md's counts and its labels checked row by row;
// planted duplicates, conflicts and leaks found; byte-identical outputs for the same inputs and
// seed; a scoring run killed with SIGKILL and resumed equal to an uninterrupted one; screeners
// that answer, fail, babble, fall short or die; a well-formed SVG; the whole pipeline from a
// config, skipped stage by stage on a rerun.
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "kernels/cpu/gemm.h"
#include "curate/dedupe.h"
#include "curate/flag.h"
#include "curate/hash.h"
#include "curate/histogram.h"
#include "curate/ingest.h"
#include "curate/normalize.h"
#include "curate/pipeline.h"
#include "curate/score.h"
#include "curate/select.h"
#include "curate/text_table.h"
#include "data/dataset.h"
#include "finecat.h"
#include "harness.h"
#include "io/safetensors.h"
#include "tasks/nli.h"
#include "util/file.h"
#include "util/lines.h"

static char temp_dir[64];

// ---------------------------------------------------------------------------------------------
// Helpers

static char *temp_path(const char *name) {
    return fc_path_join(temp_dir, name);
}

static const char *shared_path(const char *relative) {
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, sizeof paths[0], "%s/nli/%s", fc_test_shared_data_dir(), relative);
    return p;
}

static const char *model_path(const char *name) {
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, sizeof paths[0], "%s/modernbert/%s", fc_test_fixtures_dir(), name);
    return p;
}

static void write_text(const char *path, const char *text) {
    FILE *file = fopen(path, "wb");
    if (!file) {
        CHECK(!"cannot write a test file");
        return;
    }
    fputs(text, file);
    fclose(file);
}

static char *read_text(const char *path) {
    char *text = NULL;
    fc_error err;
    if (fc_read_file(path, &text, NULL, &err) != 0) return NULL;
    return text;
}

static int same_bytes(const char *a, const char *b) {
    char *x = read_text(a), *y = read_text(b);
    int same = x && y && strcmp(x, y) == 0;
    free(x);
    free(y);
    return same;
}

static size_t count_lines(const char *path) {
    char *text = read_text(path);
    size_t n = 0;
    for (const char *p = text; p && *p; p++) n += *p == '\n';
    free(text);
    return n;
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static int read_records(const char *path, fc_dataset *out) {
    fc_error err;
    if (fc_dataset_read(path, FC_FORMAT_FINECAT, NULL, out, &err) != 0) {
        fprintf(stderr, "  %s\n", err.message);
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

typedef struct row {
    const char *id, *source, *split, *premise, *hypothesis;
    int label;
    double score; // < 0: none
} row;

static void write_rows(const char *path, const row *rows, size_t n) {
    FILE *file = fopen(path, "wb");
    for (size_t i = 0; i < n; i++) {
        fc_record record = {
            .id = rows[i].id,
            .source = rows[i].source,
            .split = rows[i].split,
            .premise = rows[i].premise,
            .hypothesis = rows[i].hypothesis,
            .label = rows[i].label,
            .has_score = rows[i].score >= 0,
            .score = rows[i].score,
        };
        fc_record_write_jsonl(file, &record);
    }
    fclose(file);
}

static uint64_t count_of(const fc_count_table *table, const char *source, const char *column) {
    int c = fc_count_table_column(table, column);
    for (size_t r = 0; r < table->n_rows; r++)
        if (strcmp(table->rows[r], source) == 0 && c >= 0)
            return fc_count_table_get(table, r, (size_t)c);
    return 0;
}

// The ids of an interchange file, in order, joined by spaces.
static char *ids_of(const char *path) {
    fc_dataset data;
    if (read_records(path, &data) != 0) return strdup("");
    size_t size = 1;
    for (size_t i = 0; i < data.count; i++) size += strlen(data.records[i].id) + 1;
    char *ids = calloc(size, 1);
    for (size_t i = 0; i < data.count; i++) {
        if (i) strcat(ids, " ");
        strcat(ids, data.records[i].id);
    }
    fc_dataset_free(&data);
    return ids;
}

// ---------------------------------------------------------------------------------------------
// Normalization, hashing, the text table

static void check_text(const char *in, const char *want) {
    fc_textbuf out = {0};
    fc_error err;
    int changed = -1;
    int ok = fc_curate_normalize_text(in, &out, &changed, &err) == 0 && strcmp(out.data, want) == 0;
    if (!ok) fprintf(stderr, "  normalize \"%s\" gave \"%s\"\n", in, out.data ? out.data : "");
    CHECK(ok);
    CHECK(changed == (strcmp(in, want) != 0));
    fc_textbuf_free(&out);
}

static int keys_equal(const char *a, const char *b) {
    fc_textbuf x = {0}, y = {0};
    fc_error err;
    int ok = fc_curate_dedupe_key(a, strlen(a), &x, &err) == 0 &&
             fc_curate_dedupe_key(b, strlen(b), &y, &err) == 0;
    int equal = ok && x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
    fc_textbuf_free(&x);
    fc_textbuf_free(&y);
    return equal;
}

static void test_normalize(void) {
    check_text("A man sleeps.", "A man sleeps.");
    check_text("  A\tman \n\n sleeps.  ", "A man sleeps.");
    check_text("caf\xC3\xA9", "caf\xC3\xA9");
    check_text("cafe\xCC\x81", "caf\xC3\xA9");               // e + COMBINING ACUTE -> NFC
    check_text("a\xC2\xA0\xC2\xA0" "b\xE3\x80\x80" "c", "a b c"); // NBSP, ideographic space
    check_text("\xC2\xA0 \t", "");
    fc_textbuf out = {0};
    fc_error err;
    CHECK(fc_curate_normalize_text("bad \xff byte", &out, NULL, &err) != 0);
    fc_textbuf_free(&out);

    CHECK(keys_equal("A man, sleeping.", "a man sleeping"));
    CHECK(keys_equal("A MAN   sleeping!!", "a man sleeping"));
    CHECK(keys_equal("\xC3\x89t\xC3\xA9 \xE2\x80\x94 \xC2\xAB" "caf\xC3\xA9\xC2\xBB",
                     "\xC3\xA9t\xC3\xA9 cafe\xCC\x81"));  // case fold, dash and guillemets gone
    CHECK(keys_equal("Stra\xC3\x9F" "e", "STRASSE"));       // full case folding: sharp s
    CHECK(!keys_equal("a man sleeping", "a man sleeps"));
    CHECK(!keys_equal("cost $5", "cost 5"));                 // $ is a symbol, not punctuation
    // PTB-tokenized copies (e-SNLI's SentEval files, TextFooler) meet their raw originals.
    CHECK(keys_equal("I ca n't go , John 's car is n't here .", "I can't go, John's car isn't here."));
    CHECK(keys_equal("He said `` hi '' to me .", "He said \"hi\" to me."));
    CHECK(keys_equal("A cat -LRB- black -RRB- and -lsb- 2 -rsb- dogs", "A cat (black) and [2] dogs"));
    CHECK(keys_equal("You can not", "You cannot"));
    CHECK(keys_equal("It\xC2\xB4s", "It's"));                 // acute accent as an apostrophe
    CHECK(!keys_equal("A cat -LRB- black", "A cat LRB black x"));
    CHECK(!keys_equal("I can go", "I can't go"));            // "cant" is not "can"
    // The pair key cannot be shifted between its halves.
    fc_textbuf a = {0}, b = {0};
    CHECK(fc_curate_pair_key("ab", "c", &a, &err) == 0 && fc_curate_pair_key("a", "bc", &b, &err) == 0);
    CHECK(a.len != b.len || memcmp(a.data, b.data, a.len) != 0);
    fc_textbuf_free(&a);
    fc_textbuf_free(&b);

    CHECK(fc_curate_hash_bytes("abc", 3, 1) != fc_curate_hash_bytes("abc", 3, 2));
    uint64_t streamed = fc_curate_hash_update(fc_curate_hash_begin(5), "ab", 2);
    streamed = fc_curate_hash_end(fc_curate_hash_update(streamed, "c", 1));
    CHECK(streamed == fc_curate_hash_bytes("abc", 3, 5));
}

static void test_text_table(void) {
    fc_text_table table;
    fc_text_table_init(&table);
    int inserted;
    // Every key with the same hash: the table must still tell them apart by their bytes.
    CHECK(fc_text_table_insert(&table, "alpha", 5, 42, &inserted) == 0 && inserted);
    CHECK(fc_text_table_insert(&table, "beta", 4, 42, &inserted) == 1 && inserted);
    CHECK(fc_text_table_insert(&table, "alpha", 5, 42, &inserted) == 0 && !inserted);
    CHECK(fc_text_table_find(&table, "beta", 4, 42) == 1);
    CHECK(fc_text_table_find(&table, "gamma", 5, 42) == -1);
    CHECK(fc_text_table_insert(&table, "", 0, 42, &inserted) == 2 && inserted);
    // Many keys through several growths, half of them colliding in pairs.
    char key[32];
    int ok = 1;
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(key, sizeof key, "key-%d", i);
        uint64_t hash = fc_curate_hash_bytes(key, (size_t)n, 0) & ~(uint64_t)1;
        ok &= fc_text_table_insert(&table, key, (size_t)n, hash, &inserted) == 3 + i && inserted;
    }
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(key, sizeof key, "key-%d", i);
        uint64_t hash = fc_curate_hash_bytes(key, (size_t)n, 0) & ~(uint64_t)1;
        ok &= fc_text_table_find(&table, key, (size_t)n, hash) == 3 + i;
    }
    CHECK(ok);
    CHECK(table.n_entries == 20003);
    fc_text_table_free(&table);
}

// ---------------------------------------------------------------------------------------------
// Ingest: the real files

typedef struct source_counts {
    const char *source;
    uint64_t read, kept, no_gold, discard;
    size_t labels[FC_LABEL_COUNT];
} source_counts;

// MANIFEST.md's rows and labels, summed per source over the files below.
static const source_counts manifest_counts[] = {
    // R1-R3 dev and test: 334/333/333 x 4 and 402/402/396 x 2.
    {"anli", 6400, 6400, 0, 0, {2140, 2136, 2124}},
    // csv dev 3329/3235/3278, csv test 3366/3217/3235, SentEval dev (same as csv dev) and test
    // 3368/3219/3237, the five 10-row native prefixes 4/3/3, 4/3/3, 3/4/3, 3/4/3, 3/4/3.
    {"snli", 39376, 39376, 0, 0, {13409, 12924, 13043}},
    // dev subset 371/274/345 + 10 "-", train sample 380/280/340, TextFooler 373/311/316 and
    // 346/319/335.
    {"mnli", 4000, 3990, 10, 0, {1470, 1184, 1336}},
    // val LotS 851/827/790, val LitL 879/768/778, train LotS and LitL 999 and 1001 each.
    {"lingnli", 10893, 10893, 0, 0, {3730, 3595, 3568}},
    // train sample 44/43/13; annotation sample 35/41/17 and 7 "discard".
    {"wanli", 200, 193, 0, 7, {79, 84, 30}},
};

static const char *const real_files[] = {
    "anli/anli_v0.1/R1/dev.jsonl", "anli/anli_v0.1/R1/test.jsonl",
    "anli/anli_v0.1/R2/dev.jsonl", "anli/anli_v0.1/R2/test.jsonl",
    "anli/anli_v0.1/R3/dev.jsonl", "anli/anli_v0.1/R3/test.jsonl",
    "snli/csv_export/snli_dev.csv", "snli/csv_export/snli_test.csv",
    "snli/esnli_senteval/dev", "snli/esnli_senteval/s1.test",
    "snli/native_fixture/snli_1.0_dev.jsonl", "snli/native_fixture/snli_1.0_dev.txt",
    "snli/native_fixture/snli_1.0_test.jsonl", "snli/native_fixture/snli_1.0_test.txt",
    "snli/native_fixture/snli_1.0_train.jsonl",
    "mnli/native_subsets/multinli_dev_matched_subset1000.jsonl",
    "mnli/native_subsets/multinli_train_sample1000.jsonl",
    "mnli/textfooler_tokenized/mnli_matched.tsv", "mnli/textfooler_tokenized/mnli_mismatched.tsv",
    "lingnli/val_round5_LotS_combined.jsonl", "lingnli/val_round5_LitL_combined.jsonl",
    "lingnli/train_round1_LotS.jsonl", "lingnli/train_round1_LitL.jsonl",
    "wanli/train_sample.jsonl", "wanli/anonymized_annotations_sample.jsonl",
};
enum { N_REAL_FILES = sizeof real_files / sizeof real_files[0] };

static char *bigcat_path; // the ingest of every real file, reused by later tests

static void test_ingest_real_files(void) {
    fc_ingest_input inputs[N_REAL_FILES];
    char *paths[N_REAL_FILES];
    for (size_t i = 0; i < N_REAL_FILES; i++) {
        paths[i] = strdup(shared_path(real_files[i]));
        inputs[i] = (fc_ingest_input){.path = paths[i]};
    }
    bigcat_path = temp_path("bigcat.jsonl");
    fc_ingest_stats stats;
    fc_error err;
    int status = fc_curate_ingest(inputs, N_REAL_FILES, bigcat_path, NULL, &stats, &err);
    if (status != 0) fprintf(stderr, "  ingest: %s\n", err.message);
    CHECK(status == 0);
    CHECK(stats.n_files == N_REAL_FILES);

    fc_dataset data;
    CHECK(read_records(bigcat_path, &data) == 0);
    CHECK(data.count == stats.written);
    for (size_t s = 0; s < sizeof manifest_counts / sizeof manifest_counts[0]; s++) {
        const source_counts *want = &manifest_counts[s];
        const fc_count_table *t = &stats.by_source;
        int ok = count_of(t, want->source, "read") == want->read &&
                 count_of(t, want->source, "kept") == want->kept &&
                 count_of(t, want->source, "dropped") == want->read - want->kept &&
                 count_of(t, want->source, "gold label -") == want->no_gold &&
                 count_of(t, want->source, "gold label discard") == want->discard;
        size_t labels[FC_LABEL_COUNT] = {0};
        for (size_t i = 0; i < data.count; i++)
            if (strcmp(data.records[i].source, want->source) == 0) labels[data.records[i].label]++;
        for (int l = 0; l < FC_LABEL_COUNT; l++) ok &= labels[l] == want->labels[l];
        if (!ok)
            fprintf(stderr, "  %s: read %llu kept %llu, labels %zu/%zu/%zu\n", want->source,
                    (unsigned long long)count_of(t, want->source, "read"),
                    (unsigned long long)count_of(t, want->source, "kept"), labels[0], labels[1],
                    labels[2]);
        CHECK(ok);
    }
    // Splits from the file names; the TextFooler files name none.
    // (Only when ingest read every file: a failed ingest is counted above, not a crash here.)
    int all_files = stats.files && stats.n_files >= 18;
    CHECK(all_files);
    CHECK(all_files && strcmp(stats.files[0].split, "dev") == 0 &&
          strcmp(stats.files[1].split, "test") == 0);
    CHECK(all_files && strcmp(stats.files[17].split, "") == 0);
    CHECK(all_files && stats.files[15].read == 1000 && stats.files[15].kept == 990);

    // Every text normalized: no blank ends, no double or non-ASCII spaces; ids unique.
    fc_text_table ids;
    fc_text_table_init(&ids);
    int clean = 1, unique = 1;
    for (size_t i = 0; i < data.count; i++) {
        const fc_record *r = &data.records[i];
        const char *texts[2] = {r->premise, r->hypothesis};
        for (int t = 0; t < 2; t++) {
            size_t n = strlen(texts[t]);
            clean &= n > 0 && texts[t][0] != ' ' && texts[t][n - 1] != ' ' &&
                     !strstr(texts[t], "  ") && !strchr(texts[t], '\t') &&
                     !strstr(texts[t], "\xC2\xA0");
        }
        int inserted;
        fc_text_table_insert(&ids, r->id, strlen(r->id),
                             fc_curate_hash_bytes(r->id, strlen(r->id), 0), &inserted);
        unique &= inserted;
    }
    CHECK(clean);
    CHECK(unique);
    // MultiNLI's texts hold runs of spaces (and its parses): normalization counts the rows.
    CHECK(count_of(&stats.by_source, "mnli", "normalized") > 0);
    fc_text_table_free(&ids);
    fc_dataset_free(&data);
    fc_ingest_stats_free(&stats);
    // Same inputs, same bytes.
    char *again = temp_path("bigcat_again.jsonl");
    CHECK(fc_curate_ingest(inputs, N_REAL_FILES, again, NULL, &stats, &err) == 0);
    CHECK(same_bytes(bigcat_path, again));
    fc_ingest_stats_free(&stats);
    free(again);
    for (size_t i = 0; i < N_REAL_FILES; i++) free(paths[i]);
}

// The canonical label of a native label value, by the sources' own documentation.
static int native_label(const char *value) {
    static const char *const names[][2] = {{"e", "entailment"}, {"n", "neutral"},
                                           {"c", "contradiction"}};
    for (int l = 0; l < FC_LABEL_COUNT; l++)
        if (strcmp(value, names[l][0]) == 0 || strcmp(value, names[l][1]) == 0) return l;
    return -1;
}

static int ingest_one(const char *path, const char *output) {
    fc_ingest_input input = {.path = path};
    fc_ingest_stats stats;
    fc_error err;
    int status = fc_curate_ingest(&input, 1, output, NULL, &stats, &err);
    if (status != 0) fprintf(stderr, "  %s\n", err.message);
    fc_ingest_stats_free(&stats);
    return status;
}

// Row by row: each native JSONL line's label (its own member, read here with cJSON) and id
// against the ingested record at the same position; rows the source marks "-" or "discard"
// are the ones missing.
static void check_jsonl_labels(const char *relative, const char *label_key, const char *id_key) {
    char *out = temp_path("one.jsonl");
    CHECK(ingest_one(shared_path(relative), out) == 0);
    fc_dataset data;
    int read_ok = read_records(out, &data) == 0;
    CHECK(read_ok);
    FILE *file = fopen(shared_path(relative), "rb");
    if (!read_ok || !file) { // the shared data is missing: the checks above failed, stop here
        if (read_ok) fc_dataset_free(&data);
        if (file) fclose(file);
        free(out);
        return;
    }
    fc_line_reader lines;
    fc_line_reader_init(&lines, file, relative);
    char *line;
    size_t length, at = 0, mismatches = 0, rows = 0;
    fc_error err;
    while (fc_line_reader_next(&lines, &line, &length, &err) == 1) {
        cJSON *json = cJSON_ParseWithLength(line, length);
        const cJSON *label = cJSON_GetObjectItemCaseSensitive(json, label_key);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(json, id_key);
        rows++;
        int want = cJSON_IsString(label) ? native_label(label->valuestring) : -1;
        if (want >= 0) {
            char id_text[64];
            if (cJSON_IsString(id)) snprintf(id_text, sizeof id_text, "%s", id->valuestring);
            else snprintf(id_text, sizeof id_text, "%.0f", id ? id->valuedouble : -1.0);
            // A repeated id comes out with "#k" appended (ingest makes ids unique).
            size_t n = strlen(id_text);
            if (at >= data.count || data.records[at].label != want ||
                strncmp(data.records[at].id, id_text, n) != 0 ||
                (data.records[at].id[n] != '\0' && data.records[at].id[n] != '#'))
                mismatches++;
            at++;
        }
        cJSON_Delete(json);
    }
    fc_line_reader_free(&lines);
    fclose(file);
    if (mismatches || at != data.count)
        fprintf(stderr, "  %s: %zu mismatches, %zu labeled rows, %zu ingested\n", relative,
                mismatches, at, data.count);
    CHECK(mismatches == 0 && at == data.count && rows > 0);
    fc_dataset_free(&data);
    free(out);
}

static void test_label_mapping_rows(void) {
    check_jsonl_labels("anli/anli_v0.1/R1/dev.jsonl", "label", "uid");           // e/n/c
    check_jsonl_labels("anli/anli_v0.1/R3/test.jsonl", "label", "uid");
    check_jsonl_labels("wanli/train_sample.jsonl", "gold", "id");                // `gold`
    check_jsonl_labels("wanli/anonymized_annotations_sample.jsonl", "gold", "id"); // discard
    check_jsonl_labels("lingnli/train_round1_LotS.jsonl", "label", "pairID");
    check_jsonl_labels("lingnli/val_round5_LitL_combined.jsonl", "label", "pairID");
    check_jsonl_labels("mnli/native_subsets/multinli_dev_matched_subset1000.jsonl", "gold_label",
                       "pairID"); // with 10 "-"
    check_jsonl_labels("snli/native_fixture/snli_1.0_test.jsonl", "gold_label", "pairID");

    // SNLI's CSV export against e-SNLI's labels.dev, line for line (MANIFEST 1.2a: the same
    // 9,842 rows in the official order).
    char *out = temp_path("one.jsonl");
    CHECK(ingest_one(shared_path("snli/csv_export/snli_dev.csv"), out) == 0);
    fc_dataset data;
    CHECK(read_records(out, &data) == 0);
    char *labels = read_text(shared_path("snli/esnli_senteval/labels.dev"));
    size_t at = 0, mismatches = 0;
    for (char *word = labels ? strtok(labels, "\n") : NULL; word; word = strtok(NULL, "\n")) {
        size_t n = strlen(word);
        while (n && (word[n - 1] == ' ' || word[n - 1] == '\r')) word[--n] = '\0';
        if (at >= data.count || data.records[at].label != native_label(word)) mismatches++;
        at++;
    }
    CHECK(at == 9842 && data.count == 9842 && mismatches == 0);
    free(labels);
    fc_dataset_free(&data);
    free(out);
}

// NLI-FEVER is not in shared/data: synthetic rows in both of its layouts.
static void test_ingest_nli_fever(void) {
    char *path = temp_path("nli_fever_dev.jsonl");
    write_text(path,
               "{\"cid\": 1, \"fid\": \"a\", \"query\": \"Paris is in France.\", \"context\": "
               "\"Paris is the capital of France.\", \"label\": \"SUPPORTS\"}\n"
               "{\"cid\": 2, \"fid\": \"b\", \"query\": \"Paris is in Spain.\", \"context\": "
               "\"Paris is the capital of France.\", \"label\": \"REFUTES\"}\n"
               "{\"cid\": 3, \"fid\": \"c\", \"query\": \"Paris is old.\", \"context\": "
               "\"Paris  is\\tbig.\", \"label\": \"NOT ENOUGH INFO\"}\n"
               "{\"cid\": 4, \"fid\": \"d\", \"query\": \"Hidden.\", \"context\": \"Label "
               "hidden in the original release.\"}\n"
               "{\"cid\": 5, \"fid\": \"e\", \"query\": \"\\u00a0\\u3000\", \"context\": "
               "\"Only spaces in the claim.\", \"label\": \"SUPPORTS\"}\n"
               "{\"cid\": 1, \"fid\": \"f\", \"query\": \"Caf\\u0065\\u0301s close.\", "
               "\"context\": \"A repeated cid.\", \"label\": \"supports\"}\n");
    char *out = temp_path("fever.jsonl");
    fc_ingest_input input = {.path = path};
    fc_ingest_stats stats;
    fc_error err;
    CHECK(fc_curate_ingest(&input, 1, out, NULL, &stats, &err) == 0);
    CHECK(count_of(&stats.by_source, "nli_fever", "read") == 6);
    CHECK(count_of(&stats.by_source, "nli_fever", "kept") == 4);
    CHECK(count_of(&stats.by_source, "nli_fever", "no label") == 1);
    CHECK(count_of(&stats.by_source, "nli_fever", "empty text") == 1); // empty once normalized
    CHECK(count_of(&stats.by_source, "nli_fever", "id renamed") == 1);
    CHECK(count_of(&stats.by_source, "nli_fever", "normalized") == 2);
    fc_dataset data;
    CHECK(read_records(out, &data) == 0 && data.count == 4);
    if (data.count == 4) {
        const fc_record *r = data.records;
        CHECK(r[0].label == FC_LABEL_ENTAILMENT && r[1].label == FC_LABEL_CONTRADICTION &&
              r[2].label == FC_LABEL_NEUTRAL && r[3].label == FC_LABEL_ENTAILMENT);
        // The claim (query) is the hypothesis, the evidence (context) the premise.
        CHECK(strcmp(r[0].hypothesis, "Paris is in France.") == 0);
        CHECK(strcmp(r[0].premise, "Paris is the capital of France.") == 0);
        CHECK(strcmp(r[2].premise, "Paris is big.") == 0);
        CHECK(strcmp(r[3].hypothesis, "Caf\xC3\xA9s close.") == 0); // NFC
        CHECK(strcmp(r[0].id, "1") == 0 && strcmp(r[3].id, "1#2") == 0);
        CHECK(strcmp(r[0].source, "nli_fever") == 0 && strcmp(r[0].split, "dev") == 0);
    }
    fc_dataset_free(&data);
    fc_ingest_stats_free(&stats);
    // A source and split given with the input win over the file's.
    char spec[600];
    snprintf(spec, sizeof spec, "fever:train=%s", path);
    CHECK(fc_ingest_parse_spec(spec, &input, &err) == 0);
    CHECK(strcmp(input.source, "fever") == 0 && strcmp(input.split, "train") == 0 &&
          strcmp(input.path, path) == 0);
    CHECK(fc_curate_ingest(&input, 1, out, NULL, &stats, &err) == 0);
    CHECK(count_of(&stats.by_source, "fever", "kept") == 4);
    fc_ingest_stats_free(&stats);
    // A bad row fails the run (FILE:LINE), or is skipped and counted with on_error skip.
    write_text(path, "{\"cid\": 1, \"query\": \"a\", \"context\": \"b\", \"label\": \"SUPPORTS\"}\n"
                     "{\"cid\": 2, \"query\": \"a\", \"context\": \"b\", \"label\": \"MAYBE\"}\n");
    CHECK(fc_curate_ingest(&input, 1, out, NULL, &stats, &err) != 0 && strstr(err.message, ":2:"));
    fc_ingest_stats_free(&stats);
    fc_ingest_options options = fc_ingest_default_options();
    options.on_error = FC_ON_ERROR_SKIP;
    CHECK(fc_curate_ingest(&input, 1, out, &options, &stats, &err) == 0);
    CHECK(count_of(&stats.by_source, "fever", "unknown label") == 1);
    fc_ingest_stats_free(&stats);
    free(path);
    free(out);
}

// ---------------------------------------------------------------------------------------------
// Dedupe

static const row planted[] = {
    {"a1", "snli", "train", "A man sleeps.", "A person rests.", FC_LABEL_ENTAILMENT, -1},
    {"a2", "snli", "train", "A man sleeps.", "A person rests.", FC_LABEL_ENTAILMENT, -1},
    {"a3", "mnli", "train", "a man  sleeps", "A PERSON rests!", FC_LABEL_ENTAILMENT, -1},
    {"b1", "mnli", "train", "Dogs bark.", "Animals make noise.", FC_LABEL_ENTAILMENT, -1},
    {"b2", "wanli", "train", "dogs bark", "animals make noise", FC_LABEL_CONTRADICTION, -1},
    {"c1", "anli", "dev", "The sky is blue.", "The sky has a color.", FC_LABEL_ENTAILMENT, -1},
    {"c2", "anli", "train", "the sky is blue", "The sky has a color", FC_LABEL_ENTAILMENT, -1},
    {"c3", "snli", "train", "The sky is blue.", "The sky has a color.", FC_LABEL_NEUTRAL, -1},
    {"d1", "lingnli", "train", "Cats purr.", "Cats are happy.", FC_LABEL_NEUTRAL, -1},
    {"e1", "lingnli", "train", "Birds sing.", "Birds make sounds.", FC_LABEL_ENTAILMENT, -1},
    {"f1", "lingnli", "val", "Fish swim.", "Fish move.", FC_LABEL_ENTAILMENT, -1},
    {"f2", "lingnli", "val", "Fish swim.", "Fish move.", FC_LABEL_ENTAILMENT, -1},
    {"g1", "snli", "", "Trees grow.", "Plants grow.", FC_LABEL_ENTAILMENT, -1},
};

static void test_dedupe_planted(void) {
    char *input = temp_path("planted.jsonl");
    write_rows(input, planted, sizeof planted / sizeof planted[0]);
    char *eval = temp_path("eval.jsonl"); // a generic JSONL reference (another format)
    write_text(eval, "{\"premise\": \"Cats purr!\", \"hypothesis\": \"cats are HAPPY\"}\n");
    char *out = temp_path("deduped.jsonl"), *again = temp_path("deduped2.jsonl");
    fc_dedupe_options options = fc_dedupe_default_options();
    const char *eval_files[] = {eval};
    options.eval_files = eval_files;
    options.n_eval_files = 1;
    fc_dedupe_stats stats;
    fc_error err;
    CHECK(fc_curate_dedupe(input, out, &options, &stats, &err) == 0);
    char *ids = ids_of(out);
    CHECK(strcmp(ids, "a1 b1 e1 g1") == 0);
    if (strcmp(ids, "a1 b1 e1 g1") != 0) fprintf(stderr, "  kept %s\n", ids);
    free(ids);
    const fc_count_table *t = &stats.by_source;
    CHECK(count_of(t, "snli", "exact duplicate") == 1);          // a2
    CHECK(count_of(t, "mnli", "near duplicate") == 1);           // a3
    CHECK(count_of(t, "mnli", "of which cross-source") == 1);
    CHECK(count_of(t, "wanli", "near duplicate") == 1);          // b2
    CHECK(count_of(t, "wanli", "of which cross-source") == 1);
    CHECK(count_of(t, "snli", "of which cross-source") == 0);
    CHECK(count_of(t, "anli", "leaked (eval)") == 1);            // c2
    CHECK(count_of(t, "snli", "leaked (eval)") == 1);            // c3
    CHECK(count_of(t, "lingnli", "leaked (eval)") == 1);         // d1, by the eval file
    CHECK(count_of(t, "mnli", "label conflict flagged") == 1);   // b1
    CHECK(count_of(t, "anli", "eval rows") == 1 && count_of(t, "lingnli", "eval rows") == 2);
    CHECK(stats.conflict_keys == 1 && stats.eval_file_rows == 1 && stats.written == 4);
    fc_dataset data;
    CHECK(read_records(out, &data) == 0 && data.count == 4);
    if (data.count == 4) {
        CHECK(data.records[0].flags == NULL);
        CHECK(data.records[1].flags &&
              strcmp(data.records[1].flags, "{\"label_conflict\":{\"labels\":{\"entailment\":1,"
                                            "\"contradiction\":1},\"rows\":2}}") == 0);
        CHECK(data.records[1].label == FC_LABEL_ENTAILMENT); // its own label: nothing merged
    }
    fc_dataset_free(&data);
    fc_dedupe_stats_free(&stats);
    // Same input, same bytes.
    CHECK(fc_curate_dedupe(input, again, &options, &stats, &err) == 0);
    CHECK(same_bytes(out, again));
    fc_dedupe_stats_free(&stats);
    // Evaluation rows written through, not deduplicated; conflicts dropped whole.
    options.keep_eval = 1;
    options.on_conflict = FC_CONFLICT_DROP;
    CHECK(fc_curate_dedupe(input, out, &options, &stats, &err) == 0);
    ids = ids_of(out);
    CHECK(strcmp(ids, "a1 c1 e1 f1 f2 g1") == 0);
    free(ids);
    CHECK(count_of(&stats.by_source, "mnli", "label conflict dropped") == 1);
    fc_dedupe_stats_free(&stats);
    // Other evaluation splits: with only "dev", the val rows are training rows.
    options = fc_dedupe_default_options();
    options.eval_splits = "dev";
    CHECK(fc_curate_dedupe(input, out, &options, &stats, &err) == 0);
    ids = ids_of(out);
    CHECK(strcmp(ids, "a1 b1 d1 e1 f1 g1") == 0);
    free(ids);
    fc_dedupe_stats_free(&stats);
    free(input);
    free(eval);
    free(out);
    free(again);
}

// SNLI dev rows planted into a training file, some with their case and spacing changed: every
// one must go, and only those.
static void test_dedupe_snli_leak(void) {
    fc_dataset dev;
    fc_error err;
    const char *dev_path = shared_path("snli/csv_export/snli_dev.csv");
    int dev_read = fc_dataset_read(dev_path, FC_FORMAT_AUTO, NULL, &dev, &err) == 0;
    CHECK(dev_read);
    if (!dev_read) return; // the shared data is missing: no rows to plant
    enum { PLANTED = 60, OWN = 25 };
    row rows[PLANTED + OWN];
    char ids[PLANTED + OWN][32], premises[PLANTED][512], own[OWN][64];
    for (int i = 0; i < PLANTED && (size_t)i < dev.count; i++) {
        const fc_record *r = &dev.records[i * 97];
        snprintf(ids[i], sizeof ids[i], "plant-%d", i);
        snprintf(premises[i], sizeof premises[i], "%s", r->premise);
        if (i % 2) // half of them made upper case and spaced out: near duplicates
            for (char *p = premises[i]; *p; p++) *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        if (i % 3 == 0) strncat(premises[i], "  ", sizeof premises[i] - strlen(premises[i]) - 1);
        rows[i] = (row){ids[i], "snli", "train", premises[i], r->hypothesis, r->label, -1};
    }
    for (int i = 0; i < OWN; i++) {
        snprintf(ids[PLANTED + i], sizeof ids[0], "own-%d", i);
        snprintf(own[i], sizeof own[i], "A unique training premise number %d.", i);
        rows[PLANTED + i] = (row){ids[PLANTED + i], "snli", "train", own[i], "Something.",
                                  FC_LABEL_NEUTRAL, -1};
    }
    char *input = temp_path("snli_train_planted.jsonl"), *out = temp_path("snli_clean.jsonl");
    write_rows(input, rows, PLANTED + OWN);
    fc_dedupe_options options = fc_dedupe_default_options();
    options.eval_files = &dev_path;
    options.n_eval_files = 1;
    fc_dedupe_stats stats;
    CHECK(fc_curate_dedupe(input, out, &options, &stats, &err) == 0);
    CHECK(count_of(&stats.by_source, "snli", "leaked (eval)") == PLANTED);
    CHECK(count_of(&stats.by_source, "snli", "kept") == OWN);
    CHECK(stats.eval_file_rows == 9842);
    CHECK(count_lines(out) == OWN);
    fc_dedupe_stats_free(&stats);
    fc_dataset_free(&dev);
    free(input);
    free(out);
}

// The id key: TaxiNLI keeps MultiNLI's pairID, so a row whose text drifted (mojibake) still
// meets its MNLI evaluation row by id, with every duplicate of its text; ingest's "#k" does not
// hide an id; LingNLI's look-alike ids and TextFooler's row numbers never match.
static void test_dedupe_ids(void) {
    static const row rows[] = {
        {"63735n", "taxinli", "", "The cat sat on the mat\xC3\x82.", "A cat sits.", FC_LABEL_NEUTRAL, -1},
        {"8608e", "mnli", "train", "the cat sat on the mat\xC3\x82", "A cat sits", FC_LABEL_NEUTRAL, -1},
        {"63735n#2", "taxinli", "", "Something else.", "Else.", FC_LABEL_NEUTRAL, -1},
        {"63735n#3", "lingnli", "train", "Different.", "Diff.", FC_LABEL_NEUTRAL, -1},
        {"1", "taxinli", "", "Kept text.", "Kept.", FC_LABEL_ENTAILMENT, -1},
    };
    char *input = temp_path("ids.jsonl"), *out = temp_path("ids_out.jsonl");
    write_rows(input, rows, sizeof rows / sizeof rows[0]);
    char *mnli = temp_path("mnli_dev.jsonl"), *textfooler = temp_path("mnli_matched.tsv");
    write_text(mnli, "{\"id\": \"63735n\", \"source\": \"mnli\", \"split\": \"dev\", \"premise\": "
                     "\"The cat sat on the mat.\", \"hypothesis\": \"A cat is sitting.\", "
                     "\"label\": \"neutral\"}\n");
    write_text(textfooler, "neutral\tUnrelated premise .\tUnrelated hypothesis .\n");
    const char *evals[] = {mnli, textfooler};
    fc_dedupe_options options = fc_dedupe_default_options();
    options.eval_files = evals;
    options.n_eval_files = 2;
    fc_dedupe_stats stats;
    fc_error err;
    CHECK(fc_curate_dedupe(input, out, &options, &stats, &err) == 0); // no id_sources: text only
    CHECK(stats.written == 4 && stats.eval_ids == 0); // the mnli row is a text duplicate
    fc_dedupe_stats_free(&stats);
    options.id_sources = "mnli,taxinli";
    CHECK(fc_curate_dedupe(input, out, &options, &stats, &err) == 0);
    char *ids = ids_of(out);
    CHECK(strcmp(ids, "63735n#3 1") == 0);
    if (strcmp(ids, "63735n#3 1") != 0) fprintf(stderr, "  kept %s\n", ids);
    free(ids);
    CHECK(count_of(&stats.by_source, "taxinli", "leaked (eval id)") == 2);
    CHECK(count_of(&stats.by_source, "mnli", "leaked (eval id)") == 1); // the text duplicate
    CHECK(count_of(&stats.by_source, "taxinli", "leaked (eval)") == 0);
    CHECK(stats.eval_ids == 1); // TextFooler's row number "1" is no pairID
    fc_dedupe_stats_free(&stats);
    free(input);
    free(out);
    free(mnli);
    free(textfooler);
}

// Dedupe over the whole real ingest: the counts add up, and the leaks that the data holds are
// found: the ten SNLI native dev rows are the first ten rows of the CSV dev export, and
// TextFooler's MNLI files (no split in their names: training) come from MNLI's dev set.
static void test_dedupe_real(void) {
    char *out = temp_path("bigcat_deduped.jsonl");
    // Re-tag the native dev prefix as training data, as a careless BigCat might.
    fc_ingest_input inputs[N_REAL_FILES];
    char *paths[N_REAL_FILES];
    for (size_t i = 0; i < N_REAL_FILES; i++) {
        paths[i] = strdup(shared_path(real_files[i]));
        inputs[i] = (fc_ingest_input){.path = paths[i]};
        if (strstr(real_files[i], "snli_1.0_dev.jsonl")) inputs[i].split = "train";
    }
    char *planted_bigcat = temp_path("bigcat_retagged.jsonl");
    fc_ingest_stats ingest;
    fc_error err;
    CHECK(fc_curate_ingest(inputs, N_REAL_FILES, planted_bigcat, NULL, &ingest, &err) == 0);
    fc_ingest_stats_free(&ingest);
    fc_dedupe_stats stats;
    CHECK(fc_curate_dedupe(planted_bigcat, out, NULL, &stats, &err) == 0);
    const fc_count_table *t = &stats.by_source;
    int adds_up = 1;
    for (size_t r = 0; r < t->n_rows; r++) {
        uint64_t got = 0;
        for (int c = FC_DEDUPE_KEPT; c < FC_DEDUPE_COLUMNS; c++)
            if (c != FC_DEDUPE_CROSS_SOURCE && c != FC_DEDUPE_CONFLICT_FLAGGED)
                got += fc_count_table_get(t, r, (size_t)c);
        adds_up &= got == fc_count_table_get(t, r, FC_DEDUPE_ROWS);
    }
    CHECK(adds_up);
    CHECK(count_of(t, "snli", "leaked (eval)") == 10);
    CHECK(count_of(t, "snli", "kept") == 10); // the native train prefix
    CHECK(count_of(t, "mnli", "leaked (eval)") > 0);
    CHECK(count_lines(out) == stats.written);
    fc_dedupe_stats_free(&stats);
    for (size_t i = 0; i < N_REAL_FILES; i++) free(paths[i]);
    free(planted_bigcat);
    free(out);
}

// ---------------------------------------------------------------------------------------------
// Score and teacher

static char *small_input; // ~400 real training rows for the model stages

static void make_small_input(void) {
    small_input = temp_path("small.jsonl");
    char *all = temp_path("small_all.jsonl");
    CHECK(ingest_one(shared_path("lingnli/train_round1_LotS.jsonl"), all) == 0);
    fc_dataset data;
    CHECK(read_records(all, &data) == 0);
    FILE *file = fopen(small_input, "wb");
    for (size_t i = 0; i < data.count && i < 400; i++) fc_record_write_jsonl(file, &data.records[i]);
    fclose(file);
    fc_dataset_free(&data);
    free(all);
}

static fc_model_pass_options pass_options(size_t shard_size) {
    fc_model_pass_options options = fc_model_pass_default_options();
    options.shard_size = shard_size;
    options.batch_size = 16;
    return options;
}

static int score_file(const char *input, const char *output, const char *model,
                      const fc_model_pass_options *options, fc_model_pass_stats *stats) {
    fc_error err;
    fc_model_pass_stats local;
    if (!stats) stats = &local;
    int status = fc_curate_score(input, output, model, options, stats, &err);
    if (status != 0) fprintf(stderr, "  score: %s\n", err.message);
    if (stats == &local) fc_model_pass_stats_free(&local);
    return status;
}

// pilot_logits in canonical order: the model (id2label contradiction, entailment, neutral) run
// directly, each logit moved to its label's canonical place by name.
static void test_score_values(void) {
    char *out = temp_path("scored.jsonl");
    fc_model_pass_options options = pass_options(150);
    fc_model_pass_stats stats;
    CHECK(score_file(small_input, out, model_path("tiny-mean"), &options, &stats) == 0);
    CHECK(stats.rows == 400 && stats.shards == 3 && stats.shards_computed == 3);
    CHECK(fc_model_pass_samples_per_second(&stats) > 0);
    char *work = temp_path("scored.jsonl.shards");
    CHECK(!exists(work)); // the work folder is gone when done
    free(work);
    fc_model_pass_stats_free(&stats);

    fc_dataset data;
    CHECK(read_records(out, &data) == 0 && data.count == 400);
    fc_model *model = NULL;
    fc_error err;
    CHECK(fc_model_load(model_path("tiny-mean"), &model, &err) == 0);
    enum { N = 40 };
    if (data.count < N) { // no scored file (the shared data is missing): the checks above failed
        fc_dataset_free(&data);
        fc_model_free(model);
        free(out);
        return;
    }
    fc_pair pairs[N];
    for (int i = 0; i < N; i++) pairs[i] = (fc_pair){data.records[i].premise, data.records[i].hypothesis};
    float logits[N * 3];
    fc_nli_options nli = fc_nli_default_options();
    CHECK(fc_nli_logits(model, pairs, N, &nli, logits, &err) == 0);
    CHECK(fc_model_canonical_label(model, 0) == FC_LABEL_CONTRADICTION);
    FILE *file = fopen(out, "rb");
    fc_line_reader lines;
    fc_line_reader_init(&lines, file, out);
    char *line;
    size_t length;
    int ok = 1;
    for (int i = 0; i < N && fc_line_reader_next(&lines, &line, &length, &err) == 1; i++) {
        cJSON *json = cJSON_ParseWithLength(line, length);
        const cJSON *pilot = cJSON_GetObjectItemCaseSensitive(json, "pilot_logits");
        float canonical[3];
        for (int id = 0; id < 3; id++) {
            int c = fc_model_canonical_label(model, id);
            canonical[c] = (float)cJSON_GetArrayItem(pilot, c)->valuedouble;
            ok &= fabsf(canonical[c] - logits[i * 3 + id]) < 1e-4f;
        }
        float probs[3];
        fc_softmax(canonical, 3, probs);
        ok &= fabs(data.records[i].score - probs[data.records[i].label]) < 1e-6;
        ok &= data.records[i].has_score;
        cJSON_Delete(json);
    }
    CHECK(ok);
    fc_line_reader_free(&lines);
    fclose(file);
    fc_model_free(model);
    fc_dataset_free(&data);
    free(out);
}

// The same weights with the labels in another order (classifier rows and id2label permuted
// together) must give the same canonical logits and scores: labels are matched by name.
static int write_permuted_model(const char *dir, const int perm[3]) {
    const char *src = model_path("tiny-mean");
    mkdir(dir, 0777);
    static const char *const copied[] = {"tokenizer.json", "tokenizer_config.json",
                                         "special_tokens_map.json"};
    for (size_t i = 0; i < 3; i++) {
        char *from = fc_path_join(src, copied[i]), *to = fc_path_join(dir, copied[i]);
        char *text = read_text(from);
        if (text) write_text(to, text);
        free(text);
        free(from);
        free(to);
    }
    char *config_path = fc_path_join(src, "config.json");
    char *text = read_text(config_path);
    free(config_path);
    cJSON *config = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!config) return -1;
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(config, "id2label");
    char names[3][32], key[16];
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof key, "%d", i);
        snprintf(names[i], sizeof names[i], "%s",
                 cJSON_GetObjectItemCaseSensitive(old, key)->valuestring);
    }
    cJSON *id2label = cJSON_CreateObject(), *label2id = cJSON_CreateObject();
    for (int j = 0; j < 3; j++) {
        snprintf(key, sizeof key, "%d", j);
        cJSON_AddStringToObject(id2label, key, names[perm[j]]);
        cJSON_AddNumberToObject(label2id, names[perm[j]], j);
    }
    cJSON_ReplaceItemInObjectCaseSensitive(config, "id2label", id2label);
    cJSON_ReplaceItemInObjectCaseSensitive(config, "label2id", label2id);
    char *printed = cJSON_Print(config);
    char *to = fc_path_join(dir, "config.json");
    write_text(to, printed);
    free(to);
    cJSON_free(printed);
    cJSON_Delete(config);

    fc_safetensors *st;
    fc_error err;
    if (fc_safetensors_open_dir(src, &st, &err) != 0) return -1;
    size_t n = fc_safetensors_count(st);
    fc_tensor_out *tensors = calloc(n, sizeof *tensors);
    float *permuted[2] = {NULL, NULL};
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        const fc_tensor *t = fc_safetensors_at(st, i);
        tensors[i] = (fc_tensor_out){.name = t->name, .dtype = t->dtype, .ndim = t->ndim,
                                     .data = t->data};
        memcpy(tensors[i].shape, t->shape, sizeof t->shape);
        int is_weight = strcmp(t->name, "classifier.weight") == 0;
        if (!is_weight && strcmp(t->name, "classifier.bias") != 0) continue;
        if (t->dtype != FC_DTYPE_F32 || t->shape[0] != 3) {
            status = -1;
            continue;
        }
        size_t width = t->ndim == 2 ? (size_t)t->shape[1] : 1;
        float *rows = malloc(3 * width * sizeof *rows);
        for (int j = 0; j < 3; j++)
            memcpy(rows + (size_t)j * width, (const float *)t->data + (size_t)perm[j] * width,
                   width * sizeof *rows);
        permuted[is_weight] = rows;
        tensors[i].data = rows;
    }
    char *weights = fc_path_join(dir, "model.safetensors");
    if (status == 0) status = fc_safetensors_write(weights, tensors, n, &err);
    free(weights);
    free(permuted[0]);
    free(permuted[1]);
    free(tensors);
    fc_safetensors_close(st);
    return status;
}

static void test_score_label_order(void) {
    char *dir = temp_path("tiny-mean-permuted");
    static const int perm[3] = {2, 0, 1}; // new id j is old id perm[j]
    CHECK(write_permuted_model(dir, perm) == 0);
    char *a = temp_path("order_a.jsonl"), *b = temp_path("order_b.jsonl");
    fc_model_pass_options options = pass_options(400);
    CHECK(score_file(small_input, a, model_path("tiny-mean"), &options, NULL) == 0);
    CHECK(score_file(small_input, b, dir, &options, NULL) == 0);
    fc_dataset x, y;
    CHECK(read_records(a, &x) == 0 && read_records(b, &y) == 0);
    int ok = x.count == 400 && y.count == 400;
    for (size_t i = 0; ok && i < x.count; i++) ok = fabs(x.records[i].score - y.records[i].score) < 1e-5;
    CHECK(ok);
    fc_dataset_free(&x);
    fc_dataset_free(&y);
    // A model whose labels are not the three NLI labels is refused.
    char *config = fc_path_join(dir, "config.json");
    char *text = read_text(config);
    char *at = text ? strstr(text, "\"neutral\"") : NULL;
    if (at) memcpy(at, "\"maybe\"  ", 9);
    if (text) write_text(config, text);
    fc_model_pass_stats stats;
    fc_error err;
    CHECK(fc_curate_score(small_input, b, dir, &options, &stats, &err) != 0 &&
          strstr(err.message, "not one of entailment"));
    fc_model_pass_stats_free(&stats);
    free(text);
    free(config);
    free(dir);
    free(a);
    free(b);
}

// Killed with SIGKILL in the middle of a shard, then run again: the same bytes as a run that
// was never stopped. And stop_after_shards, a stale .part, and a changed setting.
static void test_score_resume(void) {
    char *whole = temp_path("whole.jsonl"), *resumed = temp_path("resumed.jsonl");
    char *work = temp_path("resumed.jsonl.shards");
    char *second_shard = fc_path_join(work, "shard-000001.jsonl");
    fc_model_pass_options options = pass_options(40); // 10 shards
    CHECK(score_file(small_input, whole, model_path("tiny-mean"), &options, NULL) == 0);

    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        fc_model_pass_options slow = options;
        slow.throttle_us = 5000; // about 0.2 s a shard: the kill lands mid-run
        fc_model_pass_stats stats;
        fc_error err;
        fc_curate_score(small_input, resumed, model_path("tiny-mean"), &slow, &stats, &err);
        _exit(0);
    }
    int waited = 0;
    while (!exists(second_shard) && waited < 30000) {
        usleep(1000);
        waited++;
    }
    kill(child, SIGKILL);
    int status;
    waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK(exists(second_shard) && !exists(resumed)); // killed with work done and work left
    char *last = fc_path_join(work, "shard-000009.jsonl");
    CHECK(!exists(last));
    // A half-written shard as a kill during the write leaves it: never taken for done.
    char *stale = fc_path_join(work, "shard-000005.jsonl.part");
    write_text(stale, "{\"id\":\"half a line");
    fc_model_pass_stats stats;
    CHECK(score_file(small_input, resumed, model_path("tiny-mean"), &options, &stats) == 0);
    CHECK(stats.shards_resumed >= 2 && stats.shards_resumed < 10 &&
          stats.shards_resumed + stats.shards_computed == 10);
    CHECK(count_of(&stats.by_source, "lingnli", "rows") == 400);
    fc_model_pass_stats_free(&stats);
    CHECK(same_bytes(whole, resumed));
    CHECK(!exists(work));

    // Stopped on purpose after 3 shards, then finished.
    options.stop_after_shards = 3;
    remove(resumed);
    CHECK(score_file(small_input, resumed, model_path("tiny-mean"), &options, &stats) == 0);
    CHECK(stats.stopped && stats.shards_computed == 3 && !exists(resumed));
    fc_model_pass_stats_free(&stats);
    // Other settings on the same work folder are refused, --restart discards it.
    fc_model_pass_options other = pass_options(50);
    fc_error err;
    CHECK(fc_curate_score(small_input, resumed, model_path("tiny-mean"), &other, &stats, &err) !=
              0 &&
          strstr(err.message, "shard_size"));
    fc_model_pass_stats_free(&stats);
    options.stop_after_shards = 0;
    CHECK(score_file(small_input, resumed, model_path("tiny-mean"), &options, &stats) == 0);
    CHECK(stats.shards_resumed == 3 && stats.shards_computed == 7);
    fc_model_pass_stats_free(&stats);
    CHECK(same_bytes(whole, resumed));
    other.restart = 1;
    other.stop_after_shards = 1;
    CHECK(score_file(small_input, resumed, model_path("tiny-mean"), &other, NULL) == 0);
    other.stop_after_shards = 0;
    other.restart = 0;
    CHECK(score_file(small_input, resumed, model_path("tiny-mean"), &other, &stats) == 0);
    CHECK(stats.shards_resumed == 1);
    fc_model_pass_stats_free(&stats);
    free(last);
    free(stale);
    free(second_shard);
    free(work);
    free(whole);
    free(resumed);
}

// teacher_logits are the canonical logits score stores as pilot_logits (same model, same
// shards, so the same bits); a teacher pass keeps the members earlier stages added.
static void test_teacher(void) {
    char *scored = temp_path("t_scored.jsonl"), *taught = temp_path("t_taught.jsonl");
    fc_model_pass_options options = pass_options(100);
    CHECK(score_file(small_input, scored, model_path("tiny-mean"), &options, NULL) == 0);
    fc_model_pass_stats stats;
    fc_error err;
    CHECK(fc_curate_teacher(scored, taught, model_path("tiny-mean"), &options, &stats, &err) == 0);
    fc_model_pass_stats_free(&stats);
    fc_dataset a, b;
    CHECK(read_records(scored, &a) == 0 && read_records(taught, &b) == 0);
    char *text = read_text(taught);
    int ok = a.count == 400 && b.count == 400 && text;
    for (const char *line = text; ok && line && *line;) {
        const char *end = strchr(line, '\n');
        if (!end) break;
        cJSON *json = cJSON_ParseWithLength(line, (size_t)(end - line));
        const cJSON *pilot = cJSON_GetObjectItemCaseSensitive(json, "pilot_logits");
        const cJSON *teacher = cJSON_GetObjectItemCaseSensitive(json, "teacher_logits");
        ok = cJSON_GetArraySize(pilot) == 3 && cJSON_GetArraySize(teacher) == 3;
        for (int l = 0; ok && l < 3; l++)
            ok = cJSON_GetArrayItem(pilot, l)->valuedouble == cJSON_GetArrayItem(teacher, l)->valuedouble;
        ok = ok && cJSON_GetObjectItemCaseSensitive(json, "score") != NULL;
        cJSON_Delete(json);
        line = end + 1;
    }
    CHECK(ok);
    for (size_t i = 0; i < b.count; i++) ok &= b.records[i].has_teacher_logits;
    CHECK(ok);
    free(text);
    fc_dataset_free(&a);
    fc_dataset_free(&b);
    free(scored);
    free(taught);
}

// ---------------------------------------------------------------------------------------------
// Histogram, select

static const row scored_rows[] = {
    {"s1", "snli", "train", "p1", "h1", 0, 0.0, },   {"s2", "snli", "train", "p2", "h2", 0, 0.05},
    {"s3", "snli", "train", "p3", "h3", 1, 0.1},     {"s4", "snli", "train", "p4", "h4", 2, 0.0999},
    {"s5", "snli", "train", "p5", "h5", 0, 0.95},    {"s6", "snli", "train", "p6", "h6", 1, 1.0},
    {"m1", "mnli", "train", "p7", "h7", 2, 0.9},     {"m2", "mnli", "train", "p8", "h8", 0, 0.55},
    {"m3", "mnli", "train", "p9", "h9", 1, -1},      {"w1", "wanli & <co>", "train", "p", "h", 1, 0.35},
};

// A small XML check: every tag closed in order, nothing after the root.
static int well_formed_xml(const char *text) {
    const char *stack[64];
    size_t lengths[64];
    int depth = 0, seen_root = 0;
    const char *p = strstr(text, "<svg");
    if (!p || strncmp(text, "<?xml", 5) != 0) return 0;
    while ((p = strchr(p, '<')) != NULL) {
        if (p[1] == '/') {
            const char *name = p + 2;
            size_t n = strcspn(name, ">");
            if (depth == 0 || n != lengths[depth - 1] || strncmp(name, stack[depth - 1], n) != 0)
                return 0;
            depth--;
        } else {
            const char *name = p + 1;
            size_t n = strcspn(name, " />\n");
            const char *end = strchr(p, '>');
            if (!end) return 0;
            if (depth == 0 && seen_root) return 0;
            if (end[-1] != '/') {
                if (depth == 64) return 0;
                stack[depth] = name;
                lengths[depth++] = n;
            }
            seen_root = 1;
        }
        p++;
    }
    return depth == 0 && seen_root;
}

static int count_substrings(const char *text, const char *needle) {
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++) n++;
    return n;
}

static void test_histogram(void) {
    CHECK(fc_histogram_bin(0.0, 10) == 0 && fc_histogram_bin(0.0999, 10) == 0);
    CHECK(fc_histogram_bin(0.1, 10) == 1 && fc_histogram_bin(0.95, 10) == 9);
    CHECK(fc_histogram_bin(1.0, 10) == 9 && fc_histogram_bin(0.5, 4) == 2);
    char *input = temp_path("scores.jsonl");
    write_rows(input, scored_rows, sizeof scored_rows / sizeof scored_rows[0]);
    fc_histogram hist;
    fc_error err;
    CHECK(fc_curate_histogram(input, 10, NULL, &hist, &err) == 0);
    const fc_count_table *t = &hist.by_source;
    CHECK(count_of(t, "snli", "0.0-0.1") == 3 && count_of(t, "snli", "0.1-0.2") == 1);
    CHECK(count_of(t, "snli", "0.9-1.0") == 2 && count_of(t, "mnli", "0.9-1.0") == 1);
    CHECK(count_of(t, "mnli", "0.5-0.6") == 1 && count_of(t, "mnli", "no score") == 1);
    CHECK(count_of(t, "wanli & <co>", "0.3-0.4") == 1);
    char *svg = temp_path("hist.svg");
    CHECK(fc_histogram_write_svg(&hist, svg, FC_HIST_STACKED, NULL, &err) == 0);
    char *text = read_text(svg);
    CHECK(text && well_formed_xml(text));
    // One bar per non-empty (bin, source) cell, each with its tooltip; a legend entry a source.
    CHECK(text && count_substrings(text, "<title>") == 6);
    CHECK(text && strstr(text, "wanli &amp; &lt;co&gt; (1)") && strstr(text, "snli (6)"));
    CHECK(text && strstr(text, "score: pilot model probability of the gold label"));
    free(text);
    CHECK(fc_histogram_write_svg(&hist, svg, FC_HIST_GROUPED, "Grouped", &err) == 0);
    text = read_text(svg);
    CHECK(text && well_formed_xml(text) && strstr(text, ">Grouped</text>"));
    free(text);
    CHECK(!well_formed_xml("<?xml?><svg><g></svg></g>")); // the checker itself can fail
    fc_histogram_free(&hist);
    CHECK(fc_curate_histogram(input, 0, NULL, &hist, &err) != 0);
    free(svg);
    free(input);
}

static void test_select(void) {
    enum { N = 1000 };
    static row rows[N];
    static char ids[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "r%04d", i);
        // Hard rows: every fourth; easy rows above 0.9.
        double score = i % 4 == 0 ? (double)(i % 90) / 100.0 : 0.91 + (double)(i % 9) / 100.0;
        rows[i] = (row){ids[i], i % 2 ? "snli" : "mnli", "train", "p", "h", i % 3, score};
    }
    char *input = temp_path("select_in.jsonl"), *a = temp_path("select_a.jsonl"),
         *b = temp_path("select_b.jsonl");
    write_rows(input, rows, N);
    fc_select_options options = fc_select_default_options();
    options.keep_easy_frac = 0.2;
    options.seed = 11;
    fc_select_stats stats;
    fc_error err;
    CHECK(fc_curate_select(input, a, &options, &stats, &err) == 0);
    CHECK(fc_count_table_total(&stats.by_source, FC_SELECT_HARD) == 250);
    CHECK(fc_count_table_total(&stats.by_source, FC_SELECT_EASY) == 750);
    CHECK(stats.easy_keep == 150 && fc_count_table_total(&stats.by_source, FC_SELECT_KEPT) == 400);
    CHECK(count_lines(a) == 400);
    fc_select_stats_free(&stats);
    // The output keeps the input's order and every hard row.
    fc_dataset data;
    CHECK(read_records(a, &data) == 0);
    int ordered = 1, hard = 0;
    for (size_t i = 0; i < data.count; i++) {
        if (i) ordered &= strcmp(data.records[i - 1].id, data.records[i].id) < 0;
        hard += data.records[i].score <= 0.9;
    }
    CHECK(ordered && hard == 250);
    fc_dataset_free(&data);
    // Same seed, same bytes; another seed, another sample of the same size.
    CHECK(fc_curate_select(input, b, &options, &stats, &err) == 0 && same_bytes(a, b));
    fc_select_stats_free(&stats);
    options.seed = 12;
    CHECK(fc_curate_select(input, b, &options, &stats, &err) == 0 && !same_bytes(a, b));
    CHECK(count_lines(b) == 400);
    fc_select_stats_free(&stats);
    // A target for the whole output; a target below the hard rows keeps the hard rows only.
    options.keep_easy_frac = -1;
    options.target_rows = 300;
    CHECK(fc_curate_select(input, b, &options, &stats, &err) == 0 && count_lines(b) == 300);
    fc_select_stats_free(&stats);
    options.target_rows = 100;
    CHECK(fc_curate_select(input, b, &options, &stats, &err) == 0 && count_lines(b) == 250);
    CHECK(stats.target_unreachable);
    fc_select_stats_free(&stats);
    // Both or neither of frac and target, a row without a score: errors.
    options.keep_easy_frac = 0.5;
    CHECK(fc_curate_select(input, b, &options, &stats, &err) != 0);
    fc_select_stats_free(&stats);
    char *unscored = temp_path("unscored.jsonl");
    write_rows(unscored, scored_rows, sizeof scored_rows / sizeof scored_rows[0]);
    options.target_rows = -1;
    CHECK(fc_curate_select(unscored, b, &options, &stats, &err) != 0 &&
          strstr(err.message, ":9: no score"));
    fc_select_stats_free(&stats);
    free(unscored);
    free(input);
    free(a);
    free(b);
}

// ---------------------------------------------------------------------------------------------
// Flag

static char *screener_command(const char *mode) {
    static char command[600];
    // The shell's own "Killed" notice, when the screener dies by SIGKILL, stays out of the log.
    snprintf(command, sizeof command, "%ssh %s/curate/screener.sh %s",
             strcmp(mode, "kill") == 0 ? "exec 2>/dev/null; " : "", fc_test_fixtures_dir(), mode);
    return command;
}

static void test_flag_screener(void) {
    char *scored = temp_path("flag_scored.jsonl");
    fc_model_pass_options pass = pass_options(400);
    CHECK(score_file(small_input, scored, model_path("tiny-mean"), &pass, NULL) == 0);
    char *review = temp_path("review.jsonl"), *out = temp_path("flagged.jsonl");
    char *log = temp_path("flagged.jsonl.log.jsonl");
    fc_flag_options options = fc_flag_default_options();
    options.flag_below = 0.05;
    options.review_path = review;
    options.screen_cmd = screener_command("good");
    options.output = out;
    fc_flag_stats stats;
    fc_error err;
    int status = fc_curate_flag(scored, &options, &stats, &err);
    if (status != 0) fprintf(stderr, "  flag: %s\n", err.message);
    CHECK(status == 0 && stats.applied);
    uint64_t flagged = fc_count_table_total(&stats.by_source, FC_FLAG_FLAGGED);
    uint64_t keep = fc_count_table_total(&stats.by_source, FC_FLAG_KEEP);
    uint64_t drop = fc_count_table_total(&stats.by_source, FC_FLAG_DROP);
    uint64_t relabel = fc_count_table_total(&stats.by_source, FC_FLAG_RELABEL);
    CHECK(flagged >= 6 && flagged < 400); // enough to see all three verdicts
    CHECK(keep + drop + relabel == flagged && keep == (flagged + 2) / 3 && drop == (flagged + 1) / 3);
    CHECK(count_lines(review) == flagged && count_lines(out) == 400 - drop);
    CHECK(count_lines(log) == flagged);
    fc_flag_stats_free(&stats);
    // The verdicts as the output shows them, row by row against the review file's order.
    fc_dataset reviewed, result;
    CHECK(read_records(review, &reviewed) == 0 && read_records(out, &result) == 0);
    int ok = 1;
    for (size_t i = 0; i < reviewed.count && ok; i++) {
        const fc_record *before = &reviewed.records[i];
        const fc_record *after = NULL;
        for (size_t j = 0; j < result.count; j++)
            if (strcmp(result.records[j].id, before->id) == 0) after = &result.records[j];
        switch ((i + 1) % 3) {
        case 1: ok = after && after->label == before->label && after->flags &&
                     strstr(after->flags, "\"verdict\":\"keep\"") && after->score == before->score;
            break;
        case 2: ok = after == NULL; break;
        default: {
            int want = before->label == FC_LABEL_ENTAILMENT ? FC_LABEL_NEUTRAL : FC_LABEL_ENTAILMENT;
            ok = after && after->label == want && after->flags &&
                 strstr(after->flags, "\"verdict\":\"relabel\"") &&
                 strstr(after->flags, fc_label_name((fc_label)before->label)) &&
                 after->has_score && after->score != before->score;
        }
        }
        if (!ok) fprintf(stderr, "  verdict %zu on %s not applied as answered\n", i, before->id);
    }
    CHECK(ok);
    fc_dataset_free(&reviewed);
    fc_dataset_free(&result);

    // Screeners that fail, babble, fall short, die or invent ids: an error that says so, no
    // output, the review file and the answer kept.
    static const struct {
        const char *mode, *message;
    } bad[] = {
        {"fail", "exit status 3"},          {"garbage", "not a JSON object"},
        {"short", "no verdict for"},        {"kill", "signal 9"},
        {"unknown", "not a flagged row"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        remove(out);
        remove(log);
        options.screen_cmd = screener_command(bad[i].mode);
        status = fc_curate_flag(scored, &options, &stats, &err);
        int ok_error = status != 0 && strstr(err.message, bad[i].message) &&
                       strstr(err.message, "nothing was applied");
        if (!ok_error) fprintf(stderr, "  screener %s: %s\n", bad[i].mode, err.message);
        CHECK(ok_error);
        CHECK(!exists(out) && !exists(log) && count_lines(review) == flagged);
        fc_flag_stats_free(&stats);
    }
    options.screen_cmd = "sleep 5";
    options.screen_timeout = 1;
    CHECK(fc_curate_flag(scored, &options, &stats, &err) != 0 && strstr(err.message, "within 1 s"));
    fc_flag_stats_free(&stats);
    free(scored);
    free(review);
    free(out);
    free(log);
}

// A review file edited by hand: verdicts on some rows, none on others.
static void test_flag_apply(void) {
    char *scored = temp_path("apply_scored.jsonl"), *edited = temp_path("edited.jsonl");
    char *out = temp_path("applied.jsonl"), *log = temp_path("applied.log");
    static const row rows[] = {
        {"k", "snli", "train", "p1", "h1", FC_LABEL_ENTAILMENT, 0.01},
        {"d", "snli", "train", "p2", "h2", FC_LABEL_NEUTRAL, 0.02},
        {"r", "mnli", "train", "p3", "h3", FC_LABEL_NEUTRAL, 0.03},
        {"u", "mnli", "train", "p4", "h4", FC_LABEL_NEUTRAL, 0.04},
        {"x", "mnli", "train", "p5", "h5", FC_LABEL_NEUTRAL, 0.5},
    };
    write_rows(scored, rows, 5);
    write_text(edited,
               "{\"id\":\"k\",\"label\":\"entailment\",\"verdict\":\"keep\",\"reason\":\"fine\"}\n"
               "{\"id\":\"d\",\"label\":\"neutral\",\"verdict\":\"drop\"}\n"
               "{\"id\":\"r\",\"label\":\"contradiction\",\"verdict\":\"relabel\",\"reason\":\"negation\"}\n"
               "{\"id\":\"u\",\"label\":\"neutral\"}\n");
    fc_flag_options options = fc_flag_default_options();
    options.apply_path = edited;
    options.output = out;
    options.log_path = log;
    fc_flag_stats stats;
    fc_error err;
    CHECK(fc_curate_flag(scored, &options, &stats, &err) == 0);
    CHECK(count_of(&stats.by_source, "snli", "keep") == 1 && count_of(&stats.by_source, "snli", "drop") == 1);
    CHECK(count_of(&stats.by_source, "mnli", "relabel") == 1);
    CHECK(count_of(&stats.by_source, "mnli", "unreviewed") == 1);
    CHECK(count_of(&stats.by_source, "mnli", "flagged") == 2);
    fc_flag_stats_free(&stats);
    char *ids = ids_of(out);
    CHECK(strcmp(ids, "k r u x") == 0);
    free(ids);
    fc_dataset data;
    CHECK(read_records(out, &data) == 0 && data.count == 4);
    if (data.count == 4) {
        CHECK(data.records[1].label == FC_LABEL_CONTRADICTION);
        CHECK(!data.records[1].has_score); // no pilot_logits: a stale score is dropped
        CHECK(data.records[1].flags &&
              strcmp(data.records[1].flags,
                     "{\"review\":{\"verdict\":\"relabel\",\"from\":\"neutral\",\"reason\":"
                     "\"negation\"}}") == 0);
        CHECK(data.records[3].flags == NULL && data.records[2].flags == NULL);
    }
    fc_dataset_free(&data);
    CHECK(count_lines(log) == 3);
    // Mistakes in the edits: a relabel to the label it has, an unknown verdict, an unknown id.
    static const char *const wrong[] = {
        "{\"id\":\"r\",\"label\":\"neutral\",\"verdict\":\"relabel\"}\n",
        "{\"id\":\"r\",\"label\":\"neutral\",\"verdict\":\"maybe\"}\n",
        "{\"id\":\"zz\",\"verdict\":\"drop\"}\n",
        "{\"id\":\"r\",\"verdict\":\"drop\"}\n{\"id\":\"r\",\"verdict\":\"keep\"}\n",
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        remove(out);
        write_text(edited, wrong[i]);
        CHECK(fc_curate_flag(scored, &options, &stats, &err) != 0 && !exists(out));
        fc_flag_stats_free(&stats);
    }
    free(scored);
    free(edited);
    free(out);
    free(log);
}

// ---------------------------------------------------------------------------------------------
// The pipeline

static const char *stage_status(const cJSON *report, const char *name) {
    const cJSON *entry;
    cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(report, "stages")) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(entry, "name");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return cJSON_GetObjectItemCaseSensitive(entry, "status")->valuestring;
    }
    return "";
}

static int run_config(const char *path, cJSON **report) {
    fc_pipeline_config config;
    fc_error err;
    if (fc_pipeline_config_read(path, &config, &err) != 0) {
        fprintf(stderr, "  config: %s\n", err.message);
        return -1;
    }
    int status = fc_curate_run_pipeline(path, &config, NULL, report, &err);
    if (status != 0) fprintf(stderr, "  run: %s\n", err.message);
    fc_pipeline_config_free(&config);
    return status;
}

// Absolute: the config's relative paths start in its own folder.
static const char *absolute(const char *path) {
    static char paths[8][4096];
    static int next;
    char *p = paths[next++ % 8];
    if (!realpath(path, p)) snprintf(p, sizeof paths[0], "%s", path);
    return p;
}

static void write_config(const char *path, int seed) {
    char text[8192];
    snprintf(text, sizeof text,
             "{\"output_dir\": \"pipeline\",\n"
             " \"inputs\": [\"%s\", \"snli:train=%s\", {\"path\": \"%s\"}, \"%s\", \"%s\"],\n"
             " \"seed\": %d, \"pilot_model\": \"%s\", \"teacher_model\": \"%s\",\n"
             " \"shard_size\": 300, \"flag_below\": 0.03, \"screen_cmd\": \"%s\",\n"
             " \"easy_above\": 0.5, \"keep_easy_frac\": 0.5}\n",
             absolute(shared_path("snli/csv_export/snli_dev.csv")),
             absolute(shared_path("snli/native_fixture/snli_1.0_dev.jsonl")),
             absolute(shared_path("lingnli/train_round1_LitL.jsonl")),
             absolute(shared_path("wanli/train_sample.jsonl")),
             absolute(shared_path("mnli/native_subsets/multinli_train_sample1000.jsonl")), seed,
             absolute(model_path("tiny-mean")), absolute(model_path("tiny-cls")),
             screener_command("good"));
    write_text(path, text);
}

static void test_pipeline(void) {
    char *config = temp_path("curate.json");
    write_config(config, 3);
    cJSON *report = NULL;
    CHECK(run_config(config, &report) == 0);
    static const char *const stages[] = {"ingest", "dedupe", "score", "hist",
                                         "flag", "select", "teacher"};
    int all_ran = 1;
    for (size_t i = 0; i < 7; i++) all_ran &= strcmp(stage_status(report, stages[i]), "ran") == 0;
    CHECK(all_ran);
    cJSON_Delete(report);
    char *dir = temp_path("pipeline");
    static const char *const outputs[] = {"1-bigcat.jsonl", "2-deduped.jsonl", "3-scored.jsonl",
                                          "4-hist.svg", "4-hist.txt", "5-review.jsonl",
                                          "5-flagged.jsonl", "6-selected.jsonl", "7-finecat.jsonl",
                                          "report.json", "report.md"};
    int all_there = 1;
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {
        char *path = fc_path_join(dir, outputs[i]);
        all_there &= exists(path);
        free(path);
    }
    CHECK(all_there);
    char *final = fc_path_join(dir, "7-finecat.jsonl"), *copy = temp_path("final_copy.jsonl");
    char *first = read_text(final);
    if (first) write_text(copy, first);
    free(first);
    char *md_path = fc_path_join(dir, "report.md");
    char *md = read_text(md_path);
    CHECK(md && strstr(md, "| ingest | ran | 13955 |") && strstr(md, "## dedupe (ran)") &&
          strstr(md, "![score histogram](4-hist.svg)"));
    if (md && !strstr(md, "| ingest | ran | 13955 |")) fprintf(stderr, "%s\n", md);
    free(md);
    // A rerun skips every stage and changes nothing.
    CHECK(run_config(config, &report) == 0);
    int all_skipped = 1;
    for (size_t i = 0; i < 7; i++)
        all_skipped &= strcmp(stage_status(report, stages[i]), "up to date") == 0;
    CHECK(all_skipped);
    cJSON_Delete(report);
    CHECK(same_bytes(final, copy));
    // Another seed reruns select and what follows it only.
    write_config(config, 4);
    CHECK(run_config(config, &report) == 0);
    CHECK(strcmp(stage_status(report, "score"), "up to date") == 0);
    CHECK(strcmp(stage_status(report, "flag"), "up to date") == 0);
    CHECK(strcmp(stage_status(report, "select"), "ran") == 0);
    CHECK(strcmp(stage_status(report, "teacher"), "ran") == 0);
    cJSON_Delete(report);
    // A typo in the config is an error, not a default.
    write_text(config, "{\"output_dir\": \"x\", \"inputs\": [\"a\"], \"seeed\": 1}");
    fc_pipeline_config parsed;
    fc_error err;
    CHECK(fc_pipeline_config_read(config, &parsed, &err) != 0 && strstr(err.message, "seeed"));
    free(md_path);
    free(final);
    free(copy);
    free(dir);
    free(config);
}

// recipe/bigcat.json: it parses, every input and evaluation file is where its data_dir says
// (given here as the test's shared folder, as `curate run --data-dir` does), nothing is both
// trained on and evaluated on, and data_dir/overrides resolve as documented.
static void test_bigcat_recipe(void) {
    char recipe[600], data_dir[600];
    snprintf(recipe, sizeof recipe, "%s/../../recipe/bigcat.json", fc_test_fixtures_dir());
    snprintf(data_dir, sizeof data_dir, "%s/nli", fc_test_shared_data_dir());
    fc_pipeline_overrides overrides = {.data_dir = data_dir, .output_dir = temp_dir};
    fc_pipeline_config config;
    fc_error err;
    int status = fc_pipeline_config_read_with(recipe, &overrides, &config, &err);
    if (status != 0) fprintf(stderr, "  %s\n", err.message);
    CHECK(status == 0);
    if (status != 0) return;
    CHECK(config.n_inputs == 28 && config.n_eval_files == 10);
    CHECK(strcmp(config.eval_splits, "") == 0 && strcmp(config.id_sources, "mnli,taxinli") == 0);
    CHECK(strcmp(config.output_dir, temp_dir) == 0 && !config.pilot_model);
    int all_there = 1, disjoint = 1;
    for (size_t i = 0; i < config.n_inputs; i++) {
        all_there &= exists(config.inputs[i].path) &&
                     strncmp(config.inputs[i].path, data_dir, strlen(data_dir)) == 0;
        for (size_t j = 0; j < config.n_eval_files; j++)
            disjoint &= strcmp(config.inputs[i].path, config.eval_files[j]) != 0;
    }
    for (size_t j = 0; j < config.n_eval_files; j++) {
        fc_dataset_format format;
        all_there &= fc_dataset_detect_format(config.eval_files[j], NULL, &format, &err) == 0;
    }
    CHECK(all_there && disjoint);
    fc_pipeline_config_free(&config);

    // Without overrides: data_dir from the config's folder; other paths from it too.
    char *dir = temp_path("recipe"), *path = temp_path("recipe/c.json");
    mkdir(dir, 0777);
    write_text(path, "{\"data_dir\": \"../data\", \"output_dir\": \"out\", \"inputs\": "
                     "[\"x/a.jsonl\", \"/abs/b.jsonl\"], \"eval_files\": [\"e.jsonl\"], "
                     "\"eval_splits\": [\"dev\", \"test\"], \"id_sources\": \"mnli\"}");
    CHECK(fc_pipeline_config_read(path, &config, &err) == 0);
    char want[300];
    snprintf(want, sizeof want, "%s/../data/x/a.jsonl", dir);
    CHECK(strcmp(config.inputs[0].path, want) == 0);
    CHECK(strcmp(config.inputs[1].path, "/abs/b.jsonl") == 0);
    snprintf(want, sizeof want, "%s/../data/e.jsonl", dir);
    CHECK(strcmp(config.eval_files[0], want) == 0);
    snprintf(want, sizeof want, "%s/out", dir);
    CHECK(strcmp(config.output_dir, want) == 0);
    CHECK(strcmp(config.eval_splits, "dev,test") == 0 && strcmp(config.id_sources, "mnli") == 0);
    fc_pipeline_config_free(&config);
    free(path);
    free(dir);
}

// ---------------------------------------------------------------------------------------------
// The program

static const char *finecat_bin(void) {
    const char *env = getenv("FINECAT_BIN");
    return env ? env : "build/finecat";
}

static int run_program(const char *args) {
    char command[2048];
    snprintf(command, sizeof command, "OMP_NUM_THREADS=1 %s %s >%s/cli.out 2>%s/cli.err",
             finecat_bin(), args, temp_dir, temp_dir);
    int raw = system(command);
    return raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

static void test_program(void) {
    if (access(finecat_bin(), X_OK) != 0) {
        fprintf(stderr, "  no program at %s (set FINECAT_BIN): curate CLI not run\n", finecat_bin());
        CHECK(!"finecat program present");
        return;
    }
    int has_curate = run_program("curate --help") == 0;
    if (!has_curate)
        fprintf(stderr, "  %s has no curate command: add &fc_command_curate to src/cli/main.c\n",
                finecat_bin());
    CHECK(has_curate);
    if (!has_curate) return;
    static const char *const steps[] = {"ingest", "dedupe", "score", "hist",
                                        "select", "flag", "teacher", "run"};
    int helps = 1;
    char args[1024];
    for (size_t i = 0; i < 8; i++) {
        snprintf(args, sizeof args, "curate %s --help", steps[i]);
        helps &= run_program(args) == 0;
    }
    CHECK(helps);
    CHECK(run_program("curate") == 2 && run_program("curate shuffle") == 2);
    CHECK(run_program("curate ingest --output x.jsonl") == 2);
    CHECK(run_program("curate select --input a --output b") == 2); // no frac, no target
    CHECK(run_program("curate select --input a --output b --keep-easy-frac 2") == 2);
    // ingest and score through the program: the same bytes as the library.
    char *out = temp_path("cli_scored.jsonl"), *lib = temp_path("cli_lib.jsonl");
    fc_model_pass_options options = pass_options(100);
    CHECK(score_file(small_input, lib, model_path("tiny-mean"), &options, NULL) == 0);
    snprintf(args, sizeof args,
             "curate score --input %s --output %s --model %s --shard-size 100 --batch-size 16 "
             "--stop-after-shards 2",
             small_input, out, model_path("tiny-mean"));
    CHECK(run_program(args) == 1 && !exists(out));
    snprintf(args, sizeof args,
             "curate score --input %s --output %s --model %s --shard-size 100 --batch-size 16",
             small_input, out, model_path("tiny-mean"));
    CHECK(run_program(args) == 0 && same_bytes(out, lib));
    char *log = temp_path("cli.out");
    char *text = read_text(log);
    CHECK(text && strstr(text, "samples/s") && strstr(text, "2 resumed, 2 computed"));
    free(text);
    char *bigcat = temp_path("cli_bigcat.jsonl");
    snprintf(args, sizeof args, "curate ingest --input anli:test=%s --output %s",
             shared_path("anli/anli_v0.1/R2/dev.jsonl"), bigcat);
    CHECK(run_program(args) == 0 && count_lines(bigcat) == 1000);
    text = read_text(log);
    CHECK(text && strstr(text, "anli  ") && strstr(text, "1000 rows written"));
    free(text);
    free(bigcat);
    free(log);
    free(out);
    free(lib);
}

void suite_curate(void) {
    snprintf(temp_dir, sizeof temp_dir, "/tmp/finecat_curate_XXXXXX");
    CHECK(mkdtemp(temp_dir) != NULL);
    // One thread, as the program runs in test_program (OMP_NUM_THREADS=1): thread counts change
    // the last bits of the logits. The tiny models also run faster so on a busy machine, and the
    // fork in test_score_resume is safe with the OpenMP runtime.
    int threads = fc_get_threads();
    fc_set_threads(1);
    test_normalize();
    test_text_table();
    test_ingest_real_files();
    test_label_mapping_rows();
    test_ingest_nli_fever();
    test_dedupe_planted();
    test_dedupe_snli_leak();
    test_dedupe_ids();
    test_dedupe_real();
    make_small_input();
    test_score_values();
    test_score_label_order();
    test_score_resume();
    test_teacher();
    test_histogram();
    test_select();
    test_flag_screener();
    test_flag_apply();
    test_pipeline();
    test_bigcat_recipe();
    test_program();
    free(bigcat_path);
    free(small_input);
    fc_set_threads(threads);
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", temp_dir);
    if (system(command) != 0) fprintf(stderr, "  could not remove %s\n", temp_dir);
}
