// What `finecat pull` (and a --model that pulls) shows on stderr while it downloads: a bar
// with bytes, rate and time left on a terminal, one plain line a file otherwise, or nothing.
#ifndef FC_HUB_PROGRESS_H
#define FC_HUB_PROGRESS_H

#include <stdio.h>

#include "finecat.h"

typedef struct fc_hub_progress {
    fc_hub_progress_mode mode; // never FC_HUB_PROGRESS_AUTO once begun
    FILE *out;
    const char *file; // the file being downloaded
    long long total;  // its size, or -1 when unknown
    long long offset; // bytes that were already there (a resumed download)
    long long done;   // bytes on disk now
    double start;     // seconds, monotonic
    double last_draw;
} fc_hub_progress;

// AUTO becomes BAR when out is a terminal, LINES otherwise.
void fc_hub_progress_init(fc_hub_progress *p, fc_hub_progress_mode mode, FILE *out);
// A line of its own (not in BAR's place): what was found in the cache, where the model is.
void fc_hub_progress_note(fc_hub_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void fc_hub_progress_begin(fc_hub_progress *p, const char *file, long long offset, long long total);
// done: the bytes of the file on disk now; the bar redraws at most ten times a second.
void fc_hub_progress_update(fc_hub_progress *p, long long done);
// Ends the file's bar or writes its line ("downloaded", "resumed", or the failure).
void fc_hub_progress_end(fc_hub_progress *p, int ok);

// "1.9 MB", "857 B": sizes as the progress shows them (decimal units, as the hub does).
void fc_hub_format_bytes(double bytes, char *out, size_t size);

#endif
