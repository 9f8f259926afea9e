#include "train/report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/axis.h"
#include "util/error.h"

void fc_train_log_init(fc_train_log *log, int n_evals, const char *const *eval_names) {
    memset(log, 0, sizeof *log);
    log->n_evals = n_evals;
    log->eval_names = fc_calloc((size_t)n_evals + 1, sizeof *log->eval_names);
    for (int k = 0; k < n_evals; k++) log->eval_names[k] = fc_strdup(eval_names[k]);
}

void fc_train_log_free(fc_train_log *log) {
    for (int k = 0; k < log->n_evals; k++) free(log->eval_names[k]);
    free(log->eval_names);
    for (size_t i = 0; i < log->n_rows; i++) free(log->rows[i].eval_accuracy);
    free(log->rows);
    memset(log, 0, sizeof *log);
}

void fc_train_log_add(fc_train_log *log, const fc_log_row *row) {
    if (log->n_rows == log->capacity) {
        log->capacity = log->capacity ? 2 * log->capacity : 256;
        log->rows = fc_realloc(log->rows, log->capacity * sizeof *log->rows);
    }
    fc_log_row *r = &log->rows[log->n_rows++];
    *r = *row;
    r->eval_accuracy = fc_malloc(((size_t)log->n_evals + 1) * sizeof *r->eval_accuracy);
    for (int k = 0; k < log->n_evals; k++)
        r->eval_accuracy[k] = row->eval_accuracy ? row->eval_accuracy[k] : NAN;
}

// A growable string with printf appends.
typedef struct text {
    char *data;
    size_t len, cap;
} text;

static void appendf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void appendf(text *t, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        size_t room = t->cap - t->len;
        int n = vsnprintf(t->data ? t->data + t->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < room) {
            t->len += (size_t)n;
            return;
        }
        t->cap = t->cap * 2 + (size_t)n + 64;
        t->data = fc_realloc(t->data, t->cap);
    }
}

static const char *const fixed_columns =
    "step,epoch,loss,ce,mse,lr,grad_norm,samples_per_s,rows,teacher_rows";

char *fc_train_log_csv_header(const fc_train_log *log) {
    text t = {0};
    appendf(&t, "%s", fixed_columns);
    for (int k = 0; k < log->n_evals; k++) appendf(&t, ",eval_%s_accuracy", log->eval_names[k]);
    appendf(&t, "\n");
    return t.data;
}

static void append_row(text *t, const fc_train_log *log, const fc_log_row *r) {
    appendf(t, "%ld,%.6f,%.9g,%.9g,%.9g,%.9g,%.9g,%.1f,%ld,%ld", r->step, r->epoch, r->loss, r->ce,
            r->mse, r->lr, r->grad_norm, r->samples_per_s, r->rows, r->teacher_rows);
    for (int k = 0; k < log->n_evals; k++) {
        if (isnan(r->eval_accuracy[k]))
            appendf(t, ",");
        else
            appendf(t, ",%.6f", r->eval_accuracy[k]);
    }
    appendf(t, "\n");
}

char *fc_train_log_csv_row(const fc_train_log *log, const fc_log_row *row) {
    text t = {0};
    append_row(&t, log, row);
    return t.data;
}

char *fc_train_log_csv(const fc_train_log *log) {
    text t = {0};
    char *header = fc_train_log_csv_header(log);
    appendf(&t, "%s", header);
    free(header);
    for (size_t i = 0; i < log->n_rows; i++) append_row(&t, log, &log->rows[i]);
    return t.data;
}

int fc_train_log_parse_csv(fc_train_log *log, const char *csv, fc_error *err) {
    char *header = fc_train_log_csv_header(log);
    size_t header_len = strlen(header);
    int same = strncmp(csv, header, header_len) == 0;
    free(header);
    if (!same) return fc_fail(err, "train_log.csv: its columns differ from this run's");
    const char *p = csv + header_len;
    double *evals = fc_malloc(((size_t)log->n_evals + 1) * sizeof *evals);
    int rc = 0;
    while (*p && rc == 0) {
        fc_log_row r = {0};
        char *end;
        double fields[10];
        for (int f = 0; f < 10 && rc == 0; f++) {
            fields[f] = strtod(p, &end);
            if (end == p || (*end != ',' && *end != '\n' && *end != '\0')) rc = -1;
            p = *end == ',' ? end + 1 : end;
        }
        for (int k = 0; k < log->n_evals && rc == 0; k++) {
            if (*p == ',' || *p == '\n') {
                evals[k] = NAN;
            } else {
                evals[k] = strtod(p, &end);
                if (end == p) rc = -1;
                p = end;
            }
            if (*p == ',') p++;
        }
        if (rc != 0) break;
        if (*p == '\n') p++;
        r.step = (long)fields[0];
        r.epoch = fields[1];
        r.loss = fields[2];
        r.ce = fields[3];
        r.mse = fields[4];
        r.lr = fields[5];
        r.grad_norm = fields[6];
        r.samples_per_s = fields[7];
        r.rows = (long)fields[8];
        r.teacher_rows = (long)fields[9];
        r.eval_accuracy = evals;
        fc_train_log_add(log, &r);
    }
    free(evals);
    if (rc != 0) return fc_fail(err, "train_log.csv: row %zu is malformed", log->n_rows + 1);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// SVG: two panels sharing the step axis.

enum { SVG_W = 900, PANEL_H = 260, MARGIN_L = 70, MARGIN_R = 170, MARGIN_T = 40, GAP = 60 };

typedef struct panel {
    double x0, x1, y0, y1; // data ranges
    int top;               // pixel y of the panel's top
} panel;

static double px(const panel *p, double x) {
    double w = SVG_W - MARGIN_L - MARGIN_R;
    return MARGIN_L + (p->x1 > p->x0 ? (x - p->x0) / (p->x1 - p->x0) : 0.5) * w;
}

static double py(const panel *p, double y) {
    return p->top + PANEL_H - (p->y1 > p->y0 ? (y - p->y0) / (p->y1 - p->y0) : 0.5) * PANEL_H;
}

// The panel's ranges become its axes' nice ranges (util/axis.h): ticks at 0, 0.5, 1, 1.5
// rather than the data's maximum cut in four.
static void draw_axes(text *t, panel *p, const char *ylabel) {
    fc_axis ya = fc_axis_nice(p->y0, p->y1, 5, 0), xa = fc_axis_nice(p->x0, p->x1, 6, 1);
    p->y0 = ya.lo, p->y1 = ya.hi, p->x0 = xa.lo, p->x1 = xa.hi;
    appendf(t, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#444'/>\n",
            MARGIN_L, p->top, SVG_W - MARGIN_L - MARGIN_R, PANEL_H);
    char label[32];
    for (int i = 0; i < ya.n_ticks; i++) {
        double y = fc_axis_tick(&ya, i);
        fc_axis_format(&ya, y, label, sizeof label);
        appendf(t, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#ddd'/>\n", MARGIN_L,
                SVG_W - MARGIN_R, py(p, y), py(p, y));
        appendf(t, "<text x='%d' y='%.1f' font-size='11' text-anchor='end'>%s</text>\n",
                MARGIN_L - 6, py(p, y) + 4, label);
    }
    for (int i = 0; i < xa.n_ticks; i++) {
        double x = fc_axis_tick(&xa, i);
        fc_axis_format(&xa, x, label, sizeof label);
        appendf(t, "<text x='%.1f' y='%d' font-size='11' text-anchor='middle'>%s</text>\n",
                px(p, x), p->top + PANEL_H + 15, label);
    }
    appendf(t, "<text x='16' y='%d' font-size='12' transform='rotate(-90 16 %d)' "
               "text-anchor='middle'>%s</text>\n", p->top + PANEL_H / 2, p->top + PANEL_H / 2, ylabel);
}

static void draw_series(text *t, const panel *p, const fc_train_log *log, int column, int k,
                        const char *color, const char *name, int legend_row) {
    appendf(t, "<polyline fill='none' stroke='%s' stroke-width='1.5' points='", color);
    int points = 0;
    for (size_t i = 0; i < log->n_rows; i++) {
        const fc_log_row *r = &log->rows[i];
        double y = column == 0 ? r->loss : column == 1 ? r->ce : column == 2 ? r->mse
                                                                             : r->eval_accuracy[k];
        if (isnan(y)) continue;
        appendf(t, "%.1f,%.1f ", px(p, (double)r->step), py(p, y));
        points++;
    }
    appendf(t, "'/>\n");
    if (points == 1) { // a single evaluation: show it as a dot
        for (size_t i = 0; i < log->n_rows; i++)
            if (!isnan(log->rows[i].eval_accuracy[k]))
                appendf(t, "<circle cx='%.1f' cy='%.1f' r='3' fill='%s'/>\n",
                        px(p, (double)log->rows[i].step), py(p, log->rows[i].eval_accuracy[k]), color);
    }
    int lx = SVG_W - MARGIN_R + 12, ly = p->top + 14 + 16 * legend_row;
    appendf(t, "<line x1='%d' x2='%d' y1='%d' y2='%d' stroke='%s' stroke-width='2'/>\n", lx,
            lx + 18, ly - 4, ly - 4, color);
    appendf(t, "<text x='%d' y='%d' font-size='11'>%s</text>\n", lx + 24, ly, name);
}

int fc_train_log_write_svg(const fc_train_log *log, const char *path, const char *title,
                           fc_error *err) {
    static const char *const colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                         "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
    text t = {0};
    int height = MARGIN_T + 2 * PANEL_H + GAP + 40;
    appendf(&t, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
                "font-family='sans-serif'>\n<rect width='100%%' height='100%%' fill='white'/>\n",
            SVG_W, height);
    appendf(&t, "<text x='%d' y='22' font-size='14'>", MARGIN_L);
    for (const char *c = title; *c; c++) { // escape the few XML specials
        if (*c == '<') appendf(&t, "&lt;");
        else if (*c == '>') appendf(&t, "&gt;");
        else if (*c == '&') appendf(&t, "&amp;");
        else appendf(&t, "%c", *c);
    }
    appendf(&t, "</text>\n");
    double last = log->n_rows ? (double)log->rows[log->n_rows - 1].step : 1.0;
    panel loss = {0, last, 0, 0, MARGIN_T};
    int has_mse = 0;
    for (size_t i = 0; i < log->n_rows; i++) {
        const fc_log_row *r = &log->rows[i];
        loss.y1 = fmax(loss.y1, fmax(r->loss, fmax(r->ce, r->mse)));
        has_mse |= r->teacher_rows > 0;
    }
    if (loss.y1 <= 0) loss.y1 = 1;
    draw_axes(&t, &loss, "training loss");
    draw_series(&t, &loss, log, 0, 0, "#000000", "loss", 0);
    draw_series(&t, &loss, log, 1, 0, colors[0], "CE", 1);
    if (has_mse) draw_series(&t, &loss, log, 2, 0, colors[1], "MSE", 2);

    panel acc = {0, last, 0, 1, MARGIN_T + PANEL_H + GAP};
    draw_axes(&t, &acc, "eval accuracy");
    // chance for three balanced classes
    appendf(&t, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#999' stroke-dasharray='4 3'/>\n",
            MARGIN_L, SVG_W - MARGIN_R, py(&acc, 1.0 / 3.0), py(&acc, 1.0 / 3.0));
    appendf(&t, "<text x='%d' y='%.1f' font-size='10' fill='#777' text-anchor='end'>chance (1/3)"
                "</text>\n", SVG_W - MARGIN_R - 4, py(&acc, 1.0 / 3.0) - 4);
    for (int k = 0; k < log->n_evals; k++)
        draw_series(&t, &acc, log, 3, k, colors[(k + 2) % 8], log->eval_names[k], k);
    appendf(&t, "<text x='%d' y='%d' font-size='12' text-anchor='middle'>optimizer step</text>\n",
            (SVG_W - MARGIN_R + MARGIN_L) / 2, height - 6);
    appendf(&t, "</svg>\n");

    size_t len = strlen(path) + 32;
    char *tmp = fc_malloc(len);
    snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int rc = 0;
    if (!f) {
        rc = fc_fail(err, "%s: cannot create: %s", tmp, strerror(errno));
    } else {
        int bad = fwrite(t.data, 1, t.len, f) != t.len;
        bad |= fclose(f) != 0;
        if (bad || rename(tmp, path) != 0) {
            rc = fc_fail(err, "%s: cannot write: %s", path, strerror(errno));
            unlink(tmp);
        }
    }
    free(tmp);
    free(t.data);
    return rc;
}
