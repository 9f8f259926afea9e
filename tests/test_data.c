// Tests of the data readers (src/data): every real file of ../shared/data/nli read with the row,
// kept, skipped and label counts of MANIFEST.md; labels and texts checked row by row against an
// independent parse of the same data; and synthetic files that break each rule on purpose.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "data/csv.h"
#include "data/dataset.h"
#include "data/label_values.h"
#include "data/text_check.h"
#include "finecat.h"
#include "harness.h"

// ---------------------------------------------------------------------------------------------
// Helpers

static char temp_dir[64];
static char temp_files[64][256]; // every path handed out, removed at the end
static int n_temp_files = 0;

static const char *temp_path(const char *name) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", temp_dir, name);
    for (int i = 0; i < n_temp_files; i++)
        if (strcmp(temp_files[i], path) == 0) return temp_files[i];
    char *p = temp_files[n_temp_files < 63 ? n_temp_files++ : 63];
    snprintf(p, sizeof temp_files[0], "%s", path);
    return p;
}

static void remove_temp_files(void) {
    for (int i = 0; i < n_temp_files; i++) unlink(temp_files[i]);
    if (rmdir(temp_dir) != 0) fprintf(stderr, "  could not remove %s\n", temp_dir);
}

// Writes bytes to a file in the test's temporary folder and returns its path.
static const char *write_temp(const char *name, const char *bytes, size_t length) {
    const char *path = temp_path(name);
    FILE *f = fopen(path, "wb");
    if (!f) return path;
    fwrite(bytes, 1, length, f);
    fclose(f);
    return path;
}

static const char *write_temp_text(const char *name, const char *text) {
    return write_temp(name, text, strlen(text));
}

static char *shared_path(const char *relative) {
    static char path[8][512];
    static int next = 0;
    char *p = path[next++ % 8];
    snprintf(p, sizeof path[0], "%s/nli/%s", fc_test_shared_data_dir(), relative);
    return p;
}

// Reads a whole file with the given format and options; returns the status and fills counts.
typedef struct read_result {
    int status;  // 0, or -1 when the read failed
    fc_reader_counts counts;
    fc_dataset_format format;
    char error[1024];
} read_result;

static read_result read_counts(const char *path, fc_dataset_format format,
                               const fc_reader_options *options) {
    read_result result;
    memset(&result, 0, sizeof result);
    fc_reader *reader;
    fc_error err;
    if (fc_reader_open(path, format, options, &reader, &err) != 0) {
        result.status = -1;
        snprintf(result.error, sizeof result.error, "%s", err.message);
        return result;
    }
    fc_record record;
    int got;
    while ((got = fc_reader_next(reader, &record, &err)) == 1) {
    }
    result.status = got < 0 ? -1 : 0;
    if (got < 0) snprintf(result.error, sizeof result.error, "%s", err.message);
    result.counts = *fc_reader_counts_of(reader);
    result.format = fc_reader_format(reader);
    fc_reader_close(reader);
    return result;
}

// The warnings of a skipping read, collected.
typedef struct warnings {
    int count;
    char first[1024];
} warnings;

static void collect_warning(void *context, const char *message) {
    warnings *w = context;
    if (w->count++ == 0) snprintf(w->first, sizeof w->first, "%s", message);
}

// A label word to its canonical index, written out here apart from the library's alias table,
// so that the row-by-row checks compare two independent parses.
static int expected_label(const char *word) {
    if (strcmp(word, "entailment") == 0 || strcmp(word, "e") == 0) return 0;
    if (strcmp(word, "neutral") == 0 || strcmp(word, "n") == 0) return 1;
    if (strcmp(word, "contradiction") == 0 || strcmp(word, "c") == 0) return 2;
    return -1;
}

// ---------------------------------------------------------------------------------------------
// Every real file, with the counts of MANIFEST.md

typedef struct real_file {
    const char *path;
    fc_dataset_format format; // the format detection must find
    size_t read, kept, no_gold, discarded;
    size_t e, n, c;
} real_file;

static const real_file real_files[] = {
    {"anli/anli_v0.1/R1/dev.jsonl", FC_FORMAT_ANLI, 1000, 1000, 0, 0, 334, 333, 333},
    {"anli/anli_v0.1/R1/test.jsonl", FC_FORMAT_ANLI, 1000, 1000, 0, 0, 334, 333, 333},
    {"anli/anli_v0.1/R2/dev.jsonl", FC_FORMAT_ANLI, 1000, 1000, 0, 0, 334, 333, 333},
    {"anli/anli_v0.1/R2/test.jsonl", FC_FORMAT_ANLI, 1000, 1000, 0, 0, 334, 333, 333},
    {"anli/anli_v0.1/R3/dev.jsonl", FC_FORMAT_ANLI, 1200, 1200, 0, 0, 402, 402, 396},
    {"anli/anli_v0.1/R3/test.jsonl", FC_FORMAT_ANLI, 1200, 1200, 0, 0, 402, 402, 396},
    {"snli/csv_export/snli_dev.csv", FC_FORMAT_SNLI_CSV, 9842, 9842, 0, 0, 3329, 3235, 3278},
    {"snli/csv_export/snli_test.csv", FC_FORMAT_SNLI_CSV, 9818, 9818, 0, 0, 3366, 3217, 3235},
    {"snli/esnli_senteval/s1.dev", FC_FORMAT_SENTEVAL, 9842, 9842, 0, 0, 3329, 3235, 3278},
    {"snli/esnli_senteval/labels.test", FC_FORMAT_SENTEVAL, 9824, 9824, 0, 0, 3368, 3219, 3237},
    {"snli/esnli_senteval/test", FC_FORMAT_SENTEVAL, 9824, 9824, 0, 0, 3368, 3219, 3237},
    // The 10-row native prefixes; the counts are those of the rows themselves.
    {"snli/native_fixture/snli_1.0_dev.jsonl", FC_FORMAT_SNLI_JSONL, 10, 10, 0, 0, 4, 3, 3},
    {"snli/native_fixture/snli_1.0_dev.txt", FC_FORMAT_SNLI_TXT, 10, 10, 0, 0, 4, 3, 3},
    {"snli/native_fixture/snli_1.0_test.jsonl", FC_FORMAT_SNLI_JSONL, 10, 10, 0, 0, 3, 4, 3},
    {"snli/native_fixture/snli_1.0_test.txt", FC_FORMAT_SNLI_TXT, 10, 10, 0, 0, 3, 4, 3},
    {"snli/native_fixture/snli_1.0_train.jsonl", FC_FORMAT_SNLI_JSONL, 10, 10, 0, 0, 3, 4, 3},
    {"mnli/native_subsets/multinli_dev_matched_subset1000.jsonl", FC_FORMAT_MNLI_JSONL, 1000,
     990, 10, 0, 371, 274, 345},
    {"mnli/native_subsets/multinli_train_sample1000.jsonl", FC_FORMAT_MNLI_JSONL, 1000, 1000, 0,
     0, 380, 280, 340},
    {"mnli/textfooler_tokenized/mnli_matched.tsv", FC_FORMAT_TEXTFOOLER, 1000, 1000, 0, 0, 373,
     311, 316},
    {"mnli/textfooler_tokenized/mnli_mismatched.tsv", FC_FORMAT_TEXTFOOLER, 1000, 1000, 0, 0,
     346, 319, 335},
    {"lingnli/val_round5_LotS_combined.jsonl", FC_FORMAT_LINGNLI, 2468, 2468, 0, 0, 851, 827,
     790},
    {"lingnli/val_round5_LitL_combined.jsonl", FC_FORMAT_LINGNLI, 2425, 2425, 0, 0, 879, 768,
     778},
    {"lingnli/train_round1_LotS.jsonl", FC_FORMAT_LINGNLI, 2997, 2997, 0, 0, 999, 999, 999},
    {"lingnli/train_round1_LitL.jsonl", FC_FORMAT_LINGNLI, 3003, 3003, 0, 0, 1001, 1001, 1001},
    // MANIFEST section 3: the other 13 training rounds (lines = rows; labels counted with
    // Python's json). The baseline protocol has round 1 too; rounds 2-5 add optional keys
    // (heuristic, heuristic_checked, glue_labels) that the reader must pass over.
    {"lingnli/train_round1_baseline.jsonl", FC_FORMAT_LINGNLI, 3000, 3000, 0, 0, 1000, 1000, 1000},
    {"lingnli/train_round2_baseline.jsonl", FC_FORMAT_LINGNLI, 2997, 2997, 0, 0, 999, 999, 999},
    {"lingnli/train_round3_baseline.jsonl", FC_FORMAT_LINGNLI, 3000, 3000, 0, 0, 1000, 1000, 1000},
    {"lingnli/train_round4_baseline.jsonl", FC_FORMAT_LINGNLI, 3000, 3000, 0, 0, 1000, 1000, 1000},
    {"lingnli/train_round5_baseline.jsonl", FC_FORMAT_LINGNLI, 3000, 3000, 0, 0, 1000, 1000, 1000},
    {"lingnli/train_round2_LotS.jsonl", FC_FORMAT_LINGNLI, 2994, 2994, 0, 0, 998, 998, 998},
    {"lingnli/train_round3_LotS.jsonl", FC_FORMAT_LINGNLI, 3000, 3000, 0, 0, 1000, 1000, 1000},
    {"lingnli/train_round4_LotS.jsonl", FC_FORMAT_LINGNLI, 2999, 2999, 0, 0, 1000, 1000, 999},
    {"lingnli/train_round5_LotS.jsonl", FC_FORMAT_LINGNLI, 3000, 3000, 0, 0, 1000, 1000, 1000},
    {"lingnli/train_round2_LitL.jsonl", FC_FORMAT_LINGNLI, 2994, 2994, 0, 0, 998, 998, 998},
    {"lingnli/train_round3_LitL.jsonl", FC_FORMAT_LINGNLI, 3000, 3000, 0, 0, 1000, 1000, 1000},
    {"lingnli/train_round4_LitL.jsonl", FC_FORMAT_LINGNLI, 3000, 3000, 0, 0, 1000, 1000, 1000},
    {"lingnli/train_round5_LitL.jsonl", FC_FORMAT_LINGNLI, 2999, 2999, 0, 0, 1000, 1000, 999},
    // CAD: 11,330 rows over the three files (lines minus the header).
    {"cad/all_combined_train.tsv", FC_FORMAT_CAD, 8330, 8330, 0, 0, 2770, 2778, 2782},
    {"cad/all_combined_dev.tsv", FC_FORMAT_CAD, 1000, 1000, 0, 0, 326, 325, 349},
    {"cad/all_combined_test.tsv", FC_FORMAT_CAD, 2000, 2000, 0, 0, 654, 677, 669},
    // SICK: E 2,821, N 5,595, C 1,424 (CRLF line ends).
    {"sick/SICK.txt", FC_FORMAT_SICK, 9840, 9840, 0, 0, 2821, 5595, 1424},
    // TaxiNLI: 10,071 rows; `label` (MultiNLI's gold) has no "-", annotated_label has 39.
    {"taxinli/taxinli10k.tsv", FC_FORMAT_TAXINLI, 10071, 10071, 0, 0, 3495, 3201, 3375},
    {"wanli/train_sample.jsonl", FC_FORMAT_WANLI, 100, 100, 0, 0, 44, 43, 13},
    // `gold` of the annotation sample: 35/41/17 and 7 "discard" (checked with Python's json).
    {"wanli/anonymized_annotations_sample.jsonl", FC_FORMAT_WANLI, 100, 93, 0, 7, 35, 41, 17},
};

static void test_real_files(void) {
    for (size_t i = 0; i < sizeof real_files / sizeof real_files[0]; i++) {
        const real_file *want = &real_files[i];
        const char *path = shared_path(want->path);
        fc_dataset_format detected;
        fc_error err;
        int status = fc_dataset_detect_format(path, NULL, &detected, &err);
        if (status != 0 || detected != want->format)
            fprintf(stderr, "  %s: detected %s (%s)\n", want->path,
                    status ? "nothing" : fc_dataset_format_name(detected),
                    status ? err.message : "");
        CHECK(status == 0 && detected == want->format);

        read_result got = read_counts(path, FC_FORMAT_AUTO, NULL);
        if (got.status != 0) fprintf(stderr, "  %s: %s\n", want->path, got.error);
        CHECK(got.status == 0);
        CHECK(got.format == want->format);
        CHECK(got.counts.read == want->read);
        CHECK(got.counts.kept == want->kept);
        CHECK(got.counts.skipped[FC_SKIP_NO_GOLD_LABEL] == want->no_gold);
        CHECK(got.counts.skipped[FC_SKIP_DISCARDED] == want->discarded);
        CHECK(fc_reader_counts_skipped(&got.counts) == want->no_gold + want->discarded);
        CHECK(got.counts.labels[FC_LABEL_ENTAILMENT] == want->e);
        CHECK(got.counts.labels[FC_LABEL_NEUTRAL] == want->n);
        CHECK(got.counts.labels[FC_LABEL_CONTRADICTION] == want->c);
        CHECK(got.counts.unlabeled == 0);
        if (got.counts.kept != want->kept || got.counts.labels[0] != want->e)
            fprintf(stderr, "  %s: read %zu kept %zu e/n/c %zu/%zu/%zu\n", want->path,
                    got.counts.read, got.counts.kept, got.counts.labels[0], got.counts.labels[1],
                    got.counts.labels[2]);

        // Naming the format gives the same as detecting it.
        read_result named = read_counts(path, want->format, NULL);
        CHECK(named.status == 0 && named.counts.kept == want->kept);
    }
}

// ---------------------------------------------------------------------------------------------
// Row-by-row checks against independent parses

// The SNLI CSV export of dev and e-SNLI's labels.dev are the same 9,842 rows in the same order
// (MANIFEST 1.2a): every CSV label must equal the label word on the same line of labels.dev,
// read here with plain fgets.
static void test_snli_csv_against_esnli_labels(void) {
    FILE *labels = fopen(shared_path("snli/esnli_senteval/labels.dev"), "rb");
    CHECK(labels != NULL);
    if (!labels) return;
    fc_reader *reader;
    fc_error err;
    CHECK(fc_reader_open(shared_path("snli/csv_export/snli_dev.csv"), FC_FORMAT_AUTO, NULL,
                         &reader, &err) == 0);
    fc_record record;
    char line[128];
    size_t rows = 0, mismatches = 0;
    while (fc_reader_next(reader, &record, &err) == 1) {
        if (!fgets(line, sizeof line, labels)) {
            mismatches++;
            break;
        }
        line[strcspn(line, "\r\n")] = '\0';
        if (expected_label(line) != record.label) mismatches++;
        rows++;
        // The CSV's data row r is on line r + 1 (the header is line 1; no field spans lines).
        if (record.line != rows + 1) mismatches++;
    }
    CHECK(rows == 9842);
    CHECK(mismatches == 0);
    CHECK(!fgets(line, sizeof line, labels)); // labels.dev has no more lines either
    fclose(labels);
    fc_reader_close(reader);
}

// ANLI: every record against cJSON's own parse of the line: context is the premise, the letter
// label maps to the canonical label, uid is the id.
static void test_anli_against_json(void) {
    const char *path = shared_path("anli/anli_v0.1/R3/dev.jsonl");
    FILE *raw = fopen(path, "rb");
    CHECK(raw != NULL);
    if (!raw) return;
    fc_reader *reader;
    fc_error err;
    CHECK(fc_reader_open(path, FC_FORMAT_ANLI, NULL, &reader, &err) == 0);
    fc_record record;
    char *line = NULL;
    size_t capacity = 0;
    size_t rows = 0, mismatches = 0;
    while (fc_reader_next(reader, &record, &err) == 1) {
        if (getline(&line, &capacity, raw) < 0) {
            mismatches++;
            break;
        }
        cJSON *row = cJSON_Parse(line);
        const char *context = cJSON_GetObjectItem(row, "context")->valuestring;
        const char *hypothesis = cJSON_GetObjectItem(row, "hypothesis")->valuestring;
        const char *uid = cJSON_GetObjectItem(row, "uid")->valuestring;
        const char *label = cJSON_GetObjectItem(row, "label")->valuestring;
        if (strcmp(context, record.premise) != 0 || strcmp(hypothesis, record.hypothesis) != 0 ||
            strcmp(uid, record.id) != 0 || expected_label(label) != record.label ||
            strcmp(record.source, "anli") != 0 || strcmp(record.split, "dev") != 0)
            mismatches++;
        cJSON_Delete(row);
        rows++;
    }
    CHECK(rows == 1200);
    CHECK(mismatches == 0);
    free(line);
    fclose(raw);
    fc_reader_close(reader);
}

// The native SNLI prefixes: the JSONL and TXT copies hold the same rows, and dev's rows are the
// first 10 of the CSV export of dev (MANIFEST 1.2c). Three of the four files lack the final
// newline, so their last row checks that path too.
static void test_snli_native_files_agree(void) {
    const char *pairs[][2] = {
        {"snli/native_fixture/snli_1.0_dev.jsonl", "snli/native_fixture/snli_1.0_dev.txt"},
        {"snli/native_fixture/snli_1.0_test.jsonl", "snli/native_fixture/snli_1.0_test.txt"},
        {"snli/native_fixture/snli_1.0_dev.jsonl", "snli/csv_export/snli_dev.csv"},
    };
    for (int p = 0; p < 3; p++) {
        fc_dataset a, b;
        fc_error err;
        CHECK(fc_dataset_read(shared_path(pairs[p][0]), FC_FORMAT_AUTO, NULL, &a, &err) == 0);
        CHECK(fc_dataset_read(shared_path(pairs[p][1]), FC_FORMAT_AUTO, NULL, &b, &err) == 0);
        CHECK(a.count == 10);
        size_t mismatches = 0;
        for (size_t i = 0; i < a.count && i < b.count; i++) {
            if (strcmp(a.records[i].premise, b.records[i].premise) != 0 ||
                strcmp(a.records[i].hypothesis, b.records[i].hypothesis) != 0 ||
                a.records[i].label != b.records[i].label)
                mismatches++;
            // The CSV export has no pairID: its ids are row numbers.
            if (p < 2 && strcmp(a.records[i].id, b.records[i].id) != 0) mismatches++;
        }
        CHECK(mismatches == 0);
        if (p < 2) {
            CHECK(b.count == 10);
            // Only when both files were read: a missing file fails above, not by a crash here.
            CHECK(a.count == 10 && b.count == 10 && strcmp(a.records[9].id, b.records[9].id) == 0);
        }
        fc_dataset_free(&a);
        fc_dataset_free(&b);
    }
    // The last row of a file without a final newline is whole.
    fc_dataset test;
    fc_error err;
    CHECK(fc_dataset_read(shared_path("snli/native_fixture/snli_1.0_test.txt"), FC_FORMAT_AUTO,
                          NULL, &test, &err) == 0);
    if (test.count == 10) {
        CHECK(strcmp(test.records[0].id, "2677109430.jpg#1r1n") == 0);
        CHECK(test.records[9].line == 11);
        const char *last = test.records[9].hypothesis;
        CHECK(strlen(last) > 0 && last[strlen(last) - 1] != '\r' && last[strlen(last) - 1] != '\n');
    }
    fc_dataset_free(&test);
}

// The CSV export: CRLF line ends and doubled quotes (data row 113 is line 114).
static void test_snli_csv_quirks(void) {
    fc_dataset dev;
    fc_error err;
    CHECK(fc_dataset_read(shared_path("snli/csv_export/snli_dev.csv"), FC_FORMAT_AUTO, NULL, &dev,
                          &err) == 0);
    CHECK(dev.count == 9842);
    if (dev.count < 113) return;
    CHECK(strcmp(dev.records[0].hypothesis, "The sisters are hugging goodbye while holding to go "
                                            "packages after just eating lunch.") == 0);
    CHECK(strcmp(dev.records[112].premise, "A man wearing sunglasses is sitting on the steps "
                                           "outside, reading a magazine.") == 0);
    CHECK(strcmp(dev.records[112].hypothesis,
                 "The man is reading a spoon with the words \"HELP ME\" on it.") == 0);
    CHECK(dev.records[112].line == 114);
    CHECK(dev.records[112].label == FC_LABEL_CONTRADICTION);
    size_t carriage_returns = 0;
    for (size_t i = 0; i < dev.count; i++)
        if (strchr(dev.records[i].premise, '\r') || strchr(dev.records[i].hypothesis, '\r'))
            carriage_returns++;
    CHECK(carriage_returns == 0);
    CHECK(strcmp(dev.records[0].source, "snli") == 0 && strcmp(dev.records[0].split, "dev") == 0);
    CHECK(strcmp(dev.records[0].id, "1") == 0 && strcmp(dev.records[9841].id, "9842") == 0);
    fc_dataset_free(&dev);
}

// SentEval: the trailing space of every line is dropped; the three ways to name the files agree.
static void test_senteval(void) {
    fc_dataset by_s1, by_prefix, by_labels;
    fc_error err;
    CHECK(fc_dataset_read(shared_path("snli/esnli_senteval/s1.dev"), FC_FORMAT_SENTEVAL, NULL,
                          &by_s1, &err) == 0);
    CHECK(fc_dataset_read(shared_path("snli/esnli_senteval/dev"), FC_FORMAT_AUTO, NULL,
                          &by_prefix, &err) == 0);
    CHECK(fc_dataset_read(shared_path("snli/esnli_senteval/s2.dev"), FC_FORMAT_AUTO, NULL,
                          &by_labels, &err) == 0);
    CHECK(by_s1.count == 9842 && by_prefix.count == 9842 && by_labels.count == 9842);
    if (by_s1.count == 9842) {
        CHECK(strcmp(by_s1.records[0].premise,
                     "Two women are embracing while holding to go packages .") == 0);
        CHECK(by_s1.records[0].label == FC_LABEL_NEUTRAL);
        CHECK(strcmp(by_s1.records[0].split, "dev") == 0);
        size_t differ = 0;
        for (size_t i = 0; i < by_s1.count && by_prefix.count == by_s1.count; i++)
            if (strcmp(by_s1.records[i].hypothesis, by_prefix.records[i].hypothesis) != 0 ||
                by_s1.records[i].label != by_labels.records[i].label)
                differ++;
        CHECK(differ == 0);
    }
    fc_dataset_free(&by_s1);
    fc_dataset_free(&by_prefix);
    fc_dataset_free(&by_labels);

    // Files out of step end the read, whatever on_error says.
    write_temp_text("s1.bad", "A man sleeps .\nA dog runs .\n");
    write_temp_text("s2.bad", "A person rests .\n");
    write_temp_text("labels.bad", "entailment\nneutral\n");
    fc_reader_options skip = fc_reader_default_options();
    skip.on_error = FC_ON_ERROR_SKIP;
    read_result got = read_counts(temp_path("s1.bad"), FC_FORMAT_AUTO, &skip);
    CHECK(got.status == -1);
    CHECK(strstr(got.error, "s2.bad") != NULL);
    CHECK(got.counts.kept == 1);
    CHECK(fc_reader_open(temp_path("nothing.here"), FC_FORMAT_SENTEVAL, NULL,
                         &(fc_reader *){NULL}, &(fc_error){{0}}) == -1);
}

// LingNLI train writes promptID as an int, val as a string; WANLI writes id as an int. The
// record id is text either way, and the extra and optional keys do no harm.
static void test_ids_and_extra_keys(void) {
    fc_dataset wanli, lingnli_train, lingnli_val;
    fc_error err;
    CHECK(fc_dataset_read(shared_path("wanli/train_sample.jsonl"), FC_FORMAT_AUTO, NULL, &wanli,
                          &err) == 0);
    CHECK(wanli.count == 100);
    if (wanli.count) {
        CHECK(strcmp(wanli.records[0].id, "116646") == 0);
        CHECK(wanli.records[0].label == FC_LABEL_ENTAILMENT);
        CHECK(strcmp(wanli.records[1].id, "322151") == 0);
        CHECK(wanli.records[1].label == FC_LABEL_NEUTRAL);
    }
    CHECK(fc_dataset_read(shared_path("lingnli/train_round1_LitL.jsonl"), FC_FORMAT_AUTO, NULL,
                          &lingnli_train, &err) == 0);
    if (lingnli_train.count) CHECK(strcmp(lingnli_train.records[0].id, "18989e") == 0);
    CHECK(fc_dataset_read(shared_path("lingnli/val_round5_LotS_combined.jsonl"), FC_FORMAT_AUTO,
                          NULL, &lingnli_val, &err) == 0);
    if (lingnli_val.count) {
        CHECK(strcmp(lingnli_val.records[0].id, "107006n") == 0);
        CHECK(strcmp(lingnli_val.records[0].split, "val") == 0);
        CHECK(strcmp(lingnli_val.records[0].source, "lingnli") == 0);
    }
    fc_dataset_free(&wanli);
    fc_dataset_free(&lingnli_train);
    fc_dataset_free(&lingnli_val);

    // Read as generic JSONL with named members, an ANLI file gives the same counts.
    fc_reader_options named = fc_reader_default_options();
    named.premise_column = "context";
    named.label_column = "label";
    named.id_column = "uid";
    read_result got = read_counts(shared_path("anli/anli_v0.1/R1/dev.jsonl"), FC_FORMAT_AUTO,
                                  &named);
    CHECK(got.status == 0 && got.format == FC_FORMAT_JSONL);
    CHECK(got.counts.kept == 1000 && got.counts.labels[0] == 334 && got.counts.labels[2] == 333);
    // A member the user names must be there.
    named.hypothesis_column = "claim";
    got = read_counts(shared_path("anli/anli_v0.1/R1/dev.jsonl"), FC_FORMAT_AUTO, &named);
    CHECK(got.status == -1 && strstr(got.error, "dev.jsonl:1: missing key \"claim\"") != NULL);

    // TextFooler's own columns, named as a generic TSV would be impossible (no header); the
    // MNLI textfooler file keeps its PTB tokens.
    fc_dataset matched;
    CHECK(fc_dataset_read(shared_path("mnli/textfooler_tokenized/mnli_matched.tsv"),
                          FC_FORMAT_AUTO, NULL, &matched, &err) == 0);
    if (matched.count) {
        CHECK(strcmp(matched.records[0].hypothesis, "There is a bookshop at the gallery .") == 0);
        CHECK(strcmp(matched.records[0].source, "mnli") == 0);
    }
    fc_dataset_free(&matched);
}

// ---------------------------------------------------------------------------------------------
// Synthetic broken files

static void test_malformed_json_fail_and_skip(void) {
    const char *path = write_temp_text(
        "broken.jsonl",
        "{\"premise\": \"A dog runs.\", \"hypothesis\": \"An animal moves.\", \"label\": \"e\"}\n"
        "\n"
        "{\"premise\": \"A cat sleeps.\", \"hypothesis\": \"A cat is awake.\", \"label\": \n"
        "{\"premise\": \"It rains.\", \"hypothesis\": \"It is wet.\", \"label\": \"entailment\"}\n");
    read_result failed = read_counts(path, FC_FORMAT_AUTO, NULL);
    CHECK(failed.status == -1);
    char want[512];
    snprintf(want, sizeof want, "%s:3: malformed JSON", path);
    CHECK(strstr(failed.error, want) == failed.error);
    CHECK(failed.counts.kept == 1 && failed.counts.skipped[FC_SKIP_MALFORMED] == 1);

    warnings w = {0};
    fc_reader_options skip = fc_reader_default_options();
    skip.on_error = FC_ON_ERROR_SKIP;
    skip.warn = collect_warning;
    skip.warn_context = &w;
    read_result skipped = read_counts(path, FC_FORMAT_AUTO, &skip);
    CHECK(skipped.status == 0);
    CHECK(skipped.counts.read == 3); // the blank line is no row
    CHECK(skipped.counts.kept == 2);
    CHECK(skipped.counts.skipped[FC_SKIP_MALFORMED] == 1);
    CHECK(w.count == 1);
    CHECK(strstr(w.first, want) == w.first);
    CHECK(strstr(w.first, "(skipped)") != NULL);
}

// JSONL with CRLF line ends, a byte order mark, blank lines and no final newline: three rows,
// each on the line the file has it.
static void test_jsonl_line_ends(void) {
    const char text[] =
        "\xEF\xBB\xBF{\"premise\": \"p1\", \"hypothesis\": \"h1\", \"label\": \"e\"}\r\n"
        "\r\n"
        "  \t\r\n"
        "{\"premise\": \"p2\", \"hypothesis\": \"h2\", \"label\": \"n\", \"id\": 12}\r\n"
        "{\"premise\": \"p3\", \"hypothesis\": \"h3\", \"label\": \"c\"}";
    const char *path = write_temp("crlf.jsonl", text, sizeof text - 1);
    fc_dataset data;
    fc_error err;
    CHECK(fc_dataset_read(path, FC_FORMAT_AUTO, NULL, &data, &err) == 0);
    CHECK(data.format == FC_FORMAT_JSONL);
    CHECK(data.count == 3 && data.counts.read == 3);
    if (data.count == 3) {
        CHECK(data.records[0].line == 1 && data.records[1].line == 4 && data.records[2].line == 5);
        CHECK(strcmp(data.records[0].id, "1") == 0); // numbered: the file has no id
        CHECK(strcmp(data.records[1].id, "12") == 0);
        CHECK(strcmp(data.records[2].id, "3") == 0);
        CHECK(strcmp(data.records[2].hypothesis, "h3") == 0);
        CHECK(data.records[2].label == FC_LABEL_CONTRADICTION);
    }
    fc_dataset_free(&data);
}

// Each bad row once, read with on_error=skip: every reason counted where it belongs.
static void test_bad_rows_by_reason(void) {
    const char *path = write_temp_text(
        "reasons.jsonl",
        "{\"premise\": \"ok\", \"hypothesis\": \"fine\", \"label\": \"neutral\", \"x\": [1, {}]}\n"
        "{\"premise\": \"caf\xC3\xA9 \xF0\x9F\x98\x80\", \"hypothesis\": \"h\", \"label\": \"N\"}\n"
        "{\"premise\": \"bad \xC3\x28 byte\", \"hypothesis\": \"h\", \"label\": \"e\"}\n"
        "{\"premise\": \"no hypothesis\", \"label\": \"e\"}\n"
        "{\"premise\": \"p\", \"hypothesis\": 7, \"label\": \"e\"}\n"
        "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": \"maybe\"}\n"
        "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": 1}\n"
        "{\"premise\": \"  \", \"hypothesis\": \"h\", \"label\": \"e\"}\n"
        "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": \"-\"}\n"
        "[\"not\", \"an\", \"object\"]\n"
        "{\"premise\": \"p\", \"hypothesis\": \"h\"} trailing\n"
        "{\"premise\": \"p\", \"hypothesis\": \"h\"}\n"
        "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": true}\n");
    fc_reader_options skip = fc_reader_default_options();
    skip.on_error = FC_ON_ERROR_SKIP;
    read_result got = read_counts(path, FC_FORMAT_JSONL, &skip);
    CHECK(got.status == 0);
    CHECK(got.counts.read == 13);
    CHECK(got.counts.kept == 3); // lines 1, 2 and the unlabeled line 12
    CHECK(got.counts.labels[FC_LABEL_NEUTRAL] == 2);
    CHECK(got.counts.unlabeled == 1);
    CHECK(got.counts.skipped[FC_SKIP_INVALID_UTF8] == 1);
    CHECK(got.counts.skipped[FC_SKIP_MISSING_FIELD] == 3);
    CHECK(got.counts.skipped[FC_SKIP_UNKNOWN_LABEL] == 2);
    CHECK(got.counts.skipped[FC_SKIP_EMPTY_TEXT] == 1);
    CHECK(got.counts.skipped[FC_SKIP_NO_GOLD_LABEL] == 1);
    CHECK(got.counts.skipped[FC_SKIP_MALFORMED] == 2);

    // Under on_error=fail the first bad row ends the read with its line and reason; the data's
    // own verdicts (empty text, "-") never do.
    read_result failed = read_counts(path, FC_FORMAT_JSONL, NULL);
    char want[512];
    snprintf(want, sizeof want, "%s:3: premise: invalid UTF-8 at byte 4", path);
    CHECK(failed.status == -1 && strcmp(failed.error, want) == 0);

    const char *verdicts = write_temp_text(
        "verdicts.jsonl",
        "{\"premise\": \"\", \"hypothesis\": \"h\", \"label\": \"e\"}\n"
        "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": \"-\"}\n"
        "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": \"discard\"}\n"
        "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": \"c\"}\n");
    got = read_counts(verdicts, FC_FORMAT_JSONL, NULL);
    CHECK(got.status == 0 && got.counts.kept == 1 && got.counts.read == 4);
    CHECK(got.counts.labels[FC_LABEL_CONTRADICTION] == 1);
    CHECK(got.counts.skipped[FC_SKIP_DISCARDED] == 1);

    // An unknown label and an integer label name the value and what to do.
    const char *unknown = write_temp_text(
        "unknown.jsonl", "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": \"maybe\"}\n");
    got = read_counts(unknown, FC_FORMAT_JSONL, NULL);
    CHECK(got.status == -1 && strstr(got.error, ":1: label \"maybe\" is no NLI label") != NULL);
    const char *integer = write_temp_text(
        "integer.jsonl", "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": 2}\n");
    got = read_counts(integer, FC_FORMAT_JSONL, NULL);
    CHECK(got.status == -1 && strstr(got.error, "label map") != NULL);
}

// Integer labels: only with a map the user gives, or where the format documents the order.
static void test_label_maps(void) {
    const char *path = write_temp_text(
        "ints.jsonl",
        "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": 0}\n"
        "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": 1}\n"
        "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": 2}\n"
        "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": 2}\n"
        "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": -1}\n");
    fc_reader_options options = fc_reader_default_options();
    options.label_map = "hf";
    read_result got = read_counts(path, FC_FORMAT_JSONL, &options);
    CHECK(got.status == 0 && got.counts.kept == 4);
    CHECK(got.counts.labels[0] == 1 && got.counts.labels[1] == 1 && got.counts.labels[2] == 2);
    CHECK(got.counts.skipped[FC_SKIP_NO_GOLD_LABEL] == 1);

    // The order of microsoft/deberta-large-mnli: 0 contradiction, 1 neutral, 2 entailment.
    options.label_map = "0=contradiction, 1=neutral, 2=entailment, -1=-";
    got = read_counts(path, FC_FORMAT_JSONL, &options);
    CHECK(got.status == 0);
    CHECK(got.counts.labels[0] == 2 && got.counts.labels[1] == 1 && got.counts.labels[2] == 1);

    options.label_map = "0=entailment,1=neutral"; // 2 and -1 unmapped
    got = read_counts(path, FC_FORMAT_JSONL, &options);
    CHECK(got.status == -1 && strstr(got.error, ":3: label 2 is not in the label map") != NULL);

    const char *bad_maps[] = {"0=entailment,0=neutral", "0=yes", "0entailment", "=neutral"};
    for (int i = 0; i < 4; i++) {
        options.label_map = bad_maps[i];
        fc_reader *reader = NULL;
        fc_error err;
        CHECK(fc_reader_open(path, FC_FORMAT_JSONL, &options, &reader, &err) == -1);
        CHECK(strstr(err.message, "label map") != NULL);
        CHECK(reader == NULL);
    }

    // The label rules directly: names in any case, letters, FEVER verdicts, markers.
    fc_label_rules rules;
    fc_error err;
    CHECK(fc_label_rules_init(&rules, NULL, FC_LABEL_INTS_NONE, &err) == 0);
    CHECK(fc_label_rules_text(&rules, "ENTAILMENT") == FC_LABEL_ENTAILMENT);
    CHECK(fc_label_rules_text(&rules, "NOT ENOUGH INFO") == FC_LABEL_NEUTRAL);
    CHECK(fc_label_rules_text(&rules, "REFUTES") == FC_LABEL_CONTRADICTION);
    CHECK(fc_label_rules_text(&rules, " c ") == FC_LABEL_CONTRADICTION);
    CHECK(fc_label_rules_text(&rules, "-") == FC_LABEL_VALUE_NO_GOLD);
    CHECK(fc_label_rules_text(&rules, "Discard") == FC_LABEL_VALUE_DISCARD);
    CHECK(fc_label_rules_text(&rules, "1") == FC_LABEL_VALUE_NEEDS_MAP);
    CHECK(fc_label_rules_number(&rules, 1.0) == FC_LABEL_VALUE_NEEDS_MAP);
    CHECK(fc_label_rules_text(&rules, "") == FC_LABEL_VALUE_UNKNOWN);
    fc_label_rules_free(&rules);
    CHECK(fc_label_rules_init(&rules, NULL, FC_LABEL_INTS_CANONICAL, &err) == 0);
    CHECK(fc_label_rules_number(&rules, 2.0) == FC_LABEL_CONTRADICTION);
    CHECK(fc_label_rules_number(&rules, 3.0) == FC_LABEL_VALUE_UNKNOWN);
    CHECK(fc_label_rules_number(&rules, 0.5) == FC_LABEL_VALUE_UNKNOWN);
    fc_label_rules_free(&rules);
}

// CSV: quoted fields with delimiters, doubled quotes and line ends inside, CRLF, a BOM, blank
// lines, a missing final newline; the record's line is the line its row starts on.
static void test_csv_parsing(void) {
    const char text[] =
        "\xEF\xBB\xBFid,premise,hypothesis,label\r\n"
        "a1,\"One, two.\",\"He said \"\"hi\"\".\",entailment\r\n"
        "\r\n"
        "a2,\"Line one\r\nline two\",plain,neutral\r\n"
        "a3,x,y,contradiction"; // no final newline
    const char *path = write_temp("quirks.csv", text, sizeof text - 1);
    fc_dataset data;
    fc_error err;
    CHECK(fc_dataset_read(path, FC_FORMAT_AUTO, NULL, &data, &err) == 0);
    CHECK(data.format == FC_FORMAT_CSV);
    CHECK(data.count == 3);
    if (data.count == 3) {
        CHECK(strcmp(data.records[0].id, "a1") == 0);
        CHECK(strcmp(data.records[0].premise, "One, two.") == 0);
        CHECK(strcmp(data.records[0].hypothesis, "He said \"hi\".") == 0);
        CHECK(data.records[0].line == 2);
        CHECK(strcmp(data.records[1].premise, "Line one\r\nline two") == 0);
        CHECK(data.records[1].line == 4);
        CHECK(data.records[2].line == 6);
        CHECK(strcmp(data.records[2].hypothesis, "y") == 0);
        CHECK(data.records[2].label == FC_LABEL_CONTRADICTION);
        CHECK(strcmp(data.records[2].source, "quirks") == 0);
    }
    fc_dataset_free(&data);

    // A row of the wrong width and a quote that never closes are malformed rows; a header
    // without the named column fails the open.
    const char *broken = write_temp_text("broken.csv",
                                         "premise,hypothesis,label\n"
                                         "p,h,entailment\n"
                                         "p,h\n"
                                         "p,h,neutral\n"
                                         "\"never closed,h,neutral\n"
                                         "p,h,neutral\n");
    read_result got = read_counts(broken, FC_FORMAT_CSV, NULL);
    CHECK(got.status == -1 && strstr(got.error, ":3: malformed: 2 fields, expected 3") != NULL);
    fc_reader_options skip = fc_reader_default_options();
    skip.on_error = FC_ON_ERROR_SKIP;
    got = read_counts(broken, FC_FORMAT_CSV, &skip);
    CHECK(got.status == 0 && got.counts.kept == 2 && got.counts.skipped[FC_SKIP_MALFORMED] == 2);
    skip.on_error = FC_ON_ERROR_FAIL;
    skip.label_column = "gold";
    got = read_counts(broken, FC_FORMAT_CSV, &skip);
    CHECK(got.status == -1 && strstr(got.error, "the header has no column \"gold\"") != NULL);
    got = read_counts(broken, FC_FORMAT_SNLI_CSV, NULL);
    CHECK(got.status == -1 && strstr(got.error, "\"sentence1\"") != NULL);

    // The parser alone: an unterminated quote reports the row's first line.
    const char *unterminated = write_temp_text("unterminated.csv", "a,b\n\"c\nd,e\n");
    FILE *f = fopen(unterminated, "rb");
    fc_csv_reader csv;
    fc_csv_init(&csv, f, ',', 1);
    CHECK(fc_csv_next_row(&csv, &err) == FC_CSV_ROW && csv.n_fields == 2);
    CHECK(fc_csv_next_row(&csv, &err) == FC_CSV_MALFORMED);
    CHECK(csv.row_line == 2 && strstr(err.message, "line 2") != NULL);
    CHECK(fc_csv_next_row(&csv, &err) == FC_CSV_END);
    fc_csv_free(&csv);
    fclose(f);
}

// Random bytes from the characters that matter to the parsers (quotes, delimiters, line ends,
// braces, a UTF-8 pair and a stray byte): no input may crash a reader or break the counts.
static void test_parsers_on_random_input(void) {
    static const char alphabet[] = {'a', 'b', ',', '\t', '"', '\r', '\n', ' ', '{', '}', ':',
                                    '\xC3', '\xA9', '\xFF', '0', '-'};
    uint32_t state = 12345;
    char text[256];
    int broken_counts = 0, crashed_reads = 0;
    for (int round = 0; round < 300; round++) {
        // A valid header first, so the table readers get past opening.
        const char *header = round % 3 == 0 ? "premise,hypothesis,label\n"
                             : round % 3 == 1 ? "premise\thypothesis\tlabel\n"
                                              : "";
        size_t length = strlen(header);
        memcpy(text, header, length);
        state = state * 1664525u + 1013904223u;
        size_t extra = (state >> 16) % 200;
        for (size_t i = 0; i < extra; i++) {
            state = state * 1664525u + 1013904223u;
            text[length++] = alphabet[(state >> 16) % sizeof alphabet];
        }
        const char *path = write_temp("random.txt", text, length);
        fc_dataset_format format = round % 3 == 0 ? FC_FORMAT_CSV
                                   : round % 3 == 1 ? FC_FORMAT_TSV
                                                    : FC_FORMAT_JSONL;
        fc_reader_options skip = fc_reader_default_options();
        skip.on_error = FC_ON_ERROR_SKIP;
        skip.label_map = "0=entailment";
        read_result got = read_counts(path, format, &skip);
        if (got.status != 0) crashed_reads++;
        if (got.counts.read != got.counts.kept + fc_reader_counts_skipped(&got.counts))
            broken_counts++;
    }
    CHECK(crashed_reads == 0);
    CHECK(broken_counts == 0);
}

// Tab-separated files: the sources' own (no quoting: a '"' is a character) and generic TSV.
static void test_tsv_formats(void) {
    const char *glue = write_temp_text(
        "dev_matched.tsv",
        "index\tpromptID\tpairID\tgenre\tsentence1\tsentence2\tlabel1\tgold_label\n"
        "0\t31193\t31193n\tgovernment\t\"Conceptually cream skimming\tProduct and geography."
        "\tneutral\tneutral\n"
        "1\t101457\t101457e\ttelephone\tyou know \"\"during\"\"\tYou lose things.\t-\t-\n");
    fc_dataset data;
    fc_error err;
    CHECK(fc_dataset_read(glue, FC_FORMAT_AUTO, NULL, &data, &err) == 0);
    CHECK(data.format == FC_FORMAT_GLUE_TSV);
    CHECK(data.count == 1 && data.counts.skipped[FC_SKIP_NO_GOLD_LABEL] == 1);
    if (data.count == 1) {
        CHECK(strcmp(data.records[0].premise, "\"Conceptually cream skimming") == 0);
        CHECK(strcmp(data.records[0].id, "31193n") == 0);
        CHECK(strcmp(data.records[0].source, "mnli") == 0);
        CHECK(strcmp(data.records[0].split, "dev") == 0);
    }
    fc_dataset_free(&data);

    const char *generic = write_temp_text("pairs.tsv",
                                          "text_a\ttext_b\tverdict\n"
                                          "\"Quoted\ttab\"\tb\t0\n"
                                          "c\td\t1\n");
    fc_reader_options options = fc_reader_default_options();
    options.premise_column = "text_a";
    options.hypothesis_column = "text_b";
    options.label_column = "verdict";
    options.label_map = "0=entailment,1=contradiction";
    CHECK(fc_dataset_read(generic, FC_FORMAT_AUTO, &options, &data, &err) == 0);
    CHECK(data.format == FC_FORMAT_TSV && data.count == 2);
    if (data.count == 2) {
        CHECK(strcmp(data.records[0].premise, "Quoted\ttab") == 0);
        CHECK(data.records[0].label == FC_LABEL_ENTAILMENT);
        CHECK(data.records[1].label == FC_LABEL_CONTRADICTION);
        CHECK(strcmp(data.records[1].id, "2") == 0);
    }
    fc_dataset_free(&data);
}

// The section-3 table formats on their real files: CAD's ids carry the split, SICK's split is
// the row's SemEval_set, TaxiNLI's texts lose the CSV quoting layers they were written with.
static void test_section3_real_rows(void) {
    fc_dataset data;
    fc_error err;
    CHECK(fc_dataset_read(shared_path("cad/all_combined_dev.tsv"), FC_FORMAT_AUTO, NULL, &data,
                          &err) == 0);
    CHECK(data.count == 1000);
    if (data.count == 1000) {
        const fc_record *r = &data.records[0];
        CHECK(strcmp(r->id, "dev-1") == 0 && strcmp(data.records[999].id, "dev-1000") == 0);
        CHECK(strcmp(r->source, "cad") == 0 && strcmp(r->split, "dev") == 0);
        CHECK(strcmp(r->premise, "The little boy in jean shorts kicks the soccer ball.") == 0);
        CHECK(strcmp(r->hypothesis, "A little boy is playing soccer outside.") == 0);
        CHECK(r->label == FC_LABEL_NEUTRAL && r->line == 2);
    }
    fc_dataset_free(&data);

    CHECK(fc_dataset_read(shared_path("sick/SICK.txt"), FC_FORMAT_AUTO, NULL, &data, &err) == 0);
    size_t splits[3] = {0}; // train, trial, test: 4,439 / 495 / 4,906 (Python's csv module)
    int ids_ok = 1;
    for (size_t i = 0; i < data.count; i++) {
        const char *split = data.records[i].split;
        splits[0] += strcmp(split, "train") == 0;
        splits[1] += strcmp(split, "trial") == 0;
        splits[2] += strcmp(split, "test") == 0;
        ids_ok &= strcmp(data.records[i].source, "sick") == 0 && data.records[i].id[0] != '\0';
    }
    CHECK(splits[0] == 4439 && splits[1] == 495 && splits[2] == 4906 && ids_ok);
    if (data.count == 9840) {
        const fc_record *r = &data.records[0];
        CHECK(strcmp(r->id, "1") == 0 && r->label == FC_LABEL_NEUTRAL);
        CHECK(strcmp(r->premise, "A group of kids is playing in a yard and an old man is standing "
                                 "in the background") == 0);
    }
    fc_dataset_free(&data);
    // A split the user gives wins over the column.
    fc_reader_options options = fc_reader_default_options();
    options.split = "train";
    CHECK(fc_dataset_read(shared_path("sick/SICK.txt"), FC_FORMAT_AUTO, &options, &data,
                          &err) == 0);
    CHECK(data.count == 9840 && strcmp(data.records[data.count - 1].split, "train") == 0);
    fc_dataset_free(&data);

    // TaxiNLI row 98489c: MultiNLI dev's `But it's for us to get busy and do something."` is
    // written `"""But it's for us to get busy and do something."""""""` in the TSV.
    CHECK(fc_dataset_read(shared_path("taxinli/taxinli10k.tsv"), FC_FORMAT_AUTO, NULL, &data,
                          &err) == 0);
    int found = 0, quotes_left = 0;
    for (size_t i = 0; i < data.count; i++) {
        const fc_record *r = &data.records[i];
        if (strcmp(r->id, "98489c") == 0) {
            found = 1;
            CHECK(strcmp(r->premise, "But it's for us to get busy and do something.\"") == 0);
            CHECK(r->label == FC_LABEL_CONTRADICTION && strcmp(r->split, "") == 0);
        }
        quotes_left += strncmp(r->premise, "\"\"\"", 3) == 0;
    }
    CHECK(found && quotes_left == 0 && data.count > 0 && strcmp(data.records[0].id, "53438c") == 0);
    CHECK(data.count > 0 && strcmp(data.records[0].source, "taxinli") == 0);
    fc_dataset_free(&data);
}

// WANLI's annotation rows: `gold` is the label of the revised pair, so that is the pair read.
// Row 2 of the sample was revised: "... influenced his thinking ..." became "... influenced
// Klein's thinking ...", and relabeled neutral -> entailment.
static void test_wanli_revised_pairs(void) {
    fc_dataset data;
    fc_error err;
    CHECK(fc_dataset_read(shared_path("wanli/anonymized_annotations_sample.jsonl"),
                          FC_FORMAT_AUTO, NULL, &data, &err) == 0);
    int found = 0;
    for (size_t i = 0; i < data.count; i++) {
        const fc_record *r = &data.records[i];
        if (strstr(r->hypothesis, "Brian Arthur has influenced")) {
            found++;
            CHECK(strcmp(r->hypothesis, "Brian Arthur has influenced Klein's thinking about "
                                        "high-technology markets.") == 0);
            CHECK(r->label == FC_LABEL_ENTAILMENT);
        }
    }
    CHECK(found == 1);
    fc_dataset_free(&data);
}

// Bad rows of each section-3 format: a FILE:LINE error, or skipped and counted under skip.
static void test_section3_bad_rows(void) {
    static const struct {
        const char *name, *text;
        fc_dataset_format format;
        const char *error;   // what the first bad row's error must hold
        size_t read, kept;   // under skip
        size_t malformed, unknown_label;
    } cases[] = {
        {"bad_cad_train.tsv",
         "sentence1\tsentence2\tgold_label\n"
         "A man sleeps.\tA person rests.\tentailment\n"
         "A man sleeps.\tcontradiction\n"                 // a column missing
         "A man sleeps.\tA cat rests.\tmaybe\n"           // no NLI label
         "A dog runs.\tAn animal moves.\tentailment\n",
         FC_FORMAT_CAD, "bad_cad_train.tsv:3: malformed: 2 fields, expected 3", 4, 2, 1, 1},
        {"bad_SICK.txt",
         "pair_ID\tsentence_A\tsentence_B\tentailment_label\trelatedness_score\tSemEval_set\r\n"
         "1\tA kid plays.\tA child plays.\tENTAILMENT\t4.5\tTRAIN\r\n"
         "2\tA kid plays.\tA child sleeps.\tCONTRA\t1.0\tTEST\r\n"   // no NLI label
         "3\tA kid plays.\tNEUTRAL\t3.0\tTRIAL\r\n",                  // a column missing
         FC_FORMAT_SICK, "bad_SICK.txt:3: label \"CONTRA\" is no NLI label", 3, 1, 1, 1},
        {"bad_taxinli.tsv",
         "prem\thyp\tlabel\tannotated_label\tnegation_logic\tpairID\tgenre\n"
         "It rains.\tIt is wet.\tentailment\tentailment\t0\t1e\tfiction\n"
         "It rains.\tIt is dry.\t-\tcontradiction\t1\t1c\tfiction\n"   // no gold: skipped
         "It rains.\tIt is dry.\tcontradiction\n",                      // columns missing
         FC_FORMAT_TAXINLI, "bad_taxinli.tsv:4: malformed: 3 fields, expected 7", 3, 1, 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = write_temp_text(cases[i].name, cases[i].text);
        fc_dataset_format detected;
        fc_error err;
        CHECK(fc_dataset_detect_format(path, NULL, &detected, &err) == 0 &&
              detected == cases[i].format);
        read_result failed = read_counts(path, FC_FORMAT_AUTO, NULL);
        int named = failed.status == -1 && strstr(failed.error, cases[i].error) != NULL;
        if (!named) fprintf(stderr, "  %s: \"%s\"\n", cases[i].name, failed.error);
        CHECK(named);
        fc_reader_options skip = fc_reader_default_options();
        skip.on_error = FC_ON_ERROR_SKIP;
        warnings w = {0};
        skip.warn = collect_warning;
        skip.warn_context = &w;
        read_result got = read_counts(path, FC_FORMAT_AUTO, &skip);
        int counted = got.status == 0 && got.counts.read == cases[i].read &&
                      got.counts.kept == cases[i].kept &&
                      got.counts.skipped[FC_SKIP_MALFORMED] == cases[i].malformed &&
                      got.counts.skipped[FC_SKIP_UNKNOWN_LABEL] == cases[i].unknown_label;
        if (!counted)
            fprintf(stderr, "  %s: read %zu kept %zu malformed %zu unknown %zu (%s)\n",
                    cases[i].name, got.counts.read, got.counts.kept,
                    got.counts.skipped[FC_SKIP_MALFORMED],
                    got.counts.skipped[FC_SKIP_UNKNOWN_LABEL], got.error);
        CHECK(counted);
        CHECK(w.count == (int)(cases[i].malformed + cases[i].unknown_label));
    }
    // TaxiNLI's "-" in `label` is the data's own verdict (no gold), skipped even under fail.
    const char *path = temp_path("bad_taxinli.tsv");
    read_result got = read_counts(path, FC_FORMAT_TAXINLI, NULL);
    CHECK(got.status == -1 && got.counts.skipped[FC_SKIP_NO_GOLD_LABEL] == 1);

    // A header without a required column names it.
    path = write_temp_text("no_split_SICK.txt",
                           "pair_ID\tsentence_A\tsentence_B\tentailment_label\n"
                           "1\tA kid plays.\tA child plays.\tENTAILMENT\n");
    got = read_counts(path, FC_FORMAT_SICK, NULL);
    CHECK(got.status == -1 && strstr(got.error, ":1: the header has no column \"SemEval_set\""));
    path = write_temp_text("no_id_taxinli.tsv", "prem\thyp\tlabel\nA.\tB.\tneutral\n");
    got = read_counts(path, FC_FORMAT_TAXINLI, NULL);
    CHECK(got.status == -1 && strstr(got.error, "no column \"pairID\""));

    // TaxiNLI's quoting layers come off; a text that only looks quoted keeps its quotes.
    path = write_temp_text(
        "quoted_taxinli.tsv",
        "prem\thyp\tlabel\tpairID\n"
        "\"\"\"Good-bye.\"\"\"\" Julius was bending over the car.\"\"\"\tHe left.\tneutral\t1n\n"
        "\"Possibly three months.\"\"\"\t\"A\" and \"B\"\tneutral\t2n\n"
        "\"\"\"\t\"x\"\"\tneutral\t3n\n"
        "\"\"\tx\tneutral\t4n\n");
    fc_dataset data;
    fc_error err;
    CHECK(fc_dataset_read(path, FC_FORMAT_AUTO, NULL, &data, &err) == 0);
    CHECK(data.count == 3 && data.counts.skipped[FC_SKIP_EMPTY_TEXT] == 1);
    if (data.count == 3) {
        CHECK(strcmp(data.records[0].premise, "Good-bye.\" Julius was bending over the car.") ==
              0);
        CHECK(strcmp(data.records[1].premise, "Possibly three months.\"") == 0);
        CHECK(strcmp(data.records[1].hypothesis, "\"A\" and \"B\"") == 0);
        CHECK(strcmp(data.records[2].premise, "\"\"\"") == 0);
        CHECK(strcmp(data.records[2].hypothesis, "\"x\"\"") == 0);
    }
    fc_dataset_free(&data);
}

// NLI-FEVER, both layouts: query is the hypothesis, context the premise; hidden labels give
// unlabeled records; the Hugging Face copy's integers follow its ClassLabel order.
static void test_nli_fever(void) {
    const char *original = write_temp_text(
        "dev_fitems.jsonl",
        "{\"cid\": 1, \"fid\": \"a\", \"query\": \"The claim.\", \"context\": \"The evidence.\", "
        "\"label\": \"SUPPORTS\"}\n"
        "{\"cid\": 2, \"fid\": \"b\", \"query\": \"q\", \"context\": \"c\", \"label\": \"REFUTES\"}\n"
        "{\"cid\": 3, \"fid\": \"c\", \"query\": \"q\", \"context\": \"c\", "
        "\"label\": \"NOT ENOUGH INFO\"}\n"
        "{\"cid\": 4, \"fid\": \"d\", \"query\": \"q\", \"context\": \"c\"}\n");
    fc_dataset data;
    fc_error err;
    CHECK(fc_dataset_read(original, FC_FORMAT_AUTO, NULL, &data, &err) == 0);
    CHECK(data.format == FC_FORMAT_NLI_FEVER && data.count == 4);
    if (data.count == 4) {
        CHECK(strcmp(data.records[0].premise, "The evidence.") == 0);
        CHECK(strcmp(data.records[0].hypothesis, "The claim.") == 0);
        CHECK(strcmp(data.records[0].id, "1") == 0);
        CHECK(data.records[0].label == FC_LABEL_ENTAILMENT);
        CHECK(data.records[1].label == FC_LABEL_CONTRADICTION);
        CHECK(data.records[2].label == FC_LABEL_NEUTRAL);
        CHECK(data.records[3].label == -1);
        CHECK(strcmp(data.records[0].source, "nli_fever") == 0);
    }
    CHECK(data.counts.unlabeled == 1);
    fc_dataset_free(&data);

    const char *hf = write_temp_text(
        "nli_fever_hf.jsonl",
        "{\"cid\": \"7\", \"fid\": \"x\", \"premise\": \"p\", \"hypothesis\": \"h\", "
        "\"verifiable\": \"VERIFIABLE\", \"fever_gold_label\": \"REFUTES\", \"label\": 2}\n"
        "{\"cid\": \"8\", \"fid\": \"y\", \"premise\": \"p\", \"hypothesis\": \"h\", "
        "\"verifiable\": \"VERIFIABLE\", \"fever_gold_label\": \"SUPPORTS\", \"label\": 0}\n");
    CHECK(fc_dataset_read(hf, FC_FORMAT_AUTO, NULL, &data, &err) == 0);
    CHECK(data.format == FC_FORMAT_NLI_FEVER && data.count == 2);
    if (data.count == 2) {
        CHECK(data.records[0].label == FC_LABEL_CONTRADICTION);
        CHECK(data.records[1].label == FC_LABEL_ENTAILMENT);
        CHECK(strcmp(data.records[0].id, "7") == 0);
    }
    fc_dataset_free(&data);
}

// The interchange format: records written and read back are equal, strings with quotes,
// control characters and non-ASCII text included, logits to the last bit.
static void test_interchange_round_trip(void) {
    const char *path = temp_path("interchange.jsonl");
    FILE *out = fopen(path, "wb");
    CHECK(out != NULL);
    if (!out) return;
    fc_record records[3];
    memset(records, 0, sizeof records);
    records[0] = (fc_record){.id = "r1", .source = "snli", .split = "train",
                             .premise = "He said \"hi\"\\\n\ttab \x01 caf\xC3\xA9",
                             .hypothesis = "\xE2\x80\x9Cquoted\xE2\x80\x9D", .label = 2,
                             .has_teacher_logits = 1, .teacher_logits = {0.1f, -3.25f, 1e-7f},
                             .has_score = 1, .score = 0.123456789012345,
                             .flags = "[\"dup\",{\"k\":1}]"};
    records[1] = (fc_record){.id = "r2", .source = "anli", .split = "dev", .premise = "p",
                             .hypothesis = "h", .label = -1};
    records[2] = (fc_record){.id = "r3", .source = "wanli", .split = "", .premise = "p2",
                             .hypothesis = "h2", .label = 0};
    for (int i = 0; i < 3; i++) fc_record_write_jsonl(out, &records[i]);
    fclose(out);

    fc_dataset back;
    fc_error err;
    CHECK(fc_dataset_read(path, FC_FORMAT_AUTO, NULL, &back, &err) == 0);
    CHECK(back.format == FC_FORMAT_FINECAT);
    CHECK(back.count == 3);
    for (size_t i = 0; i < back.count && i < 3; i++) {
        const fc_record *a = &records[i], *b = &back.records[i];
        CHECK(strcmp(a->id, b->id) == 0 && strcmp(a->source, b->source) == 0);
        CHECK(strcmp(a->split, b->split) == 0);
        CHECK(strcmp(a->premise, b->premise) == 0 && strcmp(a->hypothesis, b->hypothesis) == 0);
        CHECK(a->label == b->label);
        CHECK(a->has_teacher_logits == b->has_teacher_logits && a->has_score == b->has_score);
        for (int k = 0; k < 3 && a->has_teacher_logits; k++)
            CHECK(a->teacher_logits[k] == b->teacher_logits[k]);
        CHECK(a->score == b->score);
        CHECK((a->flags == NULL) == (b->flags == NULL));
        if (a->flags && b->flags) CHECK(strcmp(a->flags, b->flags) == 0);
    }
    CHECK(back.counts.unlabeled == 1);
    fc_dataset_free(&back);

    // Canonical indexes are labels in the interchange format; bad teacher_logits are rows
    // with a missing field.
    const char *indexed = write_temp_text(
        "indexed.jsonl",
        "{\"id\": 5, \"source\": \"x\", \"premise\": \"p\", \"hypothesis\": \"h\", \"label\": 1}\n"
        "{\"id\": 6, \"source\": \"x\", \"premise\": \"p\", \"hypothesis\": \"h\", \"label\": 0, "
        "\"teacher_logits\": [1, 2]}\n");
    fc_reader_options skip = fc_reader_default_options();
    skip.on_error = FC_ON_ERROR_SKIP;
    read_result got = read_counts(indexed, FC_FORMAT_AUTO, &skip);
    CHECK(got.format == FC_FORMAT_FINECAT);
    CHECK(got.counts.labels[FC_LABEL_NEUTRAL] == 1);
    CHECK(got.counts.skipped[FC_SKIP_MISSING_FIELD] == 1);
}

static void test_detection_and_names(void) {
    for (int f = 0; f < FC_FORMAT_COUNT; f++)
        CHECK(fc_dataset_format_from_name(fc_dataset_format_name((fc_dataset_format)f)) == f);
    CHECK(fc_dataset_format_from_name("parquet") == -1);
    for (int r = 0; r < FC_SKIP_REASON_COUNT; r++)
        CHECK(strcmp(fc_skip_reason_name((fc_skip_reason)r), "unknown") != 0);
    CHECK(!fc_skip_reason_is_error(FC_SKIP_NO_GOLD_LABEL));
    CHECK(fc_skip_reason_is_error(FC_SKIP_INVALID_UTF8));

    const char *unknown = write_temp_text("unknown_keys.jsonl", "\n  {\"text\": \"x\", \"y\": 1}\n");
    fc_dataset_format format;
    fc_error err;
    CHECK(fc_dataset_detect_format(unknown, NULL, &format, &err) == -1);
    CHECK(strstr(err.message, "unknown_keys.jsonl:2: cannot detect") != NULL);
    CHECK(strstr(err.message, "{text, y}") != NULL);
    const char *empty = write_temp_text("empty.jsonl", "\n\n");
    CHECK(fc_dataset_detect_format(empty, NULL, &format, &err) == -1);
    CHECK(fc_dataset_detect_format(temp_path("missing.jsonl"), NULL, &format, &err) == -1);
    CHECK(strstr(err.message, "cannot open") != NULL);

    // Progress reaches the file size at the end.
    fc_reader *reader = NULL;
    CHECK(fc_reader_open(shared_path("wanli/train_sample.jsonl"), FC_FORMAT_AUTO, NULL, &reader,
                         &err) == 0);
    if (!reader) return; // the failed open is counted above; nothing to read
    fc_record record;
    while (fc_reader_next(reader, &record, &err) == 1) {
    }
    uint64_t done, total;
    fc_reader_progress(reader, &done, &total);
    CHECK(total == 24719 && done == total);
    fc_reader_close(reader);
}

static void test_utf8_check(void) {
    const struct {
        const char *text;
        int valid;
        size_t bad;
    } cases[] = {
        {"plain ASCII text that is longer than eight bytes", 1, 0},
        {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF", 1, 0},
        {"ab\xC0\x80", 0, 2},              // overlong NUL
        {"abcdefgh\xE0\x80\xAF", 0, 8},    // overlong 3-byte
        {"\xED\xA0\x80", 0, 0},            // surrogate U+D800
        {"x\xF4\x90\x80\x80", 0, 1},       // above U+10FFFF
        {"tail \xE2\x82", 0, 5},           // cut short at the end
        {"\x80", 0, 0},                    // stray continuation byte
        {"\xF5\x80\x80\x80", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t bad = 99;
        int valid = fc_utf8_valid(cases[i].text, strlen(cases[i].text), &bad);
        CHECK(valid == cases[i].valid);
        if (!cases[i].valid) CHECK(bad == cases[i].bad);
    }
    CHECK(fc_text_is_blank(" \t\r\n"));
    CHECK(fc_text_is_blank(""));
    CHECK(!fc_text_is_blank(" a "));
}

void suite_data(void) {
    snprintf(temp_dir, sizeof temp_dir, "/tmp/finecat_test_data_XXXXXX");
    if (!mkdtemp(temp_dir)) {
        CHECK(!"cannot create a temporary folder");
        return;
    }
    test_real_files();
    test_snli_csv_against_esnli_labels();
    test_anli_against_json();
    test_snli_native_files_agree();
    test_snli_csv_quirks();
    test_senteval();
    test_ids_and_extra_keys();
    test_jsonl_line_ends();
    test_malformed_json_fail_and_skip();
    test_bad_rows_by_reason();
    test_label_maps();
    test_csv_parsing();
    test_parsers_on_random_input();
    test_tsv_formats();
    test_section3_real_rows();
    test_wanli_revised_pairs();
    test_section3_bad_rows();
    test_nli_fever();
    test_interchange_round_trip();
    test_detection_and_names();
    test_utf8_check();
    remove_temp_files();
}
