// DeBERTa-v2/v3 kernels: relative-position buckets and disentangled self-attention
// (model-reference.md §4.4, §4.5). Row-major float32 like every CPU reference kernel.
#ifndef FC_KERNELS_CPU_DEBERTA_KERNELS_H
#define FC_KERNELS_CPU_DEBERTA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

// HF's make_log_bucket_position for one relative distance r = query − key, mid =
// position_buckets / 2: r itself when |r| <= mid, else
// sign(r)·(ceil(ln(|r|/mid) / ln((max_position − 1)/mid)·(mid − 1)) + mid),
// evaluated in float32 in HF's order. Odd in r.
int fc_deberta_log_bucket(int r, int position_buckets, int max_position);

// Row of the relative embedding table that query/key distance r reads:
// clamp(bucket(r) + att_span, 0, 2·att_span − 1), bucket(r) = r when position_buckets <= 0.
int fc_deberta_rel_index(int r, int position_buckets, int max_position, int att_span);

// Relative-position inputs of one attention call. The projected tables hold only rows
// first_row .. first_row + rows − 1 of the 2·att_span relative embeddings: the rows that the
// batch's longest sequence can reach. index_by_distance[r + max_len − 1] is the absolute row
// (0 .. 2·att_span − 1) for distance r in −(max_len − 1) .. max_len − 1.
typedef struct fc_deberta_rel {
    const float *pos_key;   // [rows, H] Kr, the keys of positions (c2p); NULL without c2p
    const float *pos_query; // [rows, H] Qr, the queries of positions (p2c); NULL without p2c
    int first_row, rows;
    const int32_t *index_by_distance; // [2·max_len − 1]
    int max_len;
} fc_deberta_rel;

// Floats of scratch one thread needs for a sequence of n tokens with rel (or NULL), with the
// products in bf16 or not.
size_t fc_deberta_attention_scratch_floats(int n, const fc_deberta_rel *rel, int head_dim,
                                           int bf16_products);

// Disentangled self-attention on packed sequences. q, k, v are [T, H] (heads in order, H =
// num_heads·head_dim); sequence s owns rows offsets[s] .. offsets[s+1]. For each sequence and
// head, query i and key j of that sequence:
//   score = (Q_i·K_j + Q_i·Kr[idx(i,j)] + K_j·Qr[idx(i,j)]) / scale, idx(i,j) = row of i − j,
// the c2p / p2c terms present when rel supplies pos_key / pos_query (rel NULL: plain
// attention), softmax over the sequence's own keys, times V. out is [T, H]. With
// bf16_products the four products run in bf16 on AMX where the CPU has it (attention_amx.c;
// models whose dense layers are low precision), in fp32 GEMMs otherwise. scratch holds
// scratch_per_thread floats for each OpenMP thread, at least
// fc_deberta_attention_scratch_floats(longest sequence, rel, head_dim, bf16_products).
void fc_deberta_attention_forward(float *out, const float *q, const float *k, const float *v,
                                  const int32_t *offsets, int n_seqs, int num_heads,
                                  int head_dim, float scale, const fc_deberta_rel *rel,
                                  int bf16_products, float *scratch, size_t scratch_per_thread);

#endif
