// NLI data sets as their authors publish them, read into one record shape (design.md,
// "Interchange format") with the canonical label. One reader per source format; all are
// streamed, so a file of millions of rows never has to fit in memory.
//
// Errors are values: fc_reader_open and fc_reader_next return -1 with a message that names the
// file and, for a bad row, its line ("data.jsonl:17: malformed JSON"). A bad row fails the read
// or is skipped and counted, as options.on_error says; rows the data itself marks as unusable
// (SNLI/MNLI gold label "-", WANLI "discard", an empty text) are always skipped and counted.
#ifndef FC_DATA_DATASET_H
#define FC_DATA_DATASET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "finecat.h"

// One premise/hypothesis pair. Strings are NUL-terminated UTF-8 (checked) owned by the reader:
// they stay valid until the next fc_reader_next or fc_reader_close (fc_dataset copies them).
typedef struct fc_record {
    const char *id;         // the source's id (numbers as decimal text), else the 1-based row
    int id_from_row;        // 1: the data has no id and id is the row's number (which names no
                            // pair outside this file)
    const char *source;     // "snli", "mnli", "anli", "wanli", "lingnli", "nli_fever", "cad",
                            // "sick", "taxinli", ...
    const char *split;      // "train", "dev", "test", "val" (SICK also "trial") or "" when unknown
    const char *premise;
    const char *hypothesis;
    int label;              // canonical fc_label, or -1 for an unlabeled record
    int has_teacher_logits; // teacher_logits holds [e, n, c] (interchange format only)
    float teacher_logits[FC_LABEL_COUNT];
    int has_score;
    double score;
    const char *flags;      // the "flags" member as compact JSON text, or NULL
    size_t line;            // line of the file where the record starts (1-based)
} fc_record;

typedef enum fc_dataset_format {
    FC_FORMAT_AUTO = 0,     // detected from the path and the first non-blank line
    FC_FORMAT_FINECAT,      // finecat interchange JSONL (design.md)
    FC_FORMAT_SNLI_JSONL,   // snli_1.0_*.jsonl: gold_label, sentence1, sentence2, pairID
    FC_FORMAT_SNLI_TXT,     // snli_1.0_*.txt: TSV with header, same columns, no quoting
    FC_FORMAT_SNLI_CSV,     // CSV exports: header gold_label,sentence1,sentence2[,...]
    FC_FORMAT_SENTEVAL,     // SentEval/e-SNLI: line-aligned s1.X, s2.X, labels.X
    FC_FORMAT_MNLI_JSONL,   // multinli_1.0_*.jsonl: as SNLI, with genre and promptID
    FC_FORMAT_GLUE_TSV,     // GLUE MNLI tsv: header with sentence1, sentence2, gold_label
    FC_FORMAT_TEXTFOOLER,   // label<TAB>premise<TAB>hypothesis, no header
    FC_FORMAT_ANLI,         // ANLI jsonl: uid, context, hypothesis, label e/n/c
    FC_FORMAT_WANLI,        // WANLI jsonl: id, premise, hypothesis, gold
    FC_FORMAT_LINGNLI,      // LingNLI jsonl: pairID, premise, hypothesis, label
    FC_FORMAT_NLI_FEVER,    // NLI-FEVER jsonl: cid, query, context, label SUPPORTS/...; or the
                            // Hugging Face repackaging cid, premise, hypothesis, label
    FC_FORMAT_CAD,          // counterfactually augmented SNLI (acmi-lab) TSV: exactly the columns
                            // sentence1, sentence2, gold_label; no ids (split-row-number ids)
    FC_FORMAT_SICK,         // SICK.txt TSV: pair_ID, sentence_A, sentence_B, entailment_label,
                            // ..., SemEval_set (the row's split, lowercased)
    FC_FORMAT_TAXINLI,      // TaxiNLI TSV: prem, hyp, label (MNLI's gold), annotated_label,
                            // taxonomy columns, pairID (MNLI's), genre
    FC_FORMAT_JSONL,        // generic JSONL with user-named members
    FC_FORMAT_CSV,          // generic CSV (RFC 4180) with a header and user-named columns
    FC_FORMAT_TSV,          // generic TSV (RFC 4180 quoting, tab separated), with a header
    FC_FORMAT_COUNT,
} fc_dataset_format;

// "auto", "finecat", "snli-jsonl", "snli-txt", "snli-csv", "senteval", "mnli-jsonl",
// "glue-tsv", "textfooler", "anli", "wanli", "lingnli", "nli-fever", "cad", "sick", "taxinli",
// "jsonl", "csv", "tsv".
const char *fc_dataset_format_name(fc_dataset_format format);
// The format of a name above; -1 when there is none.
int fc_dataset_format_from_name(const char *name);

typedef enum fc_on_error {
    FC_ON_ERROR_FAIL = 0, // a bad row ends the read with an error naming FILE:LINE
    FC_ON_ERROR_SKIP,     // a bad row is skipped, counted, and passed to options.warn
} fc_on_error;

// Why a row was not kept. The first three are the data's own verdicts and are always skipped;
// the others are bad rows, which fail the read unless on_error is FC_ON_ERROR_SKIP.
typedef enum fc_skip_reason {
    FC_SKIP_NO_GOLD_LABEL = 0, // gold label "-": the annotators did not agree (SNLI, MNLI)
    FC_SKIP_DISCARDED,         // label "discard": the annotators threw the pair out (WANLI)
    FC_SKIP_EMPTY_TEXT,        // premise or hypothesis empty or only whitespace
    FC_SKIP_MALFORMED,         // malformed JSON, not an object, a CSV row of the wrong width
    FC_SKIP_MISSING_FIELD,     // a required member or column is missing or of the wrong type
    FC_SKIP_INVALID_UTF8,
    FC_SKIP_UNKNOWN_LABEL,     // a label that is no NLI label, or an integer without a map
    FC_SKIP_REASON_COUNT,
} fc_skip_reason;

// "gold label -", "gold label discard", "empty text", "malformed", "missing field",
// "invalid UTF-8", "unknown label".
const char *fc_skip_reason_name(fc_skip_reason reason);
// 1 for the reasons that are bad rows (governed by on_error), 0 for the data's own verdicts.
int fc_skip_reason_is_error(fc_skip_reason reason);

typedef struct fc_reader_counts {
    size_t read;                           // data rows seen (no header, no blank lines)
    size_t kept;                           // rows returned as records
    size_t skipped[FC_SKIP_REASON_COUNT];  // read == kept + sum of skipped
    size_t labels[FC_LABEL_COUNT];         // kept records by canonical label
    size_t unlabeled;                      // kept records without a label
} fc_reader_counts;

size_t fc_reader_counts_skipped(const fc_reader_counts *counts);
// Adds b into a (for one result over several files).
void fc_reader_counts_add(fc_reader_counts *a, const fc_reader_counts *b);

// Called with "FILE:LINE: reason (skipped)" for every bad row skipped under FC_ON_ERROR_SKIP.
typedef void (*fc_reader_warn_fn)(void *context, const char *message);

typedef struct fc_reader_options {
    fc_on_error on_error;
    // Generic formats: member or column names. NULL: "premise", "hypothesis", "label" and "id"
    // (id and label may be absent: rows are then numbered, or unlabeled). Naming any of the
    // first three with FC_FORMAT_AUTO selects the generic format of the detected file type.
    const char *premise_column;
    const char *hypothesis_column;
    const char *label_column;
    const char *id_column;
    // Label values to canonical labels, tried before the names: "0=entailment,1=neutral,
    // 2=contradiction" (a target "-" marks a value as no gold label), or "hf" for the order of
    // the Hugging Face snli, multi_nli, anli and nli_fever datasets (0 entailment, 1 neutral,
    // 2 contradiction, -1 no gold label). NULL: names only, and integers only where the format
    // documents their order (finecat: canonical index; nli-fever: the Hugging Face order).
    const char *label_map;
    const char *source; // NULL: the format's source (generic formats: the file's stem)
    const char *split;  // NULL: from the record (finecat) or the file name, else ""
    fc_reader_warn_fn warn;
    void *warn_context;
} fc_reader_options;

fc_reader_options fc_reader_default_options(void);

typedef struct fc_reader fc_reader;

// Opens path (format FC_FORMAT_AUTO to detect it). options may be NULL for the defaults; the
// strings it points to must outlive the reader. For FC_FORMAT_SENTEVAL, path is one of the
// three files (".../s1.dev") or their common prefix with the split (".../esnli_senteval/dev").
int fc_reader_open(const char *path, fc_dataset_format format, const fc_reader_options *options,
                   fc_reader **out, fc_error *err);
// 1 with the next kept record in *record, 0 at the end, -1 on an error (a bad row under
// FC_ON_ERROR_FAIL, or I/O). After -1 the reader is done: close it.
int fc_reader_next(fc_reader *reader, fc_record *record, fc_error *err);
const fc_reader_counts *fc_reader_counts_of(const fc_reader *reader);
// The format being read (the detected one when opened with FC_FORMAT_AUTO).
fc_dataset_format fc_reader_format(const fc_reader *reader);
// Bytes consumed so far and the input's size (0 when unknown), for progress reports.
void fc_reader_progress(const fc_reader *reader, uint64_t *done, uint64_t *total);
void fc_reader_close(fc_reader *reader);

// Detects the format of path as fc_reader_open does with FC_FORMAT_AUTO.
int fc_dataset_detect_format(const char *path, const fc_reader_options *options,
                             fc_dataset_format *out, fc_error *err);

// Every record of a file in memory, for data sets that fit: records own their strings.
typedef struct fc_dataset {
    fc_record *records;
    size_t count;
    fc_reader_counts counts;
    fc_dataset_format format;
    struct fc_text_arena *arena; // storage of the records' strings
} fc_dataset;

int fc_dataset_read(const char *path, fc_dataset_format format, const fc_reader_options *options,
                    fc_dataset *out, fc_error *err);
void fc_dataset_free(fc_dataset *dataset);

// Writes one record as a line of the interchange format: id, source, split, premise, hypothesis,
// label (canonical name, or null), then teacher_logits, score and flags when present.
void fc_record_write_jsonl(FILE *out, const fc_record *record);

#endif
