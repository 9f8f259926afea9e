// Line-by-line reading of text input (JSONL records, one text per line), for files of any size.
#ifndef FC_UTIL_LINES_H
#define FC_UTIL_LINES_H

#include <stddef.h>
#include <stdio.h>

#include "finecat.h"

typedef struct fc_line_reader {
    FILE *file;
    const char *name;   // the input's name in error messages ("<stdin>" or a path)
    char *buffer;       // holds the current line; reused, grown as long lines need
    size_t capacity;
    size_t line_number; // 1-based number of the line last returned
} fc_line_reader;

// Starts reading file, which stays owned by the caller.
void fc_line_reader_init(fc_line_reader *reader, FILE *file, const char *name);
void fc_line_reader_free(fc_line_reader *reader);

// Reads the next line. Returns 1 with *line pointing at the line without its terminator ("\n"
// or "\r\n") and NUL-terminated, *length its byte count (a line may hold NUL bytes, so length
// can exceed strlen); 0 at the end of the input; -1 on a read error. A last line without a
// final newline is still a line; a UTF-8 byte order mark at the start of the input is dropped.
// *line stays valid until the next call.
int fc_line_reader_next(fc_line_reader *reader, char **line, size_t *length, fc_error *err);

#endif
