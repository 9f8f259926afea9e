// Blank-text check of the readers (UTF-8 validity is util/utf8_valid.c).
#include "data/text_check.h"


int fc_text_is_blank(const char *text) {
    for (const char *p = text; *p; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '\f' && *p != '\v')
            return 0;
    }
    return 1;
}
