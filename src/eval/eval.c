#include "eval/eval.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dist/dist.h"
#include "tasks/nli.h"
#include "util/alloc.h"
#include "util/error.h"

// Records are classified a chunk at a time: enough pairs that sorting them by length (inside
// fc_nli_logits_encoded) groups similar lengths, few enough that memory stays small on any file.
// Under mpirun (src/dist) the chunks are read in rounds of one per rank; rank r classifies the
// round's chunk r, whole, and every rank counts every chunk's predictions: the same batches
// and so the same predictions as one process.
enum { EVAL_CHUNK = 1024 };

fc_eval_options fc_eval_default_options(void) {
    fc_eval_options options;
    memset(&options, 0, sizeof options);
    options.nli = fc_nli_default_options();
    return options;
}

void fc_eval_result_init(fc_eval_result *result) {
    memset(result, 0, sizeof *result);
    fc_metrics_init(&result->metrics);
}

void fc_eval_result_free(fc_eval_result *result) {
    free(result->gold);
    free(result->predicted);
    memset(result, 0, sizeof *result);
}

void fc_eval_result_finish(fc_eval_result *result) {
    fc_metrics_finish(&result->metrics);
}

int fc_eval_label_alignment(const fc_model *model, int *canonical_of_id, fc_error *err) {
    int num_labels = fc_model_num_labels(model);
    int seen[FC_LABEL_COUNT] = {0};
    for (int id = 0; id < num_labels; id++) {
        int canonical = fc_model_canonical_label(model, id);
        if (canonical < 0)
            return fc_fail(err, "label %d \"%s\" of the model is no NLI label (entailment, "
                                "neutral, contradiction)", id, fc_model_label_name(model, id));
        canonical_of_id[id] = canonical;
        seen[canonical]++;
    }
    for (int c = 0; c < FC_LABEL_COUNT; c++)
        if (seen[c] != 1)
            return fc_fail(err, "the model has %d labels named %s; it needs exactly one", seen[c],
                           fc_label_name((fc_label)c));
    return 0;
}

int fc_eval_predict(const float *logits, int num_labels, const int *canonical_of_id) {
    int best = 0;
    for (int i = 1; i < num_labels; i++)
        if (logits[i] > logits[best]) best = i;
    return canonical_of_id[best];
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

// A chunk of labeled records waiting to be classified. Their texts are copied into one buffer
// (the reader's strings last only until its next record) and addressed by offset, since the
// buffer moves as it grows.
typedef struct eval_chunk {
    char *text;
    size_t text_length, text_capacity;
    size_t premise[EVAL_CHUNK], hypothesis[EVAL_CHUNK];
    size_t line[EVAL_CHUNK];
    int gold[EVAL_CHUNK];
    size_t count;
    fc_pair pairs[EVAL_CHUNK];
    fc_ids encoded[EVAL_CHUNK]; // kept across chunks so their storage is reused
    float *logits;              // [EVAL_CHUNK, num_labels]
} eval_chunk;

static size_t copy_text(eval_chunk *chunk, const char *text) {
    size_t size = strlen(text) + 1;
    if (chunk->text_length + size > chunk->text_capacity) {
        size_t capacity = chunk->text_capacity ? chunk->text_capacity : 1 << 16;
        while (capacity < chunk->text_length + size) capacity *= 2;
        chunk->text = fc_realloc(chunk->text, capacity);
        chunk->text_capacity = capacity;
    }
    size_t offset = chunk->text_length;
    memcpy(chunk->text + offset, text, size);
    chunk->text_length += size;
    return offset;
}

static void keep_prediction(fc_eval_result *result, int gold, int predicted) {
    if (result->evaluated == result->predictions_capacity) {
        size_t capacity = result->predictions_capacity ? result->predictions_capacity * 2 : 1024;
        result->gold = fc_realloc(result->gold, capacity * sizeof *result->gold);
        result->predicted = fc_realloc(result->predicted, capacity * sizeof *result->predicted);
        result->predictions_capacity = capacity;
    }
    result->gold[result->evaluated] = gold;
    result->predicted[result->evaluated] = predicted;
}

// Progress between the forwards of a chunk: records of this file evaluated before the chunk's
// round plus the chunk's pairs done. Only rank 0 reports (its chunk is the round's first), so a
// round shows rank 0's pairs as they finish and, once gathered, every rank's.
typedef struct chunk_progress {
    const fc_eval_options *options;
    const fc_reader *reader;
    size_t before;
} chunk_progress;

static void report_batch(void *context, size_t done) {
    const chunk_progress *p = context;
    p->options->progress(p->options->progress_context, p->reader, p->before + done);
}

// The canonical predictions of the chunk's records into predicted[count]; progress (NULL for
// none) hears of its pairs as their batches finish.
static int classify_chunk(fc_model *model, const char *path, const fc_eval_options *options,
                          const int *canonical_of_id, eval_chunk *chunk, int *predicted,
                          const chunk_progress *progress, fc_error *err) {
    int num_labels = fc_model_num_labels(model);
    for (size_t i = 0; i < chunk->count; i++) {
        chunk->pairs[i].premise = chunk->text + chunk->premise[i];
        chunk->pairs[i].hypothesis = chunk->text + chunk->hypothesis[i];
    }
    for (size_t i = 0; i < chunk->count; i++) {
        if (fc_nli_encode_pair(model, &chunk->pairs[i], &options->nli, &chunk->encoded[i], err) !=
            0)
            return fc_fail_prefix(err, "%s:%zu", path, chunk->line[i]);
    }
    if (fc_nli_logits_encoded_progress(model, chunk->encoded, chunk->count,
                                       options->nli.batch_size, chunk->logits,
                                       progress ? report_batch : NULL, (void *)progress,
                                       err) != 0)
        return fc_fail_prefix(err, "%s", path);
    for (size_t i = 0; i < chunk->count; i++)
        predicted[i] = fc_eval_predict(chunk->logits + i * (size_t)num_labels, num_labels,
                                       canonical_of_id);
    return 0;
}

// Classifies a round of n chunks (this rank's one of them) and counts all of them. progress
// (rank 0's, NULL on the others and for none) is told of the pairs done.
static int classify_round(fc_model *model, const char *path, const fc_eval_options *options,
                          const int *canonical_of_id, eval_chunk **chunks, size_t n,
                          int *mine, int *predicted, const chunk_progress *progress,
                          fc_eval_result *result, fc_error *err) {
    size_t rank = (size_t)fc_dist_rank();
    // Timed: tokenization and the forward passes, what CrossEncoder.predict does; with several
    // ranks, the slowest one's (they run side by side).
    double start = now_seconds();
    int status = 0;
    if (rank < n)
        status = classify_chunk(model, path, options, canonical_of_id, chunks[rank], mine,
                                progress, err);
    double seconds = now_seconds() - start;
    if (fc_dist_agree(status, err) != 0) return -1;
    fc_dist_max_doubles(&seconds, 1);
    result->seconds += seconds;
    fc_dist_all_gather(mine, EVAL_CHUNK * sizeof *mine, predicted);
    size_t counted = 0;
    for (size_t k = 0; k < n; k++) {
        eval_chunk *chunk = chunks[k];
        for (size_t i = 0; i < chunk->count; i++) {
            int p = predicted[k * EVAL_CHUNK + i];
            fc_metrics_add(&result->metrics, chunk->gold[i], p);
            if (options->keep_predictions) keep_prediction(result, chunk->gold[i], p);
            result->evaluated++;
        }
        counted += chunk->count;
        chunk->count = 0;
        chunk->text_length = 0;
    }
    if (progress) report_batch((void *)progress, counted); // every rank's pairs, gathered
    return 0;
}

static void free_chunk(eval_chunk *chunk) {
    for (size_t i = 0; i < EVAL_CHUNK; i++) fc_ids_free(&chunk->encoded[i]);
    free(chunk->text);
    free(chunk->logits);
    free(chunk);
}

int fc_eval_file(fc_model *model, const char *path, fc_dataset_format format,
                 const fc_reader_options *reader_options, const fc_eval_options *options,
                 fc_eval_result *result, fc_error *err) {
    fc_eval_options defaults = fc_eval_default_options();
    if (!options) options = &defaults;
    int num_labels = fc_model_num_labels(model);
    int *canonical_of_id = fc_malloc((size_t)num_labels * sizeof *canonical_of_id);
    if (fc_eval_label_alignment(model, canonical_of_id, err) != 0) {
        free(canonical_of_id);
        return -1;
    }
    fc_reader *reader;
    if (fc_reader_open(path, format, reader_options, &reader, err) != 0) {
        free(canonical_of_id);
        return -1;
    }
    size_t ranks = (size_t)fc_dist_size();
    eval_chunk **chunks = fc_calloc(ranks, sizeof *chunks);
    for (size_t k = 0; k < ranks; k++) {
        chunks[k] = fc_calloc(1, sizeof **chunks);
        chunks[k]->logits =
            fc_malloc((size_t)EVAL_CHUNK * (size_t)num_labels * sizeof *chunks[k]->logits);
    }
    int *mine = fc_calloc(EVAL_CHUNK, sizeof *mine);
    int *predicted = fc_malloc(ranks * EVAL_CHUNK * sizeof *predicted);

    size_t evaluated_before = result->evaluated, taken = 0, filled = 0; // full chunks
    int status = 0;
    fc_record record;
    for (;;) {
        int more = options->max_rows == 0 || taken < options->max_rows;
        int got = more ? fc_reader_next(reader, &record, err) : 0;
        if (got < 0) {
            status = -1;
            break;
        }
        if (got == 1 && record.label < 0) continue; // nothing to score it against
        eval_chunk *chunk = chunks[filled];
        if (got == 1) {
            chunk->premise[chunk->count] = copy_text(chunk, record.premise);
            chunk->hypothesis[chunk->count] = copy_text(chunk, record.hypothesis);
            chunk->line[chunk->count] = record.line;
            chunk->gold[chunk->count] = record.label;
            chunk->count++;
            taken++;
            if (chunk->count == EVAL_CHUNK) filled++;
        }
        size_t n = filled + (got == 0 && filled < ranks && chunks[filled]->count > 0);
        if (filled == ranks || (got == 0 && n > 0)) {
            chunk_progress progress = {options, reader, result->evaluated - evaluated_before};
            int reports = options->progress && fc_dist_rank() == 0;
            status = classify_round(model, path, options, canonical_of_id, chunks, n, mine,
                                    predicted, reports ? &progress : NULL, result, err);
            filled = 0;
            if (status != 0) break;
        }
        if (got == 0) break;
    }
    fc_reader_counts_add(&result->counts, fc_reader_counts_of(reader));
    fc_reader_close(reader);
    for (size_t k = 0; k < ranks; k++) free_chunk(chunks[k]);
    free(chunks);
    free(mine);
    free(predicted);
    free(canonical_of_id);
    return status;
}
