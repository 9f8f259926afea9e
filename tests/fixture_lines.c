#include "fixture_lines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "finecat.h"
#include "util/file.h"

int fixture_lines_read(const char *path, fixture_lines *out) {
    fc_error err;
    size_t size;
    memset(out, 0, sizeof *out);
    if (fc_read_file(path, &out->data, &size, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return -1;
    }
    size_t cap = 1024;
    out->items = malloc(cap * sizeof *out->items);
    char *p = out->data, *end = out->data + size;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *line_end = nl ? nl : end;
        if (line_end > p && line_end[-1] == '\r') line_end[-1] = '\0';
        *line_end = '\0';
        if (out->count == cap) out->items = realloc(out->items, (cap *= 2) * sizeof *out->items);
        out->items[out->count++] = p;
        p = nl ? nl + 1 : end;
    }
    return 0;
}

void fixture_lines_free(fixture_lines *l) {
    free(l->data);
    free(l->items);
}

cJSON *fixture_jsonl_read(const char *path) {
    fixture_lines l;
    if (fixture_lines_read(path, &l)) return NULL;
    cJSON *rows = cJSON_CreateArray();
    for (size_t i = 0; i < l.count; i++) {
        if (l.items[i][0] == '\0') continue;
        cJSON *row = cJSON_Parse(l.items[i]);
        if (!row) {
            fprintf(stderr, "%s:%zu: bad JSON\n", path, i + 1);
            continue;
        }
        cJSON_AddItemToArray(rows, row);
    }
    fixture_lines_free(&l);
    return rows;
}
