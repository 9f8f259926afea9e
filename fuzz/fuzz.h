// Fuzz harnesses: one per parser of untrusted input. Each harness is a body function
// fc_fuzz_NAME(data, size) in fuzz/NAME.c; the file also defines libFuzzer's entry point when
// built with -DFC_FUZZ_MAIN (make fuzz), and the test suite fuzz_replay calls the same body on
// the committed crash inputs under tests/fixtures/fuzz/NAME/.
//
// A body returns 0 when the library behaved (a clean success or an error with a message) and
// -1 when it broke a promise that is not a crash (an error without a message, a token id
// outside the vocabulary); the libFuzzer entry point aborts on -1, so both count as findings.
// Bodies that need files run from the repository root (tests/fixtures is read relative to it).
#ifndef FC_FUZZ_H
#define FC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "finecat.h"

int fc_fuzz_config_modernbert(const uint8_t *data, size_t size);
int fc_fuzz_config_deberta(const uint8_t *data, size_t size);
int fc_fuzz_config_bert(const uint8_t *data, size_t size);
int fc_fuzz_label_map(const uint8_t *data, size_t size);
int fc_fuzz_tokenizer_json(const uint8_t *data, size_t size);
int fc_fuzz_spm_model(const uint8_t *data, size_t size);
int fc_fuzz_encode_bpe(const uint8_t *data, size_t size);
int fc_fuzz_encode_unigram(const uint8_t *data, size_t size);
int fc_fuzz_encode_wordpiece(const uint8_t *data, size_t size);
int fc_fuzz_encode_roberta(const uint8_t *data, size_t size);
int fc_fuzz_safetensors(const uint8_t *data, size_t size);
int fc_fuzz_safetensors_index(const uint8_t *data, size_t size);
int fc_fuzz_data_jsonl(const uint8_t *data, size_t size);
int fc_fuzz_data_table(const uint8_t *data, size_t size);
int fc_fuzz_data_senteval(const uint8_t *data, size_t size);
int fc_fuzz_data_detect(const uint8_t *data, size_t size);
int fc_fuzz_request_predict(const uint8_t *data, size_t size);
int fc_fuzz_request_zeroshot(const uint8_t *data, size_t size);
int fc_fuzz_request_check(const uint8_t *data, size_t size);
int fc_fuzz_request_rerank(const uint8_t *data, size_t size);
int fc_fuzz_request_tokenize(const uint8_t *data, size_t size);
int fc_fuzz_curate_config(const uint8_t *data, size_t size);
int fc_fuzz_curate_verdicts(const uint8_t *data, size_t size);

// A folder of this process's own (under $TMPDIR or /tmp), created on first use and removed
// with its files at exit, where loaders that read files find the fuzz input.
const char *fc_fuzz_dir(void);

// Creates fc_fuzz_dir()/name (one folder per harness, so that the files one harness leaves
// never change what another loads) and returns its path (static storage, valid until the
// next call).
const char *fc_fuzz_subdir(const char *name);

// Writes data to fc_fuzz_dir()/name (name may be "subdir/file" under fc_fuzz_subdir) and returns that path (static storage, valid until the
// next call). Aborts when the write fails: a harness that cannot write tests nothing.
const char *fc_fuzz_write(const char *name, const uint8_t *data, size_t size);

// Removes fc_fuzz_dir()/name if it exists.
void fc_fuzz_remove(const char *name);

// A malloc'ed NUL-terminated copy of data (the parsers of C strings need one).
char *fc_fuzz_cstring(const uint8_t *data, size_t size);

// 0 when an error result carries a message, as every library error must; else -1.
int fc_fuzz_error_named(int rc, const fc_error *err);

// Splits data at the first byte equal to sep: [0, cut) and (cut, size). Returns 0 when there is
// no separator (then the whole input is the first part and the second is empty).
int fc_fuzz_split(const uint8_t *data, size_t size, uint8_t sep, size_t *first_len,
                  const uint8_t **second, size_t *second_len);

// Runs the tokenizer on arbitrary bytes the way the encode harnesses read them: byte 0 picks
// the call (bits 0-1: encode, encode_pair, encode_pair_typed; bits 2-3: no truncation,
// longest first, only first), byte 1 is max_length (0: none), the rest is the first text,
// then a 0xFF byte, then the second. Returns -1 when a result breaks a promise (an id that is
// no token and no special id of the post-processor's template, a truncated result longer than max_length where max_length leaves room for the
// special tokens, type ids of another length).
int fc_fuzz_encode(const fc_tokenizer *tok, const uint8_t *data, size_t size);

// Loads a tokenizer from a fixture folder once per process; aborts when it cannot (the
// harness would test nothing).
const fc_tokenizer *fc_fuzz_fixture_tokenizer(const char *dir, fc_tokenizer **cache);

// Looks up and reads every tensor of an open checkpoint the ways the models do; -1 when a
// tensor the reader listed cannot be found again or a read fails without a message.
struct fc_safetensors;
int fc_fuzz_read_tensors(const struct fc_safetensors *st);

// Reads a data file to its end with the reader of format, with options picked by the bits of
// `options` (bit 0: skip bad rows instead of failing; bits 1-2: no label map, "hf", or
// "0=entailment,1=neutral,2=contradiction,x=-"; bit 3: generic column names "p", "h", "l",
// "i"). Returns -1 when a record or the counts break the reader's promises (dataset.h).
int fc_fuzz_read_dataset(const char *path, int format, unsigned options);

// The server's endpoints without a socket: a context over tests/fixtures/bert/bert-tiny with
// a running scheduler, made once per process (aborts when the fixture cannot be loaded).
struct fc_serve_context;
const struct fc_serve_context *fc_fuzz_serve_context(void);

// Completes an inference a POST handler handed back, as the server does with a suspended
// connection: submits it to the context's scheduler, waits for the worker, writes the reply
// (finish), then leaves the scheduler and frees it.
struct fc_inference;
struct fc_reply;
void fc_fuzz_finish_inference(const struct fc_serve_context *ctx,
                              struct fc_inference *inference, struct fc_reply *reply);

// Runs a POST handler on body the way the server does (the handler, then its inference when it
// hands one back) and returns 0 when the reply is one the endpoints promise.
typedef struct fc_inference *(*fc_fuzz_post_handler)(const struct fc_serve_context *ctx,
                                                     const char *body, size_t len,
                                                     struct fc_reply *reply);
int fc_fuzz_post(fc_fuzz_post_handler handler, const char *body, size_t size);

// 0 when a reply is one the endpoints promise (a 200, or a 4xx/5xx with an error body).
struct fc_reply;
int fc_fuzz_reply_valid(const struct fc_reply *reply);

#endif
