#include "tokenizer/spm_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/utf8.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

// Protobuf wire types (protobuf encoding guide). Groups (3, 4) are long deprecated and never
// occur in sentencepiece_model.proto, so they are refused like any other malformed input.
enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LEN = 2, WIRE_FIXED32 = 5 };

// A read position inside the file; base and path only serve error messages.
typedef struct reader {
    const unsigned char *p, *end, *base;
    const char *path;
    fc_error *err;
} reader;

static int fail_at(reader *r, const char *what) {
    return fc_fail(r->err, "%s: not a valid SentencePiece model: %s at byte %zu", r->path, what,
                   (size_t)(r->p - r->base));
}

static int read_varint(reader *r, uint64_t *out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) return fail_at(r, "truncated varint");
        unsigned char b = *r->p++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return fail_at(r, "varint longer than 10 bytes");
}

// One field: its number, its wire type, and its payload (varint value, or the bytes of a
// length-delimited / fixed field in sub).
typedef struct field {
    uint32_t number;
    int wire;
    uint64_t varint;
    reader sub;
} field;

static int read_field(reader *r, field *f) {
    uint64_t key;
    if (read_varint(r, &key)) return -1;
    f->number = (uint32_t)(key >> 3);
    f->wire = (int)(key & 7);
    if (f->number == 0 || key >> 32) return fail_at(r, "invalid field number");
    f->sub = *r;
    size_t size;
    switch (f->wire) {
    case WIRE_VARINT:
        return read_varint(r, &f->varint);
    case WIRE_FIXED64:
        size = 8;
        break;
    case WIRE_FIXED32:
        size = 4;
        break;
    case WIRE_LEN: {
        uint64_t n;
        if (read_varint(r, &n)) return -1;
        if (n > (uint64_t)(r->end - r->p)) return fail_at(r, "length past the end of the data");
        size = (size_t)n;
        f->sub.p = r->p;
        break;
    }
    default:
        return fail_at(r, "unsupported wire type");
    }
    if (size > (size_t)(r->end - r->p)) return fail_at(r, "truncated field");
    f->sub.p = r->p;
    f->sub.end = r->p + size;
    r->p += size;
    return 0;
}

static int expect_wire(reader *r, const field *f, int wire, const char *name) {
    if (f->wire == wire) return 0;
    char what[96];
    snprintf(what, sizeof what, "field %s has the wrong wire type", name);
    return fail_at(r, what);
}

static float read_float(const reader *sub) {
    uint32_t bits = (uint32_t)sub->p[0] | (uint32_t)sub->p[1] << 8 | (uint32_t)sub->p[2] << 16 |
                    (uint32_t)sub->p[3] << 24;
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

typedef struct piece_list {
    size_t cap, text_len, text_cap;
} piece_list;

// Room for cap pieces whose texts take text_cap bytes with their NULs. The piece arrays are
// sized by the file, so they are of the fallible kind (util/alloc.h); l->cap and l->text_cap
// keep the old sizes until every array has grown.
static int reserve_pieces(fc_spm_model *m, piece_list *l, size_t cap, size_t text_cap, fc_error *err) {
    if (cap > l->cap) {
        size_t bytes = cap * (sizeof *m->piece_offset + sizeof *m->piece_len + sizeof *m->score + sizeof *m->type);
        uint32_t *offset = fc_try_realloc_array(m->piece_offset, cap, sizeof *offset);
        if (!offset) return fc_fail_out_of_memory(err, "the SentencePiece pieces", bytes);
        m->piece_offset = offset;
        uint32_t *lengths = fc_try_realloc_array(m->piece_len, cap, sizeof *lengths);
        if (!lengths) return fc_fail_out_of_memory(err, "the SentencePiece pieces", bytes);
        m->piece_len = lengths;
        float *scores = fc_try_realloc_array(m->score, cap, sizeof *scores);
        if (!scores) return fc_fail_out_of_memory(err, "the SentencePiece pieces", bytes);
        m->score = scores;
        int *types = fc_try_realloc_array(m->type, cap, sizeof *types);
        if (!types) return fc_fail_out_of_memory(err, "the SentencePiece pieces", bytes);
        m->type = types;
        l->cap = cap;
    }
    if (text_cap > l->text_cap) {
        char *text = fc_try_realloc_array(m->text, text_cap, 1);
        if (!text) return fc_fail_out_of_memory(err, "the SentencePiece piece texts", text_cap);
        m->text = text;
        l->text_cap = text_cap;
    }
    return 0;
}

// The number of pieces (top-level field 1) and a bound on their texts' bytes (with NULs), so
// that the piece arrays are allocated once. Malformed data ends the count early; the parse
// that follows reports it.
static void count_pieces(const unsigned char *data, size_t len, size_t *count, size_t *text_bytes) {
    reader r = {data, data + len, data, "", NULL};
    *count = 0;
    *text_bytes = 0;
    field f;
    while (r.p < r.end && read_field(&r, &f) == 0) {
        if (f.number != 1 || f.wire != WIRE_LEN) continue;
        (*count)++;
        *text_bytes += (size_t)(f.sub.end - f.sub.p) + 1; // the piece message holds the text
    }
}

static int add_piece(fc_spm_model *m, piece_list *l, const unsigned char *s, size_t len, float score,
                     int type, fc_error *err) {
    // Pieces past the count (none, for data count_pieces read whole) grow the arrays by half.
    size_t cap = (size_t)m->piece_count < l->cap ? l->cap : l->cap + l->cap / 2 + 1024;
    size_t need = l->text_len + len + 1;
    if (reserve_pieces(m, l, cap, need > l->text_cap ? need + need / 2 + 4096 : l->text_cap, err)) return -1;
    memcpy(m->text + l->text_len, s, len);
    m->text[l->text_len + len] = '\0';
    int32_t i = m->piece_count++;
    m->piece_offset[i] = (uint32_t)l->text_len;
    m->piece_len[i] = (uint32_t)len;
    m->score[i] = score;
    m->type[i] = type;
    l->text_len += len + 1;
    return 0;
}

static int parse_piece(fc_spm_model *m, piece_list *l, reader *r) {
    const unsigned char *text = NULL;
    size_t len = 0;
    float score = 0.0f;
    int type = FC_SPM_NORMAL, index = m->piece_count;
    while (r->p < r->end) {
        field f;
        if (read_field(r, &f)) return -1;
        if (f.number == 1) {
            if (expect_wire(r, &f, WIRE_LEN, "SentencePiece.piece")) return -1;
            text = f.sub.p;
            len = (size_t)(f.sub.end - f.sub.p);
        } else if (f.number == 2) {
            if (expect_wire(r, &f, WIRE_FIXED32, "SentencePiece.score")) return -1;
            score = read_float(&f.sub);
        } else if (f.number == 3) {
            if (expect_wire(r, &f, WIRE_VARINT, "SentencePiece.type")) return -1;
            type = (int)f.varint;
            if (f.varint < FC_SPM_NORMAL || f.varint > FC_SPM_BYTE)
                return fc_fail(r->err, "%s: piece %d has the unknown type %llu", r->path, index,
                               (unsigned long long)f.varint);
        }
    }
    size_t bad;
    // Empty pieces have no meaning in a vocabulary (SentencePiece's own loader rejects them),
    // and pieces are compared as UTF-8 text downstream.
    if (!text || len == 0) return fc_fail(r->err, "%s: piece %d is empty", r->path, index);
    if (len > UINT32_MAX / 2) return fc_fail(r->err, "%s: piece %d is too long", r->path, index);
    if (!fc_utf8_valid((const char *)text, len, &bad))
        return fc_fail(r->err, "%s: piece %d is not valid UTF-8 (byte %zu)", r->path, index, bad);
    return add_piece(m, l, text, len, score, type, r->err);
}

static int parse_trainer_spec(fc_spm_model *m, reader *r) {
    while (r->p < r->end) {
        field f;
        if (read_field(r, &f)) return -1;
        if (f.number == 3) {
            if (expect_wire(r, &f, WIRE_VARINT, "TrainerSpec.model_type")) return -1;
            m->model_type = (int)(uint32_t)f.varint;
        } else if (f.number == 35) {
            if (expect_wire(r, &f, WIRE_VARINT, "TrainerSpec.byte_fallback")) return -1;
            m->byte_fallback = f.varint != 0;
        } else if (f.number == 40) {
            if (expect_wire(r, &f, WIRE_VARINT, "TrainerSpec.unk_id")) return -1;
            m->unk_id = (int32_t)(uint32_t)f.varint; // int32 varints carry the sign in 64 bits
        }
    }
    return 0;
}

static int parse_normalizer_spec(fc_spm_model *m, reader *r) {
    while (r->p < r->end) {
        field f;
        if (read_field(r, &f)) return -1;
        if (f.number == 1) {
            if (expect_wire(r, &f, WIRE_LEN, "NormalizerSpec.name")) return -1;
            free(m->normalizer_name);
            m->normalizer_name = fc_strndup((const char *)f.sub.p, (size_t)(f.sub.end - f.sub.p));
        } else if (f.number == 2) {
            if (expect_wire(r, &f, WIRE_LEN, "NormalizerSpec.precompiled_charsmap")) return -1;
            free(m->charsmap);
            m->charsmap = NULL;
            m->charsmap_len = (size_t)(f.sub.end - f.sub.p);
            if (m->charsmap_len) {
                m->charsmap = fc_try_malloc(m->charsmap_len);
                if (!m->charsmap)
                    return fc_fail_out_of_memory(r->err, "the precompiled charsmap", m->charsmap_len);
                memcpy(m->charsmap, f.sub.p, m->charsmap_len);
            }
        } else if (f.number >= 3 && f.number <= 5) {
            if (expect_wire(r, &f, WIRE_VARINT, "NormalizerSpec flag")) return -1;
            int v = f.varint != 0;
            if (f.number == 3) m->add_dummy_prefix = v;
            else if (f.number == 4) m->remove_extra_whitespaces = v;
            else m->escape_whitespaces = v;
        }
    }
    return 0;
}

int fc_spm_model_parse(fc_spm_model *m, const unsigned char *data, size_t len, const char *path,
                       fc_error *err) {
    memset(m, 0, sizeof *m);
    m->model_type = FC_SPM_MODEL_UNIGRAM;
    m->add_dummy_prefix = m->remove_extra_whitespaces = m->escape_whitespaces = 1;
    m->normalizer_name = fc_strdup("");
    reader r = {data, data + len, data, path, err};
    piece_list list = {0};
    size_t count, text_bytes;
    count_pieces(data, len, &count, &text_bytes);
    int rc = reserve_pieces(m, &list, count, text_bytes, err);
    while (rc == 0 && r.p < r.end) {
        field f;
        if (read_field(&r, &f)) {
            rc = -1;
            break;
        }
        // Nested messages: a repeated field appends, a singular one merges (proto2), which is
        // what parsing each occurrence into the same struct does.
        if (f.number == 1) {
            rc = expect_wire(&r, &f, WIRE_LEN, "ModelProto.pieces");
            if (rc == 0) rc = parse_piece(m, &list, &f.sub);
        } else if (f.number == 2) {
            rc = expect_wire(&r, &f, WIRE_LEN, "ModelProto.trainer_spec");
            if (rc == 0) rc = parse_trainer_spec(m, &f.sub);
        } else if (f.number == 3) {
            rc = expect_wire(&r, &f, WIRE_LEN, "ModelProto.normalizer_spec");
            if (rc == 0) rc = parse_normalizer_spec(m, &f.sub);
        }
    }
    if (rc == 0 && m->piece_count == 0)
        rc = fc_fail(err, "%s: not a valid SentencePiece model: it has no pieces", path);
    if (rc) fc_spm_model_free(m);
    return rc;
}

int fc_spm_model_load(fc_spm_model *m, const char *path, fc_error *err) {
    char *data;
    size_t size;
    memset(m, 0, sizeof *m);
    if (fc_read_file(path, &data, &size, err)) return -1;
    int rc = fc_spm_model_parse(m, (const unsigned char *)data, size, path, err);
    free(data);
    return rc;
}

void fc_spm_model_free(fc_spm_model *m) {
    free(m->text);
    free(m->piece_offset);
    free(m->piece_len);
    free(m->score);
    free(m->type);
    free(m->charsmap);
    free(m->normalizer_name);
    memset(m, 0, sizeof *m);
}
