// JSON text that holds the escape \u0000. cJSON decodes it into a NUL byte inside a C string,
// so every reader of that string would see the text end there: "a\u0000b" would silently be
// read as "a". finecat's texts are C strings, so readers of untrusted JSON (request bodies,
// data files, the CLI's inputs, config files) refuse such text instead, with its position.
#ifndef FC_IO_JSON_NUL_H
#define FC_IO_JSON_NUL_H

#include <stddef.h>

// 1 with *offset set to the byte offset of the first \u0000 escape in text[0, len), else 0.
// Valid JSON has backslashes only inside strings, so a scan that skips each escape's second
// character ("\\u0000" is a backslash and "u0000") finds exactly the NULs cJSON would decode.
int fc_json_find_nul(const char *text, size_t len, size_t *offset);

// The message the readers give, after their own "FILE:LINE: " or HTTP context.
#define FC_JSON_NUL_MESSAGE                                                                    \
    "a string holds \\u0000 (a NUL character), which finecat's texts cannot contain; "        \
    "it is refused rather than cut short"

#endif
