#include "util/progress.h"

#include <time.h>
#include <unistd.h>

// Redraw interval on a terminal, and the longest gap between plain lines (a log file wants
// few lines; tenths of the work print their own once the work has run for a second).
static const double terminal_interval = 0.2, plain_interval = 10.0;

double fc_progress_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

void fc_progress_format_seconds(char *text, size_t size, double seconds) {
    if (!(seconds >= 0)) seconds = 0;
    unsigned long s = (unsigned long)(seconds + 0.5);
    if (s >= 3600) snprintf(text, size, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
    else if (s >= 60) snprintf(text, size, "%lu:%02lu", s / 60, s % 60);
    else snprintf(text, size, "%lu s", s);
}

void fc_progress_start(fc_progress *progress, FILE *out, const char *label, uint64_t total) {
    *progress = (fc_progress){
        .out = out,
        .terminal = out && isatty(fileno(out)),
        .label = label,
        .unit = "rows",
        .total = total,
        .next_tenth = 1,
        .calls_per_check = 1,
    };
    progress->start = progress->last = progress->last_check = fc_progress_now();
}

void fc_progress_start_count(fc_progress *progress, FILE *out, const char *label,
                             const char *unit, uint64_t total) {
    fc_progress_start(progress, out, label, total);
    progress->unit = unit;
    progress->total_is_count = 1;
}

void fc_progress_set_unit(fc_progress *progress, const char *unit) {
    progress->unit = unit;
}

// "120/1000 pairs" or "120 rows".
static void write_count(const fc_progress *progress, uint64_t count) {
    if (progress->total_is_count && progress->total)
        fprintf(progress->out, "%llu/%llu %s", (unsigned long long)count,
                (unsigned long long)progress->total, progress->unit);
    else
        fprintf(progress->out, "%llu %s", (unsigned long long)count, progress->unit);
}

void fc_progress_update(fc_progress *progress, uint64_t done, uint64_t count) {
    if (!progress->out) return;
    // Reading the clock costs ~20 ns; per-row callers (curate reads ~500k rows/s) call often,
    // model work once a batch. The reading interval adapts so both cost nothing noticeable.
    progress->calls++;
    // A tenth of the work reached is seen without the clock (one multiply), so that no
    // plain line is missed while the clock is read rarely.
    int tenth_due = progress->total && progress->next_tenth < 10 &&
                    (double)done * 10.0 >= (double)progress->next_tenth * (double)progress->total;
    if (!tenth_due && progress->calls - progress->last_check_call < progress->calls_per_check)
        return;
    progress->last_check_call = progress->calls;
    double now = fc_progress_now();
    if (now - progress->last_check < 0.001 && progress->calls_per_check < 4096)
        progress->calls_per_check *= 2;
    else if (now - progress->last_check > 0.05 && progress->calls_per_check > 1)
        progress->calls_per_check /= 2;
    progress->last_check = now;

    double fraction = progress->total ? (double)done / (double)progress->total : 0.0;
    if (fraction > 1.0) fraction = 1.0;
    // The closing line reports the whole; a tenth line at 100% would only repeat it.
    int tenth_reached = progress->total && fraction < 1.0 &&
                        fraction * 10.0 >= progress->next_tenth && progress->next_tenth < 10;
    if (progress->terminal) {
        if (now - progress->last < terminal_interval) return;
    } else if (!tenth_reached && (now - progress->last < plain_interval || fraction >= 1.0)) {
        return;
    } else if (tenth_reached && now - progress->start < 1.0) {
        return; // work done within a second has its closing line; tenths would be noise
    }
    while (progress->total && progress->next_tenth < 10 && fraction * 10.0 >= progress->next_tenth)
        progress->next_tenth++;
    progress->last = now;
    double elapsed = now - progress->start;
    double rate = elapsed > 0 ? (double)count / elapsed : 0.0;
    char eta[32] = "";
    if (progress->total && fraction > 0 && fraction < 1)
        fc_progress_format_seconds(eta, sizeof eta, elapsed * (1.0 - fraction) / fraction);
    if (progress->terminal) {
        enum { BAR = 24 };
        char bar[BAR + 1];
        int filled = (int)(fraction * BAR);
        for (int i = 0; i < BAR; i++) bar[i] = i < filled ? '#' : '.';
        bar[BAR] = '\0';
        fprintf(progress->out, "\r\033[K%s ", progress->label);
        if (progress->total) fprintf(progress->out, "[%s] %3.0f%% ", bar, fraction * 100.0);
        write_count(progress, count);
        fprintf(progress->out, ", %.1f %s/s", rate, progress->unit);
        if (eta[0]) fprintf(progress->out, ", ETA %s", eta);
    } else {
        fprintf(progress->out, "%s: ", progress->label);
        write_count(progress, count);
        if (progress->total) fprintf(progress->out, " (%.0f%%)", fraction * 100.0);
        fprintf(progress->out, ", %.1f %s/s", rate, progress->unit);
        if (eta[0]) fprintf(progress->out, ", ETA %s", eta);
        fputc('\n', progress->out);
    }
    fflush(progress->out);
}

void fc_progress_end(fc_progress *progress, uint64_t count) {
    if (!progress->out) return;
    double seconds = fc_progress_now() - progress->start;
    if (progress->terminal) fputs("\r\033[K", progress->out);
    fprintf(progress->out, "%s: ", progress->label);
    write_count(progress, count);
    fprintf(progress->out, " in %.1f s (%.1f %s/s)\n", seconds,
            seconds > 0 ? (double)count / seconds : 0.0, progress->unit);
    fflush(progress->out);
}
