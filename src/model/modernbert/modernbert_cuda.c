// The ModernBERT forward of modernbert.c on a CUDA device, one step for each of its steps
// (model-reference.md §3.3), on the same packed batches. Dense layers are cuBLAS sgemm in
// plain fp32 (CUBLAS_DEFAULT_MATH never uses TF32 for sgemm), the rest the kernels of
// kernels/cuda/, which mirror the CPU reference kernels. Every CUDA or cuBLAS failure becomes
// an fc_error message; nothing aborts.
#include "model/modernbert/modernbert_cuda.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "kernels/cpu/kernels.h"
#include "kernels/cuda/cuda_kernels.h"
#include "model/modernbert/modernbert.h"
#include "model/modernbert/modernbert_weights.h"
#include "util/alloc.h"
#include "util/error.h"

struct fc_modernbert_cuda {
    fc_modernbert_config config;
    int num_labels;
    cudaStream_t stream;
    cublasHandle_t blas;
    int has_stream, has_blas;

    float *weight_block;           // every parameter tensor, in one device allocation
    size_t weight_bytes;
    fc_modernbert_weights weights; // named device pointers into weight_block

    // The activation arena, planned for token_capacity tokens in seq_capacity sequences.
    void *arena;
    size_t arena_bytes;
    int token_capacity, seq_capacity;
    float *x;          // [T, H] the residual stream, updated in place layer after layer
    float *normed;     // [T, H] norm outputs (and the embedding rows before their norm)
    float *qkv;        // [T, 3H]
    float *context;    // [T, H] attention output, heads concatenated
    float *projected;  // [T, H] Wo outputs before their residual add
    float *mlp_in;     // [T, 2I] Wi output: GeGLU input | gate
    float *mlp_act;    // [T, I]
    float *pooled;     // [B, H]
    float *head_dense; // [B, H] head.dense, then GELU in place
    float *head_out;   // [B, H] head.norm output
    float *logits;     // [B, L]
    // The batch's integers, uploaded in one copy: ids [T] | positions [T] | offsets [B + 1] |
    // attention tiles. staging is their pinned host twin, laid out the same way.
    int32_t *batch_ints;
    int32_t *staging;
    size_t batch_int_count;

    // RoPE tables [rope_capacity, d/2] for both layer kinds, computed by fc_rope_table.
    float *rope_block;
    size_t rope_bytes;
    int rope_capacity;
    float *global_cos, *global_sin, *local_cos, *local_sin;
};

// ---------------------------------------------------------------------------------------------
// Errors and tracked device allocations

static int cuda_check(cudaError_t status, const char *what, fc_error *err) {
    if (status == cudaSuccess) return 0;
    return fc_fail(err, "CUDA %s: %s", what, cudaGetErrorString(status));
}

static int blas_check(cublasStatus_t status, const char *what, fc_error *err) {
    if (status == CUBLAS_STATUS_SUCCESS) return 0;
    return fc_fail(err, "cuBLAS %s: %s", what, cublasGetStatusString(status));
}

// Bytes all models of the process hold on the device, for fc_cuda_memory_info.
static pthread_mutex_t memory_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t memory_allocated, memory_peak;

static int device_alloc(void **ptr, size_t bytes, const char *what, fc_error *err) {
    *ptr = NULL;
    cudaError_t status = cudaMalloc(ptr, bytes);
    if (status != cudaSuccess) {
        cudaGetLastError(); // an allocation failure is not sticky: clear it for later calls
        *ptr = NULL;
        return fc_fail(err, "CUDA: cannot allocate %.1f MB of device memory for %s: %s",
                       bytes / 1048576.0, what, cudaGetErrorString(status));
    }
    pthread_mutex_lock(&memory_lock);
    memory_allocated += bytes;
    if (memory_allocated > memory_peak) memory_peak = memory_allocated;
    pthread_mutex_unlock(&memory_lock);
    return 0;
}

static void device_free(void *ptr, size_t bytes) {
    if (!ptr) return;
    cudaFree(ptr);
    pthread_mutex_lock(&memory_lock);
    memory_allocated -= bytes;
    pthread_mutex_unlock(&memory_lock);
}

int fc_cuda_device_count(void) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        cudaGetLastError();
        return 0;
    }
    return count;
}

int fc_cuda_memory_info(fc_cuda_memory *out, fc_error *err) {
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&memory_lock);
    out->allocated = memory_allocated;
    out->peak_allocated = memory_peak;
    pthread_mutex_unlock(&memory_lock);
    size_t free_bytes = 0, total_bytes = 0;
    if (cuda_check(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo", err) != 0)
        return -1;
    out->device_used = total_bytes - free_bytes;
    out->device_total = total_bytes;
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Load: weights uploaded once

// Tensors start at multiples of 64 floats (256 bytes), the alignment cudaMalloc gives, so
// cuBLAS and the kernels see aligned rows whatever the sizes before them.
static size_t align_floats(size_t count) {
    return (count + 63) / 64 * 64;
}

// Binds the checkpoint as fp32 on the host, then copies every tensor of the ModernBERT list
// into one device block and points m->weights at the copies.
static int upload_weights(fc_modernbert_cuda *m, const fc_safetensors *st,
                          const char *weights_name, fc_error *err) {
    fc_modernbert_weights host;
    if (fc_modernbert_weights_bind(&host, &m->config, m->num_labels, st, weights_name, err) != 0)
        return -1;
    // Two walks of the one tensor list, in the same order: one over a view of the host
    // tensors, one over the device struct to fill. tensor_list gives each view a fresh layers
    // array, so the host layers are copied into it afterwards.
    fc_modernbert_weights source = host;
    fc_modernbert_grads unused_source = {0}, unused_device = {0};
    size_t n, total;
    fc_param_tensor *from = fc_modernbert_tensor_list(&m->config, m->num_labels, &source,
                                                           &unused_source, &n, &total);
    memcpy(source.layers, host.layers, (size_t)m->config.num_layers * sizeof *source.layers);
    fc_param_tensor *to = fc_modernbert_tensor_list(&m->config, m->num_labels, &m->weights,
                                                         &unused_device, &n, &total);
    size_t floats = 0;
    for (size_t i = 0; i < n; i++) floats += align_floats(from[i].count);
    m->weight_bytes = floats * sizeof(float);
    int rc = device_alloc((void **)&m->weight_block, m->weight_bytes, "the weights", err);
    float *at = m->weight_block;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = cuda_check(cudaMemcpy(at, *from[i].weight, from[i].count * sizeof(float),
                                   cudaMemcpyHostToDevice),
                        "copying the weights to the device", err);
        *to[i].weight = at;
        at += align_floats(from[i].count);
    }
    free(from);
    free(to);
    free(source.layers);
    fc_modernbert_grads_free(&unused_source);
    fc_modernbert_grads_free(&unused_device);
    fc_modernbert_weights_free(&host); // the widened copies; the mapping stays with st
    return rc;
}

int fc_modernbert_cuda_load(const cJSON *config, const char *config_path,
                            const fc_safetensors *st, const char *weights_name, int num_labels,
                            fc_modernbert_cuda **out, fc_error *err) {
    *out = NULL;
    fc_modernbert_cuda *m = fc_calloc(1, sizeof *m);
    m->num_labels = num_labels;
    int rc = -1;
    if (fc_modernbert_config_parse(config, config_path, &m->config, err) != 0) goto done;
    if (m->config.head_dim > FC_CUDA_ATTENTION_MAX_HEAD_DIM) {
        fc_fail(err, "%s: head size %d: the CUDA attention kernel takes heads of at most %d",
                config_path, m->config.head_dim, FC_CUDA_ATTENTION_MAX_HEAD_DIM);
        goto done;
    }
    int devices = 0;
    cudaError_t status = cudaGetDeviceCount(&devices);
    if (status != cudaSuccess || devices == 0) {
        cudaGetLastError();
        fc_fail(err, "no CUDA device: %s",
                status != cudaSuccess ? cudaGetErrorString(status) : "none found");
        goto done;
    }
    if (cuda_check(cudaStreamCreateWithFlags(&m->stream, cudaStreamNonBlocking),
                   "creating a stream", err) != 0)
        goto done;
    m->has_stream = 1;
    if (blas_check(cublasCreate(&m->blas), "creating a handle", err) != 0) goto done;
    m->has_blas = 1;
    // Plain fp32 GEMMs: TF32 would cost the 1e-4 parity with transformers (METHOD.md: ~3e-4).
    if (blas_check(cublasSetMathMode(m->blas, CUBLAS_DEFAULT_MATH), "setting the math mode",
                   err) != 0 ||
        blas_check(cublasSetStream(m->blas, m->stream), "setting the stream", err) != 0)
        goto done;
    if (upload_weights(m, st, weights_name, err) != 0) goto done;
    rc = 0;
done:
    if (rc == 0)
        *out = m;
    else
        fc_modernbert_cuda_free(m);
    return rc;
}

void fc_modernbert_cuda_free(fc_modernbert_cuda *m) {
    if (!m) return;
    if (m->has_stream) cudaStreamSynchronize(m->stream);
    device_free(m->weight_block, m->weight_bytes);
    device_free(m->arena, m->arena_bytes);
    device_free(m->rope_block, m->rope_bytes);
    if (m->staging) cudaFreeHost(m->staging);
    if (m->has_blas) cublasDestroy(m->blas);
    if (m->has_stream) cudaStreamDestroy(m->stream);
    free(m->weights.layers);
    free(m);
}

const fc_modernbert_config *fc_modernbert_cuda_get_config(const fc_modernbert_cuda *m) {
    return &m->config;
}

// ---------------------------------------------------------------------------------------------
// The activation arena and the RoPE tables, grown as batches need

// Hands out consecutive 256-byte aligned slices of an arena; with base NULL it only counts.
typedef struct arena_cursor {
    char *base;
    size_t used; // bytes
} arena_cursor;

static void *carve(arena_cursor *cur, size_t bytes) {
    void *p = cur->base ? cur->base + cur->used : NULL;
    cur->used += (bytes + 255) / 256 * 256;
    return p;
}

// Most tiles a batch of T tokens in B sequences can need: each sequence's last tile may be
// partial, so at most T / tile + B.
static size_t max_tiles(size_t T, size_t B) {
    return T / FC_CUDA_ATTENTION_TILE + B;
}

// Lays the buffers out for T tokens and B sequences; returns the arena's size in bytes.
static size_t plan_arena(fc_modernbert_cuda *m, size_t T, size_t B, char *base) {
    size_t H = (size_t)m->config.hidden_size, I = (size_t)m->config.intermediate_size;
    size_t f = sizeof(float);
    arena_cursor cur = {base, 0};
    m->x = carve(&cur, T * H * f);
    m->normed = carve(&cur, T * H * f);
    m->qkv = carve(&cur, T * 3 * H * f);
    m->context = carve(&cur, T * H * f);
    m->projected = carve(&cur, T * H * f);
    m->mlp_in = carve(&cur, T * 2 * I * f);
    m->mlp_act = carve(&cur, T * I * f);
    m->pooled = carve(&cur, B * H * f);
    m->head_dense = carve(&cur, B * H * f);
    m->head_out = carve(&cur, B * H * f);
    m->logits = carve(&cur, B * (size_t)m->num_labels * f);
    m->batch_int_count = 2 * T + (B + 1) + 2 * max_tiles(T, B);
    m->batch_ints = carve(&cur, m->batch_int_count * sizeof(int32_t));
    return cur.used;
}

static int reserve_arena(fc_modernbert_cuda *m, int T, int B, fc_error *err) {
    if (T <= m->token_capacity && B <= m->seq_capacity) return 0;
    // Grow by a quarter at least, so batches of slowly rising size reallocate rarely.
    int tokens = T > m->token_capacity ? T + T / 4 : m->token_capacity;
    int seqs = B > m->seq_capacity ? B + B / 4 : m->seq_capacity;
    device_free(m->arena, m->arena_bytes);
    m->arena = NULL;
    m->arena_bytes = 0;
    if (m->staging) cudaFreeHost(m->staging);
    m->staging = NULL;
    m->token_capacity = m->seq_capacity = 0;
    size_t bytes = plan_arena(m, (size_t)tokens, (size_t)seqs, NULL);
    if (device_alloc(&m->arena, bytes, "the activations", err) != 0) return -1;
    m->arena_bytes = bytes;
    plan_arena(m, (size_t)tokens, (size_t)seqs, m->arena);
    if (cuda_check(cudaMallocHost((void **)&m->staging, m->batch_int_count * sizeof(int32_t)),
                   "allocating pinned host memory", err) != 0) {
        m->staging = NULL;
        return -1;
    }
    m->token_capacity = tokens;
    m->seq_capacity = seqs;
    return 0;
}

// The same float32 tables as the CPU forward (fc_rope_table), for positions up to longest.
static int reserve_rope(fc_modernbert_cuda *m, int longest, fc_error *err) {
    if (longest <= m->rope_capacity) return 0;
    int positions = longest > 512 ? longest : 512;
    int half = m->config.head_dim / 2;
    size_t table = (size_t)positions * half;
    float *host = fc_malloc(4 * table * sizeof(float));
    fc_rope_table(host, host + table, positions, m->config.head_dim, m->config.global_rope_theta);
    fc_rope_table(host + 2 * table, host + 3 * table, positions, m->config.head_dim,
                  m->config.local_rope_theta);
    device_free(m->rope_block, m->rope_bytes);
    m->rope_block = NULL;
    m->rope_capacity = 0;
    int rc = device_alloc((void **)&m->rope_block, 4 * table * sizeof(float), "the RoPE tables",
                          err);
    if (rc == 0) {
        m->rope_bytes = 4 * table * sizeof(float);
        rc = cuda_check(cudaMemcpy(m->rope_block, host, m->rope_bytes, cudaMemcpyHostToDevice),
                        "copying the RoPE tables", err);
    }
    free(host);
    if (rc != 0) return -1;
    m->global_cos = m->rope_block;
    m->global_sin = m->rope_block + table;
    m->local_cos = m->rope_block + 2 * table;
    m->local_sin = m->rope_block + 3 * table;
    m->rope_capacity = positions;
    return 0;
}

// ---------------------------------------------------------------------------------------------
// The forward

// out[T, out_dim] = in[T, in_dim] · weightᵀ (+ bias), weight [out_dim, in_dim] row-major as
// fc_linear_forward. cuBLAS is column-major: there the row-major out is outᵀ (out_dim × T),
// so the call computes outᵀ = weight · inᵀ with the weight transposed back.
static int linear(fc_modernbert_cuda *m, float *out, const float *in, const float *weight,
                  const float *bias, int T, int in_dim, int out_dim, fc_error *err) {
    const float one = 1.0f, zero = 0.0f;
    if (blas_check(cublasSgemm(m->blas, CUBLAS_OP_T, CUBLAS_OP_N, out_dim, T, in_dim, &one,
                               weight, in_dim, in, in_dim, &zero, out, out_dim),
                   "sgemm", err) != 0)
        return -1;
    if (bias) return cuda_check(fc_cuda_add_bias(out, bias, T, out_dim, m->stream), "bias", err);
    return 0;
}

// One encoder layer (§3.3 step 2) on the residual stream m->x, in place.
static int encoder_layer(fc_modernbert_cuda *m, int layer, const int32_t *positions,
                         const int32_t *offsets, const fc_cuda_attention_tile *tiles,
                         int n_tiles, int T, fc_error *err) {
    const fc_modernbert_config *c = &m->config;
    const fc_modernbert_layer *L = &m->weights.layers[layer];
    int H = c->hidden_size, I = c->intermediate_size;
    size_t n = (size_t)T * H;
    cudaStream_t s = m->stream;

    // a. layer 0 has no attn_norm: its input is already the embedding norm's output (P1).
    const float *attn_in = m->x;
    if (L->attn_norm_w) {
        if (cuda_check(fc_cuda_layernorm(m->normed, m->x, L->attn_norm_w, L->attn_norm_b, T, H,
                                         c->norm_eps, s),
                       "attn_norm", err) != 0)
            return -1;
        attn_in = m->normed;
    }
    // b-d. Q, K, V in one projection; RoPE with the layer kind's base (P2, P3).
    if (linear(m, m->qkv, attn_in, L->wqkv, L->wqkv_b, T, H, 3 * H, err) != 0) return -1;
    int global = c->is_global[layer];
    if (cuda_check(fc_cuda_rope_qk(m->qkv, positions, global ? m->global_cos : m->local_cos,
                                   global ? m->global_sin : m->local_sin, T, c->num_heads,
                                   c->head_dim, s),
                   "rope", err) != 0)
        return -1;
    // e. softmax(Q·Kᵀ/√d)·V per sequence; local layers see |q − k| <= local_attention / 2.
    if (cuda_check(fc_cuda_attention(m->context, m->qkv, offsets, tiles, n_tiles, c->num_heads,
                                     c->head_dim, global ? -1 : c->local_window, s),
                   "attention", err) != 0)
        return -1;
    // f-g. output projection, residual on the un-normed stream.
    if (linear(m, m->projected, m->context, L->attn_wo, L->attn_wo_b, T, H, H, err) != 0 ||
        cuda_check(fc_cuda_add(m->x, m->projected, n, s), "residual", err) != 0)
        return -1;
    // h-i. GeGLU MLP: gelu(first half) ⊙ second half (P4), then Wo and the residual.
    if (cuda_check(fc_cuda_layernorm(m->normed, m->x, L->mlp_norm_w, L->mlp_norm_b, T, H,
                                     c->norm_eps, s),
                   "mlp_norm", err) != 0 ||
        linear(m, m->mlp_in, m->normed, L->mlp_wi, L->mlp_wi_b, T, H, 2 * I, err) != 0 ||
        cuda_check(fc_cuda_geglu(m->mlp_act, m->mlp_in, T, I, s), "geglu", err) != 0 ||
        linear(m, m->projected, m->mlp_act, L->mlp_wo, L->mlp_wo_b, T, I, H, err) != 0 ||
        cuda_check(fc_cuda_add(m->x, m->projected, n, s), "residual", err) != 0)
        return -1;
    return 0;
}

// Fills the pinned staging copy of the batch's integers (layout of plan_arena's batch_ints)
// and returns how many of them to upload.
static size_t stage_batch(fc_modernbert_cuda *m, const int32_t *ids, const int32_t *offsets,
                          int n_seqs, int T, size_t *n_tiles) {
    int32_t *staged_ids = m->staging;
    int32_t *positions = staged_ids + T;
    int32_t *staged_offsets = positions + T;
    fc_cuda_attention_tile *tiles = (fc_cuda_attention_tile *)(staged_offsets + n_seqs + 1);
    memcpy(staged_ids, ids, (size_t)T * sizeof *ids);
    // Positions restart at 0 in every sequence (§3.5).
    for (int s = 0; s < n_seqs; s++)
        for (int t = offsets[s]; t < offsets[s + 1]; t++) positions[t] = t - offsets[s];
    memcpy(staged_offsets, offsets, (size_t)(n_seqs + 1) * sizeof *offsets);
    *n_tiles = fc_cuda_attention_tile_count(offsets, n_seqs);
    fc_cuda_attention_tiles(offsets, n_seqs, tiles);
    return (size_t)(2 * T + n_seqs + 1) + 2 * *n_tiles;
}

int fc_modernbert_cuda_forward(fc_modernbert_cuda *m, const int32_t *ids, const int32_t *offsets,
                               int n_seqs, float *logits, float *final_hidden, fc_error *err) {
    const fc_modernbert_config *c = &m->config;
    const fc_modernbert_weights *w = &m->weights;
    int longest = 0;
    if (fc_modernbert_check_batch(c, ids, offsets, n_seqs, &longest, err) != 0) return -1;
    int T = offsets[n_seqs], H = c->hidden_size, B = n_seqs;
    if (reserve_arena(m, T, B, err) != 0 || reserve_rope(m, longest, err) != 0) return -1;
    cudaStream_t s = m->stream;

    // The staging buffer is rewritten below: a forward that failed half-way may have left a
    // copy from it queued.
    if (cuda_check(cudaStreamSynchronize(s), "an earlier forward", err) != 0) return -1;
    size_t n_tiles = 0;
    size_t count = stage_batch(m, ids, offsets, n_seqs, T, &n_tiles);
    // The device copy has the staging layout: ids | positions | offsets | tiles.
    const int32_t *d_ids = m->batch_ints, *d_positions = d_ids + T;
    const int32_t *d_offsets = d_positions + T;
    const fc_cuda_attention_tile *d_tiles =
        (const fc_cuda_attention_tile *)(d_offsets + n_seqs + 1);
    if (cuda_check(cudaMemcpyAsync(m->batch_ints, m->staging, count * sizeof(int32_t),
                                   cudaMemcpyHostToDevice, s),
                   "copying the batch to the device", err) != 0)
        return -1;

    // 1. Embedding lookup and norm; no position or token-type embeddings.
    if (cuda_check(fc_cuda_embedding(m->normed, w->tok_embeddings, d_ids, T, H, s), "embedding",
                   err) != 0 ||
        cuda_check(fc_cuda_layernorm(m->x, m->normed, w->emb_norm_w, w->emb_norm_b, T, H,
                                     c->norm_eps, s),
                   "embedding norm", err) != 0)
        return -1;

    // 2. The encoder layers, on the residual stream in place.
    for (int l = 0; l < c->num_layers; l++)
        if (encoder_layer(m, l, d_positions, d_offsets, d_tiles, (int)n_tiles, T, err) != 0)
            return fc_fail_prefix(err, "layer %d", l);

    // 3. Final norm on every token.
    if (cuda_check(fc_cuda_layernorm(m->normed, m->x, w->final_norm_w, w->final_norm_b, T, H,
                                     c->norm_eps, s),
                   "final_norm", err) != 0)
        return -1;

    // 4-5. Pooling, then head: dense → GELU → LayerNorm, then the classifier (P6).
    if (cuda_check(fc_cuda_pool(m->pooled, m->normed, d_offsets, B, H,
                                c->pooling == FC_POOLING_MEAN, s),
                   "pooling", err) != 0 ||
        linear(m, m->head_dense, m->pooled, w->head_dense_w, w->head_dense_b, B, H, H, err) != 0 ||
        cuda_check(fc_cuda_gelu(m->head_dense, (size_t)B * H, s), "head GELU", err) != 0 ||
        cuda_check(fc_cuda_layernorm(m->head_out, m->head_dense, w->head_norm_w, w->head_norm_b,
                                     B, H, c->norm_eps, s),
                   "head norm", err) != 0 ||
        linear(m, m->logits, m->head_out, w->classifier_w, w->classifier_b, B, H, m->num_labels,
               err) != 0)
        return -1;

    if (cuda_check(cudaMemcpyAsync(logits, m->logits, (size_t)B * m->num_labels * sizeof(float),
                                   cudaMemcpyDeviceToHost, s),
                   "copying the logits back", err) != 0)
        return -1;
    if (final_hidden &&
        cuda_check(cudaMemcpyAsync(final_hidden, m->normed, (size_t)T * H * sizeof(float),
                                   cudaMemcpyDeviceToHost, s),
                   "copying the hidden states back", err) != 0)
        return -1;
    // Errors inside kernels (a bad address, say) surface here.
    return cuda_check(cudaStreamSynchronize(s), "forward", err);
}
