// The reader every format shares: opening (format detection, label rules, source and split),
// the checks every record passes (UTF-8, non-blank texts), the counts, and what a bad row does
// under on_error. The formats themselves live in reader_jsonl.c, reader_table.c and
// reader_senteval.c.
#include "data/reader_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/text_check.h"
#include "util/alloc.h"
#include "util/error.h"

fc_reader_options fc_reader_default_options(void) {
    fc_reader_options options;
    memset(&options, 0, sizeof options);
    options.on_error = FC_ON_ERROR_FAIL;
    return options;
}

int fc_row_skip(fc_row_problem *problem, fc_skip_reason reason, const char *fmt, ...) {
    problem->reason = (int)reason;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem->message, sizeof problem->message, fmt, ap);
    va_end(ap);
    return 1;
}

int fc_row_skip_label(const fc_reader *reader, fc_row_problem *problem, int outcome,
                      const char *key, const char *value) {
    switch (outcome) {
    case FC_LABEL_VALUE_NO_GOLD:
        return fc_row_skip(problem, FC_SKIP_NO_GOLD_LABEL, "gold label \"%.40s\"", value);
    case FC_LABEL_VALUE_DISCARD:
        return fc_row_skip(problem, FC_SKIP_DISCARDED, "gold label \"%.40s\"", value);
    case FC_LABEL_VALUE_NEEDS_MAP:
        if (reader->labels.count > 0)
            return fc_row_skip(problem, FC_SKIP_UNKNOWN_LABEL,
                               "%s %.40s is not in the label map", key, value);
        return fc_row_skip(problem, FC_SKIP_UNKNOWN_LABEL,
                           "%s %.40s is an integer, whose meaning differs between sources: "
                           "give a label map (e.g. 0=entailment,1=neutral,2=contradiction)",
                           key, value);
    default:
        return fc_row_skip(problem, FC_SKIP_UNKNOWN_LABEL, "%s \"%.40s\" is no NLI label", key,
                           value);
    }
}

const char *fc_reader_row_number_id(fc_reader *reader) {
    return fc_reader_row_number_id_with(reader, "");
}

const char *fc_reader_row_number_id_with(fc_reader *reader, const char *prefix) {
    snprintf(reader->row_id, sizeof reader->row_id, "%.24s%s%zu", prefix, prefix[0] ? "-" : "",
             reader->counts.read + 1);
    return reader->row_id;
}

// The split a file name says: the first of the words train, dev, test, val or validation
// among the name's alphanumeric runs ("snli_1.0_dev.jsonl", "R1/test.jsonl", "s1.dev").
static char *split_from_path(const char *path) {
    static const char *const splits[] = {"train", "dev", "test", "val", "validation"};
    const char *slash = strrchr(path, '/');
    const char *p = slash ? slash + 1 : path;
    while (*p) {
        while (*p && !isalnum((unsigned char)*p)) p++;
        const char *start = p;
        while (isalnum((unsigned char)*p)) p++;
        size_t len = (size_t)(p - start);
        for (size_t i = 0; i < sizeof splits / sizeof splits[0]; i++) {
            if (strlen(splits[i]) == len && strncmp(splits[i], start, len) == 0)
                return fc_strdup(i == 4 ? "val" : splits[i]);
        }
    }
    return fc_strdup("");
}

// The file name without folder and extension: the source of a generic file.
static char *stem_of_path(const char *path) {
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    const char *dot = strchr(name, '.');
    return fc_strndup(name, dot && dot != name ? (size_t)(dot - name) : strlen(name));
}

static char *default_source(fc_dataset_format format, const char *path) {
    switch (format) {
    case FC_FORMAT_SNLI_JSONL:
    case FC_FORMAT_SNLI_TXT:
    case FC_FORMAT_SNLI_CSV:
    case FC_FORMAT_SENTEVAL: // SentEval ships SNLI in this layout; e-SNLI copies it
        return fc_strdup("snli");
    case FC_FORMAT_MNLI_JSONL:
    case FC_FORMAT_GLUE_TSV: return fc_strdup("mnli");
    case FC_FORMAT_TEXTFOOLER: {
        // TextFooler's data folder holds "snli", "mnli_matched" and "mnli_mismatched".
        const char *slash = strrchr(path, '/');
        return fc_strdup(strstr(slash ? slash + 1 : path, "snli") ? "snli" : "mnli");
    }
    case FC_FORMAT_ANLI: return fc_strdup("anli");
    case FC_FORMAT_WANLI: return fc_strdup("wanli");
    case FC_FORMAT_LINGNLI: return fc_strdup("lingnli");
    case FC_FORMAT_NLI_FEVER: return fc_strdup("nli_fever");
    case FC_FORMAT_CAD: return fc_strdup("cad");
    case FC_FORMAT_SICK: return fc_strdup("sick");
    case FC_FORMAT_TAXINLI: return fc_strdup("taxinli");
    default: return stem_of_path(path);
    }
}

static fc_label_ints label_ints_of(fc_dataset_format format) {
    if (format == FC_FORMAT_FINECAT) return FC_LABEL_INTS_CANONICAL;
    if (format == FC_FORMAT_NLI_FEVER) return FC_LABEL_INTS_HF;
    return FC_LABEL_INTS_NONE;
}

static uint64_t file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

int fc_reader_open(const char *path, fc_dataset_format format, const fc_reader_options *options,
                   fc_reader **out, fc_error *err) {
    *out = NULL;
    fc_reader_options defaults = fc_reader_default_options();
    if (!options) options = &defaults;
    if ((int)format < 0 || format >= FC_FORMAT_COUNT)
        return fc_fail(err, "%s: unknown data format %d", path, (int)format);
    if (format == FC_FORMAT_AUTO && fc_dataset_detect_format(path, options, &format, err) != 0)
        return -1;

    fc_reader *reader = fc_calloc(1, sizeof *reader);
    reader->path = fc_strdup(path);
    reader->format = format;
    reader->options = *options;
    if (fc_label_rules_init(&reader->labels, options->label_map, label_ints_of(format), err) !=
        0) {
        free(reader->path);
        free(reader);
        return -1;
    }
    reader->source = options->source ? fc_strdup(options->source) : default_source(format, path);
    reader->split = options->split ? fc_strdup(options->split) : split_from_path(path);
    // They come from the user or the file name and go into every record: checked once here.
    if (!fc_utf8_valid(reader->source, strlen(reader->source), NULL) ||
        !fc_utf8_valid(reader->split, strlen(reader->split), NULL)) {
        fc_fail(err, "%s: the source or split name is not valid UTF-8", path);
        fc_reader_close(reader);
        return -1;
    }

    int status;
    switch (format) {
    case FC_FORMAT_SNLI_TXT:
    case FC_FORMAT_SNLI_CSV:
    case FC_FORMAT_GLUE_TSV:
    case FC_FORMAT_TEXTFOOLER:
    case FC_FORMAT_CAD:
    case FC_FORMAT_SICK:
    case FC_FORMAT_TAXINLI:
    case FC_FORMAT_CSV:
    case FC_FORMAT_TSV:
        reader->size = file_size(path);
        status = fc_reader_open_table(reader, err);
        break;
    case FC_FORMAT_SENTEVAL:
        status = fc_reader_open_senteval(reader, err); // sets size (of the s1 file)
        break;
    default:
        reader->size = file_size(path);
        status = fc_reader_open_jsonl(reader, err);
        break;
    }
    if (status != 0) {
        reader->backend = NULL;
        fc_reader_close(reader);
        return -1;
    }
    *out = reader;
    return 0;
}

// The checks every record passes whatever its format: texts in well-formed UTF-8 (the
// tokenizer and the interchange writer need it), premise and hypothesis not blank. The reader's
// own source and split were checked when it opened.
static void check_record(const fc_reader *reader, const fc_record *record,
                         fc_row_problem *problem) {
    const struct {
        const char *name;
        const char *text;
    } fields[] = {
        {"premise", record->premise},
        {"hypothesis", record->hypothesis},
        {"id", record->id},
        {"source", record->source != reader->source ? record->source : NULL},
        {"split", record->split != reader->split ? record->split : NULL},
        {"flags", record->flags},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        size_t bad;
        if (fields[i].text && !fc_utf8_valid(fields[i].text, strlen(fields[i].text), &bad)) {
            fc_row_skip(problem, FC_SKIP_INVALID_UTF8, "%s: invalid UTF-8 at byte %zu",
                        fields[i].name, bad);
            return;
        }
    }
    if (fc_text_is_blank(record->premise))
        fc_row_skip(problem, FC_SKIP_EMPTY_TEXT, "empty premise");
    else if (fc_text_is_blank(record->hypothesis))
        fc_row_skip(problem, FC_SKIP_EMPTY_TEXT, "empty hypothesis");
}

int fc_reader_next(fc_reader *reader, fc_record *record, fc_error *err) {
    if (reader->done) return fc_fail(err, "%s: the read already ended with an error", reader->path);
    for (;;) {
        fc_row_problem problem;
        problem.reason = FC_ROW_KEPT;
        problem.message[0] = '\0';
        memset(record, 0, sizeof *record);
        record->label = -1;
        record->source = reader->source;
        record->split = reader->split;
        int got = reader->backend->next_row(reader, record, &problem, err);
        record->id_from_row = record->id == reader->row_id;
        if (got == 0) return 0;
        if (got < 0) {
            reader->done = 1;
            return -1;
        }
        reader->counts.read++;
        if (problem.reason == FC_ROW_KEPT) check_record(reader, record, &problem);
        if (problem.reason == FC_ROW_KEPT) {
            reader->counts.kept++;
            if (record->label >= 0) reader->counts.labels[record->label]++;
            else reader->counts.unlabeled++;
            return 1;
        }
        fc_skip_reason reason = (fc_skip_reason)problem.reason;
        reader->counts.skipped[reason]++;
        if (!fc_skip_reason_is_error(reason)) continue;
        if (reader->options.on_error == FC_ON_ERROR_FAIL) {
            reader->done = 1;
            return fc_fail(err, "%s:%zu: %s", reader->path, record->line, problem.message);
        }
        if (reader->options.warn) {
            char message[sizeof problem.message + 512];
            snprintf(message, sizeof message, "%s:%zu: %s (skipped)", reader->path, record->line,
                     problem.message);
            reader->options.warn(reader->options.warn_context, message);
        }
    }
}

const fc_reader_counts *fc_reader_counts_of(const fc_reader *reader) {
    return &reader->counts;
}

fc_dataset_format fc_reader_format(const fc_reader *reader) {
    return reader->format;
}

void fc_reader_progress(const fc_reader *reader, uint64_t *done, uint64_t *total) {
    *done = reader->backend ? reader->backend->bytes_done(reader) : 0;
    *total = reader->size;
}

void fc_reader_close(fc_reader *reader) {
    if (!reader) return;
    if (reader->backend) reader->backend->close(reader);
    fc_label_rules_free(&reader->labels);
    free(reader->source);
    free(reader->split);
    free(reader->path);
    free(reader);
}
