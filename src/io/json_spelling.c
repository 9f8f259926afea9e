#include "io/json_spelling.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

// The number tokens of a JSON text in document order ("2.0", "1e-05", "50368"), skipping
// strings. cJSON keeps members in document order, so a depth-first walk meets the numbers in
// this order too.
static char **number_tokens(const char *text, size_t *n) {
    char **tokens = NULL;
    *n = 0;
    for (const char *p = text; *p;) {
        if (*p == '"') { // a string: skip to its closing quote
            for (p++; *p && *p != '"'; p++)
                if (*p == '\\' && p[1]) p++;
            if (*p) p++;
        } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
            size_t len = strspn(p, "-+.eE0123456789");
            tokens = fc_realloc(tokens, (*n + 1) * sizeof *tokens);
            tokens[(*n)++] = fc_strndup(p, len);
            p += len;
        } else {
            p++;
        }
    }
    return tokens;
}

static void replace_numbers(cJSON *node, char **tokens, size_t n, size_t *next) {
    cJSON *child = node->child;
    while (child) {
        cJSON *following = child->next;
        if (cJSON_IsNumber(child) && *next < n) {
            cJSON *raw = cJSON_CreateRaw(tokens[(*next)++]);
            raw->string = child->string; // the member's key moves to the replacement
            child->string = NULL;
            cJSON_ReplaceItemViaPointer(node, child, raw);
        } else if (cJSON_IsObject(child) || cJSON_IsArray(child)) {
            replace_numbers(child, tokens, n, next);
        }
        child = following;
    }
}

void fc_json_keep_number_spelling(cJSON *root, const char *text) {
    size_t n = 0, next = 0;
    char **tokens = number_tokens(text, &n);
    replace_numbers(root, tokens, n, &next);
    for (size_t i = 0; i < n; i++) free(tokens[i]);
    free(tokens);
}
