// Progress of a long stage on a stream (standard error from the CLI, NULL for none): a bar
// redrawn in place on a terminal, otherwise a plain line every few seconds (design.md), so that
// logs of batch jobs stay readable.
#ifndef FC_CURATE_PROGRESS_H
#define FC_CURATE_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

typedef struct fc_progress {
    FILE *out;        // NULL: report nothing
    int terminal;
    const char *label;
    double start, last;
    uint64_t total;   // units of `done`, 0 when unknown
    uint64_t next_check; // rows at which the clock is read next
} fc_progress;

// Starts reporting label's progress on out (may be NULL); total in the units update gives.
void fc_progress_start(fc_progress *progress, FILE *out, const char *label, uint64_t total);
// done of total (e.g. bytes read), rows so far. Rate-limited: cheap to call on every row.
void fc_progress_update(fc_progress *progress, uint64_t done, uint64_t rows);
// The closing line: rows and rows/s.
void fc_progress_end(fc_progress *progress, uint64_t rows);

// Seconds on a monotonic clock.
double fc_progress_now(void);

#endif
