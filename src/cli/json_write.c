// Stream versions of the JSON writers in tasks/result_json.c (one escaping rule, one float
// rule for the CLI, the server and the library's JSON results).
#include "cli/json_write.h"

#include <string.h>

#include "tasks/result_json.h"

static void write_buffer(FILE *out, fc_textbuf *buf) {
    fwrite(buf->data, 1, buf->len, out);
    fc_textbuf_free(buf);
}

void fc_json_write_string(FILE *out, const char *text) {
    fc_textbuf buf = {0};
    fc_jsonbuf_string(&buf, text, strlen(text));
    write_buffer(out, &buf);
}

void fc_json_write_float(FILE *out, float value) {
    fc_textbuf buf = {0};
    fc_jsonbuf_float(&buf, value);
    write_buffer(out, &buf);
}
