// A streaming reader of delimiter-separated rows (RFC 4180 CSV, and TSV), for files of any size.
//
// With quoting on: a field that starts with '"' runs to the matching '"', may hold delimiters,
// CR and LF, and writes '"' as '""'. Bytes after the closing quote and before the delimiter are
// kept, as Python's csv module does (strict=False). With quoting off every byte is literal,
// which is how the authors of tab-separated NLI files (snli_1.0_*.txt, GLUE MNLI, TextFooler)
// write them and how Hugging Face reads them (quoting=csv.QUOTE_NONE): their texts hold
// unbalanced quotes.
// Rows end at LF, CRLF or a lone CR; a missing final newline ends the last row too; blank lines
// are skipped; a UTF-8 byte order mark at the start of the input is dropped.
#ifndef FC_DATA_CSV_H
#define FC_DATA_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "finecat.h"

typedef struct fc_csv_reader {
    FILE *file;  // owned by the caller
    char delimiter;
    int quoting;
    unsigned char *buffer; // input block
    size_t buffer_length, buffer_position;
    uint64_t buffer_offset; // file offset of buffer[0]
    int at_end, read_error;
    char *text;            // the current row's fields, each NUL-terminated
    size_t text_length, text_capacity;
    size_t *starts;        // offset in text of each field
    char **fields;         // the current row: fields[0..n_fields)
    size_t n_fields, fields_capacity;
    size_t line;           // lines consumed so far
    size_t row_line;       // the line the current row starts on (1-based)
} fc_csv_reader;

enum {
    FC_CSV_ROW = 1,
    FC_CSV_END = 0,
    FC_CSV_IO_ERROR = -1,  // the input could not be read
    FC_CSV_MALFORMED = -2, // a quoted field never closed: the rest of the input is that field
};

void fc_csv_init(fc_csv_reader *reader, FILE *file, char delimiter, int quoting);
void fc_csv_free(fc_csv_reader *reader);

// Reads the next row into reader->fields. Returns one of the values above; on the errors the
// message (without file name; the line is reader->row_line) is in err.
int fc_csv_next_row(fc_csv_reader *reader, fc_error *err);

// Bytes of the input consumed so far.
uint64_t fc_csv_bytes_done(const fc_csv_reader *reader);
// The length of field i of the current row as read: more than strlen(fields[i]) when the field
// holds a NUL byte, which would cut the text short where it is read as a C string.
size_t fc_csv_field_length(const fc_csv_reader *reader, size_t i);

#endif
