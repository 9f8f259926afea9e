// `curate ingest`: the NLI sources in their native formats, read by the shared readers
// (data/dataset.h), tagged with source and split, normalized (normalize.h) and written as one
// interchange file: BigCat.
//
// Rows dropped: those the readers skip (gold label "-", WANLI "discard", empty text, and bad
// rows under on_error skip), rows without a label (NLI-FEVER's hidden dev/test labels), and rows
// whose premise or hypothesis is empty once normalized (only Unicode spaces). Ids are made
// unique over the whole output, because later stages address rows by id (select's draw, flag's
// verdicts): a repeated id gets "#2", "#3", ... appended (LingNLI reuses MNLI's pair ids).
#ifndef FC_CURATE_INGEST_H
#define FC_CURATE_INGEST_H

#include <stdint.h>
#include <stdio.h>

#include "curate/count_table.h"
#include "data/dataset.h"

typedef struct fc_ingest_input {
    const char *path;
    const char *source;        // NULL: the format's own ("snli", "anli", ...)
    const char *split;         // NULL: from the file name ("dev", "test", "train", "val") or ""
    fc_dataset_format format;  // FC_FORMAT_AUTO: detected from content
} fc_ingest_input;

typedef struct fc_ingest_options {
    fc_on_error on_error;      // a bad row fails the run (default) or is skipped and counted
    const char *label_map;     // as fc_reader_options: integer labels of generic files
    const char *premise_column, *hypothesis_column, *label_column, *id_column;
    FILE *progress;            // NULL: none
    FILE *warnings;            // each skipped bad row, "FILE:LINE: reason"; NULL: none
} fc_ingest_options;

// Columns of fc_ingest_stats.by_source.
enum {
    FC_INGEST_READ = 0,
    FC_INGEST_KEPT,
    FC_INGEST_DROPPED,
    FC_INGEST_REASONS,                                        // fc_skip_reason columns start here
    FC_INGEST_NO_LABEL = FC_INGEST_REASONS + FC_SKIP_REASON_COUNT,
    FC_INGEST_NORMALIZED,   // kept rows whose text normalization changed (not a drop)
    FC_INGEST_ID_RENAMED,   // kept rows whose id was made unique (not a drop)
    FC_INGEST_COLUMNS,
};

typedef struct fc_ingest_file {
    char *path, *source, *split;
    fc_dataset_format format; // as detected
    uint64_t read, kept;
} fc_ingest_file;

typedef struct fc_ingest_stats {
    fc_count_table by_source;  // the columns above ("empty text" includes texts that normalize
                               // to nothing)
    fc_ingest_file *files;
    size_t n_files;
    uint64_t written;
    double seconds;
} fc_ingest_stats;

fc_ingest_options fc_ingest_default_options(void);

// Reads every input in order and writes output (through output.part). stats is filled as far as
// the run got, also on failure; free it with fc_ingest_stats_free.
int fc_curate_ingest(const fc_ingest_input *inputs, size_t n_inputs, const char *output,
                     const fc_ingest_options *options, fc_ingest_stats *stats, fc_error *err);
void fc_ingest_stats_free(fc_ingest_stats *stats);

// Parses an input given as "[SOURCE[:SPLIT]=]PATH" ("snli:train=data/x.jsonl", "mnli=x.tsv",
// "x.jsonl"), in place: the fields point into spec. The text before "=" names a source only when
// it holds no "/", so a path with "=" in it still works when given with its folder. The format
// is left to the caller (FC_FORMAT_AUTO).
int fc_ingest_parse_spec(char *spec, fc_ingest_input *input, fc_error *err);

// The stats as JSON: {"by_source": count table, "files": [...], "written": n, "seconds": s}.
cJSON *fc_ingest_stats_to_json(const fc_ingest_stats *stats);

#endif
