// A SentencePiece model file (spm.model): the ModelProto of sentencepiece_model.proto in proto2
// wire format, read by a minimal protobuf reader (model-reference 5.3). Only the fields that
// Hugging Face's converter (convert_slow_tokenizer.py, SpmConverter / DebertaV2Converter) uses
// are kept:
//   ModelProto      1: pieces (repeated SentencePiece), 2: trainer_spec, 3: normalizer_spec
//   SentencePiece   1: piece (string), 2: score (float), 3: type (enum, default NORMAL)
//   TrainerSpec     3: model_type (default UNIGRAM), 35: byte_fallback, 40: unk_id (default 0)
//   NormalizerSpec  1: name, 2: precompiled_charsmap, 3: add_dummy_prefix,
//                   4: remove_extra_whitespaces, 5: escape_whitespaces (all three default true)
// Other fields are skipped. The file is untrusted: every length is checked against the bytes
// left, and any malformed input is an error naming the file and the byte offset.
#ifndef FC_TOKENIZER_SPM_MODEL_H
#define FC_TOKENIZER_SPM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "finecat.h"

// SentencePiece::Type.
typedef enum fc_spm_piece_type {
    FC_SPM_NORMAL = 1,
    FC_SPM_UNKNOWN = 2,
    FC_SPM_CONTROL = 3,
    FC_SPM_USER_DEFINED = 4,
    FC_SPM_UNUSED = 5,
    FC_SPM_BYTE = 6,
} fc_spm_piece_type;

// TrainerSpec::ModelType.
enum { FC_SPM_MODEL_UNIGRAM = 1, FC_SPM_MODEL_BPE = 2, FC_SPM_MODEL_WORD = 3, FC_SPM_MODEL_CHAR = 4 };

typedef struct fc_spm_model {
    int32_t piece_count;
    char *text;             // every piece, NUL-terminated, end to end
    uint32_t *piece_offset; // piece i is text + piece_offset[i], piece_len[i] bytes
    uint32_t *piece_len;
    float *score;
    int *type;              // fc_spm_piece_type
    int model_type;
    int32_t unk_id;
    int byte_fallback;
    unsigned char *charsmap; // normalizer_spec.precompiled_charsmap (NULL when absent or empty)
    size_t charsmap_len;
    char *normalizer_name;   // "" when absent
    int add_dummy_prefix, remove_extra_whitespaces, escape_whitespaces;
} fc_spm_model;

// Parses a ModelProto from memory. path names the file in error messages.
int fc_spm_model_parse(fc_spm_model *model, const unsigned char *data, size_t len, const char *path,
                       fc_error *err);
// Reads and parses the file at path.
int fc_spm_model_load(fc_spm_model *model, const char *path, fc_error *err);
void fc_spm_model_free(fc_spm_model *model);

static inline const char *fc_spm_piece(const fc_spm_model *model, int32_t i) {
    return model->text + model->piece_offset[i];
}

#endif
