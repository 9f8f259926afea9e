#include "io/json_fields.h"

#include <math.h>
#include <stdlib.h>

#include "io/json_nul.h"
#include "util/error.h"
#include "util/file.h"
#include "util/utf8_valid.h"

int fc_json_load_file(const char *path, cJSON **out, fc_error *err) {
    char *text = NULL;
    size_t size = 0;
    *out = NULL;
    if (fc_read_file(path, &text, &size, err) != 0) return -1;
    // JSON text is UTF-8 (RFC 8259); names read from it (labels) are written into JSON replies.
    size_t bad;
    if (!fc_utf8_valid(text, size, &bad)) {
        free(text);
        return fc_fail(err, "%s: not valid UTF-8 (byte %zu)", path, bad);
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, size, &end, 0);
    // Anything but whitespace after the value is an error too ("{} x", two documents).
    while (root && end && end < text + size && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
        end++;
    if (root && end && end < text + size) {
        cJSON_Delete(root);
        root = NULL;
    }
    if (!root) {
        long at = end ? (long)(end - text) : 0;
        free(text);
        return fc_fail(err, "%s: malformed JSON near byte %ld", path, at);
    }
    size_t nul_at;
    int has_nul = fc_json_find_nul(text, size, &nul_at);
    free(text);
    if (has_nul) {
        cJSON_Delete(root);
        return fc_fail(err, "%s: byte %zu: " FC_JSON_NUL_MESSAGE, path, nul_at);
    }
    *out = root;
    return 0;
}

// cJSON stores every number as a double; an int field must hold an integral value in range.
static int as_int(const cJSON *item, const char *key, const char *path, int *out, fc_error *err) {
    if (!cJSON_IsNumber(item)) return fc_fail(err, "%s: key \"%s\" must be a number", path, key);
    double v = item->valuedouble;
    if (v != floor(v) || v < -2147483648.0 || v > 2147483647.0)
        return fc_fail(err, "%s: key \"%s\" must be an integer, got %g", path, key, v);
    *out = (int)v;
    return 0;
}

int fc_json_require_int(const cJSON *obj, const char *key, const char *path, int *out,
                        fc_error *err) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item || cJSON_IsNull(item)) return fc_fail(err, "%s: missing key \"%s\"", path, key);
    return as_int(item, key, path, out, err);
}

int fc_json_require_string(const cJSON *obj, const char *key, const char *path,
                           const char **out, fc_error *err) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item || cJSON_IsNull(item)) return fc_fail(err, "%s: missing key \"%s\"", path, key);
    if (!cJSON_IsString(item)) return fc_fail(err, "%s: key \"%s\" must be a string", path, key);
    *out = item->valuestring;
    return 0;
}

int fc_json_int_or(const cJSON *obj, const char *key, int fallback, const char *path, int *out,
                   fc_error *err) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item || cJSON_IsNull(item)) {
        *out = fallback;
        return 0;
    }
    return as_int(item, key, path, out, err);
}

int fc_json_double_or(const cJSON *obj, const char *key, double fallback, const char *path,
                      double *out, fc_error *err) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item || cJSON_IsNull(item)) {
        *out = fallback;
        return 0;
    }
    if (!cJSON_IsNumber(item)) return fc_fail(err, "%s: key \"%s\" must be a number", path, key);
    *out = item->valuedouble;
    return 0;
}

int fc_json_bool_or(const cJSON *obj, const char *key, int fallback, const char *path, int *out,
                    fc_error *err) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item || cJSON_IsNull(item)) {
        *out = fallback;
        return 0;
    }
    if (!cJSON_IsBool(item)) return fc_fail(err, "%s: key \"%s\" must be true or false", path, key);
    *out = cJSON_IsTrue(item);
    return 0;
}

int fc_json_string_or(const cJSON *obj, const char *key, const char *fallback, const char *path,
                      const char **out, fc_error *err) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item || cJSON_IsNull(item)) {
        *out = fallback;
        return 0;
    }
    if (!cJSON_IsString(item)) return fc_fail(err, "%s: key \"%s\" must be a string", path, key);
    *out = item->valuestring;
    return 0;
}
