// Attention's two products on AMX (the blocked attention's bf16 path, attention_blocked.c):
// for one (sequence, head), Q·Kᵀ and P·V as tile products of bf16 rows with fp32 sums, sixteen
// queries at a time; the scale and the softmax stay fp32 (AVX-512), and the probabilities are
// rounded to bf16 after normalization, as PyTorch's bf16 attention does.
//
// Why: with the dense layers on the matrix engines, attention's fp32 multiply-adds were the
// largest part of the rest (ModernBERT-large on real pairs: 8% of a bf16 forward, 12% of an
// int8 one, plus the gather). A tile product does 16 · 16 · 32 multiply-adds in one
// instruction.
//
// Tiles (all 16 rows of 64 bytes, one configuration for both products):
//   0-3  fp32 sums: a 16 × 16 block of scores (0), or the 16 × head_dim output (0-3)
//   4-5  A: 16 queries × 32 dimensions of Q (4: dimensions 0-31, 5: 32-63), or 16 × 32 of P (4)
//   6-7  B: 32 dimensions × 16 keys of K (6: dimensions 0-31, 7: 32-63), or 32 keys × 16
//        dimensions of V
// B tiles hold pairs of rows interleaved ("VNNI" layout): row r of a B tile is
// (B[2r][0], B[2r+1][0], B[2r][1], B[2r+1][1], ...). For Kᵀ a pair is two neighbouring
// dimensions of one key, contiguous in K's row already; for V it is one dimension of two keys.
#include "kernels/cpu/attention_amx.h"

#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels/cpu/exp16.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/lanes16.h"

enum { TILE_ROWS = 16, KEY_BLOCK = 32 };

typedef struct tile_config {
    uint8_t palette; // 1: the tile palette of AMX's first generation
    uint8_t start_row;
    uint8_t reserved[14];
    uint16_t bytes_per_row[16];
    uint8_t rows[16];
} tile_config;

int fc_attention_amx_usable(int head_dim) {
    return (head_dim == 32 || head_dim == 64) && fc_cpu_amx_usable();
}

static int round_up(int n, int to) {
    return (n + to - 1) / to * to;
}

// The per-thread scratch of one (sequence, head) of n tokens, carved in this order.
typedef struct head_buffers {
    uint16_t *q;      // [n16, d] bf16 rows
    uint32_t *keys;   // [n32 / 16][d / 2][16] bf16 pairs: B tiles of Kᵀ
    uint32_t *values; // [n32 / 32][d / 16][16][16] bf16 pairs: B tiles of V
    float *scores;    // [16, n32]
    uint16_t *p;      // [16, n32] bf16
    float *o;         // [16, d]
} head_buffers;

// Lays count parts of the given byte sizes out from base, each on a 64-byte boundary (parts
// NULL when base is); returns the bytes they span.
static size_t carve_parts(void *base, const size_t *sizes, int count, void **parts) {
    char *at = base;
    size_t used = 0;
    for (int i = 0; i < count; i++) {
        parts[i] = at ? at + used : NULL;
        used += (sizes[i] + 63) / 64 * 64;
    }
    return used;
}

static size_t carve(head_buffers *b, void *base, int n, int d) {
    size_t n16 = (size_t)round_up(n, TILE_ROWS), n32 = (size_t)round_up(n, KEY_BLOCK);
    size_t sizes[6] = {n16 * d * 2, n32 * d * 2, n32 * d * 2, 16 * n32 * 4, 16 * n32 * 2,
                       16 * (size_t)d * 4};
    void *parts[6];
    size_t used = carve_parts(base, sizes, 6, parts);
    if (b) *b = (head_buffers){parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]};
    return used;
}

size_t fc_attention_amx_scratch_bytes(int longest, int head_dim) {
    return carve(NULL, NULL, longest, head_dim) + 64; // + 64: aligning the base
}

// Sixteen floats to bf16, rounded to nearest even.
__attribute__((target("avx512f,avx512bf16"))) static inline __m256i bf16x16(__m512 v) {
    return (__m256i)_mm512_cvtneps_pbh(v);
}

// Transposes a 16 × 16 block of 32-bit words in registers: r[c] becomes column c. Three
// stages: words within 128-bit lanes, pairs of words, then lanes across rows of four.
__attribute__((target("avx512f"))) static inline void transpose16(__m512i r[16]) {
    __m512i t[16], u[16];
    for (int g = 0; g < 16; g += 4) {
        t[g] = _mm512_unpacklo_epi32(r[g], r[g + 1]);
        t[g + 1] = _mm512_unpackhi_epi32(r[g], r[g + 1]);
        t[g + 2] = _mm512_unpacklo_epi32(r[g + 2], r[g + 3]);
        t[g + 3] = _mm512_unpackhi_epi32(r[g + 2], r[g + 3]);
        u[g] = _mm512_unpacklo_epi64(t[g], t[g + 2]);     // word 4L of rows g..g+3, lane L
        u[g + 1] = _mm512_unpackhi_epi64(t[g], t[g + 2]); // word 4L + 1
        u[g + 2] = _mm512_unpacklo_epi64(t[g + 1], t[g + 3]);
        u[g + 3] = _mm512_unpackhi_epi64(t[g + 1], t[g + 3]);
    }
    for (int k = 0; k < 4; k++) { // column 4L + k: lane L of u[k], u[4 + k], u[8 + k], u[12 + k]
        __m512i even_lanes = _mm512_shuffle_i32x4(u[k], u[4 + k], 0x88);
        __m512i odd_lanes = _mm512_shuffle_i32x4(u[k], u[4 + k], 0xDD);
        __m512i even_lanes2 = _mm512_shuffle_i32x4(u[8 + k], u[12 + k], 0x88);
        __m512i odd_lanes2 = _mm512_shuffle_i32x4(u[8 + k], u[12 + k], 0xDD);
        r[k] = _mm512_shuffle_i32x4(even_lanes, even_lanes2, 0x88);
        r[8 + k] = _mm512_shuffle_i32x4(even_lanes, even_lanes2, 0xDD);
        r[4 + k] = _mm512_shuffle_i32x4(odd_lanes, odd_lanes2, 0x88);
        r[12 + k] = _mm512_shuffle_i32x4(odd_lanes, odd_lanes2, 0xDD);
    }
}

// 32 floats to 32 bf16 in order (one vector of 16 bf16 pairs), rounded to nearest even.
__attribute__((target("avx512f,avx512bf16"))) static inline __m512i bf16x32(const float *x) {
    return (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + 16), _mm512_loadu_ps(x));
}

// n rows of d floats (rows `stride` floats apart) as bf16 rows of A tiles [n16, d]; padding
// rows are zeros (finite: their products are computed and dropped).
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) static void
pack_rows(uint16_t *rows, const float *x, size_t stride, int n, int d) {
    for (int t = 0; t < n; t++)
        for (int i = 0; i < d; i += 32)
            _mm512_storeu_si512(rows + (size_t)t * d + i, bf16x32(x + (size_t)t * stride + i));
    memset(rows + (size_t)n * d, 0, (size_t)(round_up(n, TILE_ROWS) - n) * d * 2);
}

// n rows (keys) as B tiles of their transpose, [n32 / 16][d / 2][16] bf16 pairs: a key's bf16
// pairs are its 32-bit words, and word r of a block's 16 keys is row r of the block's tiles,
// so each 16 keys × 16 words is transposed in registers.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) static void
pack_keys(uint32_t *keys, const float *x, size_t stride, int n, int d) {
    int n32 = round_up(n, KEY_BLOCK), pairs = d / 2;
    for (int t0 = 0; t0 < n32; t0 += 16)
        for (int w = 0; w < pairs; w += 16) {
            __m512i r[16];
            for (int j = 0; j < 16; j++)
                r[j] = t0 + j < n ? bf16x32(x + (size_t)(t0 + j) * stride + 2 * w)
                                  : _mm512_setzero_si512();
            transpose16(r);
            uint32_t *rows = keys + ((size_t)(t0 / 16) * pairs + w) * 16;
            for (int k = 0; k < 16; k++) _mm512_storeu_si512(rows + (size_t)k * 16, r[k]);
        }
}

// n rows (values) as B tiles of P·V: keys 2r and 2r + 1 of a 32-key block interleaved,
// sixteen dimensions a tile.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) static void
pack_values(uint32_t *values, const float *x, size_t stride, int n, int d) {
    int n32 = round_up(n, KEY_BLOCK);
    const __m512i interleave = _mm512_set_epi16(
        31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
        23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    for (int t = 0; t < n32; t += 2) {
        const float *even = t < n ? x + (size_t)t * stride : NULL;
        const float *odd = t + 1 < n ? x + (size_t)(t + 1) * stride : NULL;
        uint32_t *rows = values + (size_t)(t / KEY_BLOCK) * (d / 16) * 256 + (t % 32) / 2 * 16;
        for (int i = 0; i < d; i += 16) {
            __m512 e = even ? _mm512_loadu_ps(even + i) : _mm512_setzero_ps();
            __m512 o = odd ? _mm512_loadu_ps(odd + i) : _mm512_setzero_ps();
            // [e0..e15 | o0..o15] as 32 bf16, then e0 o0 e1 o1 ...
            __m512i both = (__m512i)_mm512_cvtne2ps_pbh(o, e);
            _mm512_storeu_si512(rows + (size_t)(i / 16) * 256,
                                _mm512_permutexvar_epi16(interleave, both));
        }
    }
}

// The head's Q, K and V from qkv (rows `stride` floats apart) into the tile layouts.
static void gather(const head_buffers *b, const float *qkv_head, size_t stride, int H, int n,
                   int d) {
    pack_rows(b->q, qkv_head, stride, n, d);
    pack_keys(b->keys, qkv_head + H, stride, n, d);
    pack_values(b->values, qkv_head + 2 * H, stride, n, d);
}

// The tile instructions are inline assembly to GCC, which does not know what memory they read
// or write: the functions that use them are never inlined, so that every store before a call
// is done and every load after it reads memory again.

// Scores of the 16 rows from q0 of A (pack_rows) against the keys of blocks [first, last] of
// B (pack_keys, 16 keys a block), unscaled, into scores (rows `ld` floats apart, column 16·k
// for block k). (Two blocks at a time into two sums measured no faster.)
__attribute__((target("amx-tile,amx-bf16"), noinline)) static void
score_tiles(float *scores, int ld, const uint16_t *a, const uint32_t *keys, int q0, int first,
            int last, int d) {
    int pairs = d / 2;
    _tile_loadd(4, a + (size_t)q0 * d, d * 2);
    if (d == 64) _tile_loadd(5, a + (size_t)q0 * d + 32, d * 2);
    for (int k = first; k <= last; k++) {
        const uint32_t *block = keys + (size_t)k * pairs * 16;
        _tile_zero(0);
        _tile_loadd(6, block, 64);
        _tile_dpbf16ps(0, 4, 6);
        if (d == 64) {
            _tile_loadd(7, block + 16 * 16, 64);
            _tile_dpbf16ps(0, 5, 7);
        }
        _tile_stored(0, scores + (size_t)k * 16, ld * 4);
    }
}

// Row g of P over keys [lo, hi] (a multiple of 32 wide): the softmax of scale · s over the
// query's window [q_lo, q_hi], zeros elsewhere, normalized and then rounded to bf16. s (the
// row's scores) is overwritten with the exponentials.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) static void
probabilities(uint16_t *p, float *s, int lo, int hi, int q_lo, int q_hi, float scale) {
    memset(p + lo, 0, (size_t)(hi - lo + 1) * 2);
    int width = q_hi - q_lo + 1;
    float *x = s + q_lo;
    __m512 max16 = _mm512_set1_ps(-INFINITY);
    for (int j = 0; j < width; j += 16)
        max16 = _mm512_max_ps(max16, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY),
                                                          fc_lanes_below(j, width), x + j));
    __m512 scale16 = _mm512_set1_ps(scale);
    __m512 max = _mm512_set1_ps(_mm512_reduce_max_ps(max16) * scale);
    __m512 sum16 = _mm512_setzero_ps();
    for (int j = 0; j < width; j += 16) {
        __mmask16 m = fc_lanes_below(j, width);
        __m512 v = _mm512_fmsub_ps(_mm512_maskz_loadu_ps(m, x + j), scale16, max);
        __m512 e = _mm512_maskz_mov_ps(m, fc_exp16_nonpositive(v));
        _mm512_mask_storeu_ps(x + j, m, e);
        sum16 = _mm512_add_ps(sum16, e);
    }
    __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum16));
    for (int j = 0; j < width; j += 16) {
        __mmask16 m = fc_lanes_below(j, width);
        __m512 e = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + j), inv);
        _mm256_mask_storeu_epi16(p + q_lo + j, m, bf16x16(e));
    }
}

// o [16, d] = P [16, n32] (bf16 rows) · V (pack_values) over the 32-key blocks [first, last].
__attribute__((target("amx-tile,amx-bf16"), noinline)) static void
value_tiles(float *o, const uint16_t *p, const uint32_t *values, int first, int last, int n32,
            int d) {
    _tile_zero(0);
    _tile_zero(1);
    if (d == 64) {
        _tile_zero(2);
        _tile_zero(3);
    }
    for (int k = first; k <= last; k++) {
        const uint32_t *tiles = values + (size_t)k * (d / 16) * 256;
        _tile_loadd(4, p + (size_t)k * KEY_BLOCK, n32 * 2);
        _tile_loadd(6, tiles, 64);
        _tile_dpbf16ps(0, 4, 6);
        _tile_loadd(7, tiles + 256, 64);
        _tile_dpbf16ps(1, 4, 7);
        if (d == 64) {
            _tile_loadd(6, tiles + 512, 64);
            _tile_dpbf16ps(2, 4, 6);
            _tile_loadd(7, tiles + 768, 64);
            _tile_dpbf16ps(3, 4, 7);
        }
    }
    _tile_stored(0, o, d * 4);
    _tile_stored(1, o + 16, d * 4);
    if (d == 64) {
        _tile_stored(2, o + 32, d * 4);
        _tile_stored(3, o + 48, d * 4);
    }
}

// A constant in memory: GCC's ldtilecfg statement names only the first 8 bytes of the
// configuration as its input, so stores to the rest of a local one may be dropped as dead.
static const tile_config eight_full_tiles = {
    .palette = 1,
    .bytes_per_row = {64, 64, 64, 64, 64, 64, 64, 64},
    .rows = {TILE_ROWS, TILE_ROWS, TILE_ROWS, TILE_ROWS, TILE_ROWS, TILE_ROWS, TILE_ROWS,
             TILE_ROWS},
};

__attribute__((target("amx-tile"), noinline)) void fc_attention_amx_enter(void) {
    _tile_loadconfig(&eight_full_tiles);
}

__attribute__((target("amx-tile"), noinline)) void fc_attention_amx_leave(void) {
    _tile_release();
}

void fc_attend_head_amx(float *out, const float *qkv, int begin, int n, int h, int num_heads,
                        int head_dim, int window, void *scratch) {
    int d = head_dim, H = num_heads * d, n32 = round_up(n, KEY_BLOCK);
    size_t stride = (size_t)3 * H;
    head_buffers b;
    carve(&b, (void *)(((uintptr_t)scratch + 63) / 64 * 64), n, d);
    gather(&b, qkv + (size_t)begin * stride + (size_t)h * d, stride, H, n, d);
    float scale = 1.0f / sqrtf((float)d);
    for (int q0 = 0; q0 < n; q0 += TILE_ROWS) {
        int q_last = q0 + TILE_ROWS - 1 < n ? q0 + TILE_ROWS - 1 : n - 1;
        // The union of the queries' windows, widened to whole 32-key blocks.
        int lo = 0, hi = n - 1;
        if (window >= 0) {
            if (q0 - window > lo) lo = q0 - window;
            if (q_last + window < hi) hi = q_last + window;
        }
        int first = lo / KEY_BLOCK, last = hi / KEY_BLOCK;
        score_tiles(b.scores, n32, b.q, b.keys, q0, 2 * first, 2 * last + 1, d);
        for (int g = 0; g < TILE_ROWS; g++) {
            uint16_t *p = b.p + (size_t)g * n32;
            int q = q0 + g;
            if (q > q_last) { // a padding query: no weight anywhere
                memset(p + first * KEY_BLOCK, 0, (size_t)(last - first + 1) * KEY_BLOCK * 2);
                continue;
            }
            int q_lo = 0, q_hi = n - 1;
            if (window >= 0) {
                if (q - window > q_lo) q_lo = q - window;
                if (q + window < q_hi) q_hi = q + window;
            }
            probabilities(p, b.scores + (size_t)g * n32, first * KEY_BLOCK,
                          last * KEY_BLOCK + KEY_BLOCK - 1, q_lo, q_hi, scale);
        }
        value_tiles(b.o, b.p, b.values, first, last, n32, d);
        for (int q = q0; q <= q_last; q++)
            memcpy(out + (size_t)(begin + q) * H + (size_t)h * d, b.o + (size_t)(q - q0) * d,
                   (size_t)d * sizeof(float));
    }
}

// ---------------------------------------------------------------------------------------------
// DeBERTa's disentangled attention (deberta_attention.c) with its products on the same tiles.

// The per-thread scratch of one DeBERTa (sequence, head) of n tokens and width position rows,
// carved in this order.
typedef struct deberta_buffers {
    uint16_t *q, *k;                 // [n16, d] bf16 rows: A of Q·Kᵀ and C2P; A of P2C
    uint32_t *keys, *values;         // K and V as B tiles
    uint32_t *pos_keys, *pos_queries; // Kr and Qr as B tiles of their transposes
    float *c2p, *p2c;                // [n16, w32] Q·Krᵀ and K·Qrᵀ
    float *scores;                   // [16, n32]
    uint16_t *p;                     // [16, n32] bf16
    float *o;                        // [16, d]
} deberta_buffers;

static size_t carve_deberta(deberta_buffers *b, void *base, int n, int width, int d) {
    size_t n16 = (size_t)round_up(n, TILE_ROWS), n32 = (size_t)round_up(n, KEY_BLOCK);
    size_t w32 = (size_t)round_up(width > 0 ? width : 1, KEY_BLOCK), D = (size_t)d;
    size_t sizes[11] = {n16 * D * 2, n16 * D * 2, n32 * D * 2, n32 * D * 2, w32 * D * 2,
                        w32 * D * 2, n16 * w32 * 4, n16 * w32 * 4, 16 * n32 * 4, 16 * n32 * 2,
                        16 * D * 4};
    void *parts[11];
    size_t used = carve_parts(base, sizes, 11, parts);
    if (b)
        *b = (deberta_buffers){parts[0], parts[1], parts[2], parts[3], parts[4], parts[5],
                               parts[6], parts[7], parts[8], parts[9], parts[10]};
    return used;
}

size_t fc_deberta_attention_amx_scratch_bytes(int longest, int width, int head_dim) {
    return carve_deberta(NULL, NULL, longest, width, head_dim) + 64; // + 64: aligning the base
}

void fc_deberta_attend_head_amx(float *out, const float *q, const float *k, const float *v,
                                size_t stride, int n, int head_dim, float scale,
                                const fc_deberta_positions *pos, void *scratch) {
    int d = head_dim, n32 = round_up(n, KEY_BLOCK);
    int width = pos ? pos->width : 0, w32 = round_up(width > 0 ? width : 1, KEY_BLOCK);
    deberta_buffers b;
    carve_deberta(&b, (void *)(((uintptr_t)scratch + 63) / 64 * 64), n, width, d);
    pack_rows(b.q, q, stride, n, d);
    pack_keys(b.keys, k, stride, n, d);
    pack_values(b.values, v, stride, n, d);
    const float *c2p = NULL, *p2c = NULL;
    if (pos && pos->keys) { // C2P = Q·Krᵀ [n, width]
        pack_keys(b.pos_keys, pos->keys, pos->stride, width, d);
        for (int q0 = 0; q0 < n; q0 += TILE_ROWS)
            score_tiles(b.c2p + (size_t)q0 * w32, w32, b.q, b.pos_keys, q0, 0, w32 / 16 - 1, d);
        c2p = b.c2p;
    }
    if (pos && pos->queries) { // P2C = K·Qrᵀ [n, width]
        pack_rows(b.k, k, stride, n, d);
        pack_keys(b.pos_queries, pos->queries, pos->stride, width, d);
        for (int j0 = 0; j0 < n; j0 += TILE_ROWS)
            score_tiles(b.p2c + (size_t)j0 * w32, w32, b.k, b.pos_queries, j0, 0, w32 / 16 - 1,
                        d);
        p2c = b.p2c;
    }
    for (int q0 = 0; q0 < n; q0 += TILE_ROWS) {
        int q_last = q0 + TILE_ROWS - 1 < n ? q0 + TILE_ROWS - 1 : n - 1;
        score_tiles(b.scores, n32, b.q, b.keys, q0, 0, n32 / 16 - 1, d);
        for (int g = 0; g < TILE_ROWS; g++) {
            uint16_t *p = b.p + (size_t)g * n32;
            int i = q0 + g;
            if (i > q_last) { // a padding query: no weight anywhere
                memset(p, 0, (size_t)n32 * 2);
                continue;
            }
            float *s = b.scores + (size_t)g * n32;
            if (pos) // as deberta_attention.c: C2P and P2C read the same row idx(i, j)
                for (int j = 0; j < n; j++) {
                    int c = pos->index[i - j] - pos->first;
                    if (c2p) s[j] += c2p[(size_t)i * w32 + c];
                    if (p2c) s[j] += p2c[(size_t)j * w32 + c];
                }
            probabilities(p, s, 0, n32 - 1, 0, n - 1, 1.0f / scale);
        }
        value_tiles(b.o, b.p, b.values, 0, n32 / KEY_BLOCK - 1, n32, d);
        for (int i = q0; i <= q_last; i++)
            memcpy(out + (size_t)i * stride, b.o + (size_t)(i - q0) * d,
                   (size_t)d * sizeof(float));
    }
}
