// The safetensors writer: the layout of the reference writer (safetensors/src/tensor.rs,
// prepare()), the metadata transformers requires, and an atomic replace of the target file.
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/safetensors.h"
#include "util/alloc.h"
#include "util/utf8_valid.h"
#include "util/error.h"

// The reference reader refuses longer headers; never write a file it cannot open.
#define MAX_HEADER_BYTES 100000000u

typedef struct text_buffer {
    char *data;
    size_t len, cap;
} text_buffer;

static void append(text_buffer *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        while (b->len + n + 1 > b->cap) b->cap = b->cap ? 2 * b->cap : 4096;
        b->data = fc_realloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void append_text(text_buffer *b, const char *s) {
    append(b, s, strlen(s));
}

static void append_format(text_buffer *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void append_format(text_buffer *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0) return;
    append(b, "", 0); // makes room for the terminator
    while (b->len + (size_t)n + 1 > b->cap) {
        b->cap *= 2;
        b->data = fc_realloc(b->data, b->cap);
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

// A JSON string literal: quotes, backslashes and control characters escaped, UTF-8 kept.
static void append_json_string(text_buffer *b, const char *s) {
    append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char escaped[2] = {'\\', (char)*p};
            append(b, escaped, 2);
        } else if (*p < 0x20) {
            append_format(b, "\\u%04x", *p);
        } else {
            append(b, (const char *)p, 1);
        }
    }
    append(b, "\"", 1);
}

// Checks one tensor and returns its byte size in *nbytes.
static int check_tensor(const fc_tensor_out *t, size_t index, size_t *nbytes, fc_error *err) {
    if (!t->name || t->name[0] == '\0') return fc_fail(err, "tensor %zu has no name", index);
    if (!fc_utf8_valid(t->name, strlen(t->name), NULL)) {
        return fc_fail(err, "tensor name \"%s\" is not valid UTF-8", t->name);
    }
    if (strcmp(t->name, "__metadata__") == 0) {
        return fc_fail(err, "\"__metadata__\" is reserved and cannot name a tensor");
    }
    size_t element = fc_dtype_size(t->dtype);
    if (element == 0) return fc_fail(err, "tensor \"%s\": cannot write dtype OTHER", t->name);
    if (t->ndim < 0 || t->ndim > FC_SAFETENSORS_MAX_DIMS) {
        return fc_fail(err, "tensor \"%s\": ndim %d is outside 0..%d", t->name, t->ndim,
                       FC_SAFETENSORS_MAX_DIMS);
    }
    size_t bytes = element, overflow = 0;
    for (int d = 0; d < t->ndim; d++) {
        if (t->shape[d] < 0) {
            return fc_fail(err, "tensor \"%s\": dimension %d is negative (%" PRId64 ")", t->name, d,
                           t->shape[d]);
        }
        size_t dim = (size_t)t->shape[d];
        if (dim != 0 && bytes > SIZE_MAX / dim) overflow = 1;
        bytes *= dim;
    }
    for (int d = 0; d < t->ndim; d++) {
        if (t->shape[d] == 0) overflow = 0, bytes = 0;
    }
    if (overflow) return fc_fail(err, "tensor \"%s\": byte size overflows", t->name);
    if (bytes > 0 && !t->data) return fc_fail(err, "tensor \"%s\" has no data", t->name);
    *nbytes = bytes;
    return 0;
}

static int compare_by_name(const void *a, const void *b) {
    const fc_tensor_out *x = *(const fc_tensor_out *const *)a;
    const fc_tensor_out *y = *(const fc_tensor_out *const *)b;
    return strcmp(x->name, y->name);
}

// Largest element first, then name: every tensor then starts at a multiple of its element
// size (the data buffer starts 8-aligned), the reference writer's order.
static int compare_by_layout(const void *a, const void *b) {
    const fc_tensor_out *x = *(const fc_tensor_out *const *)a;
    const fc_tensor_out *y = *(const fc_tensor_out *const *)b;
    size_t sx = fc_dtype_size(x->dtype), sy = fc_dtype_size(y->dtype);
    if (sx != sy) return sx > sy ? -1 : 1;
    return strcmp(x->name, y->name);
}

// The header: __metadata__ {"format":"pt"} first (transformers rejects other formats, older
// code paths a missing one), then the tensors in layout order, padded with spaces to a
// multiple of 8 bytes so that the data buffer at 8 + N starts 8-aligned.
static void build_header(const fc_tensor_out **order, const size_t *nbytes, size_t n,
                         text_buffer *header) {
    append_text(header, "{\"__metadata__\":{\"format\":\"pt\"}");
    uint64_t offset = 0;
    for (size_t i = 0; i < n; i++) {
        const fc_tensor_out *t = order[i];
        append_text(header, ",");
        append_json_string(header, t->name);
        append_format(header, ":{\"dtype\":\"%s\",\"shape\":[", fc_dtype_name(t->dtype));
        for (int d = 0; d < t->ndim; d++) {
            append_format(header, "%s%" PRId64, d ? "," : "", t->shape[d]);
        }
        append_format(header, "],\"data_offsets\":[%" PRIu64 ",%" PRIu64 "]}", offset,
                      offset + nbytes[i]);
        offset += nbytes[i];
    }
    append_text(header, "}");
    while (header->len % 8 != 0) append_text(header, " ");
}

static int write_all(int fd, const void *data, size_t len) {
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t done = write(fd, p, len);
        if (done < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += done;
        len -= (size_t)done;
    }
    return 0;
}

// Makes the rename itself durable. Best effort: some file systems cannot fsync a folder, and
// the file is complete and in place by now either way.
static void sync_parent_folder(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir =
        slash ? fc_strndup(path, slash == path ? 1 : (size_t)(slash - path)) : fc_strdup(".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

// Writes header and data to a temporary file, fsyncs it and renames it over path.
static int write_file_atomically(const char *path, const text_buffer *header,
                                 const fc_tensor_out **order, const size_t *nbytes, size_t n,
                                 fc_error *err) {
    size_t tmp_len = strlen(path) + 32;
    char *tmp = fc_malloc(tmp_len);
    snprintf(tmp, tmp_len, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int rc = fc_fail(err, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return rc;
    }
    unsigned char length[8];
    uint64_t header_len = header->len;
    for (int i = 0; i < 8; i++) length[i] = (unsigned char)(header_len >> (8 * i));
    int failed = write_all(fd, length, sizeof length) || write_all(fd, header->data, header->len);
    for (size_t i = 0; i < n && !failed; i++) failed = write_all(fd, order[i]->data, nbytes[i]);
    const char *step = "write";
    if (!failed && fsync(fd) != 0) failed = 1, step = "fsync";
    int saved = errno;
    if (close(fd) != 0 && !failed) failed = 1, step = "close", saved = errno;
    if (!failed && rename(tmp, path) != 0) failed = 1, step = "rename", saved = errno;
    if (failed) {
        unlink(tmp);
        int rc = fc_fail(err, "%s: %s failed while saving: %s", path, step, strerror(saved));
        free(tmp);
        return rc;
    }
    free(tmp);
    sync_parent_folder(path);
    return 0;
}

int fc_safetensors_write(const char *path, const fc_tensor_out *tensors, size_t n, fc_error *err) {
    const fc_tensor_out **order = fc_malloc((n + 1) * sizeof *order);
    size_t *nbytes = fc_malloc((n + 1) * sizeof *nbytes);
    text_buffer header = {0};
    int rc = -1;
    for (size_t i = 0; i < n; i++) {
        size_t size_in_input_order; // sizes are recomputed below in layout order
        if (check_tensor(&tensors[i], i, &size_in_input_order, err) != 0) {
            fc_fail_prefix(err, "%s", path);
            goto done;
        }
        order[i] = &tensors[i];
    }
    qsort(order, n, sizeof *order, compare_by_name);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(order[i - 1]->name, order[i]->name) == 0) {
            fc_fail(err, "%s: duplicate tensor name \"%s\"", path, order[i]->name);
            goto done;
        }
    }
    qsort(order, n, sizeof *order, compare_by_layout);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        check_tensor(order[i], i, &nbytes[i], NULL);
        if (nbytes[i] > UINT64_MAX - total) {
            fc_fail(err, "%s: total data size overflows", path);
            goto done;
        }
        total += nbytes[i];
    }
    build_header(order, nbytes, n, &header);
    if (header.len > MAX_HEADER_BYTES) {
        fc_fail(err, "%s: header of %zu bytes exceeds the format's limit of 100000000", path,
                header.len);
        goto done;
    }
    rc = write_file_atomically(path, &header, order, nbytes, n, err);
done:
    free(header.data);
    free(order);
    free(nbytes);
    return rc;
}
