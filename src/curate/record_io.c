#include "curate/record_io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "curate/json_text.h"
#include "util/alloc.h"
#include "util/error.h"

int fc_curate_reader_open(fc_curate_reader *reader, const char *path, fc_error *err) {
    memset(reader, 0, sizeof *reader);
    if (fc_reader_open(path, FC_FORMAT_FINECAT, NULL, &reader->reader, err) != 0) return -1;
    reader->raw_file = fopen(path, "rb");
    if (!reader->raw_file) {
        fc_fail(err, "%s: cannot open: %s", path, strerror(errno));
        fc_reader_close(reader->reader);
        reader->reader = NULL;
        return -1;
    }
    setvbuf(reader->raw_file, NULL, _IOFBF, 1 << 20);
    fc_line_reader_init(&reader->raw, reader->raw_file, path);
    return 0;
}

int fc_curate_reader_next(fc_curate_reader *reader, fc_record *record, fc_error *err) {
    int got = fc_reader_next(reader->reader, record, err);
    if (got <= 0) return got;
    // The reader skips blank lines and rows the data marks unusable; the raw side catches up
    // to the record's line. Both count lines the same way (util/lines.h).
    char *line = NULL;
    size_t length = 0;
    while (reader->raw.line_number < record->line) {
        int raw_got = fc_line_reader_next(&reader->raw, &line, &length, err);
        if (raw_got < 0) return -1;
        if (raw_got == 0)
            return fc_fail(err, "%s:%zu: the file changed while it was read", reader->raw.name,
                           record->line);
    }
    if (!line || reader->raw.line_number != record->line)
        return fc_fail(err, "%s:%zu: lost track of the record's line", reader->raw.name,
                       record->line);
    reader->line = line;
    reader->length = length;
    reader->rows++;
    return 1;
}

void fc_curate_reader_close(fc_curate_reader *reader) {
    if (reader->reader) fc_reader_close(reader->reader);
    fc_line_reader_free(&reader->raw);
    if (reader->raw_file) fclose(reader->raw_file);
    memset(reader, 0, sizeof *reader);
}

static int is_record_member(const char *name) {
    static const char *const members[] = {"id", "source", "split", "premise", "hypothesis",
                                          "label", "teacher_logits", "score", "flags"};
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
        if (strcmp(members[i], name) == 0) return 1;
    return 0;
}

static int is_listed(const char *const *names, const char *name) {
    for (size_t i = 0; names && names[i]; i++)
        if (strcmp(names[i], name) == 0) return 1;
    return 0;
}

int fc_curate_extra_members(const char *line, size_t length, const char *const *replaced,
                            fc_textbuf *out, fc_error *err) {
    // Only lines with a member beyond the record's own need parsing; most have none until the
    // score stage has run.
    cJSON *row = cJSON_ParseWithLength(line, length);
    if (!cJSON_IsObject(row)) {
        cJSON_Delete(row);
        return fc_fail(err, "malformed interchange line");
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, row) {
        if (is_record_member(item->string) || is_listed(replaced, item->string)) continue;
        char *value = cJSON_PrintUnformatted(item);
        if (!value) {
            cJSON_Delete(row);
            return fc_fail(err, "member \"%s\" cannot be printed", item->string);
        }
        fc_textbuf_append(out, ",", 1);
        fc_json_append_string(out, item->string, strlen(item->string));
        fc_textbuf_append(out, ":", 1);
        fc_textbuf_append(out, value, strlen(value));
        cJSON_free(value);
    }
    cJSON_Delete(row);
    return 0;
}

void fc_record_writer_init(fc_record_writer *writer, FILE *out) {
    memset(writer, 0, sizeof *writer);
    writer->out = out;
}

void fc_record_writer_write(fc_record_writer *writer, const fc_record *record, const char *extra,
                            size_t extra_length) {
    if (extra_length == 0) {
        fc_record_write_jsonl(writer->out, record);
        return;
    }
    // fc_record_write_jsonl ends the line with "}\n": write it to memory, then send it without
    // those two bytes, the extra members, and the end.
    if (!writer->memory) writer->memory = open_memstream(&writer->data, &writer->size);
    if (!writer->memory) {
        fprintf(stderr, "finecat: out of memory (open_memstream)\n");
        abort();
    }
    fseeko(writer->memory, 0, SEEK_SET);
    fc_record_write_jsonl(writer->memory, record);
    fflush(writer->memory); // makes writer->data hold the line
    off_t used = ftello(writer->memory);
    fwrite(writer->data, 1, (size_t)used - 2, writer->out);
    fwrite(extra, 1, extra_length, writer->out);
    fputs("}\n", writer->out);
}

void fc_record_writer_free(fc_record_writer *writer) {
    if (writer->memory) fclose(writer->memory);
    free(writer->data);
    memset(writer, 0, sizeof *writer);
}

void fc_curate_write_line(FILE *out, const char *line, size_t length) {
    fwrite(line, 1, length, out);
    putc('\n', out);
}

char *fc_curate_flags_with(const char *flags, const char *name, cJSON *value) {
    cJSON *object = flags ? cJSON_Parse(flags) : NULL;
    if (object && !cJSON_IsObject(object)) {
        cJSON *wrapper = cJSON_CreateObject();
        cJSON_AddItemToObject(wrapper, "previous", object);
        object = wrapper;
    }
    if (!object) object = cJSON_CreateObject();
    cJSON_DeleteItemFromObjectCaseSensitive(object, name);
    cJSON_AddItemToObject(object, name, value);
    char *text = cJSON_PrintUnformatted(object);
    cJSON_Delete(object);
    char *copy = fc_strdup(text);
    cJSON_free(text);
    return copy;
}
