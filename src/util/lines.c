#include "util/lines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "util/error.h"

void fc_line_reader_init(fc_line_reader *reader, FILE *file, const char *name) {
    reader->file = file;
    reader->name = name;
    reader->buffer = NULL;
    reader->capacity = 0;
    reader->line_number = 0;
}

void fc_line_reader_free(fc_line_reader *reader) {
    free(reader->buffer);
    reader->buffer = NULL;
    reader->capacity = 0;
}

int fc_line_reader_next(fc_line_reader *reader, char **line, size_t *length, fc_error *err) {
    // getline grows the buffer for lines of any length and reports NUL bytes in the count.
    errno = 0;
    ssize_t got = getline(&reader->buffer, &reader->capacity, reader->file);
    if (got < 0) {
        // At the end of the input getline leaves errno alone; a failed read or a line too
        // long for memory sets it.
        if (ferror(reader->file) || errno == ENOMEM) {
            return fc_fail(err, "%s: cannot read line %zu: %s", reader->name,
                           reader->line_number + 1, strerror(errno ? errno : EIO));
        }
        return 0;
    }
    reader->line_number++;
    size_t len = (size_t)got;
    char *text = reader->buffer;
    if (len > 0 && text[len - 1] == '\n') len--;
    // Windows files end lines with "\r\n"; the "\r" is no part of the record.
    if (len > 0 && text[len - 1] == '\r') len--;
    text[len] = '\0';
    // Editors on Windows may start UTF-8 files with a byte order mark, which no JSON parser
    // accepts and no text means.
    if (reader->line_number == 1 && len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    *line = text;
    *length = len;
    return 1;
}
