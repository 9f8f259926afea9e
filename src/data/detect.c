// Format detection from content: a SentEval file set by its names; otherwise the first
// non-blank line decides. A JSON object is told apart by its members, a header by its column
// names, a headerless TextFooler row by its shape (three tab-separated fields, the first a label).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "data/csv.h"
#include "data/reader_internal.h"
#include "util/error.h"
#include "util/file.h"
#include "util/lines.h"

static int has(const cJSON *row, const char *key) {
    return cJSON_GetObjectItemCaseSensitive(row, key) != NULL;
}

// The source of a JSON Lines file from the members of its first row.
static int detect_json(const cJSON *row, fc_dataset_format *out) {
    if (has(row, "query") && has(row, "context")) {
        *out = FC_FORMAT_NLI_FEVER; // the original nli_fever release
    } else if (has(row, "premise") && has(row, "hypothesis")) {
        if (has(row, "source") || has(row, "split") || has(row, "teacher_logits"))
            *out = FC_FORMAT_FINECAT;
        else if (has(row, "gold"))
            *out = FC_FORMAT_WANLI;
        else if (has(row, "cid") || has(row, "fid") || has(row, "fever_gold_label"))
            *out = FC_FORMAT_NLI_FEVER; // the Hugging Face repackaging
        else if (has(row, "label") && (has(row, "pairID") || has(row, "annotator_labels")))
            *out = FC_FORMAT_LINGNLI;
        else
            *out = FC_FORMAT_JSONL;
    } else if (has(row, "context") && has(row, "hypothesis")) {
        *out = FC_FORMAT_ANLI;
    } else if (has(row, "sentence1") && has(row, "sentence2") && has(row, "gold_label")) {
        // MultiNLI kept SNLI's layout and added genre and promptID.
        *out = has(row, "promptID") || has(row, "genre") ? FC_FORMAT_MNLI_JSONL
                                                         : FC_FORMAT_SNLI_JSONL;
    } else {
        return -1;
    }
    return 0;
}

static int has_field(const fc_csv_reader *row, const char *name) {
    for (size_t i = 0; i < row->n_fields; i++)
        if (strcmp(row->fields[i], name) == 0) return 1;
    return 0;
}

static void detect_tsv(const fc_csv_reader *row, fc_dataset_format *out) {
    int nli_columns = has_field(row, "sentence1") && has_field(row, "sentence2");
    if (nli_columns && strcmp(row->fields[0], "index") == 0)
        *out = FC_FORMAT_GLUE_TSV; // GLUE's MNLI files start with an index column
    else if (nli_columns && has_field(row, "gold_label") && row->n_fields == 3)
        *out = FC_FORMAT_CAD; // SNLI's layout cut to the pair and label: no pairID to keep
    else if (nli_columns && has_field(row, "gold_label"))
        *out = FC_FORMAT_SNLI_TXT;
    else if (has_field(row, "sentence_A") && has_field(row, "sentence_B") &&
             has_field(row, "entailment_label"))
        *out = FC_FORMAT_SICK;
    else if (has_field(row, "prem") && has_field(row, "hyp") && has_field(row, "label"))
        *out = FC_FORMAT_TAXINLI;
    else if (row->n_fields == 3 && fc_label_from_name(row->fields[0]) >= 0)
        *out = FC_FORMAT_TEXTFOOLER;
    else
        *out = FC_FORMAT_TSV;
}

// Splits the first line (already read, NUL-terminated) as a header or row.
static int split_line(const char *line, size_t length, char delimiter, int quoting,
                      fc_csv_reader *row) {
    FILE *memory = fmemopen((void *)line, length, "rb");
    if (!memory) return -1;
    fc_csv_init(row, memory, delimiter, quoting);
    fc_error ignored;
    int got = fc_csv_next_row(row, &ignored);
    fclose(memory);
    row->file = NULL;
    return got == FC_CSV_ROW ? 0 : -1;
}

static int detect_from_line(const char *path, char *line, size_t length, size_t line_number,
                            const fc_reader_options *options, fc_dataset_format *out,
                            fc_error *err) {
    int named_columns = options->premise_column || options->hypothesis_column ||
                        options->label_column;
    size_t first = 0;
    while (first < length && (line[first] == ' ' || line[first] == '\t')) first++;
    if (line[first] == '{') {
        if (named_columns) {
            *out = FC_FORMAT_JSONL;
            return 0;
        }
        cJSON *row = cJSON_ParseWithLength(line, length);
        if (!row)
            return fc_fail(err, "%s:%zu: cannot detect the format: the line starts like JSON but "
                                "is malformed", path, line_number);
        int status = detect_json(row, out);
        if (status != 0) {
            char keys[256] = "";
            const cJSON *item;
            cJSON_ArrayForEach(item, row) {
                size_t used = strlen(keys);
                snprintf(keys + used, sizeof keys - used, "%s%s", used ? ", " : "", item->string);
            }
            fc_fail(err, "%s:%zu: cannot detect the format from the members {%s}: name the "
                         "format, or the premise and hypothesis members", path, line_number, keys);
        }
        cJSON_Delete(row);
        return status;
    }
    int tabs = strchr(line, '\t') != NULL;
    if (named_columns) {
        *out = tabs ? FC_FORMAT_TSV : FC_FORMAT_CSV;
        return 0;
    }
    fc_csv_reader row;
    if (split_line(line, length, tabs ? '\t' : ',', !tabs, &row) != 0) {
        fc_csv_free(&row);
        return fc_fail(err, "%s:%zu: cannot detect the format of the first line", path,
                       line_number);
    }
    if (tabs)
        detect_tsv(&row, out);
    else if (has_field(&row, "gold_label") && has_field(&row, "sentence1") &&
             has_field(&row, "sentence2"))
        *out = FC_FORMAT_SNLI_CSV;
    else
        *out = FC_FORMAT_CSV;
    fc_csv_free(&row);
    return 0;
}

int fc_dataset_detect_format(const char *path, const fc_reader_options *options,
                             fc_dataset_format *out, fc_error *err) {
    fc_reader_options defaults = fc_reader_default_options();
    if (!options) options = &defaults;
    char *s1, *s2, *labels;
    if (fc_senteval_paths(path, &s1, &s2, &labels) == 0) {
        int complete = fc_file_exists(s1) && fc_file_exists(s2) && fc_file_exists(labels);
        free(s1);
        free(s2);
        free(labels);
        if (complete) {
            *out = FC_FORMAT_SENTEVAL;
            return 0;
        }
    }
    FILE *file = fopen(path, "rb");
    if (!file) return fc_fail(err, "%s: cannot open: %s", path, strerror(errno));
    fc_line_reader lines;
    fc_line_reader_init(&lines, file, path);
    char *line;
    size_t length;
    int status;
    for (;;) {
        int got = fc_line_reader_next(&lines, &line, &length, err);
        if (got <= 0) {
            status = got < 0 ? -1 : fc_fail(err, "%s: no data: the file is empty or blank", path);
            break;
        }
        size_t first = 0; // the first byte that is no whitespace
        while (first < length && (line[first] == ' ' || line[first] == '\t')) first++;
        if (first == length) continue;
        status = detect_from_line(path, line, length, lines.line_number, options, out, err);
        break;
    }
    fc_line_reader_free(&lines);
    fclose(file);
    return status;
}
