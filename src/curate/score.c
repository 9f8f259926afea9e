#include "curate/score.h"

#include <stddef.h>

#include "curate/json_text.h"

double fc_curate_label_probability(const float logits[FC_LABEL_COUNT], int label) {
    float probs[FC_LABEL_COUNT];
    fc_softmax(logits, FC_LABEL_COUNT, probs);
    return probs[label];
}

typedef struct row_context {
    fc_textbuf extra;
} row_context;

static int write_scored_row(void *context, fc_record *record, const char *line, size_t length,
                            const float logits[FC_LABEL_COUNT], fc_record_writer *writer,
                            fc_error *err) {
    row_context *c = context;
    static const char *const replaced[] = {"pilot_logits", NULL};
    c->extra.len = 0;
    if (fc_curate_extra_members(line, length, replaced, &c->extra, err) != 0) return -1;
    fc_textbuf_append(&c->extra, ",\"pilot_logits\":", 16);
    fc_json_append_floats(&c->extra, logits, FC_LABEL_COUNT);
    record->has_score = record->label >= 0;
    if (record->has_score) record->score = fc_curate_label_probability(logits, record->label);
    fc_record_writer_write(writer, record, c->extra.data, c->extra.len);
    return 0;
}

static int write_teacher_row(void *context, fc_record *record, const char *line, size_t length,
                             const float logits[FC_LABEL_COUNT], fc_record_writer *writer,
                             fc_error *err) {
    row_context *c = context;
    c->extra.len = 0;
    if (fc_curate_extra_members(line, length, NULL, &c->extra, err) != 0) return -1;
    for (int l = 0; l < FC_LABEL_COUNT; l++) record->teacher_logits[l] = logits[l];
    record->has_teacher_logits = 1;
    fc_record_writer_write(writer, record, c->extra.data, c->extra.len);
    return 0;
}

static int run_stage(const char *name,
                     int (*write_row)(void *, fc_record *, const char *, size_t, const float *,
                                      fc_record_writer *, fc_error *),
                     const char *input, const char *output, const char *model_dir,
                     const fc_model_pass_options *options, fc_model_pass_stats *stats,
                     fc_error *err) {
    row_context context = {0};
    fc_model_pass_stage stage = {.name = name, .write_row = write_row, .context = &context};
    int status = fc_curate_model_pass(input, output, model_dir, &stage, options, stats, err);
    fc_textbuf_free(&context.extra);
    return status;
}

int fc_curate_score(const char *input, const char *output, const char *model_dir,
                    const fc_model_pass_options *options, fc_model_pass_stats *stats,
                    fc_error *err) {
    return run_stage("score", write_scored_row, input, output, model_dir, options, stats, err);
}

int fc_curate_teacher(const char *input, const char *output, const char *model_dir,
                      const fc_model_pass_options *options, fc_model_pass_stats *stats,
                      fc_error *err) {
    return run_stage("teacher", write_teacher_row, input, output, model_dir, options, stats, err);
}
