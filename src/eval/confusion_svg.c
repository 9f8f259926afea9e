#include "eval/confusion_svg.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/axis.h"
#include "util/error.h"

// Picture geometry in pixels: a 3x3 grid of CELL squares, labels left and above, the count
// scale on the right.
enum { CELL = 110, GRID_X = 150, GRID_Y = 110, SCALE_X = GRID_X + 3 * CELL + 40, SCALE_W = 18 };
enum { WIDTH = SCALE_X + SCALE_W + 80, HEIGHT = GRID_Y + 3 * CELL + 70 };

static void write_escaped(FILE *out, const char *text) {
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default: putc(*p, out); break;
        }
    }
}

// White to the Tableau blue (#4e79a7) by t in [0, 1].
static void shade(char *color, size_t size, double t) {
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    int r = (int)(255 + (0x4e - 255) * t + 0.5), g = (int)(255 + (0x79 - 255) * t + 0.5),
        b = (int)(255 + (0xa7 - 255) * t + 0.5);
    snprintf(color, size, "#%02x%02x%02x", r, g, b);
}

static void write_picture(FILE *out, const char *title, const fc_metrics *m) {
    size_t most = 0;
    for (int g = 0; g < FC_LABEL_COUNT; g++)
        for (int p = 0; p < FC_LABEL_COUNT; p++)
            if (m->confusion[g][p] > most) most = m->confusion[g][p];
    fc_axis scale = fc_axis_nice(0.0, (double)most, 4, 1); // counts: whole-number ticks
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                 "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
                 "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
            WIDTH, HEIGHT, WIDTH, HEIGHT);
    fputs("<text x=\"20\" y=\"30\" font-size=\"16\" font-weight=\"bold\">", out);
    write_escaped(out, title);
    fprintf(out, "</text>\n<text x=\"20\" y=\"52\" font-size=\"12\" fill=\"#555555\">%zu "
                 "records, accuracy %.4f, macro-F1 %.4f</text>\n",
            m->total, m->accuracy, m->macro_f1);
    fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"13\" text-anchor=\"middle\">predicted"
                 "</text>\n", GRID_X + 3 * CELL / 2, GRID_Y - 30);
    fprintf(out, "<text transform=\"translate(24,%d) rotate(-90)\" font-size=\"13\" "
                 "text-anchor=\"middle\">gold</text>\n", GRID_Y + 3 * CELL / 2);
    for (int i = 0; i < FC_LABEL_COUNT; i++) {
        const char *name = fc_label_name((fc_label)i);
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>\n",
                GRID_X + i * CELL + CELL / 2, GRID_Y - 10, name);
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">%s</text>\n",
                GRID_X - 8, GRID_Y + i * CELL + CELL / 2 + 4, name);
    }
    for (int g = 0; g < FC_LABEL_COUNT; g++) {
        size_t row_total = 0;
        for (int p = 0; p < FC_LABEL_COUNT; p++) row_total += m->confusion[g][p];
        for (int p = 0; p < FC_LABEL_COUNT; p++) {
            size_t n = m->confusion[g][p];
            double t = (double)n / scale.hi;
            char color[16];
            shade(color, sizeof color, t);
            int x = GRID_X + p * CELL, y = GRID_Y + g * CELL;
            const char *ink = t > 0.55 ? "#ffffff" : "#222222";
            fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
                         "stroke=\"#888888\"><title>gold %s, predicted %s: %zu</title></rect>\n",
                    x, y, CELL, CELL, color, fc_label_name((fc_label)g),
                    fc_label_name((fc_label)p), n);
            fprintf(out, "<text class=\"count\" x=\"%d\" y=\"%d\" font-size=\"18\" "
                         "text-anchor=\"middle\" fill=\"%s\">%zu</text>\n",
                    x + CELL / 2, y + CELL / 2, ink, n);
            fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" "
                         "fill=\"%s\">%.1f%%</text>\n",
                    x + CELL / 2, y + CELL / 2 + 18, ink,
                    row_total ? 100.0 * (double)n / (double)row_total : 0.0);
        }
    }
    // The count scale: a gradient bar with nice ticks.
    int top = GRID_Y, height = 3 * CELL;
    fputs("<defs><linearGradient id=\"scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
          "<stop offset=\"0\" stop-color=\"#ffffff\"/><stop offset=\"1\" stop-color=\"#4e79a7\"/>"
          "</linearGradient></defs>\n", out);
    fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"url(#scale)\" "
                 "stroke=\"#888888\"/>\n", SCALE_X, top, SCALE_W, height);
    char label[32];
    for (int i = 0; i < scale.n_ticks; i++) {
        double v = fc_axis_tick(&scale, i);
        double y = top + height - v / scale.hi * height;
        fc_axis_format(&scale, v, label, sizeof label);
        fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333333\"/>\n",
                SCALE_X + SCALE_W, y, SCALE_X + SCALE_W + 5, y);
        fprintf(out, "<text class=\"tick\" x=\"%d\" y=\"%.1f\" font-size=\"11\">%s</text>\n",
                SCALE_X + SCALE_W + 8, y + 4, label);
    }
    fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\">records</text>\n", SCALE_X,
            top - 10);
    fputs("</svg>\n", out);
}

int fc_confusion_write_svg(const char *path, const char *title, const fc_metrics *metrics,
                           fc_error *err) {
    size_t size = strlen(path) + sizeof ".part";
    char *part = fc_malloc(size);
    snprintf(part, size, "%s.part", path);
    FILE *out = fopen(part, "wb");
    if (!out) {
        int rc = fc_fail(err, "%s: cannot write: %s", part, strerror(errno));
        free(part);
        return rc;
    }
    write_picture(out, title, metrics);
    int rc = 0;
    if (ferror(out) | (fclose(out) != 0)) {
        rc = fc_fail(err, "%s: write error: %s", part, strerror(errno));
        remove(part);
    } else if (rename(part, path) != 0) {
        rc = fc_fail(err, "%s: cannot rename %s to it: %s", path, part, strerror(errno));
        remove(part);
    }
    free(part);
    return rc;
}

char *fc_confusion_svg_path(const char *report_path, size_t model, size_t n_models,
                            const char *dataset) {
    // The stem: the report's path without its extension (a dot after the last slash).
    const char *slash = strrchr(report_path, '/');
    const char *dot = strrchr(slash ? slash + 1 : report_path, '.');
    size_t stem = dot ? (size_t)(dot - report_path) : strlen(report_path);
    size_t size = stem + strlen(dataset) + 64;
    char *path = fc_malloc(size);
    int used = snprintf(path, size, "%.*s.confusion.", (int)stem, report_path);
    if (n_models > 1) used += snprintf(path + used, size - (size_t)used, "%zu.", model + 1);
    for (const char *c = dataset; *c; c++)
        path[used++] = isalnum((unsigned char)*c) || strchr("_-.", *c) ? *c : '_';
    snprintf(path + used, size - (size_t)used, ".svg");
    return path;
}

int fc_eval_report_write_confusion_svgs(const char *report_path, const fc_eval_report *report,
                                        fc_error *err) {
    for (size_t r = 0; r < report->n_rows; r++) {
        for (size_t c = 0; c < report->n_columns; c++) {
            if (report->columns[c].missing) continue;
            char *path = fc_confusion_svg_path(report_path, r, report->n_rows,
                                               report->columns[c].name);
            size_t size = strlen(report->rows[r].model) + strlen(report->columns[c].name) + 32;
            char *title = fc_malloc(size);
            snprintf(title, size, "%s on %s", report->rows[r].model, report->columns[c].name);
            int rc = fc_confusion_write_svg(path, title, &report->rows[r].results[c].metrics, err);
            free(title);
            free(path);
            if (rc != 0) return -1;
        }
    }
    return 0;
}
