#include "curate/progress.h"

#include <time.h>
#include <unistd.h>

// Redraw interval on a terminal, and line interval otherwise (a log file wants few lines).
static const double terminal_interval = 0.2, plain_interval = 10.0;

double fc_progress_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

void fc_progress_start(fc_progress *progress, FILE *out, const char *label, uint64_t total) {
    progress->out = out;
    progress->terminal = out && isatty(fileno(out));
    progress->label = label;
    progress->start = progress->last = fc_progress_now();
    progress->total = total;
    progress->next_check = 0;
}

void fc_progress_update(fc_progress *progress, uint64_t done, uint64_t rows) {
    // The clock is read every 1024 rows, so calling this on every row costs a comparison.
    if (!progress->out || rows < progress->next_check) return;
    progress->next_check = rows + 1024;
    double now = fc_progress_now();
    if (now - progress->last < (progress->terminal ? terminal_interval : plain_interval)) return;
    progress->last = now;
    double fraction = progress->total ? (double)done / (double)progress->total : 0.0;
    if (fraction > 1.0) fraction = 1.0;
    double rate = (double)rows / (now - progress->start);
    if (progress->terminal) {
        enum { BAR = 24 };
        char bar[BAR + 1];
        int filled = (int)(fraction * BAR);
        for (int i = 0; i < BAR; i++) bar[i] = i < filled ? '#' : '.';
        bar[BAR] = '\0';
        fprintf(progress->out, "\r\033[K%s [%s] %3.0f%% %llu rows, %.0f rows/s", progress->label,
                bar, fraction * 100.0, (unsigned long long)rows, rate);
    } else if (progress->total) {
        fprintf(progress->out, "%s: %llu rows (%.0f%%), %.0f rows/s\n", progress->label,
                (unsigned long long)rows, fraction * 100.0, rate);
    } else {
        fprintf(progress->out, "%s: %llu rows, %.0f rows/s\n", progress->label,
                (unsigned long long)rows, rate);
    }
    fflush(progress->out);
}

void fc_progress_end(fc_progress *progress, uint64_t rows) {
    if (!progress->out) return;
    double seconds = fc_progress_now() - progress->start;
    if (progress->terminal) fputs("\r\033[K", progress->out);
    fprintf(progress->out, "%s: %llu rows in %.1f s (%.0f rows/s)\n", progress->label,
            (unsigned long long)rows, seconds, seconds > 0 ? (double)rows / seconds : 0.0);
    fflush(progress->out);
}
