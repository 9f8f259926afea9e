// Helpers the fuzz harnesses share: a private temporary folder for loaders that read files,
// the encode driver and its checks, a serving context, and the dataset read loop.
#include "fuzz.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/dataset.h"
#include "io/safetensors.h"
#include "serve/handlers.h"
#include "serve/reply.h"
#include "tokenizer/tokenizer_internal.h"

static char fuzz_dir[512];

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    return remove(path);
}

static void remove_fuzz_dir(void) {
    if (fuzz_dir[0]) nftw(fuzz_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fc_fuzz_dir(void) {
    if (fuzz_dir[0]) return fuzz_dir;
    const char *tmp = getenv("TMPDIR");
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/finecat-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fuzz_dir)) {
        perror("finecat fuzz: mkdtemp");
        abort();
    }
    atexit(remove_fuzz_dir);
    return fuzz_dir;
}

const char *fc_fuzz_subdir(const char *name) {
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", fc_fuzz_dir(), name);
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        perror(path);
        abort();
    }
    return path;
}

const char *fc_fuzz_write(const char *name, const uint8_t *data, size_t size) {
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", fc_fuzz_dir(), name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
    return path;
}

void fc_fuzz_remove(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", fc_fuzz_dir(), name);
    unlink(path);
}

char *fc_fuzz_cstring(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (!s) abort();
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

int fc_fuzz_error_named(int rc, const fc_error *err) {
    if (rc == 0) return 0;
    return err->message[0] ? 0 : -1;
}

int fc_fuzz_split(const uint8_t *data, size_t size, uint8_t sep, size_t *first_len,
                  const uint8_t **second, size_t *second_len) {
    const uint8_t *cut = size ? memchr(data, sep, size) : NULL;
    if (!cut) {
        *first_len = size;
        *second = data + size;
        *second_len = 0;
        return 0;
    }
    *first_len = (size_t)(cut - data);
    *second = cut + 1;
    *second_len = size - *first_len - 1;
    return 1;
}

// 1 when id is one of the special ids the post-processor's templates put around the texts.
// Those need not be tokens: Hugging Face takes a template's ids as given (tokenizers' own
// WordPiece test names [CLS] and [SEP] ids its vocabulary lacks), and so does finecat.
static int is_template_id(const fc_tokenizer *tok, int32_t id) {
    const fc_post_processor *pp = &tok->post_processor;
    for (int pair = 0; pair < 2; pair++) {
        const fc_template_piece *pieces = pair ? pp->pair : pp->single;
        int count = pair ? pp->pair_count : pp->single_count;
        for (int i = 0; i < count; i++)
            for (int k = 0; pieces[i].sequence < 0 && k < pieces[i].id_count; k++)
                if (pieces[i].ids[k] == id) return 1;
    }
    return 0;
}

// Every id is a token of the vocabulary or the added tokens, or a special id of the template.
static int ids_are_tokens(const fc_tokenizer *tok, const fc_ids *ids) {
    for (size_t i = 0; i < ids->len; i++)
        if (!fc_tokenizer_id_to_token(tok, ids->ids[i]) && !is_template_id(tok, ids->ids[i]))
            return 0;
    return 1;
}

int fc_fuzz_encode(const fc_tokenizer *tok, const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    int call = data[0] & 3, truncation_bits = (data[0] >> 2) & 3, max_length = data[1];
    fc_truncation truncation = truncation_bits == 1   ? FC_TRUNCATE_LONGEST_FIRST
                               : truncation_bits == 2 ? FC_TRUNCATE_ONLY_FIRST
                                                      : FC_TRUNCATE_NONE;
    size_t first_len, second_len;
    const uint8_t *second_bytes;
    int has_second = fc_fuzz_split(data + 2, size - 2, 0xFF, &first_len, &second_bytes, &second_len);
    fc_ids ids = {0}, types = {0};
    fc_error err = {{0}};
    int rc, ok = 1;
    if (call == 0) {
        rc = fc_tokenizer_encode(tok, (const char *)data + 2, first_len, &ids, &err);
    } else {
        char *first = fc_fuzz_cstring(data + 2, first_len);
        char *second = has_second ? fc_fuzz_cstring(second_bytes, second_len) : NULL;
        if (call == 1)
            rc = fc_tokenizer_encode_pair(tok, first, second, max_length, truncation, &ids, &err);
        else
            rc = fc_tokenizer_encode_pair_typed(tok, first, second, max_length, truncation, &ids,
                                                &types, &err);
        if (rc == 0 && call != 1) ok = types.len == ids.len;
        if (rc == 0 && max_length > 0 && truncation != FC_TRUNCATE_NONE &&
            ids.len > (size_t)max_length) {
            // As in Hugging Face, whose max_length minus the template's special tokens wraps
            // around below zero, a max_length under their count truncates nothing: only then
            // may the result be longer than max_length.
            fc_ids specials = {0};
            fc_error ignored;
            int got = fc_tokenizer_encode_pair(tok, "", second ? "" : NULL, 0, FC_TRUNCATE_NONE,
                                               &specials, &ignored);
            ok = ok && got == 0 && (size_t)max_length < specials.len;
            fc_ids_free(&specials);
        }
        free(first);
        free(second);
    }
    if (rc == 0) ok = ok && ids_are_tokens(tok, &ids);
    else ok = fc_fuzz_error_named(rc, &err) == 0;
    fc_ids_free(&ids);
    fc_ids_free(&types);
    return ok ? 0 : -1;
}

const fc_tokenizer *fc_fuzz_fixture_tokenizer(const char *dir, fc_tokenizer **cache) {
    if (*cache) return *cache;
    fc_error err = {{0}};
    if (fc_tokenizer_load(dir, cache, &err) != 0) {
        fprintf(stderr, "finecat fuzz: %s (run from the repository root)\n", err.message);
        abort();
    }
    return *cache;
}

int fc_fuzz_read_tensors(const fc_safetensors *st) {
    for (size_t i = 0; i < fc_safetensors_count(st); i++) {
        const fc_tensor *t = fc_safetensors_at(st, i);
        if (!t || fc_safetensors_find(st, t->name) != t) return -1;
        fc_safetensors_f32_view(st, t->name);
        size_t elements = 1;
        for (int d = 0; d < t->ndim; d++) elements *= (size_t)t->shape[d];
        float *dst = malloc(elements ? elements * sizeof *dst : 1);
        fc_error err = {{0}};
        int rc = fc_safetensors_read_f32(st, t->name, t->ndim, t->shape, dst, &err);
        free(dst);
        if (fc_fuzz_error_named(rc, &err) != 0) return -1;
        float *copy = NULL;
        err.message[0] = '\0';
        const float *values = fc_safetensors_f32(st, t->name, t->ndim, t->shape, &copy, &err);
        free(copy);
        if (!values && !err.message[0]) return -1;
    }
    return 0;
}

static int record_valid(const fc_record *r) {
    return r->id && r->source && r->split && r->premise && r->hypothesis && r->label >= -1 &&
           r->label < FC_LABEL_COUNT && r->line > 0;
}

int fc_fuzz_read_dataset(const char *path, int format, unsigned options) {
    fc_reader_options opts = fc_reader_default_options();
    if (options & 1) opts.on_error = FC_ON_ERROR_SKIP;
    static const char *const label_maps[4] = {NULL, "hf", "0=entailment,1=neutral,2=contradiction,x=-",
                                              NULL};
    opts.label_map = label_maps[(options >> 1) & 3];
    if (options & 8) {
        opts.premise_column = "p";
        opts.hypothesis_column = "h";
        opts.label_column = "l";
        opts.id_column = "i";
    }
    fc_reader *reader = NULL;
    fc_error err = {{0}};
    if (fc_reader_open(path, (fc_dataset_format)format, &opts, &reader, &err) != 0)
        return fc_fuzz_error_named(-1, &err);
    int ok = 1, got;
    fc_record record;
    while ((got = fc_reader_next(reader, &record, &err)) == 1)
        if (!record_valid(&record)) ok = 0;
    if (got < 0 && !err.message[0]) ok = 0;
    const fc_reader_counts *counts = fc_reader_counts_of(reader);
    if (got == 0 && counts->read != counts->kept + fc_reader_counts_skipped(counts)) ok = 0;
    fc_reader_close(reader);
    return ok ? 0 : -1;
}

const fc_serve_context *fc_fuzz_serve_context(void) {
    static fc_serve_context context;
    static fc_server_options options;
    if (context.scheduler) return &context;
    fc_model *model = NULL;
    fc_error err = {{0}};
    options = fc_server_default_options();
    options.threads = 1;
    context.metrics = fc_metrics_create();
    context.options = &options;
    if (fc_model_load("tests/fixtures/bert/bert-tiny", &model, &err) != 0 ||
        fc_scheduler_start(model, options.max_batch_tokens, options.max_concurrent_requests,
                           options.threads, context.metrics, &context.scheduler, &err) != 0) {
        fprintf(stderr, "finecat fuzz: %s (run from the repository root)\n", err.message);
        abort();
    }
    context.model = model;
    return &context;
}

typedef struct done_signal {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
} done_signal;

static void signal_done(void *cls) {
    done_signal *d = cls;
    pthread_mutex_lock(&d->lock);
    d->done = 1;
    pthread_cond_signal(&d->cond);
    pthread_mutex_unlock(&d->lock);
}

void fc_fuzz_finish_inference(const fc_serve_context *ctx, fc_inference *inference,
                              fc_reply *reply) {
    done_signal d = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    inference->job.on_done = signal_done;
    inference->job.cls = &d;
    fc_scheduler_submit(ctx->scheduler, &inference->job);
    pthread_mutex_lock(&d.lock);
    while (!d.done) pthread_cond_wait(&d.cond, &d.lock);
    pthread_mutex_unlock(&d.lock);
    inference->finish(ctx, inference, reply);
    fc_scheduler_leave(ctx->scheduler);
    inference->free(inference);
}

int fc_fuzz_post(fc_fuzz_post_handler handler, const char *body, size_t size) {
    const fc_serve_context *ctx = fc_fuzz_serve_context();
    fc_reply reply = {0};
    fc_inference *inference = handler(ctx, body, size, &reply);
    if (inference) fc_fuzz_finish_inference(ctx, inference, &reply);
    int valid = fc_fuzz_reply_valid(&reply);
    fc_reply_free(&reply);
    return valid;
}

int fc_fuzz_reply_valid(const fc_reply *reply) {
    if (reply->status == 200) return reply->error_type == NULL && reply->body.len > 0 ? 0 : -1;
    int known = reply->status == 400 || reply->status == 413 || reply->status == 422 ||
                reply->status == 429 || reply->status == 503;
    return known && reply->error_type && reply->body.len > 0 ? 0 : -1;
}
