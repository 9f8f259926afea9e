// Verdicts on flagged rows, from a screening program or from a review file a person edited:
// one JSON object per line, {"id": ..., "verdict": "keep"|"drop"|"relabel", "label": NEW (for
// relabel), "reason": "..."}. A review file's rows are whole interchange records; there "label"
// is the row's label, so a relabel is written by changing it and setting "verdict".
#ifndef FC_CURATE_VERDICTS_H
#define FC_CURATE_VERDICTS_H

#include <stddef.h>

#include "curate/text_table.h"
#include "finecat.h"

typedef enum fc_verdict_kind {
    FC_VERDICT_KEEP = 0,
    FC_VERDICT_DROP,
    FC_VERDICT_RELABEL,
} fc_verdict_kind;

// "keep", "drop", "relabel".
const char *fc_verdict_kind_name(fc_verdict_kind kind);

typedef struct fc_verdict_entry {
    char *id;
    fc_verdict_kind kind;
    int label;       // the new label of a relabel, else -1
    char *reason;    // may be NULL
    size_t line;     // where it was read
    int applied;     // set when the row was found
} fc_verdict_entry;

typedef struct fc_verdict_list {
    fc_verdict_entry *entries;
    size_t count, capacity;
    fc_text_table ids; // id -> entry index
    size_t without_verdict; // lenient reads: rows that carried no "verdict"
} fc_verdict_list;

typedef enum fc_verdict_source {
    FC_VERDICTS_STRICT = 0, // a screener's answer: every non-blank line must be a verdict
    FC_VERDICTS_REVIEW,     // an edited review file: rows without "verdict" are left alone
} fc_verdict_source;

// Reads the verdicts of path. Errors name PATH:LINE: malformed JSON, no id, an unknown verdict,
// a relabel without a label name, a repeated id.
int fc_verdicts_read(const char *path, fc_verdict_source source, fc_verdict_list *list,
                     fc_error *err);
void fc_verdicts_free(fc_verdict_list *list);

// The entry for id, or NULL.
fc_verdict_entry *fc_verdicts_find(fc_verdict_list *list, const char *id);

#endif
