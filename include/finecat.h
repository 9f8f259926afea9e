// finecat: NLI cross-encoders (ModernBERT, DeBERTa-v3) in C.
//
// Conventions: functions that can fail return 0 on success and -1 on failure, and fill the
// fc_error passed as their last argument with a message that names the file, key or input at
// fault. Opaque types come in _load/_free pairs. Labels are mapped by name to the canonical
// NLI order entailment=0, neutral=1, contradiction=2.
#ifndef FINECAT_H
#define FINECAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// The version of this header. fc_version() gives the version of the library actually loaded,
// which can differ when a program built against one header runs with another libfinecat.so.0.
// The shared library's soname changes with FC_VERSION_MAJOR (libfinecat.so.0).
#define FC_VERSION_MAJOR 0
#define FC_VERSION_MINOR 1
#define FC_VERSION_PATCH 0
#define FC_VERSION_STRING "0.1.0"
#define FINECAT_VERSION FC_VERSION_STRING // the older name, kept for existing code

// The functions declared in this header are the whole interface of libfinecat.so: the Makefile
// exports exactly them (a version script made from this file), and nothing else.

typedef struct fc_error {
    char message[1024];
} fc_error;

// "MAJOR.MINOR.PATCH" of the library as built (FC_VERSION_STRING when it was compiled).
const char *fc_version(void);

typedef enum fc_label {
    FC_LABEL_ENTAILMENT = 0,
    FC_LABEL_NEUTRAL = 1,
    FC_LABEL_CONTRADICTION = 2,
    FC_LABEL_COUNT = 3,
} fc_label;

// Canonical name of a canonical label ("entailment", "neutral", "contradiction").
const char *fc_label_name(fc_label label);
// Maps a label name to the canonical label, case-insensitively; -1 when the name is no NLI label.
int fc_label_from_name(const char *name);

// ---------------------------------------------------------------------------------------------
// Token id lists

typedef struct fc_ids {
    int32_t *ids;
    size_t len;
    size_t cap;
} fc_ids;

void fc_ids_push(fc_ids *list, int32_t id);
void fc_ids_clear(fc_ids *list);
void fc_ids_free(fc_ids *list);

// ---------------------------------------------------------------------------------------------
// Tokenizer: Hugging Face tokenizer.json (byte-level BPE as in ModernBERT and RoBERTa,
// SentencePiece Unigram as in DeBERTa-v3, WordPiece as in BERT), or a SentencePiece spm.model
// folder as DeBERTa-v3 publishes it.

typedef struct fc_tokenizer fc_tokenizer;

typedef enum fc_truncation {
    FC_TRUNCATE_NONE = 0,
    FC_TRUNCATE_LONGEST_FIRST, // Hugging Face truncation=True: the balanced split of the Rust code
    FC_TRUNCATE_ONLY_FIRST,    // the premise only (zero-shot pipeline)
} fc_truncation;

// Loads a model folder's tokenizer: tokenizer.json when present, else spm.model with
// tokenizer_config.json, added_tokens.json and special_tokens_map.json (as transformers v4's
// DebertaV2Converter builds it); tokenizer_config.json gives model_max_length.
int fc_tokenizer_load(const char *dir, fc_tokenizer **out, fc_error *err);
void fc_tokenizer_free(fc_tokenizer *tok);

// Appends the content tokens of one text (no special tokens) to out. Invalid UTF-8 is an error,
// and so is running out of memory for the text's buffers ("out of memory: ..."); on any error
// out is left as it was before the call.
int fc_tokenizer_encode(const fc_tokenizer *tok, const char *text, size_t len, fc_ids *out,
                        fc_error *err);

// Encodes one input the way the post-processor template does: [CLS] A [SEP] (second == NULL)
// or [CLS] A [SEP] B [SEP] (RoBERTa: <s> A </s> </s> B </s>). max_length <= 0 means no
// truncation. Replaces out's contents.
// Truncation that cannot fit (only_first with a too short premise) is an error whose message
// contains "too short", as in Hugging Face. Errors are as in fc_tokenizer_encode, and on any
// error out is left empty.
int fc_tokenizer_encode_pair(const fc_tokenizer *tok, const char *first, const char *second,
                             int max_length, fc_truncation truncation, fc_ids *out, fc_error *err);

// fc_tokenizer_encode_pair that also gives the type id of every position (Hugging Face's
// token_type_ids, what BERT's token type embedding reads): from the template's type_id fields,
// so [CLS] A [SEP] is 0 and B [SEP] is 1 for BERT, and all are 0 for RoBERTa. type_ids may be
// NULL; otherwise its contents are replaced, and it ends as long as out (empty on an error).
int fc_tokenizer_encode_pair_typed(const fc_tokenizer *tok, const char *first, const char *second,
                                   int max_length, fc_truncation truncation, fc_ids *out, fc_ids *type_ids,
                                   fc_error *err);

// model_max_length from tokenizer_config.json, or 0 when absent or "unlimited" (> 1e20).
int fc_tokenizer_model_max_length(const fc_tokenizer *tok);
// Id of a special or vocabulary token by its text, or -1.
int32_t fc_tokenizer_token_id(const fc_tokenizer *tok, const char *token);
// Text of a token id (byte-level form as in the vocabulary), or NULL.
const char *fc_tokenizer_id_to_token(const fc_tokenizer *tok, int32_t id);

// ---------------------------------------------------------------------------------------------
// Model: a Hugging Face *ForSequenceClassification checkpoint folder.

typedef struct fc_model fc_model;

// Loads config.json, model.safetensors (or the sharded index) and the tokenizer files. dir may
// also be a hub id, "org/name[@revision]", that names no folder: see fc_model_path_resolve.
// A model runs one forward at a time: it keeps its activation buffers (and, in low precision,
// the embedding rows converted so far) between calls, so threads that share one fc_model take
// turns (a lock of the caller's); separate models are independent.
int fc_model_load(const char *dir, fc_model **out, fc_error *err);

// How the large weight matrices are kept in memory (the math is fp32 except for INT8):
// F32 as loaded; BF16 or F16 halve their memory (widened on the fly, fp32 math); INT8
// quantizes them per output channel, with activations quantized per row at run time.
typedef enum fc_weight_dtype {
    FC_WEIGHTS_F32 = 0,
    FC_WEIGHTS_BF16,
    FC_WEIGHTS_F16,
    FC_WEIGHTS_INT8,
} fc_weight_dtype;

// "f32", "bf16", "f16", "int8"; the dtype of a name, or -1.
const char *fc_weight_dtype_name(fc_weight_dtype dtype);
int fc_weight_dtype_from_name(const char *name);

// Where the forward runs.
typedef enum fc_device {
    FC_DEVICE_CPU = 0,
    FC_DEVICE_CUDA = 1,
} fc_device;

typedef struct fc_model_options {
    fc_weight_dtype weights; // default FC_WEIGHTS_F32
    int device;              // an fc_device: 0 = CPU (default); 1 = the first NVIDIA GPU,
                             // for ModernBERT with f32 weights, in a build made with CUDA=1
                             // (elsewhere loading fails with an error that says so)
} fc_model_options;

// fc_model_load with options (NULL: the defaults). Low-precision storage is implemented for
// ModernBERT; other architectures refuse it with an error, and so does the CUDA device.
int fc_model_load_with(const char *dir, const fc_model_options *options, fc_model **out,
                       fc_error *err);
void fc_model_free(fc_model *model);

const fc_tokenizer *fc_model_tokenizer(const fc_model *model);
int fc_model_num_labels(const fc_model *model);
// The model's own name of its label id (from id2label).
const char *fc_model_label_name(const fc_model *model, int id);
// Canonical label of the model's label id, or -1 when the name is not an NLI label.
int fc_model_canonical_label(const fc_model *model, int id);
// Max tokens of a pair: the tokenizer's model_max_length capped by max_position_embeddings.
int fc_model_max_length(const fc_model *model);

// Runs the classifier on a packed batch: sequence s has tokens ids[offsets[s] .. offsets[s+1]).
// Writes raw logits [n_seqs, num_labels] in the model's own label order.
int fc_model_forward(fc_model *model, const int32_t *ids, const int32_t *offsets, int n_seqs,
                     float *logits, fc_error *err);
// The entailment label id as transformers' zero-shot pipeline finds it: the first label2id name
// (in file order) that starts with "entail", case-insensitively; -1 when there is none.
int fc_model_entailment_id(const fc_model *model);

// ---------------------------------------------------------------------------------------------
// Models from the Hugging Face hub: "org/name" or "org/name@revision" (a branch, tag or commit),
// kept in the cache layout of huggingface_hub ($HF_HUB_CACHE, default $HF_HOME/hub, default
// ~/.cache/huggingface/hub), which transformers shares. $HF_ENDPOINT, $HF_TOKEN (or the file
// $HF_HOME/token) and $HF_HUB_OFFLINE=1 are honoured as huggingface_hub honours them.

typedef enum fc_hub_progress_mode {
    FC_HUB_PROGRESS_AUTO = 0, // a bar on stderr when it is a terminal, plain lines otherwise,
                              // nothing when $HF_HUB_DISABLE_PROGRESS_BARS is 1
    FC_HUB_PROGRESS_BAR,
    FC_HUB_PROGRESS_LINES,
    FC_HUB_PROGRESS_QUIET,
} fc_hub_progress_mode;

// Downloads the files a model needs (config.json, the safetensors weights or their index and
// shards, the tokenizer files) at the revision, checks each against the hub's etag (sha256
// for LFS files) and sets *snapshot_dir (free() it) to the cache's snapshot folder, which
// fc_model_load reads. Files already in the cache are not downloaded again; a partial
// download is resumed. Offline, the snapshot comes from the cache or the call fails.
// Progress goes to stderr as the mode says.
int fc_hub_pull(const char *model_id, fc_hub_progress_mode progress, char **snapshot_dir, fc_error *err);

// The folder a --model argument names: name itself when it is a folder; else, when name looks
// like a hub id, its snapshot in the cache, pulled first when the cache does not hold it (and
// $HF_HUB_OFFLINE is not set). *dir is to be free()d. fc_model_load does this itself.
int fc_model_path_resolve(const char *name, char **dir, fc_error *err);

// How the pulls that fc_model_path_resolve (and so fc_model_load) starts show progress:
// FC_HUB_PROGRESS_QUIET by default, as the library prints nothing unasked; the finecat
// program sets FC_HUB_PROGRESS_AUTO. Set it once, before loading models from threads.
void fc_hub_set_progress(fc_hub_progress_mode mode);

// ---------------------------------------------------------------------------------------------
// NLI over text pairs.

typedef struct fc_pair {
    const char *premise;
    const char *hypothesis;
} fc_pair;

typedef struct fc_nli_options {
    int max_length;           // <= 0: the model's max length
    int batch_size;           // pairs per forward; <= 0: 32
    fc_truncation truncation; // default FC_TRUNCATE_LONGEST_FIRST (CrossEncoder semantics)
} fc_nli_options;

fc_nli_options fc_nli_default_options(void);

// Tokenizes and classifies n pairs; logits is [n, num_labels] in the model's label order.
int fc_nli_logits(fc_model *model, const fc_pair *pairs, size_t n, const fc_nli_options *options,
                  float *logits, fc_error *err);

// Softmax over one row of logits into probs.
void fc_softmax(const float *logits, int n, float *probs);

// ---------------------------------------------------------------------------------------------
// Zero-shot classification, with the semantics of transformers' ZeroShotClassificationPipeline:
// each (text, label) pair is premise = text, hypothesis = the template filled with the label.

#define FC_ZEROSHOT_DEFAULT_TEMPLATE "This example is {}."

typedef struct fc_zeroshot_options {
    const char *hypothesis_template; // Python str.format, one positional field; NULL: default
    int multi_label;      // 1: each label scored on its own (softmax of contradiction vs
                          // entailment); 0: softmax of the entailment logits across the labels
                          // (one label alone is always scored as in multi-label mode)
    int max_batch_tokens; // tokens per forward; <= 0: 8192
} fc_zeroshot_options;

fc_zeroshot_options fc_zeroshot_default_options(void);

// Classifies each text among the candidate labels. All pairs of the call are tokenized once per
// text and once per label, sorted by length and run in forwards of max_batch_tokens tokens. For
// text t, ranks[t * n_labels + r] is the index in labels of the label at rank r (by descending
// score, as the pipeline orders them) and scores[t * n_labels + r] its score. The caller
// allocates ranks and scores with n_texts * n_labels entries each.
int fc_zeroshot(fc_model *model, const char *const *texts, size_t n_texts,
                const char *const *labels, size_t n_labels, const fc_zeroshot_options *options,
                size_t *ranks, float *scores, fc_error *err);

// The hypothesis of one label: hypothesis_template.format(label) with Python's str.format rules
// ("{}" or "{0}", "{{" and "}}" for literal braces, format specs). A template that formatting
// leaves unchanged (no placeholder) is an error, as in the pipeline. Free *hypothesis with free().
int fc_zeroshot_hypothesis(const char *hypothesis_template, const char *label, char **hypothesis,
                           fc_error *err);

// Splits candidate labels given as one string the way the pipeline does: on ",", each part
// stripped of whitespace, empty parts dropped. Free the result with fc_zeroshot_labels_free.
int fc_zeroshot_split_labels(const char *text, char ***labels, size_t *n_labels, fc_error *err);
void fc_zeroshot_labels_free(char **labels, size_t n_labels);

// ---------------------------------------------------------------------------------------------
// Hallucination check: is each sentence of an answer supported by a context?

typedef enum fc_verdict {
    FC_VERDICT_SUPPORTED = 0,    // some context window entails the sentence
    FC_VERDICT_UNSUPPORTED = 1,  // no window entails it and none contradicts it
    FC_VERDICT_CONTRADICTED = 2, // a window contradicts it and none entails it
} fc_verdict;

// "supported", "unsupported" or "contradicted".
const char *fc_verdict_name(fc_verdict verdict);

typedef struct fc_check_options {
    float support_threshold;       // entailment probability that supports; default 0.5
    float contradiction_threshold; // contradiction probability that contradicts; default 0.5
    int max_batch_tokens;          // tokens per forward; <= 0: 8192
} fc_check_options;

fc_check_options fc_check_default_options(void);

// A span of bytes [start, end) of the input it refers to.
typedef struct fc_span {
    size_t start, end;
} fc_span;

typedef struct fc_check_sentence {
    fc_span span;                 // the sentence in the answer
    float probs[FC_LABEL_COUNT];  // canonical order, from the window that entails it most
    int window;                   // that window
    float max_contradiction;      // the highest contradiction probability over all windows
    int contradiction_window;     // the window that gave it
    fc_verdict verdict;
} fc_check_sentence;

typedef struct fc_check_result {
    fc_check_sentence *sentences;
    size_t n_sentences;
    fc_span *windows; // the context text each window covers (a window cut from one very long
    size_t n_windows; // sentence covers that whole sentence)
} fc_check_result;

// Splits the answer into sentences and scores each one (hypothesis) against the context
// (premise). A context longer than the model's window is cut into overlapping windows of whole
// sentences; see src/tasks/check.c for the rules. The model needs entailment, neutral and
// contradiction labels. options may be NULL for the defaults. Free with fc_check_result_free.
int fc_check(fc_model *model, const char *context, const char *answer,
             const fc_check_options *options, fc_check_result *result, fc_error *err);
void fc_check_result_free(fc_check_result *result);

// The sentence splitter the check uses, on its own: spans of the sentences of text[0..len),
// trimmed of surrounding whitespace (rules in src/tasks/sentences.c). Free *spans with free().
size_t fc_split_sentences(const char *text, size_t len, fc_span **spans);

// fc_check with the result as the JSON object `finecat check --json` prints (the fields are
// listed in src/tasks/result_json.h): for bindings that read JSON more easily than the structs
// above. options may be NULL. On success *json is a NUL-terminated string; free it with fc_free.
int fc_check_json(fc_model *model, const char *context, const char *answer,
                  const fc_check_options *options, char **json, fc_error *err);

// Frees memory the library returned (fc_check_json's text; any pointer the comments above say
// to free() may go here too), for callers such as Python's ctypes that have no free() at hand.
void fc_free(void *ptr);

#ifdef __cplusplus
}
#endif

#endif
