#include "hub/hub_progress.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void fc_hub_format_bytes(double bytes, char *out, size_t size) {
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1000.0 && u < 4) {
        bytes /= 1000.0;
        u++;
    }
    if (u == 0)
        snprintf(out, size, "%.0f %s", bytes, units[u]);
    else
        snprintf(out, size, "%.1f %s", bytes, units[u]);
}

void fc_hub_progress_init(fc_hub_progress *p, fc_hub_progress_mode mode, FILE *out) {
    memset(p, 0, sizeof *p);
    p->out = out ? out : stderr;
    // huggingface_hub's switch for its bars; an explicit mode (--quiet, a caller's) wins.
    const char *disable = getenv("HF_HUB_DISABLE_PROGRESS_BARS");
    if (mode == FC_HUB_PROGRESS_AUTO && disable && (strcmp(disable, "1") == 0 || strcasecmp(disable, "true") == 0 ||
                                                    strcasecmp(disable, "on") == 0 || strcasecmp(disable, "yes") == 0))
        mode = FC_HUB_PROGRESS_QUIET;
    if (mode == FC_HUB_PROGRESS_AUTO) mode = isatty(fileno(p->out)) ? FC_HUB_PROGRESS_BAR : FC_HUB_PROGRESS_LINES;
    p->mode = mode;
}

void fc_hub_progress_note(fc_hub_progress *p, const char *fmt, ...) {
    if (p->mode == FC_HUB_PROGRESS_QUIET) return;
    va_list args;
    va_start(args, fmt);
    vfprintf(p->out, fmt, args);
    va_end(args);
    fputc('\n', p->out);
    fflush(p->out);
}

void fc_hub_progress_begin(fc_hub_progress *p, const char *file, long long offset, long long total) {
    p->file = file;
    p->offset = offset;
    p->done = offset;
    p->total = total;
    p->start = now_seconds();
    p->last_draw = 0;
    fc_hub_progress_update(p, offset);
}

// "  model.safetensors  45% [#########           ] 0.9 MB/2.0 MB  1.2 MB/s  ETA 0:01"
static void draw_bar(fc_hub_progress *p, double now, int final) {
    char done[32], total[32], rate_text[32], eta[32] = "";
    double elapsed = now - p->start;
    double rate = elapsed > 0 ? (double)(p->done - p->offset) / elapsed : 0;
    fc_hub_format_bytes((double)p->done, done, sizeof done);
    fc_hub_format_bytes(rate, rate_text, sizeof rate_text);
    enum { WIDTH = 20 };
    char bar[WIDTH + 1];
    int percent = 0;
    if (p->total > 0) {
        fc_hub_format_bytes((double)p->total, total, sizeof total);
        double fraction = (double)p->done / (double)p->total;
        if (fraction > 1) fraction = 1;
        percent = (int)(100 * fraction);
        int filled = (int)(WIDTH * fraction);
        for (int i = 0; i < WIDTH; i++) bar[i] = i < filled ? '#' : ' ';
        if (!final && rate > 0) {
            long long left = (long long)((double)(p->total - p->done) / rate + 0.5);
            snprintf(eta, sizeof eta, "  ETA %lld:%02lld", left / 60, left % 60);
        }
    } else {
        snprintf(total, sizeof total, "?");
        memset(bar, ' ', WIDTH);
    }
    bar[WIDTH] = '\0';
    fprintf(p->out, "\r  %-28.28s %3d%% [%s] %s/%s  %s/s%s\033[K", p->file, percent, bar, done, total,
            rate_text, eta);
    if (final) fputc('\n', p->out);
    fflush(p->out);
}

// Plain lines mode: where a long download stands, every LINE_EVERY_S seconds, so that a log
// shows it is alive.
enum { LINE_EVERY_S = 10 };

static void write_line(fc_hub_progress *p, double now) {
    char done[32], total[32], rate_text[32], eta[32] = "";
    double elapsed = now - p->start;
    double rate = elapsed > 0 ? (double)(p->done - p->offset) / elapsed : 0;
    fc_hub_format_bytes((double)p->done, done, sizeof done);
    fc_hub_format_bytes(rate, rate_text, sizeof rate_text);
    if (p->total > 0) {
        fc_hub_format_bytes((double)p->total, total, sizeof total);
        if (rate > 0) {
            long long left = (long long)((double)(p->total - p->done) / rate + 0.5);
            snprintf(eta, sizeof eta, ", ETA %lld:%02lld", left / 60, left % 60);
        }
        fprintf(p->out, "  %s: %d%% (%s of %s), %s/s%s\n", p->file, (int)(100.0 * (double)p->done / (double)p->total),
                done, total, rate_text, eta);
    } else {
        fprintf(p->out, "  %s: %s, %s/s\n", p->file, done, rate_text);
    }
    fflush(p->out);
}

void fc_hub_progress_update(fc_hub_progress *p, long long done) {
    p->done = done;
    if (p->mode != FC_HUB_PROGRESS_BAR && p->mode != FC_HUB_PROGRESS_LINES) return;
    double now = now_seconds();
    if (p->mode == FC_HUB_PROGRESS_LINES) {
        if (p->last_draw == 0) p->last_draw = now; // the first line after LINE_EVERY_S
        if (now - p->last_draw < LINE_EVERY_S) return;
        p->last_draw = now;
        write_line(p, now);
        return;
    }
    if (now - p->last_draw < 0.1) return;
    p->last_draw = now;
    draw_bar(p, now, 0);
}

void fc_hub_progress_end(fc_hub_progress *p, int ok) {
    double now = now_seconds();
    if (p->mode == FC_HUB_PROGRESS_BAR) {
        draw_bar(p, now, 1);
        return;
    }
    if (p->mode != FC_HUB_PROGRESS_LINES || !ok) return;
    char size[32], rate_text[32];
    fc_hub_format_bytes((double)p->done, size, sizeof size);
    double elapsed = now - p->start;
    fc_hub_format_bytes(elapsed > 0 ? (double)(p->done - p->offset) / elapsed : 0, rate_text, sizeof rate_text);
    if (p->offset > 0) {
        char offset[32];
        fc_hub_format_bytes((double)p->offset, offset, sizeof offset);
        fprintf(p->out, "  %s: %s (resumed after %s) in %.1f s, %s/s\n", p->file, size, offset, elapsed,
                rate_text);
    } else {
        fprintf(p->out, "  %s: %s in %.1f s, %s/s\n", p->file, size, elapsed, rate_text);
    }
    fflush(p->out);
}
