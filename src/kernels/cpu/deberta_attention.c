// DeBERTa's relative positions and disentangled attention (model-reference.md §4.4, §4.5), on
// packed sequences: every (sequence, head) pair is one independent task for an OpenMP thread,
// so no sequence ever sees another's keys and no padding is needed (§4.8).
#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "kernels/cpu/deberta_kernels.h"

#include "kernels/cpu/attention_amx.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/kernels.h"

int fc_deberta_log_bucket(int r, int position_buckets, int max_position) {
    int mid = position_buckets / 2;
    int a = abs(r);
    // HF keeps r itself for |r| < mid and, through `abs_pos <= mid`, for |r| == mid too.
    if (a <= mid) return r;
    // float32 throughout and in HF's order (§4.4): (|r| / mid) is a float32 division; the
    // denominator is the double (max_position − 1) / mid rounded to float32, then logged.
    float num = logf((float)a / (float)mid);
    float den = logf((float)((double)(max_position - 1) / (double)mid));
    float v = ceilf(num / den * (float)(mid - 1)) + (float)mid;
    return r < 0 ? -(int)v : (int)v;
}

int fc_deberta_rel_index(int r, int position_buckets, int max_position, int att_span) {
    int bucket = r;
    if (position_buckets > 0) bucket = fc_deberta_log_bucket(r, position_buckets, max_position);
    int index = bucket + att_span;
    if (index < 0) return 0;
    if (index > 2 * att_span - 1) return 2 * att_span - 1;
    return index;
}

size_t fc_deberta_attention_scratch_floats(int n, const fc_deberta_rel *rel, int head_dim,
                                           int bf16_products) {
    size_t floats = (size_t)n * n; // scores
    if (rel && rel->pos_key) floats += (size_t)n * rel->rows;   // C2P
    if (rel && rel->pos_query) floats += (size_t)n * rel->rows; // P2C
    if (bf16_products && fc_attention_amx_usable(head_dim)) {
        size_t amx = fc_deberta_attention_amx_scratch_bytes(n, rel ? rel->rows : 0, head_dim);
        floats = (amx + 3) / 4 > floats ? (amx + 3) / 4 : floats;
    }
    return floats;
}

// The position rows one (sequence of n tokens, head) reaches: idx is monotone in i − j, so
// the extreme distances ±(n − 1) bound them (§4.4); C2P and P2C are computed for those rows
// only. head_col: the head's first column in the [rows, H] tables.
static fc_deberta_positions positions_of(const fc_deberta_rel *rel, int n, int H, int head_col) {
    const int32_t *index = rel->index_by_distance + (rel->max_len - 1);
    int lo = index[-(n - 1)];
    size_t first = (size_t)(lo - rel->first_row) * H + (size_t)head_col;
    return (fc_deberta_positions){rel->pos_key ? rel->pos_key + first : NULL,
                                  rel->pos_query ? rel->pos_query + first : NULL,
                                  (size_t)H,
                                  lo,
                                  index[n - 1] - lo + 1,
                                  index};
}

// One sequence of n tokens, one head, in fp32. q, k, v, out point at the sequence's first row
// and the head's first column (row stride H); pos NULL without relative attention. The four
// products (Q·Kᵀ, C2P = Q·Krᵀ, P2C = K·Qrᵀ, P·V) are GEMMs on the calling thread (oneDNN
// runs a GEMM called inside a parallel region on one thread): written as one dot product per
// score, with a horizontal sum each, they were 53% of a DeBERTa-v3-base bf16 forward.
static void attend_one_head(float *out, const float *q, const float *k, const float *v, int n,
                            int H, int head_dim, float scale, const fc_deberta_positions *pos,
                            float *scratch) {
    float *scores = scratch, *next = scores + (size_t)n * n;
    float *c2p = NULL, *p2c = NULL;
    int width = pos ? pos->width : 0;
    fc_sgemm(0, 1, n, n, head_dim, 1.0f, q, H, k, H, 0.0f, scores, n); // Q·Kᵀ [n, n]
    if (pos && pos->keys) {
        c2p = next; // C2P = Q·Krᵀ [n, width]
        fc_sgemm(0, 1, n, width, head_dim, 1.0f, q, H, pos->keys, H, 0.0f, c2p, width);
        next += (size_t)n * width;
    }
    if (pos && pos->queries) {
        p2c = next; // P2C = K·Qrᵀ [n, width]
        fc_sgemm(0, 1, n, width, head_dim, 1.0f, k, H, pos->queries, H, 0.0f, p2c, width);
    }
    for (int i = 0; i < n; i++) {
        float *row = scores + (size_t)i * n;
        for (int j = 0; j < n; j++) {
            float s = row[j];
            if (pos) {
                // c2p and p2c read the same row idx(i, j): bucket is odd, so p2c's
                // −bucket(j − i) equals bucket(i − j) (§4.5 step 4).
                int c = pos->index[i - j] - pos->first;
                if (c2p) s += c2p[(size_t)i * width + c];
                if (p2c) s += p2c[(size_t)j * width + c];
            }
            row[j] = s / scale;
        }
        float inv = fc_softmax_unnormalized(row, n);
        for (int j = 0; j < n; j++) row[j] *= inv;
    }
    fc_sgemm(0, 0, n, head_dim, n, 1.0f, scores, n, v, H, 0.0f, out, H); // P·V [n, head_dim]
}

void fc_deberta_attention_forward(float *out, const float *q, const float *k, const float *v,
                                  const int32_t *offsets, int n_seqs, int num_heads,
                                  int head_dim, float scale, const fc_deberta_rel *rel,
                                  int bf16_products, float *scratch, size_t scratch_per_thread) {
    int H = num_heads * head_dim;
    int tasks = n_seqs * num_heads;
    int amx = bf16_products && fc_attention_amx_usable(head_dim);
#pragma omp parallel
    {
        float *mine = scratch + (size_t)omp_get_thread_num() * scratch_per_thread;
        if (amx) fc_attention_amx_enter();
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < tasks; task++) {
            int s = task / num_heads, h = task % num_heads;
            size_t at = (size_t)offsets[s] * H + (size_t)h * head_dim;
            int n = offsets[s + 1] - offsets[s];
            fc_deberta_positions positions;
            const fc_deberta_positions *pos = NULL;
            if (rel) {
                positions = positions_of(rel, n, H, h * head_dim);
                pos = &positions;
            }
            if (amx)
                fc_deberta_attend_head_amx(out + at, q + at, k + at, v + at, (size_t)H, n,
                                           head_dim, scale, pos, mine);
            else
                attend_one_head(out + at, q + at, k + at, v + at, n, H, head_dim, scale, pos,
                                mine);
        }
        if (amx) fc_attention_amx_leave();
    }
}
