#include "io/json_nul.h"

int fc_json_find_nul(const char *text, size_t len, size_t *offset) {
    for (size_t i = 0; i + 1 < len; i++) {
        if (text[i] != '\\') continue;
        if (text[i + 1] == 'u' && i + 5 < len && text[i + 2] == '0' && text[i + 3] == '0' &&
            text[i + 4] == '0' && text[i + 5] == '0') {
            *offset = i;
            return 1;
        }
        i++; // the escaped character: never the start of another escape
    }
    return 0;
}
