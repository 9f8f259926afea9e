#include "nli_sources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "finecat.h"
#include "harness.h"
#include "util/file.h"

static const char *json_string(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void rows_push(nli_source *r, char *a, char *b, size_t *cap) {
    if (r->count == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        r->a = realloc(r->a, *cap * sizeof *r->a);
        r->b = realloc(r->b, *cap * sizeof *r->b);
    }
    r->a[r->count] = a;
    r->b[r->count++] = b;
}

static int column_of(char **fields, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strcmp(fields[i], name) == 0) return i;
    return -1;
}

// Splits line in place on tabs; returns the field count (at most max).
static int split_tabs(char *line, char **fields, int max) {
    int n = 0;
    fields[n++] = line;
    for (char *p = line; *p && n < max; p++) {
        if (*p == '\t') {
            *p = '\0';
            fields[n++] = p + 1;
        }
    }
    return n;
}

// RFC 4180: fields separated by commas, records by LF or CRLF, quoted fields may hold both and
// "" for a quote. Unquotes in place; returns the next record's start, fields in out.
static char *csv_record(char *p, char *end, char **fields, int *n, int max) {
    *n = 0;
    while (p < end) {
        char *w = p, *start = p;
        if (*p == '"') {
            p++;
            while (p < end) {
                if (*p == '"' && p + 1 < end && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
        } else {
            while (p < end && *p != ',' && *p != '\n' && *p != '\r') *w++ = *p++;
        }
        char sep = p < end ? *p : '\n';
        *w = '\0';
        if (*n < max) fields[(*n)++] = start;
        if (sep == ',') {
            p++;
            continue;
        }
        if (sep == '\r') p++;
        if (p < end && *p == '\n') p++;
        break;
    }
    return p;
}

static int load_jsonl(nli_source *r, const char *fa, const char *fb, size_t *cap) {
    r->json = cJSON_CreateArray();
    for (size_t i = 0; i < r->files[0].count; i++) {
        if (r->files[0].items[i][0] == '\0') continue;
        cJSON *obj = cJSON_Parse(r->files[0].items[i]);
        if (!obj) return -1;
        cJSON_AddItemToArray(r->json, obj);
        const char *a = json_string(obj, fa), *b = json_string(obj, fb);
        rows_push(r, (char *)(a ? a : ""), (char *)(b ? b : ""), cap);
    }
    return 0;
}

static int load_tsv(nli_source *r, const char *fmt, const char *fa, const char *fb, size_t *cap) {
    char *fields[64];
    int ia = atoi(fa), ib = atoi(fb);
    size_t first = 0;
    if (strcmp(fmt, "tsv_header") == 0 && r->files[0].count > 0) {
        int n = split_tabs(r->files[0].items[0], fields, 64);
        ia = column_of(fields, n, fa);
        ib = column_of(fields, n, fb);
        first = 1;
    }
    for (size_t i = first; i < r->files[0].count; i++) {
        int n = split_tabs(r->files[0].items[i], fields, 64);
        if (ia < 0 || ib < 0 || ia >= n || ib >= n) return -1;
        rows_push(r, fields[ia], fields[ib], cap);
    }
    return 0;
}

// The CSV parser works on the whole file, not on lines.
static int load_csv(nli_source *r, const char *full, const char *fa, const char *fb, size_t *cap) {
    fc_error err;
    size_t size;
    if (fc_read_file(full, &r->files[0].data, &size, &err)) return -1;
    char *p = r->files[0].data, *end = p + size, *fields[16];
    int n;
    p = csv_record(p, end, fields, &n, 16);
    int ia = column_of(fields, n, fa), ib = column_of(fields, n, fb);
    while (p < end) {
        p = csv_record(p, end, fields, &n, 16);
        if (n == 1 && fields[0][0] == '\0') continue; // a blank line is no record
        if (ia < 0 || ib < 0 || ia >= n || ib >= n) return -1;
        rows_push(r, fields[ia], fields[ib], cap);
    }
    return 0;
}

int nli_source_load(const cJSON *src, nli_source *r) {
    memset(r, 0, sizeof *r);
    const char *path = json_string(src, "path"), *fmt = json_string(src, "format");
    const char *fa = json_string(src, "a"), *fb = json_string(src, "b");
    if (!path || !fmt || !fa || !fb) return -1;
    char *full = fc_path_join(fc_test_shared_data_dir(), path);
    size_t cap = 0;
    int rc;
    if (strcmp(fmt, "lines") == 0) {
        char *pa = fc_path_join(full, fa), *pb = fc_path_join(full, fb);
        rc = fixture_lines_read(pa, &r->files[0]) || fixture_lines_read(pb, &r->files[1]) ? -1 : 0;
        for (size_t i = 0; rc == 0 && i < r->files[0].count && i < r->files[1].count; i++)
            rows_push(r, r->files[0].items[i], r->files[1].items[i], &cap);
        free(pa);
        free(pb);
    } else if (strcmp(fmt, "csv") == 0) {
        rc = load_csv(r, full, fa, fb, &cap);
    } else if (fixture_lines_read(full, &r->files[0])) {
        rc = -1;
    } else if (strcmp(fmt, "jsonl") == 0) {
        rc = load_jsonl(r, fa, fb, &cap);
    } else if (strcmp(fmt, "tsv_header") == 0 || strcmp(fmt, "tsv") == 0) {
        rc = load_tsv(r, fmt, fa, fb, &cap);
    } else {
        rc = -1;
    }
    if (rc) fprintf(stderr, "cannot read source %s (%s)\n", full, fmt);
    free(full);
    return rc;
}

void nli_source_free(nli_source *r) {
    free(r->a);
    free(r->b);
    fixture_lines_free(&r->files[0]);
    fixture_lines_free(&r->files[1]);
    cJSON_Delete(r->json);
}
