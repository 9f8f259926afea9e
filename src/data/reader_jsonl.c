// The JSON Lines formats: SNLI and MNLI native files, ANLI, WANLI, LingNLI, NLI-FEVER, the
// finecat interchange format and generic JSONL. They differ only in member names and in how
// labels are written, so one reader serves all, driven by a schema per format.
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "data/reader_internal.h"
#include "io/json_nul.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/lines.h"

// Member names of one format. Where two names are listed, the first present in a row wins
// (NLI-FEVER's original files say query/context, its Hugging Face copy hypothesis/premise).
typedef struct json_schema {
    const char *premise[2];
    const char *hypothesis[2];
    const char *label;
    const char *id;
    int label_required; // 0: a row without the label member is an unlabeled record
    int id_required;    // 0: a row without the id member is numbered
    int interchange;    // finecat: also source, split, teacher_logits, score, flags
} json_schema;

static const json_schema snli_schema = {
    // snli_1.0 and multinli_1.0: gold_label is the annotators' majority, "-" when none.
    .premise = {"sentence1"}, .hypothesis = {"sentence2"}, .label = "gold_label", .id = "pairID",
    .label_required = 1,
};
static const json_schema anli_schema = {
    .premise = {"context"}, .hypothesis = {"hypothesis"}, .label = "label", .id = "uid",
    .label_required = 1,
};
static const json_schema wanli_schema = {
    // The final label of a WANLI pair is `gold`; `label` in the annotation files is the label
    // the generator was asked for. There `gold` labels "the (potentially revised) example"
    // (WANLI's dataset card): the pair is revised_premise/revised_hypothesis, which differ from
    // premise/hypothesis where an annotator rewrote it (11 of the 100 sample rows).
    .premise = {"revised_premise", "premise"}, .hypothesis = {"revised_hypothesis", "hypothesis"},
    .label = "gold", .id = "id", .label_required = 1,
};
static const json_schema lingnli_schema = {
    .premise = {"premise"}, .hypothesis = {"hypothesis"}, .label = "label", .id = "pairID",
    .label_required = 1,
};
static const json_schema nli_fever_schema = {
    // The claim (query) is the hypothesis and the evidence (context) the premise, whatever the
    // upstream doc's wording (MANIFEST.md 1.6). Dev and test labels are hidden in the original
    // release, so rows without a label are unlabeled records.
    .premise = {"premise", "context"}, .hypothesis = {"hypothesis", "query"}, .label = "label",
    .id = "cid", .label_required = 0,
};
static const json_schema finecat_schema = {
    .premise = {"premise"}, .hypothesis = {"hypothesis"}, .label = "label", .id = "id",
    .label_required = 0, .interchange = 1,
};

typedef struct jsonl_state {
    FILE *file;
    fc_line_reader lines;
    json_schema schema;
    cJSON *row;       // the current row: the record's strings point into it
    char *flags_text; // the current record's flags
    char id_text[32]; // the current record's numeric id as text
} jsonl_state;

static const cJSON *first_member(const cJSON *row, const char *const names[2],
                                 const char **name) {
    for (int i = 0; i < 2 && names[i]; i++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(row, names[i]);
        if (item) {
            *name = names[i];
            return item;
        }
    }
    *name = names[0];
    return NULL;
}

static const char *type_name(const cJSON *item) {
    if (cJSON_IsNumber(item)) return "a number";
    if (cJSON_IsBool(item)) return "a boolean";
    if (cJSON_IsArray(item)) return "an array";
    if (cJSON_IsObject(item)) return "an object";
    if (cJSON_IsNull(item)) return "null";
    return "a string";
}

static int read_text(const cJSON *row, const char *const names[2], const char **out,
                     fc_row_problem *problem) {
    const char *name;
    const cJSON *item = first_member(row, names, &name);
    if (!item) return fc_row_skip(problem, FC_SKIP_MISSING_FIELD, "missing key \"%s\"", name);
    if (!cJSON_IsString(item))
        return fc_row_skip(problem, FC_SKIP_MISSING_FIELD, "key \"%s\" is %s, not a string",
                           name, type_name(item));
    *out = item->valuestring;
    return 0;
}

// A number as id text: integers in full ("47695", not "4.7695e+04"), others exactly.
static void number_text(double value, char *text, size_t size) {
    if (value == floor(value) && fabs(value) < 9007199254740992.0) // 2^53: exact in a double
        snprintf(text, size, "%.0f", value);
    else
        snprintf(text, size, "%.17g", value);
}

static int read_label(fc_reader *reader, const cJSON *row, fc_record *record,
                      fc_row_problem *problem) {
    jsonl_state *state = reader->state;
    const char *key = state->schema.label;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(row, key);
    if (!item || cJSON_IsNull(item)) {
        if (state->schema.label_required)
            return fc_row_skip(problem, FC_SKIP_MISSING_FIELD, "missing key \"%s\"", key);
        record->label = -1;
        return 0;
    }
    int outcome;
    char number[32];
    const char *value; // the label's text, for the message of a bad one
    if (cJSON_IsString(item)) {
        outcome = fc_label_rules_text(&reader->labels, item->valuestring);
        value = item->valuestring;
    } else if (cJSON_IsNumber(item)) {
        outcome = fc_label_rules_number(&reader->labels, item->valuedouble);
        number_text(item->valuedouble, number, sizeof number);
        value = number;
    } else {
        return fc_row_skip(problem, FC_SKIP_MISSING_FIELD,
                           "key \"%s\" is %s, not a string or number", key, type_name(item));
    }
    if (outcome < 0) {
        fc_row_skip_label(reader, problem, outcome, key, value);
        return 1;
    }
    record->label = outcome;
    return 0;
}

static int read_id(fc_reader *reader, const cJSON *row, fc_record *record,
                   fc_row_problem *problem) {
    jsonl_state *state = reader->state;
    const char *key = state->schema.id;
    const cJSON *item = key ? cJSON_GetObjectItemCaseSensitive(row, key) : NULL;
    if (!item || cJSON_IsNull(item)) {
        if (state->schema.id_required)
            return fc_row_skip(problem, FC_SKIP_MISSING_FIELD, "missing key \"%s\"", key);
        record->id = fc_reader_row_number_id(reader);
    } else if (cJSON_IsString(item)) {
        record->id = item->valuestring;
    } else if (cJSON_IsNumber(item)) {
        // Sources write ids as numbers or strings, sometimes both in one data set (LingNLI's
        // promptID, WANLI's pairID); the record's id is always text.
        number_text(item->valuedouble, state->id_text, sizeof state->id_text);
        record->id = state->id_text;
    } else {
        return fc_row_skip(problem, FC_SKIP_MISSING_FIELD,
                           "key \"%s\" is %s, not a string or number", key, type_name(item));
    }
    return 0;
}

// The interchange format's members beyond the pair and label.
static int read_interchange(fc_reader *reader, const cJSON *row, fc_record *record,
                            fc_row_problem *problem) {
    jsonl_state *state = reader->state;
    const struct {
        const char *key;
        const char **target;
    } strings[] = {{"source", &record->source}, {"split", &record->split}};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(row, strings[i].key);
        if (!item || cJSON_IsNull(item)) continue; // the reader's default stays
        if (!cJSON_IsString(item))
            return fc_row_skip(problem, FC_SKIP_MISSING_FIELD, "key \"%s\" is %s, not a string",
                               strings[i].key, type_name(item));
        *strings[i].target = item->valuestring;
    }
    const cJSON *logits = cJSON_GetObjectItemCaseSensitive(row, "teacher_logits");
    if (logits && !cJSON_IsNull(logits)) {
        if (!cJSON_IsArray(logits) || cJSON_GetArraySize(logits) != FC_LABEL_COUNT)
            return fc_row_skip(problem, FC_SKIP_MISSING_FIELD,
                               "key \"teacher_logits\" must be an array of 3 numbers [e, n, c]");
        int i = 0;
        for (const cJSON *item = logits->child; item; item = item->next, i++) {
            if (!cJSON_IsNumber(item))
                return fc_row_skip(problem, FC_SKIP_MISSING_FIELD,
                                   "teacher_logits[%d] is %s, not a number", i, type_name(item));
            record->teacher_logits[i] = (float)item->valuedouble;
        }
        record->has_teacher_logits = 1;
    }
    const cJSON *score = cJSON_GetObjectItemCaseSensitive(row, "score");
    if (score && !cJSON_IsNull(score)) {
        if (!cJSON_IsNumber(score))
            return fc_row_skip(problem, FC_SKIP_MISSING_FIELD, "key \"score\" is %s, not a number",
                               type_name(score));
        record->score = score->valuedouble;
        record->has_score = 1;
    }
    const cJSON *flags = cJSON_GetObjectItemCaseSensitive(row, "flags");
    if (flags && !cJSON_IsNull(flags)) {
        state->flags_text = cJSON_PrintUnformatted(flags);
        if (!state->flags_text)
            return fc_row_skip(problem, FC_SKIP_MALFORMED, "key \"flags\" cannot be printed");
        record->flags = state->flags_text;
    }
    return 0;
}

static int jsonl_next_row(fc_reader *reader, fc_record *record, fc_row_problem *problem,
                          fc_error *err) {
    jsonl_state *state = reader->state;
    cJSON_Delete(state->row);
    state->row = NULL;
    cJSON_free(state->flags_text);
    state->flags_text = NULL;

    char *line;
    size_t length;
    for (;;) {
        int got = fc_line_reader_next(&state->lines, &line, &length, err);
        if (got <= 0) return got;
        size_t i = 0;
        while (i < length && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
        if (i < length) break; // blank lines separate nothing in JSON Lines: ignore them
    }
    record->line = state->lines.line_number;
    const char *nul = memchr(line, '\0', length);
    if (nul) // cJSON would stop there, or put it inside a text that then ends early
        return fc_row_skip(problem, FC_SKIP_MALFORMED,
                           "a NUL byte at byte %zu, which finecat's texts cannot contain; it is "
                           "refused rather than cut short", (size_t)(nul - line));

    const char *end = NULL;
    state->row = cJSON_ParseWithLengthOpts(line, length, &end, 0);
    if (!state->row) {
        size_t at = end && end >= line ? (size_t)(end - line) : 0;
        return fc_row_skip(problem, FC_SKIP_MALFORMED, "malformed JSON near byte %zu", at);
    }
    while (end < line + length && (*end == ' ' || *end == '\t' || *end == '\r')) end++;
    if (end < line + length)
        return fc_row_skip(problem, FC_SKIP_MALFORMED, "malformed JSON: text after the value at "
                                                       "byte %zu", (size_t)(end - line));
    size_t nul_at;
    if (fc_json_find_nul(line, length, &nul_at))
        return fc_row_skip(problem, FC_SKIP_MALFORMED, "byte %zu: " FC_JSON_NUL_MESSAGE, nul_at);
    const cJSON *row = state->row;
    if (!cJSON_IsObject(row))
        return fc_row_skip(problem, FC_SKIP_MALFORMED, "malformed: %s, not a JSON object",
                           type_name(row));

    if (read_text(row, state->schema.premise, &record->premise, problem) ||
        read_text(row, state->schema.hypothesis, &record->hypothesis, problem) ||
        read_label(reader, row, record, problem) || read_id(reader, row, record, problem))
        return 1;
    if (state->schema.interchange) read_interchange(reader, row, record, problem);
    return 1;
}

static uint64_t jsonl_bytes_done(const fc_reader *reader) {
    const jsonl_state *state = reader->state;
    long at = ftell(state->file);
    return at > 0 ? (uint64_t)at : 0;
}

static void jsonl_close(fc_reader *reader) {
    jsonl_state *state = reader->state;
    if (!state) return;
    cJSON_Delete(state->row);
    cJSON_free(state->flags_text);
    fc_line_reader_free(&state->lines);
    if (state->file) fclose(state->file);
    free(state);
    reader->state = NULL;
}

static const fc_reader_backend jsonl_backend = {
    .next_row = jsonl_next_row,
    .bytes_done = jsonl_bytes_done,
    .close = jsonl_close,
};

// Generic JSONL: the user's member names, or premise/hypothesis/label/id. A member the user
// names must be there; the default label and id may be absent (unlabeled, numbered rows).
static json_schema generic_schema(const fc_reader_options *options) {
    json_schema schema = {
        .premise = {options->premise_column ? options->premise_column : "premise"},
        .hypothesis = {options->hypothesis_column ? options->hypothesis_column : "hypothesis"},
        .label = options->label_column ? options->label_column : "label",
        .id = options->id_column ? options->id_column : "id",
        .label_required = options->label_column != NULL,
        .id_required = options->id_column != NULL,
    };
    return schema;
}

int fc_reader_open_jsonl(fc_reader *reader, fc_error *err) {
    json_schema schema;
    switch (reader->format) {
    case FC_FORMAT_SNLI_JSONL:
    case FC_FORMAT_MNLI_JSONL: schema = snli_schema; break;
    case FC_FORMAT_ANLI: schema = anli_schema; break;
    case FC_FORMAT_WANLI: schema = wanli_schema; break;
    case FC_FORMAT_LINGNLI: schema = lingnli_schema; break;
    case FC_FORMAT_NLI_FEVER: schema = nli_fever_schema; break;
    case FC_FORMAT_FINECAT: schema = finecat_schema; break;
    case FC_FORMAT_JSONL: schema = generic_schema(&reader->options); break;
    default:
        return fc_fail(err, "%s: format %s is not JSON Lines", reader->path,
                       fc_dataset_format_name(reader->format));
    }
    FILE *file = fopen(reader->path, "rb");
    if (!file) return fc_fail(err, "%s: cannot open: %s", reader->path, strerror(errno));
    jsonl_state *state = fc_calloc(1, sizeof *state);
    state->file = file;
    state->schema = schema;
    fc_line_reader_init(&state->lines, file, reader->path);
    reader->state = state;
    reader->backend = &jsonl_backend;
    return 0;
}
