#include "kernels/cpu/matmul.h"

#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/gemm_f16.h"
#include "util/pages.h"

// The CPU engine, made once for the process.
static dnnl_engine_t engine;
static int engine_ok;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;

static void make_engine(void) {
    engine_ok = dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success;
}

static dnnl_engine_t get_engine(void) {
    pthread_once(&engine_once, make_engine);
    return engine_ok ? engine : NULL;
}

// A stream and a scratchpad per calling thread: oneDNN streams are not meant to be shared
// between threads that execute at the same time, and a scratchpad of our own (scratchpad mode
// "user") lets two threads run primitives at once whatever oneDNN's build options. The
// library's callers and OpenMP's worker threads (each running chunks of its own,
// linear_lowp.c) all call in; a thread's pair is freed when it exits (OpenMP ends workers
// when a team shrinks), through a key's destructor.
typedef struct thread_state {
    dnnl_stream_t stream;
    void *scratchpad;
    size_t scratchpad_bytes;
} thread_state;

static pthread_key_t state_key;
static int state_key_ok;
static pthread_once_t state_once = PTHREAD_ONCE_INIT;

static void free_thread_state(void *p) {
    thread_state *t = p;
    if (t->stream) dnnl_stream_destroy(t->stream);
    free(t->scratchpad);
    free(t);
}

static void make_state_key(void) {
    state_key_ok = pthread_key_create(&state_key, free_thread_state) == 0;
}

static thread_state *get_thread_state(void) {
    pthread_once(&state_once, make_state_key);
    if (!state_key_ok) return NULL;
    thread_state *t = pthread_getspecific(state_key);
    if (!t) {
        t = calloc(1, sizeof *t);
        if (t && pthread_setspecific(state_key, t) != 0) {
            free(t);
            t = NULL;
        }
    }
    return t;
}

static dnnl_stream_t get_stream(void) {
    thread_state *t = get_thread_state();
    if (!t) return NULL;
    if (!t->stream) {
        dnnl_engine_t e = get_engine();
        if (!e || dnnl_stream_create(&t->stream, e, dnnl_stream_default_flags) != dnnl_success)
            t->stream = NULL;
    }
    return t->stream;
}

static void *get_scratchpad(size_t bytes) {
    thread_state *t = get_thread_state();
    if (!t) return NULL;
    if (bytes > t->scratchpad_bytes) {
        free(t->scratchpad);
        size_t rounded = (bytes + 63) / 64 * 64;
        t->scratchpad = aligned_alloc(64, rounded);
        t->scratchpad_bytes = t->scratchpad ? rounded : 0;
    }
    return t->scratchpad;
}

static void kind_types(fc_matmul_kind kind, dnnl_data_type_t *src, dnnl_data_type_t *wei,
                       dnnl_data_type_t *dst) {
    *src = kind == FC_MATMUL_BF16 ? dnnl_bf16 : dnnl_u8;
    *wei = kind == FC_MATMUL_BF16 ? dnnl_bf16 : dnnl_s8;
    *dst = kind == FC_MATMUL_BF16 ? dnnl_f32 : dnnl_s32;
}

// A matmul primitive descriptor for [M, K] · [K, N]; weights in the given layout, or in the
// one oneDNN picks when weights_md is NULL.
static dnnl_primitive_desc_t make_desc(fc_matmul_kind kind, int M, int K, int N,
                                       const dnnl_memory_desc_t *weights_md) {
    dnnl_engine_t e = get_engine();
    if (!e) return NULL;
    dnnl_data_type_t st, wt, dt;
    kind_types(kind, &st, &wt, &dt);
    dnnl_memory_desc_t src_md, any_md, dst_md;
    dnnl_dims_t src_dims = {M, K}, wei_dims = {K, N}, dst_dims = {M, N};
    if (dnnl_memory_desc_init_by_tag(&src_md, 2, src_dims, st, dnnl_ab) != dnnl_success ||
        dnnl_memory_desc_init_by_tag(&any_md, 2, wei_dims, wt, dnnl_format_tag_any) !=
            dnnl_success ||
        dnnl_memory_desc_init_by_tag(&dst_md, 2, dst_dims, dt, dnnl_ab) != dnnl_success)
        return NULL;
    dnnl_matmul_desc_t desc;
    if (dnnl_matmul_desc_init(&desc, &src_md, weights_md ? weights_md : &any_md, NULL, &dst_md) !=
        dnnl_success)
        return NULL;
    dnnl_primitive_attr_t attr;
    if (dnnl_primitive_attr_create(&attr) != dnnl_success) return NULL;
    dnnl_primitive_desc_t pd = NULL;
    if (dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) != dnnl_success ||
        dnnl_primitive_desc_create(&pd, &desc, attr, e, NULL) != dnnl_success)
        pd = NULL;
    dnnl_primitive_attr_destroy(attr);
    return pd;
}

static const char *desc_impl(const_dnnl_primitive_desc_t pd) {
    const char *impl = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success || !impl)
        return "unknown";
    return impl;
}

// Reference implementations ("ref:any") run a scalar loop: orders of magnitude slower than
// widening to fp32, so they count as no kernel at all.
static int is_reference(const_dnnl_primitive_desc_t pd) {
    return strncmp(desc_impl(pd), "ref", 3) == 0;
}

// The shape the weights' layout is chosen at: a bucket of the size real batches reach.
enum { LAYOUT_ROWS = 256 };

// The name `finecat bench` prints for the F16 kind, in oneDNN's style.
static const char f16_kernel_name[] = "finecat:avx512_core_fp16";

int fc_matmul_available(fc_matmul_kind kind) {
    if (kind == FC_MATMUL_F16) return fc_gemm_f16_usable();
    dnnl_primitive_desc_t pd = make_desc(kind, LAYOUT_ROWS, 64, 64, NULL);
    if (!pd) return 0;
    int ok = !is_reference(pd);
    dnnl_primitive_desc_destroy(pd);
    return ok;
}

const char *fc_matmul_kernel_name(fc_matmul_kind kind, int in_dim, int out_dim) {
    if (kind == FC_MATMUL_F16)
        return fc_gemm_f16_usable() && fc_gemm_f16_shape_ok(in_dim) ? f16_kernel_name
                                                                     : "unavailable";
    dnnl_primitive_desc_t pd = make_desc(kind, LAYOUT_ROWS, in_dim, out_dim, NULL);
    if (!pd) return "unavailable";
    // The string lives in the descriptor; keep a copy per kind for the caller.
    static _Thread_local char names[2][64];
    char *name = names[kind == FC_MATMUL_INT8];
    strncpy(name, desc_impl(pd), sizeof names[0] - 1);
    name[sizeof names[0] - 1] = '\0';
    dnnl_primitive_desc_destroy(pd);
    return name;
}

int fc_matmul_int8_exact_8bit(void) {
    // AVX512-VNNI and everything above it (AVX512-BF16, AMX) carry bit 0x40 of the ISA mask;
    // AVX2-VNNI machines are treated as plain AVX2: oneDNN 2.6's gemm kernels there may still
    // use the saturating multiply-add.
    return (dnnl_get_effective_cpu_isa() & dnnl_cpu_isa_avx512_core_vnni) ==
           dnnl_cpu_isa_avx512_core_vnni;
}

int fc_matmul_bucket_rows(int T) {
    return (T + FC_MATMUL_ROW_BUCKET - 1) / FC_MATMUL_ROW_BUCKET * FC_MATMUL_ROW_BUCKET;
}

static const dnnl_memory_desc_t *packed_desc_of(const_dnnl_primitive_desc_t pd) {
    return dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
}

// Reorders plain [K, N] weights (stored as W [N, K] row-major, i.e. tag "ba") into packed.
static int reorder_weights(const void *plain, void *packed, const dnnl_memory_desc_t *packed_md,
                           dnnl_data_type_t type, int K, int N) {
    dnnl_engine_t e = get_engine();
    dnnl_stream_t s = get_stream();
    if (!e || !s) return -1;
    dnnl_memory_desc_t plain_md;
    dnnl_dims_t dims = {K, N};
    if (dnnl_memory_desc_init_by_tag(&plain_md, 2, dims, type, dnnl_ba) != dnnl_success) return -1;
    dnnl_memory_t from = NULL, to = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t reorder = NULL;
    int rc = -1;
    if (dnnl_memory_create(&from, &plain_md, e, (void *)plain) == dnnl_success &&
        dnnl_memory_create(&to, packed_md, e, packed) == dnnl_success &&
        dnnl_reorder_primitive_desc_create(&pd, &plain_md, e, packed_md, e, NULL) ==
            dnnl_success &&
        dnnl_primitive_create(&reorder, pd) == dnnl_success) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
        if (dnnl_primitive_execute(reorder, s, 2, args) == dnnl_success &&
            dnnl_stream_wait(s) == dnnl_success)
            rc = 0;
    }
    if (reorder) dnnl_primitive_destroy(reorder);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (from) dnnl_memory_destroy(from);
    if (to) dnnl_memory_destroy(to);
    return rc;
}

static int pack_f16(fc_matmul_weights *w, const void *plain, int out_dim, int in_dim) {
    if (!fc_gemm_f16_usable() || !fc_gemm_f16_shape_ok(in_dim)) return -1;
    size_t bytes = fc_gemm_f16_packed_bytes(out_dim, in_dim);
    void *packed = fc_pages_alloc(bytes);
    if (!packed) return -1;
    fc_gemm_f16_pack(packed, plain, out_dim, in_dim);
    *w = (fc_matmul_weights){FC_MATMUL_F16, in_dim, out_dim, packed, bytes};
    return 0;
}

int fc_matmul_weights_pack(fc_matmul_weights *w, fc_matmul_kind kind, const void *plain,
                           int out_dim, int in_dim) {
    memset(w, 0, sizeof *w);
    if (kind == FC_MATMUL_F16) return pack_f16(w, plain, out_dim, in_dim);
    dnnl_primitive_desc_t pd = make_desc(kind, LAYOUT_ROWS, in_dim, out_dim, NULL);
    if (!pd) return -1;
    if (is_reference(pd)) {
        dnnl_primitive_desc_destroy(pd);
        return -1;
    }
    const dnnl_memory_desc_t *md = packed_desc_of(pd);
    size_t bytes = dnnl_memory_desc_get_size(md);
    void *packed = fc_pages_alloc(bytes);
    dnnl_data_type_t st, wt, dt;
    kind_types(kind, &st, &wt, &dt);
    int rc = packed ? reorder_weights(plain, packed, md, wt, in_dim, out_dim) : -1;
    dnnl_primitive_desc_destroy(pd);
    if (rc != 0) {
        fc_pages_free(packed, bytes);
        return -1;
    }
    *w = (fc_matmul_weights){kind, in_dim, out_dim, packed, bytes};
    return 0;
}

void fc_matmul_weights_free(fc_matmul_weights *w) {
    fc_pages_free(w->packed, w->bytes);
    memset(w, 0, sizeof *w);
}

// ---------------------------------------------------------------------------------------------
// Primitives by (kind, K, N, M), made on first use and kept. Layers of one shape share them:
// a primitive holds no weights, they are an argument of each run.

typedef struct cached_primitive {
    fc_matmul_kind kind;
    int M, K, N;
    int serial; // made for one thread (fc_matmul_run_serial)
    dnnl_primitive_t primitive;
    size_t scratchpad_bytes;
} cached_primitive;

// Enough for every bucket of 8,192-token batches at the 4-6 shapes of a model, twice over;
// past it the cache starts again (rare: a long-running server that saw every size).
enum { CACHE_CAPACITY = 4096 };

static cached_primitive *cache;
static size_t cache_used;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void cache_clear(void) {
    for (size_t i = 0; i < cache_used; i++) dnnl_primitive_destroy(cache[i].primitive);
    cache_used = 0;
}

static const cached_primitive *cache_find(const fc_matmul_weights *w, int M, int serial) {
    for (size_t i = 0; i < cache_used; i++) {
        const cached_primitive *c = &cache[i];
        if (c->kind == w->kind && c->M == M && c->K == w->in_dim && c->N == w->out_dim &&
            c->serial == serial)
            return c;
    }
    return NULL;
}

// A serial primitive is made while this thread's OpenMP team size is 1, so that oneDNN plans
// its work for the one thread that will run it. (oneDNN 2.6 gave the same results and speed
// with a primitive planned for the whole team run inside a parallel region, each share in
// turn; the serial one does not rely on that.)
static int cache_get(const fc_matmul_weights *w, int M, int serial, cached_primitive *out) {
    pthread_mutex_lock(&cache_lock);
    int rc = -1;
    const cached_primitive *hit = cache_find(w, M, serial);
    if (hit) {
        *out = *hit;
        rc = 0;
    } else {
        if (!cache) cache = calloc(CACHE_CAPACITY, sizeof *cache);
        // The weights' layout was fixed at packing: ask for exactly it at every M.
        dnnl_primitive_desc_t layout_pd = make_desc(w->kind, LAYOUT_ROWS, w->in_dim, w->out_dim,
                                                    NULL);
        dnnl_primitive_desc_t pd =
            layout_pd ? make_desc(w->kind, M, w->in_dim, w->out_dim, packed_desc_of(layout_pd))
                      : NULL;
        dnnl_primitive_t primitive = NULL;
        int threads = omp_get_max_threads();
        if (serial) omp_set_num_threads(1);
        int made = cache && pd && dnnl_primitive_create(&primitive, pd) == dnnl_success;
        if (serial) omp_set_num_threads(threads);
        if (made) {
            if (cache_used == CACHE_CAPACITY) cache_clear();
            const dnnl_memory_desc_t *pad = dnnl_primitive_desc_query_md(
                pd, dnnl_query_scratchpad_md, 0);
            cache[cache_used] = (cached_primitive){w->kind, M, w->in_dim, w->out_dim, serial,
                                                   primitive,
                                                   pad ? dnnl_memory_desc_get_size(pad) : 0};
            *out = cache[cache_used++];
            rc = 0;
        }
        if (pd) dnnl_primitive_desc_destroy(pd);
        if (layout_pd) dnnl_primitive_desc_destroy(layout_pd);
    }
    pthread_mutex_unlock(&cache_lock);
    return rc;
}

static int run(const fc_matmul_weights *w, const void *src, void *dst, int M, int serial) {
    if (w->kind == FC_MATMUL_F16)
        return fc_gemm_f16(dst, src, w->packed, M, w->out_dim, w->in_dim, !serial)
                   ? FC_MATMUL_NOT_FINITE
                   : 0;
    cached_primitive p;
    dnnl_engine_t e = get_engine();
    dnnl_stream_t s = get_stream();
    if (!e || !s || cache_get(w, M, serial, &p) != 0) return -1;
    dnnl_data_type_t st, wt, dt;
    kind_types(w->kind, &st, &wt, &dt);
    dnnl_memory_desc_t src_md, dst_md, pad_md;
    dnnl_dims_t src_dims = {M, w->in_dim}, dst_dims = {M, w->out_dim};
    dnnl_dims_t pad_dims = {(dnnl_dim_t)(p.scratchpad_bytes ? p.scratchpad_bytes : 1)};
    dnnl_memory_desc_init_by_tag(&src_md, 2, src_dims, st, dnnl_ab);
    dnnl_memory_desc_init_by_tag(&dst_md, 2, dst_dims, dt, dnnl_ab);
    dnnl_memory_desc_init_by_tag(&pad_md, 1, pad_dims, dnnl_u8, dnnl_a);
    // The packed layout, as the primitive was made with it.
    const_dnnl_primitive_desc_t prim_pd = NULL;
    if (dnnl_primitive_get_primitive_desc(p.primitive, &prim_pd) != dnnl_success) return -1;
    const dnnl_memory_desc_t *wei_md = packed_desc_of(prim_pd);
    void *pad = get_scratchpad(p.scratchpad_bytes ? p.scratchpad_bytes : 64);
    if (!pad) return -1;
    dnnl_memory_t m_src = NULL, m_wei = NULL, m_dst = NULL, m_pad = NULL;
    int rc = -1;
    if (dnnl_memory_create(&m_src, &src_md, e, (void *)src) == dnnl_success &&
        dnnl_memory_create(&m_wei, wei_md, e, w->packed) == dnnl_success &&
        dnnl_memory_create(&m_dst, &dst_md, e, dst) == dnnl_success &&
        dnnl_memory_create(&m_pad, &pad_md, e, pad) == dnnl_success) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, m_src},
                                   {DNNL_ARG_WEIGHTS, m_wei},
                                   {DNNL_ARG_DST, m_dst},
                                   {DNNL_ARG_SCRATCHPAD, m_pad}};
        if (dnnl_primitive_execute(p.primitive, s, 4, args) == dnnl_success &&
            dnnl_stream_wait(s) == dnnl_success)
            rc = 0;
    }
    if (m_src) dnnl_memory_destroy(m_src);
    if (m_wei) dnnl_memory_destroy(m_wei);
    if (m_dst) dnnl_memory_destroy(m_dst);
    if (m_pad) dnnl_memory_destroy(m_pad);
    return rc;
}

int fc_matmul_run(const fc_matmul_weights *w, const void *src, void *dst, int M) {
    return run(w, src, dst, M, 0);
}

int fc_matmul_run_serial(const fc_matmul_weights *w, const void *src, void *dst, int M) {
    return run(w, src, dst, M, 1);
}
