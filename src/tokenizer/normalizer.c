#include "tokenizer/normalizer.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tokenizer/utf8.h"
#include "util/alloc.h"
#include "util/error.h"

int fc_normalizer_load(fc_normalizer *norm, const cJSON *json, const char *path, fc_error *err) {
    memset(norm, 0, sizeof *norm);
    if (!json || cJSON_IsNull(json)) return 0;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(json, "type");
    if (!cJSON_IsString(type)) return fc_fail(err, "%s: normalizer has no \"type\"", path);
    if (strcmp(type->valuestring, "NFC") == 0) {
        norm->kind = FC_NORMALIZER_NFC;
        return 0;
    }
    if (strcmp(type->valuestring, "Sequence") == 0) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(json, "normalizers");
        if (!cJSON_IsArray(list)) return fc_fail(err, "%s: normalizer Sequence has no \"normalizers\" array", path);
        norm->kind = FC_NORMALIZER_SEQUENCE;
        norm->steps = fc_calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof *norm->steps);
        for (const cJSON *item = list->child; item; item = item->next) {
            if (fc_normalizer_load(&norm->steps[norm->step_count], item, path, err)) {
                fc_normalizer_free(norm);
                return -1;
            }
            norm->step_count++;
        }
        return 0;
    }
    return fc_fail(err, "%s: normalizer type \"%s\" is not supported (supported: NFC, Sequence, null)",
                   path, type->valuestring);
}

void fc_normalizer_free(fc_normalizer *norm) {
    for (int i = 0; i < norm->step_count; i++) fc_normalizer_free(&norm->steps[i]);
    free(norm->steps);
    memset(norm, 0, sizeof *norm);
}

int fc_normalizer_is_identity(const fc_normalizer *norm) {
    if (norm->kind == FC_NORMALIZER_NONE) return 1;
    if (norm->kind != FC_NORMALIZER_SEQUENCE) return 0;
    for (int i = 0; i < norm->step_count; i++)
        if (!fc_normalizer_is_identity(&norm->steps[i])) return 0;
    return 1;
}

static int nfc(const char *text, size_t len, fc_textbuf *out, fc_error *err) {
    out->len = 0;
    // ASCII text is its own NFC form; most NLI text is ASCII, so skip utf8proc there.
    if (fc_utf8_is_ascii(text, len)) {
        fc_textbuf_append(out, text, len);
        return 0;
    }
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)len, &mapped,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (n < 0) return fc_fail(err, "NFC normalization failed: %s", utf8proc_errmsg(n));
    fc_textbuf_append(out, (const char *)mapped, (size_t)n);
    free(mapped);
    return 0;
}

int fc_normalize(const fc_normalizer *norm, const char *text, size_t len, fc_textbuf *out,
                 fc_error *err) {
    switch (norm->kind) {
    case FC_NORMALIZER_NONE:
        out->len = 0;
        fc_textbuf_append(out, text, len);
        return 0;
    case FC_NORMALIZER_NFC:
        return nfc(text, len, out, err);
    case FC_NORMALIZER_SEQUENCE: {
        out->len = 0;
        fc_textbuf_append(out, text, len);
        fc_textbuf tmp = {0};
        int rc = 0;
        for (int i = 0; i < norm->step_count && rc == 0; i++) {
            rc = fc_normalize(&norm->steps[i], out->data, out->len, &tmp, err);
            fc_textbuf swap = *out;
            *out = tmp;
            tmp = swap;
        }
        fc_textbuf_free(&tmp);
        return rc;
    }
    }
    return fc_fail(err, "unknown normalizer kind %d", (int)norm->kind);
}
