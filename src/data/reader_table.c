// The tabular formats: SNLI's snli_1.0_*.txt and its CSV exports, GLUE MNLI tsv, TextFooler
// tsv, CAD, SICK and TaxiNLI tsv, and generic CSV/TSV with named columns. Columns are found by name in the header (the
// formats with one), so extra or reordered columns do no harm.
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/csv.h"
#include "data/reader_internal.h"
#include "util/alloc.h"
#include "util/error.h"

typedef struct table_schema {
    char delimiter;
    int quoting;     // RFC 4180 quotes (CSV, generic TSV) or none (the sources' own TSV files)
    int has_header;
    // With a header: column names (label and id may be NULL or absent: see the flags).
    const char *premise, *hypothesis, *label, *id;
    int label_required; // the header must have the label column
    int id_required;
    const char *split;  // a column that holds each row's split (SICK), or NULL
    int id_with_split;  // no id column: ids are "SPLIT-ROW" so that the split files of one
                        // source do not all start at "1"
    int unquote_texts;  // undo CSV quoting left inside the texts (TaxiNLI)
    // Without a header: column positions.
    int premise_index, hypothesis_index, label_index;
} table_schema;

static const table_schema snli_txt_schema = {
    .delimiter = '\t', .quoting = 0, .has_header = 1, .premise = "sentence1",
    .hypothesis = "sentence2", .label = "gold_label", .id = "pairID", .label_required = 1,
};
static const table_schema snli_csv_schema = {
    .delimiter = ',', .quoting = 1, .has_header = 1, .premise = "sentence1",
    .hypothesis = "sentence2", .label = "gold_label", .id = "pairID", .label_required = 1,
};
// GLUE's MNLI dev/train tsv end with gold_label; its test files have no label column.
static const table_schema glue_tsv_schema = {
    .delimiter = '\t', .quoting = 0, .has_header = 1, .premise = "sentence1",
    .hypothesis = "sentence2", .label = "gold_label", .id = "pairID", .label_required = 0,
};
// Counterfactually augmented SNLI (acmi-lab/counterfactually-augmented-data, NLI/all_combined):
// sentence1, sentence2, gold_label and nothing else. Its train, dev and test files all count
// rows from 1, so the split goes into the id.
static const table_schema cad_schema = {
    .delimiter = '\t', .quoting = 0, .has_header = 1, .premise = "sentence1",
    .hypothesis = "sentence2", .label = "gold_label", .label_required = 1, .id_with_split = 1,
};
// SICK.txt (kkalouli/SICK-processing): entailment_label is ENTAILMENT / NEUTRAL / CONTRADICTION
// and SemEval_set (TRAIN / TRIAL / TEST) says which SemEval-2014 task 1 split a pair is in: one
// file holds all three, so the split comes from the row.
static const table_schema sick_schema = {
    .delimiter = '\t', .quoting = 0, .has_header = 1, .premise = "sentence_A",
    .hypothesis = "sentence_B", .label = "entailment_label", .id = "pair_ID",
    .label_required = 1, .id_required = 1, .split = "SemEval_set",
};
// TaxiNLI (microsoft/TaxiNLI, taxinli10k.tsv): `label` is MultiNLI's gold label, written as
// words (entailment / neutral / contradiction; no integers, so no order to document);
// `annotated_label` is the TaxiNLI annotators' own, which may be "-". pairID is MultiNLI's, which
// lets dedupe match these rows against MNLI evaluation files by id as well as by text.
static const table_schema taxinli_schema = {
    .delimiter = '\t', .quoting = 0, .has_header = 1, .premise = "prem", .hypothesis = "hyp",
    .label = "label", .id = "pairID", .label_required = 1, .id_required = 1, .unquote_texts = 1,
};
// TextFooler: label<TAB>premise<TAB>hypothesis.
static const table_schema textfooler_schema = {
    .delimiter = '\t', .quoting = 0, .has_header = 0, .label_index = 0, .premise_index = 1,
    .hypothesis_index = 2,
};

typedef struct table_state {
    FILE *file;
    fc_csv_reader csv;
    size_t width;   // fields a row must have
    int premise, hypothesis, label, id; // column indices; label and id -1 when absent
    int split;          // the split column, or -1
    int label_required; // 0: an empty label cell is an unlabeled record
    int id_with_split, unquote_texts;
    char split_text[32]; // the current row's split, lowercased
} table_state;

static int find_column(const fc_csv_reader *csv, const char *name) {
    for (size_t i = 0; i < csv->n_fields; i++)
        if (strcmp(csv->fields[i], name) == 0) return (int)i;
    return -1;
}

// Undoes one level of RFC 4180 quoting in place when text is exactly one quoted field
// ("\"a \"\"b\"\" c\"" becomes "a \"b\" c"); returns 0 and leaves text alone otherwise.
static int unquote_once(char *text) {
    size_t n = strlen(text);
    if (n < 2 || text[0] != '"' || text[n - 1] != '"') return 0;
    for (size_t i = 1; i + 1 < n; i++) { // inside, every quote must be doubled
        if (text[i] != '"') continue;
        if (i + 2 >= n || text[i + 1] != '"') return 0;
        i++;
    }
    size_t out = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        text[out++] = text[i];
        if (text[i] == '"') i++;
    }
    text[out] = '\0';
    return 1;
}

// TaxiNLI's texts went through a CSV writer once or twice before the TSV was written without
// quoting: MultiNLI's `But it's for us to get busy and do something."` is there as
// `"""But it's for us to get busy and do something."""""""`. Peeling quoted-field layers while
// the text is one well-formed quoted field gives MultiNLI's text back. A text that merely
// starts and ends with a quote has an undoubled quote inside, or is two characters long, and
// would lose its quotes; TaxiNLI already dropped those (MANIFEST 3, checked against the MNLI
// dev subset).
static void unquote_layers(char *text) {
    while (unquote_once(text)) {}
}

static int table_next_row(fc_reader *reader, fc_record *record, fc_row_problem *problem,
                          fc_error *err) {
    table_state *state = reader->state;
    fc_error csv_err;
    int got = fc_csv_next_row(&state->csv, &csv_err);
    record->line = state->csv.row_line;
    if (got == FC_CSV_END) return 0;
    if (got == FC_CSV_IO_ERROR) return fc_fail(err, "%s: %s", reader->path, csv_err.message);
    if (got == FC_CSV_MALFORMED)
        return fc_row_skip(problem, FC_SKIP_MALFORMED, "malformed: %s", csv_err.message);
    const fc_csv_reader *csv = &state->csv;
    if (csv->n_fields != state->width)
        return fc_row_skip(problem, FC_SKIP_MALFORMED, "malformed: %zu fields, expected %zu",
                           csv->n_fields, state->width);
    for (size_t i = 0; i < csv->n_fields; i++) // read as C strings, a NUL would cut them short
        if (strlen(csv->fields[i]) != fc_csv_field_length(csv, i))
            return fc_row_skip(problem, FC_SKIP_MALFORMED,
                               "field %zu holds a NUL byte (at byte %zu of the field), which "
                               "finecat's texts cannot contain; it is refused rather than cut "
                               "short", i + 1, strlen(csv->fields[i]));
    if (state->unquote_texts) {
        unquote_layers(csv->fields[state->premise]);
        unquote_layers(csv->fields[state->hypothesis]);
    }
    record->premise = csv->fields[state->premise];
    record->hypothesis = csv->fields[state->hypothesis];
    if (state->split >= 0 && !reader->options.split) { // a split the user gives wins
        const char *value = csv->fields[state->split];
        size_t n = strlen(value);
        if (n == 0 || n >= sizeof state->split_text)
            return fc_row_skip(problem, FC_SKIP_MISSING_FIELD, "split column: \"%.40s\" is no "
                               "split name", value);
        for (size_t i = 0; i <= n; i++)
            state->split_text[i] = (char)tolower((unsigned char)value[i]);
        record->split = state->split_text;
    }
    if (state->id >= 0) {
        record->id = csv->fields[state->id];
    } else if (state->id_with_split) {
        record->id = fc_reader_row_number_id_with(reader, record->split);
    } else {
        record->id = fc_reader_row_number_id(reader);
    }
    if (state->label >= 0) {
        const char *value = csv->fields[state->label];
        if (value[0] == '\0' && !state->label_required) return 1;
        int outcome = fc_label_rules_text(&reader->labels, value);
        if (outcome < 0) return fc_row_skip_label(reader, problem, outcome, "label", value);
        record->label = outcome;
    }
    return 1;
}

static uint64_t table_bytes_done(const fc_reader *reader) {
    const table_state *state = reader->state;
    return fc_csv_bytes_done(&state->csv);
}

static void table_close(fc_reader *reader) {
    table_state *state = reader->state;
    if (!state) return;
    fc_csv_free(&state->csv);
    if (state->file) fclose(state->file);
    free(state);
    reader->state = NULL;
}

static const fc_reader_backend table_backend = {
    .next_row = table_next_row,
    .bytes_done = table_bytes_done,
    .close = table_close,
};

static table_schema generic_schema(const fc_reader_options *options, char delimiter) {
    table_schema schema = {
        .delimiter = delimiter,
        .quoting = 1,
        .has_header = 1,
        .premise = options->premise_column ? options->premise_column : "premise",
        .hypothesis = options->hypothesis_column ? options->hypothesis_column : "hypothesis",
        .label = options->label_column ? options->label_column : "label",
        .id = options->id_column ? options->id_column : "id",
        .label_required = options->label_column != NULL,
        .id_required = options->id_column != NULL,
    };
    return schema;
}

// Reads the header and finds the schema's columns in it.
static int read_header(fc_reader *reader, table_state *state, const table_schema *schema,
                       fc_error *err) {
    fc_csv_reader *csv = &state->csv;
    int got = fc_csv_next_row(csv, err);
    if (got == FC_CSV_END) return fc_fail(err, "%s: empty file, expected a header", reader->path);
    if (got != FC_CSV_ROW) return fc_fail_prefix(err, "%s:%zu", reader->path, csv->row_line);
    state->width = csv->n_fields;
    state->premise = find_column(csv, schema->premise);
    state->hypothesis = find_column(csv, schema->hypothesis);
    state->label = schema->label ? find_column(csv, schema->label) : -1;
    state->id = schema->id ? find_column(csv, schema->id) : -1;
    state->split = schema->split ? find_column(csv, schema->split) : -1;
    const char *missing = state->premise < 0      ? schema->premise
                          : state->hypothesis < 0 ? schema->hypothesis
                          : state->label < 0 && schema->label_required ? schema->label
                          : state->id < 0 && schema->id_required       ? schema->id
                          : state->split < 0 && schema->split          ? schema->split
                                                                       : NULL;
    if (missing)
        return fc_fail(err, "%s:%zu: the header has no column \"%s\"", reader->path,
                       csv->row_line, missing);
    return 0;
}

int fc_reader_open_table(fc_reader *reader, fc_error *err) {
    table_schema schema;
    switch (reader->format) {
    case FC_FORMAT_SNLI_TXT: schema = snli_txt_schema; break;
    case FC_FORMAT_SNLI_CSV: schema = snli_csv_schema; break;
    case FC_FORMAT_GLUE_TSV: schema = glue_tsv_schema; break;
    case FC_FORMAT_TEXTFOOLER: schema = textfooler_schema; break;
    case FC_FORMAT_CAD: schema = cad_schema; break;
    case FC_FORMAT_SICK: schema = sick_schema; break;
    case FC_FORMAT_TAXINLI: schema = taxinli_schema; break;
    case FC_FORMAT_CSV: schema = generic_schema(&reader->options, ','); break;
    case FC_FORMAT_TSV: schema = generic_schema(&reader->options, '\t'); break;
    default:
        return fc_fail(err, "%s: format %s is not a table", reader->path,
                       fc_dataset_format_name(reader->format));
    }
    FILE *file = fopen(reader->path, "rb");
    if (!file) return fc_fail(err, "%s: cannot open: %s", reader->path, strerror(errno));
    table_state *state = fc_calloc(1, sizeof *state);
    state->file = file;
    fc_csv_init(&state->csv, file, schema.delimiter, schema.quoting);
    state->label_required = schema.label_required || !schema.has_header;
    state->id_with_split = schema.id_with_split;
    state->unquote_texts = schema.unquote_texts;
    state->split = -1;
    reader->state = state;
    if (schema.has_header) {
        if (read_header(reader, state, &schema, err) != 0) {
            table_close(reader);
            return -1;
        }
    } else {
        state->width = 3;
        state->premise = schema.premise_index;
        state->hypothesis = schema.hypothesis_index;
        state->label = schema.label_index;
        state->id = -1;
    }
    reader->backend = &table_backend;
    return 0;
}
