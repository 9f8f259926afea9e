// The histogram as an SVG picture (histogram.h). Plain SVG 1.1 with no scripts or external
// fonts, so that browsers, image viewers and rsvg-convert all show it the same way.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "curate/histogram.h"
#include "curate/output_file.h"
#include "util/alloc.h"
#include "util/axis.h"
#include "util/error.h"

// Tableau 10: distinct hues that stay apart for readers with the common colour blindnesses.
static const char *const palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                      "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
enum { PALETTE_SIZE = sizeof palette / sizeof palette[0] };

// Picture geometry in pixels.
enum {
    WIDTH = 960, HEIGHT = 540,
    LEFT = 90, RIGHT = 210, TOP = 56, BOTTOM = 84, // margins around the plot
};

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

// 950, 12k, 1.5M: short labels for the y axis.
static void format_count(char *text, size_t size, double n) {
    if (n >= 1e6) snprintf(text, size, "%gM", n / 1e6);
    else if (n >= 1e4) snprintf(text, size, "%gk", n / 1e3);
    else snprintf(text, size, "%.0f", n);
}

static double tallest_bar(const fc_histogram *hist, fc_hist_layout layout) {
    const fc_count_table *table = &hist->by_source;
    double max = 0;
    for (int b = 0; b < hist->n_bins; b++) {
        double stack = 0;
        for (size_t r = 0; r < table->n_rows; r++) {
            double n = (double)fc_count_table_get(table, r, (size_t)b);
            stack += n;
            if (layout == FC_HIST_GROUPED && n > max) max = n;
        }
        if (layout == FC_HIST_STACKED && stack > max) max = stack;
    }
    return max;
}

static void write_axes(FILE *out, const fc_axis *ya) {
    const double y_top = ya->hi;
    const double plot_w = WIDTH - LEFT - RIGHT, plot_h = HEIGHT - TOP - BOTTOM;
    const double bottom = TOP + plot_h;
    fprintf(out, "<g stroke=\"#dddddd\" stroke-width=\"1\">\n");
    for (int i = 1; i < ya->n_ticks; i++) {
        double y = bottom - fc_axis_tick(ya, i) / y_top * plot_h;
        fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", LEFT, y,
                LEFT + plot_w, y);
    }
    fprintf(out, "</g>\n<g stroke=\"#333333\" stroke-width=\"1\">\n");
    fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.1f\"/>\n", LEFT, TOP, LEFT, bottom);
    fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", LEFT, bottom,
            LEFT + plot_w, bottom);
    fprintf(out, "</g>\n<g font-family=\"sans-serif\" font-size=\"12\" fill=\"#333333\">\n");
    char label[32];
    for (int i = 0; i < ya->n_ticks; i++) {
        double y = fc_axis_tick(ya, i);
        double py = bottom - y / y_top * plot_h;
        format_count(label, sizeof label, y);
        fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333333\"/>\n",
                LEFT - 5, py, LEFT, py);
        fprintf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", LEFT - 8,
                py + 4, label);
    }
    // x: scores 0 to 1 on nice ticks (the bins' edges need not be: 7 bins put them at 1/7).
    fc_axis xa = fc_axis_nice(0.0, 1.0, 10, 0);
    for (int i = 0; i < xa.n_ticks; i++) {
        double x = fc_axis_tick(&xa, i), px = LEFT + plot_w * x;
        fc_axis_format(&xa, x, label, sizeof label);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>\n",
                px, bottom, px, bottom + 5);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", px,
                bottom + 19, label);
    }
    fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\">"
                 "score: pilot model probability of the gold label</text>\n",
            LEFT + plot_w / 2, HEIGHT - BOTTOM + 50);
    fprintf(out, "<text transform=\"translate(22,%.1f) rotate(-90)\" text-anchor=\"middle\" "
                 "font-size=\"14\">rows</text>\n", TOP + plot_h / 2);
    fprintf(out, "</g>\n");
}

static void write_bars(FILE *out, const fc_histogram *hist, fc_hist_layout layout,
                       double y_top) {
    const fc_count_table *table = &hist->by_source;
    const double plot_w = WIDTH - LEFT - RIGHT, plot_h = HEIGHT - TOP - BOTTOM;
    const double bottom = TOP + plot_h;
    const double slot = plot_w / hist->n_bins, gap = slot * 0.12;
    const size_t n_sources = table->n_rows ? table->n_rows : 1;
    for (int b = 0; b < hist->n_bins; b++) {
        double x = LEFT + slot * b + gap / 2, stack = 0;
        for (size_t r = 0; r < table->n_rows; r++) {
            double n = (double)fc_count_table_get(table, r, (size_t)b);
            if (n == 0) continue;
            double h = n / y_top * plot_h;
            double bar_x = x, bar_w = slot - gap, bar_y;
            if (layout == FC_HIST_STACKED) {
                bar_y = bottom - (stack + n) / y_top * plot_h;
                stack += n;
            } else {
                bar_w = (slot - gap) / (double)n_sources;
                bar_x = x + bar_w * (double)r;
                bar_y = bottom - h;
            }
            fprintf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                         "fill=\"%s\"><title>",
                    bar_x, bar_y, bar_w, h, palette[r % PALETTE_SIZE]);
            write_escaped(out, table->rows[r]);
            fprintf(out, " %s: %.0f rows</title></rect>\n", table->columns[b], n);
        }
    }
}

static void write_legend(FILE *out, const fc_histogram *hist) {
    const fc_count_table *table = &hist->by_source;
    const int x = WIDTH - RIGHT + 24;
    fprintf(out, "<g font-family=\"sans-serif\" font-size=\"13\" fill=\"#333333\">\n");
    fprintf(out, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">source (scored rows)</text>\n", x,
            TOP + 4);
    for (size_t r = 0; r < table->n_rows; r++) {
        uint64_t scored = 0;
        for (int b = 0; b < hist->n_bins; b++) scored += fc_count_table_get(table, r, (size_t)b);
        int y = TOP + 24 + 22 * (int)r;
        fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\"/>\n", x, y,
                palette[r % PALETTE_SIZE]);
        fprintf(out, "<text x=\"%d\" y=\"%d\">", x + 20, y + 12);
        write_escaped(out, table->rows[r]);
        fprintf(out, " (%llu)</text>\n", (unsigned long long)scored);
    }
    fprintf(out, "</g>\n");
}

int fc_histogram_write_svg(const fc_histogram *hist, const char *path, fc_hist_layout layout,
                           const char *title, fc_error *err) {
    fc_output_file output;
    if (fc_output_open(&output, path, err) != 0) return -1;
    FILE *out = output.file;
    double max = tallest_bar(hist, layout);
    fc_axis ya = fc_axis_nice(0.0, max, 5, 1); // counts: whole-number ticks
    double y_top = ya.hi;
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                 "viewBox=\"0 0 %d %d\">\n",
            WIDTH, HEIGHT, WIDTH, HEIGHT);
    fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", WIDTH,
            HEIGHT);
    fprintf(out, "<text x=\"%d\" y=\"32\" font-family=\"sans-serif\" font-size=\"18\" "
                 "font-weight=\"bold\" fill=\"#222222\">", LEFT);
    write_escaped(out, title ? title : "Score histogram by source");
    fputs("</text>\n", out);
    write_axes(out, &ya);
    write_bars(out, hist, layout, y_top);
    write_legend(out, hist);
    fputs("</svg>\n", out);
    return fc_output_commit(&output, err);
}
