// Progress of long work on a stream (standard error from the CLI; NULL reports nothing), as
// design.md asks of every long job: a bar with rate and ETA redrawn in place on a terminal,
// otherwise plain lines, one at each tenth of the work and at least every 10 s, so that the
// logs of batch jobs stay readable and say how far a run got. Used by curate, eval, predict,
// bench and train.
#ifndef FC_UTIL_PROGRESS_H
#define FC_UTIL_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

typedef struct fc_progress {
    FILE *out;        // NULL: report nothing
    int terminal;
    const char *label;
    const char *unit;   // what count counts: "rows" unless fc_progress_set_unit says otherwise
    double start, last; // clock at the start and at the last line or redraw
    uint64_t total;     // units of `done`, 0 when unknown
    int total_is_count; // done and count are the same units: lines show "count/total"
    int next_tenth;     // plain lines: the next tenth of total that prints a line
    uint64_t calls, calls_per_check, last_check_call; // the clock is read every few calls
    double last_check;
} fc_progress;

// Starts reporting label's progress on out (may be NULL). total is in the units update's
// `done` is given in (bytes read, say), 0 when unknown.
void fc_progress_start(fc_progress *progress, FILE *out, const char *label, uint64_t total);
// Starts a progress whose total is a count of unit ("pairs", "steps"), shown as "n/total".
void fc_progress_start_count(fc_progress *progress, FILE *out, const char *label,
                             const char *unit, uint64_t total);
// What the count counts ("rows" by default).
void fc_progress_set_unit(fc_progress *progress, const char *unit);
// done of total, count units so far. Rate-limited: cheap to call on every row.
void fc_progress_update(fc_progress *progress, uint64_t done, uint64_t count);
// The closing line: count, seconds and the rate.
void fc_progress_end(fc_progress *progress, uint64_t count);

// Seconds on a monotonic clock.
double fc_progress_now(void);

// "1:02:03", "4:05" or "7 s": a duration for people.
void fc_progress_format_seconds(char *text, size_t size, double seconds);

#endif
