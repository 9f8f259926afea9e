// `curate dedupe`: duplicates and evaluation leakage of (premise, hypothesis) pairs.
//
// Two rows are duplicates when their pair keys are equal (normalize.h: NFC, case folded,
// punctuation and whitespace removed, so PTB-tokenized copies meet their raw text), within a
// source or across sources. "Exact"
// duplicates are byte-identical to the row kept; "near" ones differ only in what the key
// ignores. Among the training rows of one key the first in file order is kept.
//
// Evaluation rows are those whose split is in eval_splits, plus every row of the eval_files.
// They are the reference, not data to clean: they are not deduplicated, and they are written
// through only with keep_eval. A training row whose key is also an evaluation row's is leakage
// and removed, with every duplicate of it.
//
// Ids as a second key: id_sources names sources whose ids are one shared namespace of pair ids
// (MultiNLI's pairID, which TaxiNLI keeps). A training row of such a source whose id (less the
// "#k" that ingest appends to repeats) is an evaluation row's id of such a source is leakage
// too, with every duplicate of its text; it is counted apart ("leaked (eval id)") when its text
// key did not already match. This catches copies whose text drifted further than the key
// forgives (TaxiNLI's mojibake, "aÂ la carte" for "a la carte"). Only sources whose ids name
// the same pairs belong in the list: LingNLI's pairIDs look like MultiNLI's but are new pairs.
//
// Conflicts: when the training rows of one key carry different labels, the kept row gets the
// flag "label_conflict": {"labels": {name: count, ...}, "rows": n} (policy flag, the default),
// or every row of the key is dropped (policy drop). Nothing is merged or relabeled silently.
//
// Two passes over the input: the first builds the key table (text_table.h, keys compared byte
// for byte on a hash match, so no collision can merge two different pairs), the second writes.
// Memory is about 40 bytes per row plus the keys (about the text's size): 700 MB at peak for
// the 2.6M rows of bench/curate_scale.sh.
#ifndef FC_CURATE_DEDUPE_H
#define FC_CURATE_DEDUPE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "curate/count_table.h"

#define FC_DEDUPE_DEFAULT_EVAL_SPLITS "dev,test,val,validation"

typedef enum fc_conflict_policy {
    FC_CONFLICT_FLAG = 0,
    FC_CONFLICT_DROP,
} fc_conflict_policy;

typedef struct fc_dedupe_options {
    const char *eval_splits;        // comma-separated split names; NULL: the default above
    const char *const *eval_files;  // more evaluation rows, in any format the readers know
    size_t n_eval_files;
    const char *id_sources;         // comma-separated sources whose ids match by id; NULL: none
    int keep_eval;                  // write the input's evaluation rows through, untouched
    fc_conflict_policy on_conflict;
    FILE *progress;
} fc_dedupe_options;

// Columns of fc_dedupe_stats.by_source; every count is of the input's rows of that source.
enum {
    FC_DEDUPE_ROWS = 0,
    FC_DEDUPE_KEPT,
    FC_DEDUPE_EXACT,        // dropped: byte-identical pair to the kept row
    FC_DEDUPE_NEAR,         // dropped: same key, different bytes
    FC_DEDUPE_CROSS_SOURCE, // of the two above, those whose kept row is of another source
    FC_DEDUPE_LEAKED,       // dropped: the key is an evaluation row's
    FC_DEDUPE_LEAKED_ID,    // dropped: not by key, but by the id (id_sources) of its key's rows
    FC_DEDUPE_CONFLICT_FLAGGED, // kept, with the label_conflict flag
    FC_DEDUPE_CONFLICT_DROPPED, // the kept row of a conflicting key, dropped (policy drop)
    FC_DEDUPE_EVAL_ROWS,    // evaluation rows of the input (written only with keep_eval)
    FC_DEDUPE_COLUMNS,
};

typedef struct fc_dedupe_stats {
    fc_count_table by_source;
    uint64_t keys;              // distinct keys, evaluation references included
    uint64_t conflict_keys;     // keys whose training rows disagree on the label
    uint64_t eval_file_rows;    // rows read from eval_files
    uint64_t eval_ids;          // distinct evaluation ids of the id_sources
    uint64_t written;
    double seconds;
} fc_dedupe_stats;

fc_dedupe_options fc_dedupe_default_options(void);

int fc_curate_dedupe(const char *input, const char *output, const fc_dedupe_options *options,
                     fc_dedupe_stats *stats, fc_error *err);
void fc_dedupe_stats_free(fc_dedupe_stats *stats);
cJSON *fc_dedupe_stats_to_json(const fc_dedupe_stats *stats);

// 1 when split is one of the comma-separated names in list (case-insensitive).
int fc_split_in_list(const char *split, const char *list);

#endif
