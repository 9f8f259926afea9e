// What the format backends (reader_jsonl.c, reader_table.c, reader_senteval.c) share with the
// common reader (reader.c): the reader struct, the backend interface and the row helpers.
#ifndef FC_DATA_READER_INTERNAL_H
#define FC_DATA_READER_INTERNAL_H

#include <stdint.h>

#include "data/dataset.h"
#include "data/label_values.h"

// The verdict of one row: kept, or skipped for a reason with a message (without FILE:LINE,
// which the common code puts in front).
typedef struct fc_row_problem {
    int reason; // FC_ROW_KEPT or an fc_skip_reason
    char message[512];
} fc_row_problem;

enum { FC_ROW_KEPT = -1 };

typedef struct fc_reader_backend {
    // Reads the next data row into record (always setting record->line). Returns 1 when a row
    // was read, kept or not (problem says which); 0 at the end; -1 on an error that ends the
    // read whatever on_error says (I/O, files out of step), with err filled.
    int (*next_row)(fc_reader *reader, fc_record *record, fc_row_problem *problem,
                    fc_error *err);
    uint64_t (*bytes_done)(const fc_reader *reader);
    void (*close)(fc_reader *reader);
} fc_reader_backend;

struct fc_reader {
    char *path;
    fc_dataset_format format;
    fc_reader_options options;
    fc_label_rules labels;
    char *source;           // options.source or the format's own
    char *split;            // options.split or guessed from the file name
    fc_reader_counts counts;
    uint64_t size;          // bytes of the input, 0 when unknown
    const fc_reader_backend *backend;
    void *state;            // the backend's
    char row_id[48];        // text of a row-number id (records point here: id_from_row)
    int done;               // an error ended the read
};

// Marks the row as skipped; returns 1 (a row was read) so backends can `return fc_row_skip(...)`.
int fc_row_skip(fc_row_problem *problem, fc_skip_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

// The id of a row without one in the data: its 1-based number among the data rows (blank
// lines and the header not counted), after prefix and "-" when prefix is not empty
// ("train-17"). Valid until the next row. A record whose id is this text gets id_from_row.
const char *fc_reader_row_number_id(fc_reader *reader);
const char *fc_reader_row_number_id_with(fc_reader *reader, const char *prefix);

// The message for a label value that gave no canonical label (outcome of label_values.h), as
// fc_row_skip; value is the value's text.
int fc_row_skip_label(const fc_reader *reader, fc_row_problem *problem, int outcome,
                      const char *key, const char *value);

// Backends, each with its open function. On success they set reader->backend and ->state.
int fc_reader_open_jsonl(fc_reader *reader, fc_error *err);
int fc_reader_open_table(fc_reader *reader, fc_error *err);
int fc_reader_open_senteval(fc_reader *reader, fc_error *err);

// The three files of a SentEval path (s1, s2 and labels paths, newly allocated); -1 when path
// is none of s1.X, s2.X, labels.X or a prefix DIR/X with DIR/s1.X present.
int fc_senteval_paths(const char *path, char **s1, char **s2, char **labels);

#endif
