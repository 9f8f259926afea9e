// The safetensors reader: maps each file, validates the header as strictly as the reference
// reader (safetensors/src/tensor.rs, model-reference.md §1) and hands out views into the map.
#include "io/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/utf8_valid.h"
#include "util/error.h"
#include "util/file.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian and finecat reads F32 tensors in place"
#endif

// The reference reader's MAX_HEADER_SIZE.
#define MAX_HEADER_BYTES 100000000ull
// cJSON holds numbers as doubles, exact only up to 2^53; larger shapes or offsets cannot be
// read faithfully (and no real file has them).
#define MAX_EXACT_INTEGER 9007199254740992.0

typedef struct mapped_file {
    char *path;
    const unsigned char *bytes;
    size_t size;
} mapped_file;

struct fc_safetensors {
    char *source; // the file or index that was opened; named when a tensor is missing
    mapped_file *files;
    size_t n_files;
    fc_tensor *tensors; // sorted by name once open
    size_t n_tensors;
};

// One tensor entry of a header while it is being validated.
typedef struct header_entry {
    const char *name; // points into the parsed JSON
    const fc_dtype_info *dtype;
    int ndim;
    int64_t shape[FC_SAFETENSORS_MAX_DIMS];
    uint64_t begin, end; // data_offsets, relative to the start of the data buffer
} header_entry;

// ---------------------------------------------------------------------------------------------
// Small helpers

static int compare_strings(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

// The first key that occurs twice among an object's members, or NULL. cJSON keeps duplicate
// keys as separate members and lets a lookup see only the first, but the format calls them
// invalid (and serde rejects duplicate fields), so every object is checked.
static const char *duplicate_key(const cJSON *object) {
    size_t n = 0;
    for (const cJSON *item = object->child; item; item = item->next) n++;
    if (n < 2) return NULL;
    const char **keys = fc_malloc(n * sizeof *keys);
    size_t i = 0;
    for (const cJSON *item = object->child; item; item = item->next) keys[i++] = item->string;
    qsort(keys, n, sizeof *keys, compare_strings);
    const char *duplicate = NULL;
    for (i = 1; i < n && !duplicate; i++) {
        if (strcmp(keys[i - 1], keys[i]) == 0) duplicate = keys[i];
    }
    free(keys);
    return duplicate;
}

// Reads an unsigned integer of the header (a shape dimension or an offset). Returns NULL, or
// why the value is not one.
static const char *json_unsigned(const cJSON *item, uint64_t *out) {
    if (!cJSON_IsNumber(item)) return "is not a number";
    double v = item->valuedouble;
    if (v != v) return "is not a number";
    if (v < 0) return "is negative";
    if (v > MAX_EXACT_INTEGER) return "is too large";
    // Only now is the conversion defined (0 <= v <= 2^53).
    if (v != (double)(uint64_t)v) return "is not an integer";
    *out = (uint64_t)v;
    return NULL;
}

static void format_shape(char *buf, size_t cap, int ndim, const int64_t *shape) {
    size_t len = (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < ndim && len < cap; d++) {
        len += (size_t)snprintf(buf + len, cap - len, "%s%lld", d ? ", " : "", (long long)shape[d]);
    }
    if (len < cap) snprintf(buf + len, cap - len, "]");
}

static uint64_t read_le64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

// ---------------------------------------------------------------------------------------------
// Header checks

// cJSON is more lenient than the format: it reads 2.0 and 1e3 where the reference reader
// (serde, usize fields) demands integers, accepts raw control characters in strings, skips any
// byte below 0x20 as whitespace, and cuts a key at an escaped NUL. One pass over the header's
// tokens rejects these before cJSON sees it.
static int check_header_tokens(const char *text, size_t len, const char *path, fc_error *err) {
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"') {
            for (i++;; i++) {
                if (i >= len)
                    return fc_fail(err, "%s: header is not valid JSON (unterminated string)", path);
                c = (unsigned char)text[i];
                if (c == '"') break;
                if (c < 0x20) {
                    return fc_fail(
                        err,
                        "%s: header has a raw control character 0x%02x in a string at byte %zu",
                        path, c, i);
                }
                if (c == '\\') {
                    if (len - i > 5 && memcmp(text + i + 1, "u0000", 5) == 0) {
                        return fc_fail(err,
                                       "%s: header has an escaped NUL (\\u0000) at byte %zu; "
                                       "tensor names and metadata cannot hold one",
                                       path, i);
                    }
                    i++; // skip the escaped character; cJSON checks the escape itself
                }
            }
            i++;
            continue;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            size_t start = i;
            int integer = 1;
            while (i < len && text[i] != '\0' && strchr("+-.eE0123456789", text[i])) {
                if (text[i] == '.' || text[i] == 'e' || text[i] == 'E') integer = 0;
                i++;
            }
            if (!integer) {
                int shown = (int)(i - start < 40 ? i - start : 40);
                return fc_fail(err,
                               "%s: header number %.*s at byte %zu is not an integer "
                               "(shapes and data_offsets are unsigned integers)",
                               path, shown, text + start, start);
            }
            continue;
        }
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            return fc_fail(err, "%s: header has a control character 0x%02x at byte %zu", path, c,
                           i);
        }
        i++;
    }
    return 0;
}

// __metadata__ is a flat string-to-string map (model-reference.md §1). null is accepted as
// "no metadata", as the reference reader (an Option) does.
static int check_metadata(const cJSON *metadata, const char *path, fc_error *err) {
    if (cJSON_IsNull(metadata)) return 0;
    if (!cJSON_IsObject(metadata)) {
        return fc_fail(err, "%s: __metadata__ must be an object of string values", path);
    }
    const char *duplicate = duplicate_key(metadata);
    if (duplicate)
        return fc_fail(err, "%s: __metadata__ has duplicate key \"%s\"", path, duplicate);
    for (const cJSON *item = metadata->child; item; item = item->next) {
        if (!cJSON_IsString(item)) {
            return fc_fail(err,
                           "%s: __metadata__ value of \"%s\" must be a string "
                           "(the format allows no nested JSON)",
                           path, item->string);
        }
    }
    return 0;
}

// Reads one tensor entry {"dtype", "shape", "data_offsets"} and checks that its byte size is
// product(shape) × element size (with overflow checks, as tensor.rs validate() does).
static int parse_entry(const cJSON *item, const char *path, header_entry *entry, fc_error *err) {
    const char *name = item->string;
    entry->name = name;
    if (!cJSON_IsObject(item)) {
        return fc_fail(err, "%s: entry \"%s\" is not an object with dtype, shape and data_offsets",
                       path, name);
    }
    const char *duplicate = duplicate_key(item);
    if (duplicate)
        return fc_fail(err, "%s: tensor \"%s\" has duplicate field \"%s\"", path, name, duplicate);
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
    if (!dtype) return fc_fail(err, "%s: tensor \"%s\" is missing \"dtype\"", path, name);
    if (!shape) return fc_fail(err, "%s: tensor \"%s\" is missing \"shape\"", path, name);
    if (!offsets) return fc_fail(err, "%s: tensor \"%s\" is missing \"data_offsets\"", path, name);

    if (!cJSON_IsString(dtype))
        return fc_fail(err, "%s: tensor \"%s\": dtype must be a string", path, name);
    entry->dtype = fc_dtype_lookup(dtype->valuestring);
    if (!entry->dtype) {
        return fc_fail(err, "%s: tensor \"%s\" has unknown dtype \"%s\"", path, name,
                       dtype->valuestring);
    }

    if (!cJSON_IsArray(shape))
        return fc_fail(err, "%s: tensor \"%s\": shape must be an array", path, name);
    int ndim = cJSON_GetArraySize(shape);
    if (ndim > FC_SAFETENSORS_MAX_DIMS) {
        return fc_fail(err, "%s: tensor \"%s\" has %d dimensions; finecat supports at most %d",
                       path, name, ndim, FC_SAFETENSORS_MAX_DIMS);
    }
    entry->ndim = ndim;
    // Shape [] is a scalar: one element (the empty product).
    uint64_t elements = 1;
    int overflow = 0;
    int d = 0;
    for (const cJSON *dim = shape->child; dim; dim = dim->next, d++) {
        uint64_t size;
        const char *why = json_unsigned(dim, &size);
        if (why)
            return fc_fail(err, "%s: tensor \"%s\": shape dimension %d %s", path, name, d, why);
        entry->shape[d] = (int64_t)size;
        if (size != 0 && elements > UINT64_MAX / size) overflow = 1;
        elements *= size;
    }
    // A zero dimension makes the tensor empty even when other dimensions overflowed.
    for (d = 0; d < ndim; d++) {
        if (entry->shape[d] == 0) overflow = 0, elements = 0;
    }
    uint64_t bits = (uint64_t)entry->dtype->bits;
    char shape_text[256];
    format_shape(shape_text, sizeof shape_text, ndim, entry->shape);
    if (overflow || (elements != 0 && elements > UINT64_MAX / bits)) {
        return fc_fail(err, "%s: tensor \"%s\": shape %s overflows when multiplied out", path, name,
                       shape_text);
    }
    if (elements * bits % 8 != 0) {
        return fc_fail(err, "%s: tensor \"%s\": %llu elements of %s do not end on a byte boundary",
                       path, name, (unsigned long long)elements, entry->dtype->name);
    }
    uint64_t nbytes = elements * bits / 8;

    if (!cJSON_IsArray(offsets) || cJSON_GetArraySize(offsets) != 2) {
        return fc_fail(err,
                       "%s: tensor \"%s\": data_offsets must be an array of two integers "
                       "[begin, end]",
                       path, name);
    }
    const char *why = json_unsigned(offsets->child, &entry->begin);
    if (!why) why = json_unsigned(offsets->child->next, &entry->end);
    if (why) return fc_fail(err, "%s: tensor \"%s\": a data_offsets value %s", path, name, why);
    if (entry->begin > entry->end) {
        return fc_fail(err, "%s: tensor \"%s\": data_offsets [%llu, %llu] has begin > end", path,
                       name, (unsigned long long)entry->begin, (unsigned long long)entry->end);
    }
    if (entry->end - entry->begin != nbytes) {
        return fc_fail(err,
                       "%s: tensor \"%s\": shape %s of %s needs %llu bytes but data_offsets "
                       "[%llu, %llu] hold %llu",
                       path, name, shape_text, entry->dtype->name, (unsigned long long)nbytes,
                       (unsigned long long)entry->begin, (unsigned long long)entry->end,
                       (unsigned long long)(entry->end - entry->begin));
    }
    return 0;
}

static int compare_entries_by_offset(const void *a, const void *b) {
    const header_entry *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

// The reference reader sorts entries by offset and requires them to tile the data buffer:
// the first begins at 0, each begins where the previous ended, the last ends at the end of
// the file. Entries are sorted in place.
static int check_tiling(header_entry *entries, size_t n, uint64_t data_len, const char *path,
                        fc_error *err) {
    qsort(entries, n, sizeof *entries, compare_entries_by_offset);
    uint64_t expected = 0;
    for (size_t i = 0; i < n; i++) {
        if (entries[i].begin > expected) {
            return fc_fail(err,
                           "%s: hole in the data buffer: bytes [%llu, %llu) belong to no "
                           "tensor (\"%s\" begins at %llu)",
                           path, (unsigned long long)expected, (unsigned long long)entries[i].begin,
                           entries[i].name, (unsigned long long)entries[i].begin);
        }
        if (entries[i].begin < expected) {
            return fc_fail(err,
                           "%s: tensors \"%s\" and \"%s\" overlap (\"%s\" begins at %llu, "
                           "before byte %llu where \"%s\" ends)",
                           path, entries[i - 1].name, entries[i].name, entries[i].name,
                           (unsigned long long)entries[i].begin, (unsigned long long)expected,
                           entries[i - 1].name);
        }
        expected = entries[i].end;
    }
    if (expected > data_len) {
        return fc_fail(err,
                       "%s: truncated: the tensors need %llu bytes of data but the file "
                       "holds %llu after the header",
                       path, (unsigned long long)expected, (unsigned long long)data_len);
    }
    if (expected < data_len) {
        return fc_fail(err,
                       "%s: %llu trailing bytes after the last tensor's data (the format "
                       "allows none)",
                       path, (unsigned long long)(data_len - expected));
    }
    return 0;
}

// Validates the header of a mapped file and returns its tensors (unsorted) in *tensors.
static int parse_file(const mapped_file *file, fc_tensor **tensors, size_t *n_tensors,
                      fc_error *err) {
    const char *path = file->path;
    *tensors = NULL;
    *n_tensors = 0;
    if (file->size < 8) {
        return fc_fail(err,
                       "%s: file is %zu bytes, too short for the 8-byte header length "
                       "(truncated, or not a safetensors file)",
                       path, file->size);
    }
    uint64_t header_len = read_le64(file->bytes);
    if (header_len > MAX_HEADER_BYTES) {
        return fc_fail(err,
                       "%s: header length %llu exceeds the format's limit of 100000000 "
                       "bytes (corrupt, or not a safetensors file)",
                       path, (unsigned long long)header_len);
    }
    if (header_len > file->size - 8) {
        return fc_fail(err,
                       "%s: truncated: the header length says %llu bytes but only %zu "
                       "follow it",
                       path, (unsigned long long)header_len, file->size - 8);
    }
    const char *header = (const char *)file->bytes + 8;
    if (header_len == 0 || header[0] != '{') {
        return fc_fail(err, "%s: header does not start with '{' (not a safetensors file)", path);
    }
    if (!fc_utf8_valid(header, header_len, NULL)) {
        return fc_fail(err, "%s: header is not valid UTF-8", path);
    }
    if (check_header_tokens(header, header_len, path, err) != 0) return -1;

    // A NUL-terminated copy, so that the parser cannot run past the header into tensor data.
    char *text = fc_try_malloc(header_len + 1);
    if (!text) {
        fc_fail_out_of_memory(err, "a copy of the header", header_len + 1);
        return fc_fail_prefix(err, "%s", path);
    }
    memcpy(text, header, header_len);
    text[header_len] = '\0';
    const char *parse_end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, header_len, &parse_end, 0);
    if (!root) {
        size_t at = parse_end ? (size_t)(parse_end - text) : 0;
        free(text);
        return fc_fail(err, "%s: header is not valid JSON (error near byte %zu)", path, at);
    }
    // The writer pads with spaces; anything else after the object is invalid (serde's
    // "trailing characters").
    for (const char *p = parse_end; p < text + header_len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            size_t at = (size_t)(p - text);
            cJSON_Delete(root);
            free(text);
            return fc_fail(err,
                           "%s: header has trailing characters after its JSON object (byte %zu)",
                           path, at);
        }
    }

    int rc = 0;
    size_t n_entries = 0;
    header_entry *entries = NULL;
    const char *duplicate = duplicate_key(root);
    if (duplicate) {
        rc = fc_fail(err, "%s: duplicate tensor name \"%s\" in header", path, duplicate);
        goto done;
    }
    size_t members = (size_t)cJSON_GetArraySize(root);
    entries = fc_calloc(members ? members : 1, sizeof *entries);
    for (const cJSON *item = root->child; item; item = item->next) {
        if (strcmp(item->string, "__metadata__") == 0) {
            rc = check_metadata(item, path, err);
        } else {
            rc = parse_entry(item, path, &entries[n_entries++], err);
        }
        if (rc != 0) goto done;
    }
    uint64_t data_len = (uint64_t)(file->size - 8 - header_len);
    rc = check_tiling(entries, n_entries, data_len, path, err);
    if (rc != 0) goto done;

    const unsigned char *data = file->bytes + 8 + header_len;
    *tensors = fc_calloc(n_entries ? n_entries : 1, sizeof **tensors);
    for (size_t i = 0; i < n_entries; i++) {
        fc_tensor *t = &(*tensors)[i];
        t->name = fc_strdup(entries[i].name);
        t->dtype = entries[i].dtype->dtype;
        t->dtype_name = entries[i].dtype->name;
        t->ndim = entries[i].ndim;
        memcpy(t->shape, entries[i].shape, sizeof t->shape);
        t->data = data + entries[i].begin;
        t->nbytes = (size_t)(entries[i].end - entries[i].begin);
        t->path = path;
    }
    *n_tensors = n_entries;
done:
    free(entries);
    cJSON_Delete(root);
    free(text);
    return rc;
}

// ---------------------------------------------------------------------------------------------
// Opening files

static int map_file(const char *path, mapped_file *file, fc_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fc_fail(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat info;
    if (fstat(fd, &info) != 0) {
        int saved = errno;
        close(fd);
        return fc_fail(err, "%s: cannot stat: %s", path, strerror(saved));
    }
    if (!S_ISREG(info.st_mode)) {
        close(fd);
        return fc_fail(err, "%s: not a regular file", path);
    }
    size_t size = (size_t)info.st_size;
    void *bytes = NULL;
    if (size > 0) {
        bytes = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (bytes == MAP_FAILED) {
            int saved = errno;
            close(fd);
            return fc_fail(err, "%s: cannot mmap %zu bytes: %s", path, size, strerror(saved));
        }
    }
    close(fd); // the mapping keeps the file alive
    file->path = fc_strdup(path);
    file->bytes = bytes;
    file->size = size;
    return 0;
}

static void unmap_file(mapped_file *file) {
    if (file->bytes) munmap((void *)file->bytes, file->size);
    free(file->path);
}

static fc_safetensors *new_reader(const char *source) {
    fc_safetensors *st = fc_calloc(1, sizeof *st);
    st->source = fc_strdup(source);
    return st;
}

// Maps and validates one more file and adds its tensors to st.
static int add_file(fc_safetensors *st, const char *path, fc_error *err) {
    mapped_file file;
    if (map_file(path, &file, err) != 0) return -1;
    fc_tensor *tensors;
    size_t n;
    if (parse_file(&file, &tensors, &n, err) != 0) {
        unmap_file(&file);
        return -1;
    }
    st->files = fc_realloc(st->files, (st->n_files + 1) * sizeof *st->files);
    st->files[st->n_files++] = file;
    st->tensors = fc_realloc(st->tensors, (st->n_tensors + n + 1) * sizeof *st->tensors);
    memcpy(st->tensors + st->n_tensors, tensors, n * sizeof *tensors);
    st->n_tensors += n;
    free(tensors);
    return 0;
}

static int compare_tensors_by_name(const void *a, const void *b) {
    return strcmp(((const fc_tensor *)a)->name, ((const fc_tensor *)b)->name);
}

// Sorts the tensors of all files by name for lookup; a name in two files is an error.
static int index_tensors(fc_safetensors *st, fc_error *err) {
    if (st->n_tensors == 0) return 0;
    qsort(st->tensors, st->n_tensors, sizeof *st->tensors, compare_tensors_by_name);
    for (size_t i = 1; i < st->n_tensors; i++) {
        const fc_tensor *a = &st->tensors[i - 1], *b = &st->tensors[i];
        if (strcmp(a->name, b->name) == 0) {
            return fc_fail(err, "%s: tensor \"%s\" is in two shards: %s and %s", st->source,
                           a->name, a->path, b->path);
        }
    }
    return 0;
}

int fc_safetensors_open_file(const char *path, fc_safetensors **out, fc_error *err) {
    *out = NULL;
    fc_safetensors *st = new_reader(path);
    if (add_file(st, path, err) != 0 || index_tensors(st, err) != 0) {
        fc_safetensors_close(st);
        return -1;
    }
    *out = st;
    return 0;
}

// A shard is named relative to the index's folder; a path that leaves it is refused.
static int shard_name_valid(const char *name) {
    return name[0] != '\0' && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
           strcmp(name, "..") != 0;
}

// Finds the exact name (no legacy fallback).
static const fc_tensor *find_exact(const fc_safetensors *st, const char *name) {
    if (!st || !name || st->n_tensors == 0) return NULL;
    fc_tensor key = {.name = name};
    return bsearch(&key, st->tensors, st->n_tensors, sizeof key, compare_tensors_by_name);
}

typedef struct index_pair {
    const char *tensor;
    const char *shard;
} index_pair;

// model.safetensors.index.json: {"metadata": {...}, "weight_map": {tensor: shard file}}.
static int open_index(const char *dir, const char *index_path, fc_safetensors **out,
                      fc_error *err) {
    char *text;
    size_t len;
    if (fc_read_file(index_path, &text, &len, err) != 0) return -1;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!root) return fc_fail(err, "%s: not valid JSON", index_path);

    fc_safetensors *st = new_reader(index_path);
    index_pair *pairs = NULL;
    const char **shards = NULL;
    size_t n_pairs = 0, n_shards = 0;
    int rc = -1;
    const cJSON *weight_map = cJSON_GetObjectItemCaseSensitive(root, "weight_map");
    if (!cJSON_IsObject(root) || !cJSON_IsObject(weight_map)) {
        fc_fail(err, "%s: missing \"weight_map\" object", index_path);
        goto done;
    }
    const char *duplicate = duplicate_key(weight_map);
    if (duplicate) {
        fc_fail(err, "%s: weight_map lists tensor \"%s\" twice", index_path, duplicate);
        goto done;
    }
    size_t members = (size_t)cJSON_GetArraySize(weight_map);
    pairs = fc_calloc(members + 1, sizeof *pairs);
    shards = fc_calloc(members + 1, sizeof *shards);
    for (const cJSON *item = weight_map->child; item; item = item->next) {
        if (!cJSON_IsString(item)) {
            fc_fail(err, "%s: weight_map value of \"%s\" must be a shard file name", index_path,
                    item->string);
            goto done;
        }
        if (!shard_name_valid(item->valuestring)) {
            fc_fail(err, "%s: shard \"%s\" of tensor \"%s\" must be a file name in the same folder",
                    index_path, item->valuestring, item->string);
            goto done;
        }
        pairs[n_pairs++] = (index_pair){item->string, item->valuestring};
        shards[n_shards++] = item->valuestring;
    }
    // Each shard is opened once, in name order.
    qsort(shards, n_shards, sizeof *shards, compare_strings);
    size_t unique = 0;
    for (size_t i = 0; i < n_shards; i++) {
        if (unique == 0 || strcmp(shards[unique - 1], shards[i]) != 0) shards[unique++] = shards[i];
    }
    n_shards = unique;
    for (size_t i = 0; i < n_shards; i++) {
        char *path = fc_path_join(dir, shards[i]);
        if (!fc_file_exists(path)) {
            fc_fail(err, "%s: shard file %s does not exist", index_path, path);
            free(path);
            goto done;
        }
        int failed = add_file(st, path, err);
        free(path);
        if (failed) goto done;
    }
    if (index_tensors(st, err) != 0) goto done;
    // Every tensor the index lists must be in the shard it names. (Tensors a shard holds
    // beyond the index are kept: transformers loads whole shards.)
    for (size_t i = 0; i < n_pairs; i++) {
        const fc_tensor *t = find_exact(st, pairs[i].tensor);
        const char **shard =
            bsearch(&pairs[i].shard, shards, n_shards, sizeof *shards, compare_strings);
        const char *shard_path = st->files[shard - shards].path;
        if (!t) {
            fc_fail(err, "%s: tensor \"%s\" is listed in shard %s, which has no such tensor",
                    index_path, pairs[i].tensor, shard_path);
            goto done;
        }
        if (t->path != shard_path) {
            fc_fail(err, "%s: tensor \"%s\" is listed in shard %s but is in %s", index_path,
                    pairs[i].tensor, shard_path, t->path);
            goto done;
        }
    }
    rc = 0;
done:
    free(pairs);
    free(shards);
    cJSON_Delete(root);
    if (rc != 0) {
        fc_safetensors_close(st);
        return -1;
    }
    *out = st;
    return 0;
}

int fc_safetensors_open_dir(const char *dir, fc_safetensors **out, fc_error *err) {
    *out = NULL;
    char *single = fc_path_join(dir, "model.safetensors");
    if (fc_file_exists(single)) {
        int rc = fc_safetensors_open_file(single, out, err);
        free(single);
        return rc;
    }
    free(single);
    char *index = fc_path_join(dir, "model.safetensors.index.json");
    if (fc_file_exists(index)) {
        int rc = open_index(dir, index, out, err);
        free(index);
        return rc;
    }
    free(index);
    char *pickle = fc_path_join(dir, "pytorch_model.bin");
    int has_pickle = fc_file_exists(pickle);
    free(pickle);
    if (has_pickle) {
        return fc_fail(err,
                       "%s: only safetensors checkpoints are supported, and this folder has "
                       "only pytorch_model.bin (a PyTorch pickle); convert it to "
                       "model.safetensors (save_pretrained(..., safe_serialization=True))",
                       dir);
    }
    struct stat info;
    if (stat(dir, &info) != 0 || !S_ISDIR(info.st_mode)) {
        return fc_fail(err,
                       "%s: not a folder (looked for model.safetensors or "
                       "model.safetensors.index.json in it)",
                       dir);
    }
    return fc_fail(err, "%s: neither model.safetensors nor model.safetensors.index.json exists",
                   dir);
}

void fc_safetensors_close(fc_safetensors *st) {
    if (!st) return;
    for (size_t i = 0; i < st->n_tensors; i++) free((char *)st->tensors[i].name);
    for (size_t i = 0; i < st->n_files; i++) unmap_file(&st->files[i]);
    free(st->tensors);
    free(st->files);
    free(st->source);
    free(st);
}

// ---------------------------------------------------------------------------------------------
// Lookup and conversion

size_t fc_safetensors_count(const fc_safetensors *st) {
    return st ? st->n_tensors : 0;
}

const fc_tensor *fc_safetensors_at(const fc_safetensors *st, size_t i) {
    return st && i < st->n_tensors ? &st->tensors[i] : NULL;
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

const fc_tensor *fc_safetensors_find(const fc_safetensors *st, const char *name) {
    const fc_tensor *t = find_exact(st, name);
    if (t || !name) return t;
    // Legacy names (model-reference.md §1, P14): old checkpoints store LayerNorm.gamma/beta,
    // which transformers renames to LayerNorm.weight/bias on load.
    const char *modern = NULL, *legacy = NULL;
    if (ends_with(name, "LayerNorm.weight")) modern = "weight", legacy = "gamma";
    if (ends_with(name, "LayerNorm.bias")) modern = "bias", legacy = "beta";
    if (!modern) return NULL;
    size_t stem = strlen(name) - strlen(modern);
    char *old_name = fc_malloc(stem + strlen(legacy) + 1);
    memcpy(old_name, name, stem);
    strcpy(old_name + stem, legacy);
    t = find_exact(st, old_name);
    free(old_name);
    return t;
}

int fc_tensor_has_shape(const fc_tensor *t, int ndim, const int64_t *shape) {
    if (t->ndim != ndim) return 0;
    for (int d = 0; d < ndim; d++)
        if (t->shape[d] != shape[d]) return 0;
    return 1;
}

int fc_safetensors_read_f32(const fc_safetensors *st, const char *name, int ndim,
                            const int64_t *shape, float *dst, fc_error *err) {
    const fc_tensor *t = fc_safetensors_find(st, name);
    if (!t) return fc_fail(err, "%s: missing tensor \"%s\"", st ? st->source : "(none)", name);
    if (ndim < 0 || ndim > FC_SAFETENSORS_MAX_DIMS || (ndim > 0 && !shape)) {
        return fc_fail(err, "%s: tensor \"%s\": invalid expected shape (ndim %d)", t->path, name,
                       ndim);
    }
    if (!fc_tensor_has_shape(t, ndim, shape)) {
        char actual[256], expected[256];
        format_shape(actual, sizeof actual, t->ndim, t->shape);
        format_shape(expected, sizeof expected, ndim, shape);
        return fc_fail(err, "%s: tensor \"%s\" has shape %s, expected %s", t->path, t->name, actual,
                       expected);
    }
    switch (t->dtype) {
    case FC_DTYPE_F32:
        if (t->nbytes > 0) memcpy(dst, t->data, t->nbytes);
        return 0;
    case FC_DTYPE_F16:
        fc_f16_array_to_f32(t->data, dst, t->nbytes / 2);
        return 0;
    case FC_DTYPE_BF16:
        fc_bf16_array_to_f32(t->data, dst, t->nbytes / 2);
        return 0;
    default:
        return fc_fail(err, "%s: tensor \"%s\" has dtype %s, expected F32, F16 or BF16", t->path,
                       t->name, t->dtype_name);
    }
}

const float *fc_safetensors_f32(const fc_safetensors *st, const char *name, int ndim,
                                const int64_t *shape, float **copy, fc_error *err) {
    *copy = NULL;
    const fc_tensor *t = fc_safetensors_find(st, name);
    const float *view = fc_safetensors_f32_view(st, name);
    if (t && view && fc_tensor_has_shape(t, ndim, shape)) return view;
    // Anything else is widened; read_f32 also reports a missing tensor or a shape mismatch.
    size_t count = 1;
    for (int i = 0; i < ndim; i++) count *= shape[i] > 0 ? (size_t)shape[i] : 0;
    *copy = fc_try_realloc_array(NULL, count ? count : 1, sizeof **copy);
    if (!*copy) {
        fc_fail_out_of_memory(err, "a float32 copy of the tensor", count * sizeof **copy);
        fc_fail_prefix(err, "%s: tensor \"%s\"", t ? t->path : st->source, name);
        return NULL;
    }
    if (fc_safetensors_read_f32(st, name, ndim, shape, *copy, err) != 0) {
        free(*copy);
        *copy = NULL;
        return NULL;
    }
    return *copy;
}

const float *fc_safetensors_f32_view(const fc_safetensors *st, const char *name) {
    const fc_tensor *t = fc_safetensors_find(st, name);
    if (!t || t->dtype != FC_DTYPE_F32) return NULL;
    if ((uintptr_t)t->data % _Alignof(float) != 0) return NULL;
    return (const float *)t->data;
}
