// Reading and writing the interchange files between curation stages.
//
// The stages read records with the shared interchange reader (data/dataset.h). Members it does
// not know, such as the pilot's "pilot_logits", must survive a stage that rewrites a record, and
// a stage that only filters should copy a record's line as it is: so the curate reader follows
// the file a second time, line by line, and hands out each record's raw line next to it.
#ifndef FC_CURATE_RECORD_IO_H
#define FC_CURATE_RECORD_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "data/dataset.h"
#include "tokenizer/textbuf.h"
#include "util/lines.h"

typedef struct fc_curate_reader {
    fc_reader *reader;
    FILE *raw_file;
    fc_line_reader raw;
    const char *line;  // the current record's raw line (no line end), valid until the next call
    size_t length;
    uint64_t rows;     // records returned so far
} fc_curate_reader;

// Opens an interchange file (format finecat; a bad row fails the read with FILE:LINE).
int fc_curate_reader_open(fc_curate_reader *reader, const char *path, fc_error *err);
// 1 with the next record (and reader->line), 0 at the end, -1 on an error.
int fc_curate_reader_next(fc_curate_reader *reader, fc_record *record, fc_error *err);
void fc_curate_reader_close(fc_curate_reader *reader);

// Appends to out, as `,"name":value` text, the members of a raw interchange line that fc_record
// does not hold (anything but id, source, split, premise, hypothesis, label, teacher_logits,
// score, flags), except those named in `replaced` (NULL-terminated; may be NULL).
int fc_curate_extra_members(const char *line, size_t length, const char *const *replaced,
                            fc_textbuf *out, fc_error *err);

// Writes records as interchange lines, with extra member text before the closing brace.
typedef struct fc_record_writer {
    FILE *out;
    FILE *memory; // fc_record_write_jsonl's line, when extra members follow it
    char *data;
    size_t size;
} fc_record_writer;

void fc_record_writer_init(fc_record_writer *writer, FILE *out);
void fc_record_writer_write(fc_record_writer *writer, const fc_record *record, const char *extra,
                            size_t extra_length);
void fc_record_writer_free(fc_record_writer *writer);

// Writes a raw line and its newline.
void fc_curate_write_line(FILE *out, const char *line, size_t length);

// A record's flags (compact JSON text of an object, or NULL) with member `name` set to value
// (taken over). A flags value that is no object is kept under "previous". Returns malloc'ed
// compact JSON text.
char *fc_curate_flags_with(const char *flags, const char *name, cJSON *value);

#endif
