// The pre-tokenizer stage of tokenizer.json ("pre_tokenizer"), model-reference 5.1 step 4, 5.2
// and 5.3. Supported: null (each piece is one word), ByteLevel (GPT-2 split regex, then every
// byte of a word mapped to its byte-level character), Metaspace (metaspace.h), BertPreTokenizer
// (whitespace removed, each punctuation character a word of its own) and a Sequence of these
// (each step splits the words of the one before). Other types are refused at load.
#ifndef FC_TOKENIZER_PRETOKENIZER_H
#define FC_TOKENIZER_PRETOKENIZER_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <cjson/cJSON.h>
#include <pcre2.h>
#include <stddef.h>

#include "finecat.h"
#include "tokenizer/metaspace.h"
#include "tokenizer/textbuf.h"

typedef enum fc_pretokenizer_kind {
    FC_PRETOKENIZER_NONE = 0,
    FC_PRETOKENIZER_BYTELEVEL,
    FC_PRETOKENIZER_METASPACE,
    FC_PRETOKENIZER_SEQUENCE,
    FC_PRETOKENIZER_BERT,
} fc_pretokenizer_kind;

typedef struct fc_pretokenizer {
    fc_pretokenizer_kind kind;
    int add_prefix_space; // ByteLevel: put a space before a piece that does not start with one
    int use_regex;        // ByteLevel: split with the GPT-2 regex (else the piece is one word)
    pcre2_code *regex;
    fc_metaspace metaspace;        // Metaspace
    struct fc_pretokenizer *steps; // Sequence
    int step_count;
} fc_pretokenizer;

// Words of one piece, in the model's alphabet, laid end to end in text.
typedef struct fc_words {
    fc_textbuf text;
    size_t *ends; // word i is text[ends[i-1] .. ends[i]) (ends[-1] = 0)
    size_t count, cap;
    pcre2_match_data *match; // working memory of the regex, created on first use
    fc_textbuf prefixed;     // the piece with the prefix space, when add_prefix_space adds one
    struct fc_words *stage;  // Sequence: the words of the previous step, created on first use
} fc_words;

int fc_pretokenizer_load(fc_pretokenizer *pt, const cJSON *json, const char *path, fc_error *err);
void fc_pretokenizer_free(fc_pretokenizer *pt);

// Splits one piece of normalized text (valid UTF-8) into words, replacing out's words.
// starts_text: the piece begins at offset 0 of the original text (Metaspace "first"). out's
// buffers grow fallibly: running out of memory is an error saying so (util/alloc.h).
int fc_pretokenize(const fc_pretokenizer *pt, const char *text, size_t len, int starts_text,
                   fc_words *out, fc_error *err);
void fc_words_free(fc_words *words);

#endif
