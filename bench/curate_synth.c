// Synthetic BigCat for bench/curate_scale.sh: resamples the real rows of shared/data/nli into
// training files of the six sources in their native formats, at the scale of the FineCat article
// (2.6M rows by default), with work planted for dedupe; and stands in for the pilot model by
// giving rows a synthetic score.
//
//   curate_synth make DATA_DIR OUT_DIR ROWS SEED    writes OUT_DIR/<source>_train.jsonl and
//                                                    prints what was planted
//   curate_synth scores IN OUT SEED                  copies an interchange file, adding "score"
//
// A synthetic row takes the premise of one real row and the hypothesis of another of the same
// source, with one hypothesis word replaced by a word of the corpus, so that rows are unique
// and look like their source (lengths, vocabulary). Planted, in proportion of the rows:
//   2%   exact copies of an earlier row (of any source: some are cross-source), a third of
//        them with another label (label conflicts)
//   1%   near copies: upper-cased, punctuation changed, or doubled spaces with a lower-case
//        first letter (a row whose text holds none of what is changed comes out exact)
//   0.5% copies of evaluation rows (SNLI dev/test, ANLI dev/test, MNLI dev, LingNLI val): leaks
// Rows per source follow the article's training sets (SNLI 550k, MNLI 393k, ANLI 163k, WANLI
// 103k, LingNLI 30k, NLI-FEVER 208k) scaled to ROWS. NLI-FEVER is not in shared/data: its rows
// are built from ANLI contexts and MNLI hypotheses in the query/context layout.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curate/hash.h"
#include "curate/json_text.h"
#include "data/dataset.h"
#include "util/alloc.h"
#include "util/file.h"

// ---------------------------------------------------------------------------------------------
// Randomness: splitmix64, seeded, so the data set is the same for the same seed.

static uint64_t rng_state;

static uint64_t next_random(void) {
    rng_state += 0x9e3779b97f4a7c15ull;
    return fc_curate_hash_mix(rng_state);
}

static size_t pick(size_t n) {
    return (size_t)(next_random() % n);
}

static int chance(double p) {
    return (double)(next_random() >> 11) * 0x1.0p-53 < p;
}

// ---------------------------------------------------------------------------------------------
// Real rows

typedef struct pool {
    fc_record *rows;
    size_t count, capacity;
    fc_dataset *sets;
    size_t n_sets;
} pool;

static void pool_add_file(pool *p, const char *data_dir, const char *relative) {
    char *path = fc_path_join(data_dir, relative);
    p->sets = fc_realloc(p->sets, (p->n_sets + 1) * sizeof *p->sets);
    fc_dataset *set = &p->sets[p->n_sets++];
    fc_error err;
    if (fc_dataset_read(path, FC_FORMAT_AUTO, NULL, set, &err) != 0) {
        fprintf(stderr, "curate_synth: %s\n", err.message);
        exit(1);
    }
    for (size_t i = 0; i < set->count; i++) {
        if (p->count == p->capacity) {
            p->capacity = p->capacity ? p->capacity * 2 : 4096;
            p->rows = fc_realloc(p->rows, p->capacity * sizeof *p->rows);
        }
        p->rows[p->count++] = set->records[i];
    }
    free(path);
}

// Words of the hypotheses, for the replacement that makes rows unique.
typedef struct vocabulary {
    char **words;
    size_t count;
} vocabulary;

static void add_words(vocabulary *v, const pool *p) {
    for (size_t i = 0; i < p->count; i++) {
        const char *s = p->rows[i].hypothesis;
        while (*s) {
            while (*s == ' ') s++;
            const char *start = s;
            while (*s && *s != ' ') s++;
            if (s > start && s - start < 24) {
                v->words = fc_realloc(v->words, (v->count + 1) * sizeof *v->words);
                v->words[v->count++] = fc_strndup(start, (size_t)(s - start));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rows written so far, a sample of which the duplicates copy

enum { KEPT_ROWS = 200000 };

typedef struct written_row {
    char *premise, *hypothesis;
    int label;
} written_row;

static written_row kept[KEPT_ROWS];
static size_t n_kept, n_seen;

static void remember(const char *premise, const char *hypothesis, int label) {
    n_seen++;
    size_t slot = n_kept < KEPT_ROWS ? n_kept++ : pick(n_seen); // reservoir sampling
    if (slot >= KEPT_ROWS) return;
    free(kept[slot].premise);
    free(kept[slot].hypothesis);
    kept[slot] = (written_row){fc_strdup(premise), fc_strdup(hypothesis), label};
}

// ---------------------------------------------------------------------------------------------
// The native formats

typedef enum format { SNLI, MNLI, ANLI, WANLI, LINGNLI, NLI_FEVER } format;

static const char *const label_words[] = {"entailment", "neutral", "contradiction"};
static const char *const anli_letters[] = {"e", "n", "c"};
static const char *const fever_words[] = {"SUPPORTS", "NOT ENOUGH INFO", "REFUTES"};

static fc_textbuf line;

static void put(const char *text) {
    fc_textbuf_append(&line, text, strlen(text));
}

static void put_string(const char *text) {
    fc_json_append_string(&line, text, strlen(text));
}

// A parse-like string of a sentence, as SNLI and MultiNLI carry three of per text: "( ( A man )
// ( sleeps . ) )". Real rows are mostly these parses, which the reader must get through.
static void put_parse(const char *text, int labeled) {
    fc_textbuf parse = {0};
    fc_textbuf_append(&parse, labeled ? "(ROOT (S " : "( ( ", labeled ? 9 : 4);
    for (const char *s = text; *s; s++) {
        if (*s == ' ') fc_textbuf_append(&parse, labeled ? ") (NN " : " ) ( ", labeled ? 6 : 5);
        else fc_textbuf_append(&parse, s, 1);
    }
    fc_textbuf_append(&parse, " ) ) )", 6);
    fc_json_append_string(&line, parse.data, parse.len);
    fc_textbuf_free(&parse);
}

static void write_row(FILE *out, format f, size_t n, const char *premise, const char *hypothesis,
                      int label) {
    char id[64];
    line.len = 0;
    switch (f) {
    case SNLI:
    case MNLI:
        snprintf(id, sizeof id, "%s%zu%c", f == SNLI ? "s" : "m", n, "enc"[label]);
        put("{\"annotator_labels\": [");
        put_string(label_words[label]);
        put("], ");
        if (f == MNLI) put("\"genre\": \"fiction\", ");
        put("\"gold_label\": ");
        put_string(label_words[label]);
        put(", \"pairID\": ");
        put_string(id);
        if (f == MNLI) put(", \"promptID\": \"p\"");
        put(", \"sentence1\": ");
        put_string(premise);
        put(", \"sentence1_binary_parse\": ");
        put_parse(premise, 0);
        put(", \"sentence1_parse\": ");
        put_parse(premise, 1);
        put(", \"sentence2\": ");
        put_string(hypothesis);
        put(", \"sentence2_binary_parse\": ");
        put_parse(hypothesis, 0);
        put(", \"sentence2_parse\": ");
        put_parse(hypothesis, 1);
        put("}\n");
        break;
    case ANLI:
        snprintf(id, sizeof id, "anli-%016zx", n);
        put("{\"uid\": ");
        put_string(id);
        put(", \"context\": ");
        put_string(premise);
        put(", \"hypothesis\": ");
        put_string(hypothesis);
        put(", \"label\": ");
        put_string(anli_letters[label]);
        put(", \"model_label\": ");
        put_string(anli_letters[(label + 1) % 3]);
        put(", \"emturk\": false, \"genre\": \"wikipedia\", \"reason\": \"\", \"tag\": \"synth\"}\n");
        break;
    case WANLI:
        snprintf(id, sizeof id, "%zu", n);
        put("{\"id\": ");
        put(id);
        put(", \"premise\": ");
        put_string(premise);
        put(", \"hypothesis\": ");
        put_string(hypothesis);
        put(", \"gold\": ");
        put_string(label_words[label]);
        put(", \"genre\": \"generated\", \"pairID\": ");
        put(id);
        put("}\n");
        break;
    case LINGNLI:
        snprintf(id, sizeof id, "l%zu", n);
        put("{\"AnonId\": \"a\", \"group\": \"group2\", \"round\": 1, \"annotator_labels\": [");
        put_string(label_words[label]);
        put("], \"label\": ");
        put_string(label_words[label]);
        put(", \"pairID\": ");
        put_string(id);
        put(", \"promptID\": 1, \"premise\": ");
        put_string(premise);
        put(", \"hypothesis\": ");
        put_string(hypothesis);
        put("}\n");
        break;
    case NLI_FEVER:
        snprintf(id, sizeof id, "%zu", n);
        put("{\"cid\": ");
        put(id);
        put(", \"fid\": \"f\", \"query\": ");
        put_string(hypothesis);
        put(", \"context\": ");
        put_string(premise);
        put(", \"label\": ");
        put_string(fever_words[label]);
        put("}\n");
        break;
    }
    fwrite(line.data, 1, line.len, out);
}

// ---------------------------------------------------------------------------------------------
// Making rows

// hypothesis with its k-th word replaced by a corpus word.
static char *replace_word(const char *hypothesis, const vocabulary *v) {
    size_t words = 1;
    for (const char *s = hypothesis; *s; s++) words += *s == ' ';
    size_t k = pick(words), at = 0;
    const char *s = hypothesis;
    while (at < k) at += *s++ == ' ';
    const char *end = strchr(s, ' ');
    if (!end) end = s + strlen(s);
    const char *word = v->words[pick(v->count)];
    size_t size = strlen(hypothesis) + strlen(word) + 1;
    char *out = fc_malloc(size);
    snprintf(out, size, "%.*s%s%s", (int)(s - hypothesis), hypothesis, word, end);
    return out;
}

// A near copy: what the dedupe key ignores changed, in one of three ways: upper case;
// punctuation dropped and "!" added; doubled spaces and a lower-case first letter (the spaces
// alone would not do: ingest collapses them, which makes an exact copy).
static char *near_copy(const char *text, int kind) {
    size_t n = strlen(text);
    char *out = fc_malloc(2 * n + 2);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (kind == 0 && c >= 'a' && c <= 'z') c = (char)(c - 32);
        if (kind == 1 && (c == '.' || c == ',' || c == '!' || c == '?')) continue;
        if (kind == 2 && i == 0 && c >= 'A' && c <= 'Z') c = (char)(c + 32);
        out[o++] = c;
        if (kind == 2 && c == ' ') out[o++] = ' ';
    }
    if (kind == 1) out[o++] = '!';
    out[o] = '\0';
    return out;
}

typedef struct counts {
    size_t rows, exact, near, conflicts, leaks;
} counts;

static void make_source(const char *out_dir, const char *name, format f, size_t rows,
                        const pool *premises, const pool *hypotheses, const pool *eval,
                        const vocabulary *v, counts *planted) {
    char file[64];
    snprintf(file, sizeof file, "%s_train.jsonl", name);
    char *path = fc_path_join(out_dir, file);
    FILE *out = fopen(path, "wb");
    if (!out) {
        fprintf(stderr, "curate_synth: cannot write %s\n", path);
        exit(1);
    }
    setvbuf(out, NULL, _IOFBF, 1 << 20);
    for (size_t n = 0; n < rows; n++) {
        char *premise, *hypothesis;
        int label = (int)pick(3);
        if (n_kept > 0 && chance(0.02)) {
            const written_row *w = &kept[pick(n_kept)];
            premise = fc_strdup(w->premise);
            hypothesis = fc_strdup(w->hypothesis);
            if (chance(1.0 / 3)) {
                label = (w->label + 1 + (int)pick(2)) % 3;
                planted->conflicts++;
            } else {
                label = w->label;
            }
            planted->exact++;
        } else if (n_kept > 0 && chance(0.01 / 0.98)) {
            const written_row *w = &kept[pick(n_kept)];
            int kind = (int)pick(3);
            premise = near_copy(w->premise, kind);
            hypothesis = near_copy(w->hypothesis, kind);
            label = w->label;
            planted->near++;
        } else if (chance(0.005 / 0.97)) {
            const fc_record *r = &eval->rows[pick(eval->count)];
            premise = chance(0.5) ? near_copy(r->premise, (int)pick(3)) : fc_strdup(r->premise);
            hypothesis = fc_strdup(r->hypothesis);
            label = r->label;
            planted->leaks++;
        } else {
            premise = fc_strdup(premises->rows[pick(premises->count)].premise);
            hypothesis = replace_word(hypotheses->rows[pick(hypotheses->count)].hypothesis, v);
            remember(premise, hypothesis, label);
        }
        write_row(out, f, n, premise, hypothesis, label);
        free(premise);
        free(hypothesis);
    }
    fclose(out);
    free(path);
    planted->rows += rows;
}

static int make(const char *data_dir, const char *out_dir, size_t total, uint64_t seed) {
    rng_state = seed;
    pool snli = {0}, mnli = {0}, anli = {0}, wanli = {0}, lingnli = {0}, eval = {0};
    pool_add_file(&snli, data_dir, "snli/csv_export/snli_dev.csv");
    pool_add_file(&snli, data_dir, "snli/csv_export/snli_test.csv");
    pool_add_file(&mnli, data_dir, "mnli/native_subsets/multinli_train_sample1000.jsonl");
    pool_add_file(&mnli, data_dir, "mnli/native_subsets/multinli_dev_matched_subset1000.jsonl");
    pool_add_file(&mnli, data_dir, "mnli/textfooler_tokenized/mnli_mismatched.tsv");
    static const char *const anli_files[] = {"R1/dev", "R1/test", "R2/dev", "R2/test", "R3/dev",
                                             "R3/test"};
    for (size_t i = 0; i < 6; i++) {
        char relative[64];
        snprintf(relative, sizeof relative, "anli/anli_v0.1/%s.jsonl", anli_files[i]);
        pool_add_file(&anli, data_dir, relative);
    }
    pool_add_file(&wanli, data_dir, "wanli/train_sample.jsonl");
    pool_add_file(&wanli, data_dir, "wanli/anonymized_annotations_sample.jsonl");
    pool_add_file(&lingnli, data_dir, "lingnli/train_round1_LotS.jsonl");
    pool_add_file(&lingnli, data_dir, "lingnli/train_round1_LitL.jsonl");
    // The evaluation rows the benchmark's ingest also reads (its dev/test/val inputs).
    pool_add_file(&eval, data_dir, "snli/csv_export/snli_dev.csv");
    pool_add_file(&eval, data_dir, "anli/anli_v0.1/R1/dev.jsonl");
    pool_add_file(&eval, data_dir, "mnli/native_subsets/multinli_dev_matched_subset1000.jsonl");
    pool_add_file(&eval, data_dir, "lingnli/val_round5_LotS_combined.jsonl");
    vocabulary v = {0};
    add_words(&v, &snli);
    add_words(&v, &mnli);
    add_words(&v, &anli);

    // The article's training sets, in thousands of rows.
    static const struct {
        const char *name;
        format f;
        double thousands;
    } sources[] = {{"snli", SNLI, 550},   {"mnli", MNLI, 393},       {"anli", ANLI, 163},
                   {"wanli", WANLI, 103}, {"lingnli", LINGNLI, 30},  {"nli_fever", NLI_FEVER, 208}};
    double sum = 0;
    for (size_t i = 0; i < 6; i++) sum += sources[i].thousands;
    pool *premises[] = {&snli, &mnli, &anli, &wanli, &lingnli, &anli};
    pool *hypotheses[] = {&snli, &mnli, &anli, &wanli, &lingnli, &mnli};
    counts planted = {0};
    size_t made = 0;
    for (size_t i = 0; i < 6; i++) {
        size_t rows = i == 5 ? total - made : (size_t)((double)total * sources[i].thousands / sum);
        make_source(out_dir, sources[i].name, sources[i].f, rows, premises[i], hypotheses[i],
                    &eval, &v, &planted);
        made += rows;
    }
    printf("synthesized %zu rows: %zu exact copies (%zu with another label), %zu near copies, "
           "%zu copies of evaluation rows\n",
           planted.rows, planted.exact, planted.conflicts, planted.near, planted.leaks);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Scores: what a pilot model would give, skewed as in the article (most rows easy, SNLI and
// MNLI the easiest, ANLI the hardest), from a hash of (seed, id).

static double score_of(const char *source, const char *id, uint64_t seed) {
    double easy = 0.75;
    if (strcmp(source, "snli") == 0) easy = 0.85;
    else if (strcmp(source, "mnli") == 0) easy = 0.8;
    else if (strcmp(source, "anli") == 0) easy = 0.35;
    else if (strcmp(source, "wanli") == 0) easy = 0.5;
    uint64_t h = fc_curate_hash_bytes(id, strlen(id), seed);
    double u = (double)(h >> 11) * 0x1.0p-53, w = (double)(fc_curate_hash_mix(h) >> 11) * 0x1.0p-53;
    return u < easy ? 0.9 + 0.1 * w : w * 0.9;
}

static int scores(const char *input, const char *output, uint64_t seed) {
    fc_reader *reader;
    fc_error err;
    if (fc_reader_open(input, FC_FORMAT_FINECAT, NULL, &reader, &err) != 0) {
        fprintf(stderr, "curate_synth: %s\n", err.message);
        return 1;
    }
    FILE *out = fopen(output, "wb");
    setvbuf(out, NULL, _IOFBF, 1 << 20);
    fc_record record;
    int got;
    while ((got = fc_reader_next(reader, &record, &err)) == 1) {
        record.has_score = 1;
        record.score = score_of(record.source, record.id, seed);
        fc_record_write_jsonl(out, &record);
    }
    fclose(out);
    fc_reader_close(reader);
    if (got < 0) fprintf(stderr, "curate_synth: %s\n", err.message);
    return got < 0;
}

int main(int argc, char **argv) {
    if (argc == 6 && strcmp(argv[1], "make") == 0)
        return make(argv[2], argv[3], strtoull(argv[4], NULL, 10), strtoull(argv[5], NULL, 10));
    if (argc == 5 && strcmp(argv[1], "scores") == 0)
        return scores(argv[2], argv[3], strtoull(argv[4], NULL, 10));
    fprintf(stderr, "usage: curate_synth make DATA_DIR OUT_DIR ROWS SEED\n"
                    "       curate_synth scores IN OUT SEED\n");
    return 2;
}
