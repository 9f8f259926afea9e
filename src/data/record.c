// Names of formats and skip reasons, count arithmetic, and the interchange writer.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"

static const char *const format_names[FC_FORMAT_COUNT] = {
    [FC_FORMAT_AUTO] = "auto",
    [FC_FORMAT_FINECAT] = "finecat",
    [FC_FORMAT_SNLI_JSONL] = "snli-jsonl",
    [FC_FORMAT_SNLI_TXT] = "snli-txt",
    [FC_FORMAT_SNLI_CSV] = "snli-csv",
    [FC_FORMAT_SENTEVAL] = "senteval",
    [FC_FORMAT_MNLI_JSONL] = "mnli-jsonl",
    [FC_FORMAT_GLUE_TSV] = "glue-tsv",
    [FC_FORMAT_TEXTFOOLER] = "textfooler",
    [FC_FORMAT_ANLI] = "anli",
    [FC_FORMAT_WANLI] = "wanli",
    [FC_FORMAT_LINGNLI] = "lingnli",
    [FC_FORMAT_NLI_FEVER] = "nli-fever",
    [FC_FORMAT_CAD] = "cad",
    [FC_FORMAT_SICK] = "sick",
    [FC_FORMAT_TAXINLI] = "taxinli",
    [FC_FORMAT_JSONL] = "jsonl",
    [FC_FORMAT_CSV] = "csv",
    [FC_FORMAT_TSV] = "tsv",
};

const char *fc_dataset_format_name(fc_dataset_format format) {
    if ((int)format < 0 || format >= FC_FORMAT_COUNT) return "unknown";
    return format_names[format];
}

int fc_dataset_format_from_name(const char *name) {
    for (int i = 0; i < FC_FORMAT_COUNT; i++)
        if (strcmp(format_names[i], name) == 0) return i;
    return -1;
}

static const char *const reason_names[FC_SKIP_REASON_COUNT] = {
    [FC_SKIP_NO_GOLD_LABEL] = "gold label -",
    [FC_SKIP_DISCARDED] = "gold label discard",
    [FC_SKIP_EMPTY_TEXT] = "empty text",
    [FC_SKIP_MALFORMED] = "malformed",
    [FC_SKIP_MISSING_FIELD] = "missing field",
    [FC_SKIP_INVALID_UTF8] = "invalid UTF-8",
    [FC_SKIP_UNKNOWN_LABEL] = "unknown label",
};

const char *fc_skip_reason_name(fc_skip_reason reason) {
    if ((int)reason < 0 || reason >= FC_SKIP_REASON_COUNT) return "unknown";
    return reason_names[reason];
}

int fc_skip_reason_is_error(fc_skip_reason reason) {
    return reason != FC_SKIP_NO_GOLD_LABEL && reason != FC_SKIP_DISCARDED &&
           reason != FC_SKIP_EMPTY_TEXT;
}

size_t fc_reader_counts_skipped(const fc_reader_counts *counts) {
    size_t total = 0;
    for (int i = 0; i < FC_SKIP_REASON_COUNT; i++) total += counts->skipped[i];
    return total;
}

void fc_reader_counts_add(fc_reader_counts *a, const fc_reader_counts *b) {
    a->read += b->read;
    a->kept += b->kept;
    for (int i = 0; i < FC_SKIP_REASON_COUNT; i++) a->skipped[i] += b->skipped[i];
    for (int i = 0; i < FC_LABEL_COUNT; i++) a->labels[i] += b->labels[i];
    a->unlabeled += b->unlabeled;
}

// A JSON string literal. The text is valid UTF-8 (the readers check it), so only quotes,
// backslashes and control characters need escapes.
static void write_string(FILE *out, const char *text) {
    putc('"', out);
    const char *run = text;
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        fwrite(run, 1, (size_t)(p - run), out);
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default: fprintf(out, "\\u%04x", c); break;
        }
        run = p + 1;
    }
    fputs(run, out);
    putc('"', out);
}

// The shortest decimal that reads back as the same float, so logits round-trip exactly.
static void write_float(FILE *out, float value) {
    if (!isfinite(value)) {
        fputs("null", out);
        return;
    }
    char text[32];
    for (int precision = 1; precision <= 9; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, value);
        if (strtof(text, NULL) == value) break;
    }
    fputs(text, out);
}

static void write_double(FILE *out, double value) {
    if (!isfinite(value)) {
        fputs("null", out);
        return;
    }
    char text[40];
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, value);
        if (strtod(text, NULL) == value) break;
    }
    fputs(text, out);
}

void fc_record_write_jsonl(FILE *out, const fc_record *record) {
    fputs("{\"id\":", out);
    write_string(out, record->id ? record->id : "");
    fputs(",\"source\":", out);
    write_string(out, record->source ? record->source : "");
    fputs(",\"split\":", out);
    write_string(out, record->split ? record->split : "");
    fputs(",\"premise\":", out);
    write_string(out, record->premise);
    fputs(",\"hypothesis\":", out);
    write_string(out, record->hypothesis);
    fputs(",\"label\":", out);
    if (record->label >= 0 && record->label < FC_LABEL_COUNT)
        write_string(out, fc_label_name((fc_label)record->label));
    else
        fputs("null", out);
    if (record->has_teacher_logits) {
        fputs(",\"teacher_logits\":[", out);
        for (int i = 0; i < FC_LABEL_COUNT; i++) {
            if (i) putc(',', out);
            write_float(out, record->teacher_logits[i]);
        }
        putc(']', out);
    }
    if (record->has_score) {
        fputs(",\"score\":", out);
        write_double(out, record->score);
    }
    if (record->flags) {
        fputs(",\"flags\":", out);
        fputs(record->flags, out); // already JSON text
    }
    fputs("}\n", out);
}
