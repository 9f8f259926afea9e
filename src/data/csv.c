// The row parser is a small state machine over a block buffer; fields are copied into one
// reusable text buffer, so a row costs no allocation once the buffers have grown.
#include "data/csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

enum { CSV_BLOCK = 1 << 16, CSV_EOF = -1 };

void fc_csv_init(fc_csv_reader *reader, FILE *file, char delimiter, int quoting) {
    memset(reader, 0, sizeof *reader);
    reader->file = file;
    reader->delimiter = delimiter;
    reader->quoting = quoting;
    reader->buffer = fc_malloc(CSV_BLOCK);
}

void fc_csv_free(fc_csv_reader *reader) {
    free(reader->buffer);
    free(reader->text);
    free(reader->starts);
    free(reader->fields);
    memset(reader, 0, sizeof *reader);
}

static int refill(fc_csv_reader *reader) {
    if (reader->at_end) return 0;
    reader->buffer_offset += reader->buffer_length;
    reader->buffer_length = fread(reader->buffer, 1, CSV_BLOCK, reader->file);
    reader->buffer_position = 0;
    if (reader->buffer_length == 0) {
        reader->at_end = 1;
        reader->read_error = ferror(reader->file);
        return 0;
    }
    // A byte order mark is no part of the first field.
    if (reader->buffer_offset == 0 && reader->buffer_length >= 3 &&
        memcmp(reader->buffer, "\xEF\xBB\xBF", 3) == 0)
        reader->buffer_position = 3;
    return 1;
}

static inline int peek_byte(fc_csv_reader *reader) {
    if (reader->buffer_position == reader->buffer_length && !refill(reader)) return CSV_EOF;
    return reader->buffer[reader->buffer_position];
}

static inline int next_byte(fc_csv_reader *reader) {
    if (reader->buffer_position == reader->buffer_length && !refill(reader)) return CSV_EOF;
    return reader->buffer[reader->buffer_position++];
}

static inline void push_byte(fc_csv_reader *reader, int c) {
    if (reader->text_length == reader->text_capacity) {
        reader->text_capacity = reader->text_capacity ? reader->text_capacity * 2 : 4096;
        reader->text = fc_realloc(reader->text, reader->text_capacity);
    }
    reader->text[reader->text_length++] = (char)c;
}

static void begin_field(fc_csv_reader *reader) {
    if (reader->n_fields == reader->fields_capacity) {
        reader->fields_capacity = reader->fields_capacity ? reader->fields_capacity * 2 : 16;
        reader->starts = fc_realloc(reader->starts, reader->fields_capacity * sizeof *reader->starts);
        reader->fields = fc_realloc(reader->fields, reader->fields_capacity * sizeof *reader->fields);
    }
    reader->starts[reader->n_fields] = reader->text_length;
}

static void end_field(fc_csv_reader *reader) {
    push_byte(reader, '\0');
    reader->n_fields++;
}

// The text buffer may move while a row grows, so field pointers are set once it is complete.
static void point_fields(fc_csv_reader *reader) {
    for (size_t i = 0; i < reader->n_fields; i++)
        reader->fields[i] = reader->text + reader->starts[i];
}

size_t fc_csv_field_length(const fc_csv_reader *reader, size_t i) {
    size_t end = i + 1 < reader->n_fields ? reader->starts[i + 1] : reader->text_length;
    return end - reader->starts[i] - 1; // each field ends with its terminating NUL
}

// Consumes the rest of a line end whose first byte c was read.
static void finish_line_end(fc_csv_reader *reader, int c) {
    if (c == '\r' && peek_byte(reader) == '\n') next_byte(reader);
    reader->line++;
}

// Reads bytes up to a delimiter or line end into the current field; returns the byte that ended
// it (or CSV_EOF). c is the field's first byte, already read.
static int read_plain(fc_csv_reader *reader, int c) {
    const int delimiter = (unsigned char)reader->delimiter;
    while (c != CSV_EOF && c != delimiter && c != '\n' && c != '\r') {
        push_byte(reader, c);
        c = next_byte(reader);
    }
    return c;
}

int fc_csv_next_row(fc_csv_reader *reader, fc_error *err) {
    const int delimiter = (unsigned char)reader->delimiter;
    // Blank lines are no rows.
    for (;;) {
        int c = peek_byte(reader);
        if (c == CSV_EOF) {
            if (reader->read_error) {
                fc_fail(err, "read error: %s", strerror(EIO));
                return FC_CSV_IO_ERROR;
            }
            return FC_CSV_END;
        }
        if (c != '\n' && c != '\r') break;
        next_byte(reader);
        finish_line_end(reader, c);
    }
    reader->row_line = reader->line + 1;
    reader->n_fields = 0;
    reader->text_length = 0;
    for (;;) {
        begin_field(reader);
        int c = next_byte(reader);
        if (reader->quoting && c == '"') {
            for (;;) {
                c = next_byte(reader);
                if (c == CSV_EOF) {
                    end_field(reader);
                    point_fields(reader);
                    if (reader->read_error) {
                        fc_fail(err, "read error: %s", strerror(EIO));
                        return FC_CSV_IO_ERROR;
                    }
                    fc_fail(err, "quoted field opened on line %zu never closes", reader->row_line);
                    return FC_CSV_MALFORMED;
                }
                if (c == '"') {
                    if (peek_byte(reader) != '"') break;
                    next_byte(reader); // "" is one quote
                } else if (c == '\n' || (c == '\r' && peek_byte(reader) != '\n')) {
                    reader->line++; // a line end inside the field stays in the field
                }
                push_byte(reader, c);
            }
            c = read_plain(reader, next_byte(reader));
        } else {
            c = read_plain(reader, c);
        }
        end_field(reader);
        if (c == delimiter) continue;
        if (c == CSV_EOF) {
            reader->line++; // the last line, without its newline
            if (reader->read_error) {
                fc_fail(err, "read error: %s", strerror(EIO));
                return FC_CSV_IO_ERROR;
            }
        } else {
            finish_line_end(reader, c);
        }
        point_fields(reader);
        return FC_CSV_ROW;
    }
}

uint64_t fc_csv_bytes_done(const fc_csv_reader *reader) {
    return reader->buffer_offset + reader->buffer_position;
}
