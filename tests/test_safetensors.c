// Tests of the safetensors layer: exact half-precision conversions, write -> read round trips,
// the header layout transformers expects, sharded folders, every kind of malformed file the
// reader must refuse (with a message naming the file and the problem), and a deterministic
// mini-fuzz whose opens must either succeed with in-bounds tensors or fail cleanly.
#include <cjson/cJSON.h>
#include <dirent.h>
#include <float.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "io/dtype.h"
#include "io/safetensors.h"

static char temp_dir[64];

// ---------------------------------------------------------------------------------------------
// Helpers

static void path_in(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/%s", temp_dir, name);
}

static int write_bytes(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t done = len ? fwrite(data, 1, len, f) : 0;
    return fclose(f) == 0 && done == len ? 0 : -1;
}

static unsigned char *read_bytes(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)size + 1);
    *len = fread(data, 1, (size_t)size, f);
    fclose(f);
    return data;
}

static uint32_t float_bits(float f) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits;
}

static float bits_float(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

// Same float, or both NaN: exact comparison that also tells -0 from +0.
static int same_float(float got, float want) {
    if (isnan(want)) return isnan(got);
    return float_bits(got) == float_bits(want);
}

// A file of the format: 8-byte little-endian header length, the header as given, data_len
// bytes of data (copied from data, or zeros when data is NULL).
static unsigned char *make_file(const char *header, const void *data, size_t data_len,
                                size_t *len) {
    size_t header_len = strlen(header);
    *len = 8 + header_len + data_len;
    unsigned char *bytes = calloc(1, *len + 1);
    for (int i = 0; i < 8; i++) bytes[i] = (unsigned char)((uint64_t)header_len >> (8 * i));
    memcpy(bytes + 8, header, header_len);
    if (data && data_len) memcpy(bytes + 8 + header_len, data, data_len);
    return bytes;
}

static void set_length_prefix(unsigned char *bytes, uint64_t value) {
    for (int i = 0; i < 8; i++) bytes[i] = (unsigned char)(value >> (8 * i));
}

// Writes bytes to temp_dir/name and checks that opening it fails with a message that names
// the file and contains phrase.
static void expect_open_error(const char *name, const unsigned char *bytes, size_t len,
                              const char *phrase) {
    char path[512];
    path_in(path, sizeof path, name);
    CHECK(write_bytes(path, bytes, len) == 0);
    fc_safetensors *st = (fc_safetensors *)&st; // must come back NULL
    fc_error err = {{0}};
    int rc = fc_safetensors_open_file(path, &st, &err);
    CHECK(rc == -1);
    CHECK(st == NULL);
    int named = strstr(err.message, path) != NULL && strstr(err.message, phrase) != NULL;
    if (!named) fprintf(stderr, "  %s: message \"%s\" lacks \"%s\"\n", name, err.message, phrase);
    CHECK(named);
    if (rc == 0) fc_safetensors_close(st);
}

static void expect_header_error(const char *name, const char *header, size_t data_len,
                                const char *phrase) {
    size_t len;
    unsigned char *bytes = make_file(header, NULL, data_len, &len);
    expect_open_error(name, bytes, len, phrase);
    free(bytes);
}

static int header_opens(const char *name, const char *header, size_t data_len) {
    char path[512];
    path_in(path, sizeof path, name);
    size_t len;
    unsigned char *bytes = make_file(header, NULL, data_len, &len);
    int written = write_bytes(path, bytes, len);
    free(bytes);
    fc_safetensors *st = NULL;
    fc_error err = {{0}};
    int rc = written == 0 ? fc_safetensors_open_file(path, &st, &err) : -1;
    if (rc != 0) fprintf(stderr, "  %s: unexpected error: %s\n", name, err.message);
    fc_safetensors_close(st);
    return rc == 0;
}

static fc_tensor_out tensor_out(const char *name, fc_dtype dtype, int ndim, const int64_t *shape,
                                const void *data) {
    fc_tensor_out t = {.name = name, .dtype = dtype, .ndim = ndim, .data = data};
    for (int d = 0; d < ndim; d++) t.shape[d] = shape[d];
    return t;
}

static int write_ok(const char *path, const fc_tensor_out *tensors, size_t n) {
    fc_error err = {{0}};
    int rc = fc_safetensors_write(path, tensors, n, &err);
    if (rc != 0) fprintf(stderr, "  write %s: %s\n", path, err.message);
    return rc == 0;
}

static int open_ok(const char *path, fc_safetensors **st) {
    fc_error err = {{0}};
    int rc = fc_safetensors_open_file(path, st, &err);
    if (rc != 0) fprintf(stderr, "  open %s: %s\n", path, err.message);
    return rc == 0;
}

static uint64_t rng_state;

static uint64_t next_random(void) {
    // xorshift64*: deterministic for a fixed seed.
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

// ---------------------------------------------------------------------------------------------
// Conversions

// binary16 by its definition: (-1)^s × 2^(e-15) × 1.m, or 2^-14 × 0.m for e = 0.
static double f16_by_definition(uint16_t h) {
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double magnitude = e == 0 ? ldexp(m, -24) : ldexp(1024 + m, e - 25);
    return s ? -magnitude : magnitude;
}

static void test_f16_widening(void) {
    int wrong = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float got = fc_f16_to_f32((uint16_t)h);
        int e = (h >> 10) & 31, m = h & 1023;
        int ok;
        if (e == 31 && m == 0) {
            ok = isinf(got) && (signbit(got) != 0) == (h >> 15);
        } else if (e == 31) {
            // NaN keeps sign and payload.
            ok = isnan(got) && (signbit(got) != 0) == (h >> 15) &&
                 ((float_bits(got) >> 13) & 0x3ff) == (uint32_t)m;
        } else {
            ok = (double)got == f16_by_definition((uint16_t)h) && (signbit(got) != 0) == (h >> 15);
        }
        if (!ok && wrong++ == 0) fprintf(stderr, "  f16 0x%04x widens to %.9g\n", h, got);
    }
    CHECK(wrong == 0);
    CHECK(fc_f16_to_f32(0x0001) == 0x1p-24f);
    CHECK(fc_f16_to_f32(0x03ff) == 1023 * 0x1p-24f);
    CHECK(fc_f16_to_f32(0x7bff) == 65504.0f);
    CHECK(fc_f16_to_f32(0x3555) == 0.333251953125f);
}

static void test_f16_narrowing(void) {
    // Every binary16 value survives float32 and back; NaNs stay NaNs of the same sign.
    int wrong = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = fc_f16_to_f32((uint16_t)h);
        uint16_t back = fc_f32_to_f16(f);
        int ok = isnan(f)
                     ? ((back & 0x7c00) == 0x7c00 && (back & 0x3ff) && (back >> 15) == (h >> 15))
                     : back == h;
        if (!ok && wrong++ == 0) fprintf(stderr, "  f16 0x%04x comes back as 0x%04x\n", h, back);
    }
    CHECK(wrong == 0);

    // Rounding to nearest, ties to even, at the edges of the format.
    CHECK(fc_f32_to_f16(1.0f + 0x1p-11f) == 0x3c00);            // tie, down to even
    CHECK(fc_f32_to_f16(1.0f + 3 * 0x1p-11f) == 0x3c02);        // tie, up to even
    CHECK(fc_f32_to_f16(1.0f + 0x1p-11f + 0x1p-20f) == 0x3c01); // just above the tie
    CHECK(fc_f32_to_f16(65504.0f) == 0x7bff);
    CHECK(fc_f32_to_f16(65519.0f) == 0x7bff);
    CHECK(fc_f32_to_f16(65520.0f) == 0x7c00); // rounds to infinity
    CHECK(fc_f32_to_f16(-1e10f) == 0xfc00);
    CHECK(fc_f32_to_f16(INFINITY) == 0x7c00);
    CHECK(fc_f32_to_f16(0x1p-24f) == 0x0001); // smallest subnormal
    CHECK(fc_f32_to_f16(0x1p-25f) == 0x0000); // tie with 0, to even
    CHECK(fc_f32_to_f16(0x1p-25f + 0x1p-40f) == 0x0001);
    CHECK(fc_f32_to_f16(3 * 0x1p-25f) == 0x0002);        // tie, up to even
    CHECK(fc_f32_to_f16(0x1p-14f - 0x1p-25f) == 0x0400); // tie, up to the smallest normal
    CHECK(fc_f32_to_f16(0x1p-14f) == 0x0400);
    CHECK(fc_f32_to_f16(1e-30f) == 0x0000);
    CHECK(fc_f32_to_f16(-1e-30f) == 0x8000);
    CHECK(fc_f32_to_f16(FLT_TRUE_MIN) == 0x0000);
    CHECK(fc_f32_to_f16(-0.0f) == 0x8000);
    uint16_t nan_low_payload = fc_f32_to_f16(bits_float(0x7f800001u));
    CHECK((nan_low_payload & 0x7c00) == 0x7c00 && (nan_low_payload & 0x3ff) != 0);
    CHECK((fc_f32_to_f16(bits_float(0xffc00000u)) & 0xfe00) == 0xfe00); // -NaN

    // Random floats across the binary16 range (and into its underflow): the result is the
    // nearest binary16, ties to even. Differences are exact in double for |f| >= 2^-40.
    rng_state = 0x853c49e6748fea9bull;
    wrong = 0;
    for (int i = 0; i < 200000; i++) {
        uint64_t r = next_random();
        int exponent = (int)(r % 56) - 40; // 2^-40 .. 2^15
        uint32_t bits = (uint32_t)((r >> 8) & 0x807fffffu) | ((uint32_t)(exponent + 127) << 23);
        float f = bits_float(bits);
        if (fabsf(f) >= 65520.0f) continue;
        uint16_t h = fc_f32_to_f16(f);
        uint16_t mag = h & 0x7fff;
        double err = fabs((double)f - (double)fc_f16_to_f32(h));
        int ok = (h >> 15) == (bits >> 31) && mag < 0x7c00;
        for (int step = -1; step <= 1 && ok; step += 2) {
            int neighbor = (int)mag + step;
            if (neighbor < 0 || neighbor >= 0x7c00) continue;
            double other = fabs(fabs((double)f) - f16_by_definition((uint16_t)neighbor));
            if (other < err || (other == err && (mag & 1))) ok = 0;
        }
        if (!ok && wrong++ == 0) fprintf(stderr, "  f32 %a narrows to f16 0x%04x\n", f, h);
    }
    CHECK(wrong == 0);
}

static void test_bf16(void) {
    int wrong = 0;
    for (uint32_t b = 0; b < 65536; b++) {
        float f = fc_bf16_to_f32((uint16_t)b);
        int ok = float_bits(f) == b << 16; // widening is the high half, exactly
        if (!isnan(f))
            ok = ok && fc_f32_to_bf16(f) == b;
        else
            ok = ok && isnan(fc_bf16_to_f32(fc_f32_to_bf16(f)));
        if (!ok && wrong++ == 0) fprintf(stderr, "  bf16 0x%04x does not round-trip\n", b);
    }
    CHECK(wrong == 0);

    CHECK(fc_f32_to_bf16(bits_float(0x3f808000u)) == 0x3f80); // tie, down to even
    CHECK(fc_f32_to_bf16(bits_float(0x3f818000u)) == 0x3f82); // tie, up to even
    CHECK(fc_f32_to_bf16(bits_float(0x3f808001u)) == 0x3f81);
    CHECK(fc_f32_to_bf16(bits_float(0x3f80ffffu)) == 0x3f81);
    CHECK(fc_f32_to_bf16(FLT_MAX) == 0x7f80); // rounds up to infinity
    CHECK(fc_f32_to_bf16(-FLT_MAX) == 0xff80);
    CHECK(fc_f32_to_bf16(bits_float(0x00008000u)) == 0x0000); // subnormal tie
    CHECK(fc_f32_to_bf16(bits_float(0x00018000u)) == 0x0002);
    CHECK(isnan(fc_bf16_to_f32(fc_f32_to_bf16(bits_float(0x7f800001u))))); // not infinity
    CHECK(fc_f32_to_bf16(bits_float(0xffc00000u)) == 0xffc0);

    // The array form, eight lanes at a time, against the scalar one on every edge above and a
    // spread of bit patterns (19 elements: two vectors and a scalar tail).
    const uint32_t edges[] = {0x3f808000u, 0x3f818000u, 0x3f808001u, 0x3f80ffffu, 0x7f7fffffu,
                              0xff7fffffu, 0x00008000u, 0x00018000u, 0x7f800001u, 0xffc00000u,
                              0x7f800000u, 0xff800000u, 0x00000000u, 0x80000000u, 0x7fffffffu,
                              0x3f800000u, 0xbf7fffffu, 0x00000001u, 0x7fc00001u};
    enum { EDGES = sizeof edges / sizeof edges[0] };
    float in[EDGES * 64];
    uint16_t out[EDGES * 64];
    for (int i = 0; i < EDGES * 64; i++)
        in[i] = bits_float(i < EDGES ? edges[i] : (uint32_t)i * 2654435761u);
    fc_f32_array_to_bf16(in, out, EDGES * 64);
    int array_wrong = 0;
    for (int i = 0; i < EDGES * 64; i++) array_wrong += out[i] != fc_f32_to_bf16(in[i]);
    CHECK(array_wrong == 0);
    // The same for f16 (F16C's conversion against the scalar one), with f16's own edges:
    // 65504 and 65520 (the tie that rounds to infinity), the smallest subnormal's half.
    const uint32_t f16_edges[] = {0x477fe000u, 0x477ff000u, 0x477fefffu, 0x33000000u, 0x33000001u,
                                  0x387fc000u, 0xb3800000u};
    for (int i = 0; i < 7; i++) in[EDGES + i] = bits_float(f16_edges[i]);
    fc_f32_array_to_f16(in, out, EDGES * 64);
    array_wrong = 0;
    for (int i = 0; i < EDGES * 64; i++) array_wrong += out[i] != fc_f32_to_f16(in[i]);
    CHECK(array_wrong == 0);

    rng_state = 0x2545f4914f6cdd1dull;
    wrong = 0;
    for (int i = 0; i < 200000; i++) {
        float f = bits_float((uint32_t)next_random());
        if (!isfinite(f) || fabsf(f) > bits_float(0x7f7f7fffu)) continue;
        uint16_t b = fc_f32_to_bf16(f);
        uint16_t mag = b & 0x7fff;
        double err = fabs((double)f - (double)fc_bf16_to_f32(b));
        int ok = (b >> 15) == (float_bits(f) >> 31);
        for (int step = -1; step <= 1 && ok; step += 2) {
            int neighbor = (int)mag + step;
            if (neighbor < 0 || neighbor >= 0x7f80) continue;
            double other = fabs(fabs((double)f) - (double)fc_bf16_to_f32((uint16_t)neighbor));
            if (other < err || (other == err && (mag & 1))) ok = 0;
        }
        if (!ok && wrong++ == 0) fprintf(stderr, "  f32 %a narrows to bf16 0x%04x\n", f, b);
    }
    CHECK(wrong == 0);
}

static void test_dtype_table(void) {
    CHECK(fc_dtype_size(FC_DTYPE_F32) == 4 && fc_dtype_size(FC_DTYPE_BF16) == 2);
    CHECK(fc_dtype_size(FC_DTYPE_I64) == 8 && fc_dtype_size(FC_DTYPE_BOOL) == 1);
    CHECK(fc_dtype_size(FC_DTYPE_OTHER) == 0 && fc_dtype_name(FC_DTYPE_OTHER) == NULL);
    CHECK(strcmp(fc_dtype_name(FC_DTYPE_BF16), "BF16") == 0);
    const fc_dtype_info *f4 = fc_dtype_lookup("F4");
    CHECK(f4 && f4->dtype == FC_DTYPE_OTHER && f4->bits == 4);
    CHECK(fc_dtype_lookup("f32") == NULL);
    CHECK(fc_dtype_lookup("F8_E4M3FNUZ") != NULL);
}

// ---------------------------------------------------------------------------------------------
// Round trips and layout

static void test_round_trip(void) {
    char path[512];
    path_in(path, sizeof path, "round_trip.safetensors");
    const float f32_values[6] = {1.5f, -0.0f, 3.4028235e38f, 0x1p-149f, -INFINITY, NAN};
    const uint16_t f16_bits[13] = {0x0000, 0x8000, 0x0001, 0x03ff, 0x8001, 0x0400, 0x3c00,
                                   0xc000, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x3555};
    const float f16_expected[13] = {0.0f,      -0.0f, 0x1p-24f,       1023 * 0x1p-24f, -0x1p-24f,
                                    0x1p-14f,  1.0f,  -2.0f,          65504.0f,        INFINITY,
                                    -INFINITY, NAN,   0.333251953125f};
    const float bf16_inputs[7] = {1.0f,   -2.5f, 1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, FLT_MAX,
                                  1e-40f, NAN};
    const float bf16_expected[7] = {1.0f, -2.5f, 1.0f, 1.015625f, INFINITY, 0x1p-133f, NAN};
    uint16_t bf16_bits[7];
    for (int i = 0; i < 7; i++) bf16_bits[i] = fc_f32_to_bf16(bf16_inputs[i]);
    const int64_t ints[2] = {-5, INT64_MAX};
    const uint8_t bytes[3] = {1, 2, 255};

    const int64_t shape_23[2] = {2, 3}, shape_13[1] = {13}, shape_7[1] = {7}, shape_2[1] = {2},
                  shape_3[1] = {3};
    fc_tensor_out out[5] = {
        tensor_out("weights.f32", FC_DTYPE_F32, 2, shape_23, f32_values),
        tensor_out("weights.f16", FC_DTYPE_F16, 1, shape_13, f16_bits),
        tensor_out("weights.bf16", FC_DTYPE_BF16, 1, shape_7, bf16_bits),
        tensor_out("position_ids", FC_DTYPE_I64, 1, shape_2, ints),
        tensor_out("mask", FC_DTYPE_U8, 1, shape_3, bytes),
    };
    CHECK(write_ok(path, out, 5));
    fc_safetensors *st = NULL;
    if (!open_ok(path, &st)) return;
    CHECK(fc_safetensors_count(st) == 5);
    // Order of name.
    CHECK(strcmp(fc_safetensors_at(st, 0)->name, "mask") == 0);
    CHECK(strcmp(fc_safetensors_at(st, 4)->name, "weights.f32") == 0);
    CHECK(fc_safetensors_at(st, 5) == NULL);

    const fc_tensor *t = fc_safetensors_find(st, "weights.f32");
    CHECK(t && t->dtype == FC_DTYPE_F32 && strcmp(t->dtype_name, "F32") == 0);
    CHECK(t && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3 && t->nbytes == 24);
    CHECK(t && strcmp(t->path, path) == 0);
    float got[13];
    fc_error err = {{0}};
    CHECK(fc_safetensors_read_f32(st, "weights.f32", 2, shape_23, got, &err) == 0);
    CHECK(memcmp(got, f32_values, sizeof f32_values) == 0); // bit-exact, NaN included
    const float *view = fc_safetensors_f32_view(st, "weights.f32");
    CHECK(view != NULL && memcmp(view, f32_values, sizeof f32_values) == 0);
    CHECK(view == NULL || (uintptr_t)view % 4 == 0);

    CHECK(fc_safetensors_read_f32(st, "weights.f16", 1, shape_13, got, &err) == 0);
    int f16_ok = 1;
    for (int i = 0; i < 13; i++) f16_ok = f16_ok && same_float(got[i], f16_expected[i]);
    CHECK(f16_ok);
    CHECK(fc_safetensors_read_f32(st, "weights.bf16", 1, shape_7, got, &err) == 0);
    int bf16_ok = 1;
    for (int i = 0; i < 7; i++) bf16_ok = bf16_ok && same_float(got[i], bf16_expected[i]);
    CHECK(bf16_ok);
    CHECK(fc_safetensors_f32_view(st, "weights.f16") == NULL);
    CHECK(fc_safetensors_f32_view(st, "absent") == NULL);

    t = fc_safetensors_find(st, "position_ids");
    CHECK(t && t->dtype == FC_DTYPE_I64 && t->nbytes == 16 && memcmp(t->data, ints, 16) == 0);
    t = fc_safetensors_find(st, "mask");
    CHECK(t && t->dtype == FC_DTYPE_U8 && t->nbytes == 3 && memcmp(t->data, bytes, 3) == 0);
    fc_safetensors_close(st);
}

static void test_header_layout(void) {
    // Names of every length mod 8 move the end of the JSON; the padding must always bring
    // the data buffer to a multiple of 8.
    for (int name_len = 1; name_len <= 17; name_len++) {
        char name[32], path[512];
        memset(name, 'a', (size_t)name_len);
        name[name_len] = '\0';
        path_in(path, sizeof path, "layout.safetensors");
        const float values[3] = {1, 2, 3};
        const uint8_t flag = 7;
        const int64_t shape_3[1] = {3}, shape_1[1] = {1};
        fc_tensor_out out[2] = {tensor_out(name, FC_DTYPE_F32, 1, shape_3, values),
                                tensor_out("z", FC_DTYPE_U8, 1, shape_1, &flag)};
        CHECK(write_ok(path, out, 2));
        size_t len;
        unsigned char *bytes = read_bytes(path, &len);
        if (!bytes) continue;
        uint64_t header_len = 0;
        for (int i = 7; i >= 0; i--) header_len = (header_len << 8) | bytes[i];
        CHECK(header_len % 8 == 0);
        CHECK(len == 8 + header_len + 13);
        CHECK(bytes[8] == '{');
        size_t close = 8 + header_len - 1;
        while (close > 8 && bytes[close] == ' ') close--;
        CHECK(bytes[close] == '}');
        CHECK(8 + header_len - 1 - close < 8); // padding is under 8 spaces
        // __metadata__ {"format":"pt"}, exactly as transformers checks it.
        cJSON *root = cJSON_ParseWithLength((const char *)bytes + 8, header_len);
        const cJSON *metadata = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
        const cJSON *format = cJSON_GetObjectItemCaseSensitive(metadata, "format");
        CHECK(cJSON_IsString(format) && strcmp(format->valuestring, "pt") == 0);
        CHECK(cJSON_GetArraySize(metadata) == 1);
        cJSON_Delete(root);
        free(bytes);

        fc_safetensors *st = NULL;
        if (!open_ok(path, &st)) continue;
        CHECK(fc_safetensors_count(st) == 2); // __metadata__ is no tensor
        const float *view = fc_safetensors_f32_view(st, name);
        CHECK(view != NULL && (uintptr_t)view % 8 == 0 && view[2] == 3.0f);
        fc_safetensors_close(st);
    }

    // Mixed element sizes: largest first, so every tensor is aligned to its element size;
    // the input order does not change the bytes.
    const double d = 1.0;
    const int64_t i64 = 2;
    const float f = 3.0f;
    const uint16_t h[3] = {0x3c00, 0x4000, 0x4200};
    const uint8_t u[3] = {1, 2, 3};
    const int64_t one[1] = {1}, three[1] = {3};
    fc_tensor_out mixed[5] = {tensor_out("a.u8", FC_DTYPE_U8, 1, three, u),
                              tensor_out("b.f16", FC_DTYPE_F16, 1, three, h),
                              tensor_out("c.f32", FC_DTYPE_F32, 1, one, &f),
                              tensor_out("d.f64", FC_DTYPE_F64, 1, one, &d),
                              tensor_out("e.i64", FC_DTYPE_I64, 1, one, &i64)};
    fc_tensor_out reversed[5];
    for (int i = 0; i < 5; i++) reversed[i] = mixed[4 - i];
    char path_a[512], path_b[512];
    path_in(path_a, sizeof path_a, "mixed_a.safetensors");
    path_in(path_b, sizeof path_b, "mixed_b.safetensors");
    CHECK(write_ok(path_a, mixed, 5));
    CHECK(write_ok(path_b, reversed, 5));
    size_t len_a, len_b;
    unsigned char *a = read_bytes(path_a, &len_a), *b = read_bytes(path_b, &len_b);
    CHECK(a && b && len_a == len_b && memcmp(a, b, len_a) == 0);
    free(a);
    free(b);
    fc_safetensors *st = NULL;
    if (open_ok(path_a, &st)) {
        int aligned = 1;
        for (size_t i = 0; i < fc_safetensors_count(st); i++) {
            const fc_tensor *t = fc_safetensors_at(st, i);
            aligned = aligned && (uintptr_t)t->data % fc_dtype_size(t->dtype) == 0;
        }
        CHECK(aligned);
        // F64 and I64 (8 bytes) come before F32, F16, U8 in the data buffer.
        CHECK((const char *)fc_safetensors_find(st, "d.f64")->data <
              (const char *)fc_safetensors_find(st, "c.f32")->data);
        CHECK((const char *)fc_safetensors_find(st, "b.f16")->data <
              (const char *)fc_safetensors_find(st, "a.u8")->data);
        fc_safetensors_close(st);
    }
}

static void test_scalar_and_empty(void) {
    char path[512];
    path_in(path, sizeof path, "scalar.safetensors");
    const float scalar = 3.5f;
    const int64_t empty_03[2] = {0, 3}, empty_20[2] = {2, 0}, empty_0[1] = {0};
    fc_tensor_out out[4] = {
        tensor_out("scalar", FC_DTYPE_F32, 0, NULL, &scalar),
        tensor_out("empty_03", FC_DTYPE_F32, 2, empty_03, NULL),
        tensor_out("empty_20", FC_DTYPE_BF16, 2, empty_20, NULL),
        tensor_out("empty_0", FC_DTYPE_F16, 1, empty_0, NULL),
    };
    CHECK(write_ok(path, out, 4));
    fc_safetensors *st = NULL;
    if (open_ok(path, &st)) {
        const fc_tensor *t = fc_safetensors_find(st, "scalar");
        CHECK(t && t->ndim == 0 && t->nbytes == 4);
        float value = 0;
        fc_error err = {{0}};
        CHECK(fc_safetensors_read_f32(st, "scalar", 0, NULL, &value, &err) == 0 && value == 3.5f);
        t = fc_safetensors_find(st, "empty_03");
        CHECK(t && t->ndim == 2 && t->shape[0] == 0 && t->shape[1] == 3 && t->nbytes == 0);
        CHECK(fc_safetensors_read_f32(st, "empty_03", 2, empty_03, NULL, &err) == 0);
        CHECK(fc_safetensors_read_f32(st, "empty_20", 2, empty_20, NULL, &err) == 0);
        CHECK(fc_safetensors_read_f32(st, "empty_0", 1, empty_0, NULL, &err) == 0);
        const int64_t wrong[2] = {0, 4};
        CHECK(fc_safetensors_read_f32(st, "empty_03", 2, wrong, NULL, &err) == -1);
        CHECK(strstr(err.message, "[0, 3], expected [0, 4]") != NULL);
        fc_safetensors_close(st);
    }

    // No tensors at all: a header with only __metadata__ and an empty data buffer.
    path_in(path, sizeof path, "no_tensors.safetensors");
    CHECK(write_ok(path, NULL, 0));
    size_t len;
    unsigned char *bytes = read_bytes(path, &len);
    CHECK(bytes && len == 8 + 32 &&
          memcmp(bytes + 8, "{\"__metadata__\":{\"format\":\"pt\"}}", 32) == 0);
    free(bytes);
    if (open_ok(path, &st)) {
        CHECK(fc_safetensors_count(st) == 0 && fc_safetensors_find(st, "x") == NULL);
        fc_safetensors_close(st);
    }

    // Hand-written: a scalar and a zero-size tensor whose offsets sit at the buffer's end;
    // key order unlike the offsets; a float32 at an offset that is not 4-aligned.
    CHECK(header_opens("scalar_raw.safetensors",
                       "{\"z\":{\"dtype\":\"F16\",\"shape\":[0,5],\"data_offsets\":[4,4]},"
                       "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}",
                       4));
    float packed[2] = {0};
    unsigned char data[6] = {9, 9};
    float two = 2.0f;
    memcpy(data + 2, &two, 4);
    // The header padded to a multiple of 8 puts the data buffer 8-aligned in the mapping, so
    // "f" at offset 2 is certainly not 4-aligned.
    char header[256] = "{\"u\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
                       "\"f\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}";
    while (strlen(header) % 8 != 0) strcat(header, " ");
    size_t file_len;
    unsigned char *file = make_file(header, data, sizeof data, &file_len);
    path_in(path, sizeof path, "misaligned.safetensors");
    CHECK(write_bytes(path, file, file_len) == 0);
    free(file);
    if (open_ok(path, &st)) {
        const fc_tensor *f = fc_safetensors_find(st, "f");
        CHECK(f && (uintptr_t)f->data % 4 == 2);
        CHECK(fc_safetensors_f32_view(st, "f") == NULL);
        fc_error err = {{0}};
        const int64_t one[1] = {1};
        CHECK(fc_safetensors_read_f32(st, "f", 1, one, packed, &err) == 0 && packed[0] == 2.0f);
        fc_safetensors_close(st);
    }
}

static void test_read_errors(void) {
    char path[512];
    path_in(path, sizeof path, "read_errors.safetensors");
    const float values[6] = {1, 2, 3, 4, 5, 6};
    const int64_t ints[6] = {0};
    const int64_t shape_23[2] = {2, 3}, shape_6[1] = {6};
    fc_tensor_out out[5] = {
        tensor_out("w", FC_DTYPE_F32, 2, shape_23, values),
        tensor_out("ids", FC_DTYPE_I64, 1, shape_6, ints),
        tensor_out("enc.LayerNorm.gamma", FC_DTYPE_F32, 1, shape_6, values),
        tensor_out("enc.LayerNorm.beta", FC_DTYPE_F32, 1, shape_6, values),
        tensor_out("both.LayerNorm.weight", FC_DTYPE_F32, 1, shape_6, values),
    };
    CHECK(write_ok(path, out, 5));
    fc_safetensors *st = NULL;
    if (!open_ok(path, &st)) return;
    float dst[6];
    fc_error err = {{0}};
    CHECK(fc_safetensors_read_f32(st, "absent.weight", 1, shape_6, dst, &err) == -1);
    CHECK(strstr(err.message, path) && strstr(err.message, "missing tensor \"absent.weight\""));
    const int64_t transposed[2] = {3, 2};
    CHECK(fc_safetensors_read_f32(st, "w", 2, transposed, dst, &err) == -1);
    CHECK(strstr(err.message, path) &&
          strstr(err.message, "\"w\" has shape [2, 3], expected [3, 2]"));
    CHECK(fc_safetensors_read_f32(st, "w", 1, shape_6, dst, &err) == -1);
    CHECK(strstr(err.message, "[2, 3], expected [6]") != NULL);
    CHECK(fc_safetensors_read_f32(st, "ids", 1, shape_6, dst, &err) == -1);
    CHECK(strstr(err.message, path) && strstr(err.message, "\"ids\" has dtype I64"));
    CHECK(fc_safetensors_f32_view(st, "ids") == NULL);

    // Legacy LayerNorm names are found under their current names.
    const fc_tensor *t = fc_safetensors_find(st, "enc.LayerNorm.weight");
    CHECK(t && strcmp(t->name, "enc.LayerNorm.gamma") == 0);
    t = fc_safetensors_find(st, "enc.LayerNorm.bias");
    CHECK(t && strcmp(t->name, "enc.LayerNorm.beta") == 0);
    CHECK(fc_safetensors_read_f32(st, "enc.LayerNorm.weight", 1, shape_6, dst, &err) == 0 &&
          dst[5] == 6);
    CHECK(fc_safetensors_find(st, "enc.dense.weight") == NULL);
    CHECK(fc_safetensors_find(st, "enc.LayerNorm.gamma") != NULL);
    t = fc_safetensors_find(st, "both.LayerNorm.weight");
    CHECK(t && strcmp(t->name, "both.LayerNorm.weight") == 0);
    fc_safetensors_close(st);
}

static int temp_dir_has_tmp_files(void) {
    DIR *dir = opendir(temp_dir);
    int found = 0;
    for (struct dirent *e; dir && (e = readdir(dir));) found |= strstr(e->d_name, ".tmp.") != NULL;
    if (dir) closedir(dir);
    return found;
}

static void test_writer(void) {
    char path[512];
    path_in(path, sizeof path, "writer.safetensors");
    const float values[2] = {1, 2};
    const int64_t shape_2[1] = {2}, nine[8] = {1, 1, 1, 1, 1, 1, 1, 1}, negative[1] = {-1};
    fc_error err = {{0}};

    fc_tensor_out dup[2] = {tensor_out("x", FC_DTYPE_F32, 1, shape_2, values),
                            tensor_out("x", FC_DTYPE_F32, 1, shape_2, values)};
    CHECK(fc_safetensors_write(path, dup, 2, &err) == -1);
    CHECK(strstr(err.message, path) && strstr(err.message, "duplicate tensor name \"x\""));
    struct stat info;
    CHECK(stat(path, &info) != 0); // nothing written

    fc_tensor_out bad = tensor_out("x", FC_DTYPE_OTHER, 1, shape_2, values);
    CHECK(fc_safetensors_write(path, &bad, 1, &err) == -1 && strstr(err.message, "dtype OTHER"));
    bad = tensor_out("x", FC_DTYPE_F32, 8, nine, values);
    bad.ndim = 9; // shape[] holds 8; the writer must refuse before reading a ninth
    CHECK(fc_safetensors_write(path, &bad, 1, &err) == -1 && strstr(err.message, "ndim 9"));
    bad = tensor_out("x", FC_DTYPE_F32, 1, negative, values);
    CHECK(fc_safetensors_write(path, &bad, 1, &err) == -1 && strstr(err.message, "negative"));
    bad = tensor_out("x", FC_DTYPE_F32, 1, shape_2, NULL);
    CHECK(fc_safetensors_write(path, &bad, 1, &err) == -1 && strstr(err.message, "no data"));
    bad = tensor_out("", FC_DTYPE_F32, 1, shape_2, values);
    CHECK(fc_safetensors_write(path, &bad, 1, &err) == -1 && strstr(err.message, "no name"));
    bad = tensor_out("__metadata__", FC_DTYPE_F32, 1, shape_2, values);
    CHECK(fc_safetensors_write(path, &bad, 1, &err) == -1 && strstr(err.message, "reserved"));
    bad = tensor_out("bad\xff", FC_DTYPE_F32, 1, shape_2, values);
    CHECK(fc_safetensors_write(path, &bad, 1, &err) == -1 && strstr(err.message, "UTF-8"));
    char missing_dir[512];
    path_in(missing_dir, sizeof missing_dir, "no/such/dir/x.safetensors");
    bad = tensor_out("x", FC_DTYPE_F32, 1, shape_2, values);
    CHECK(fc_safetensors_write(missing_dir, &bad, 1, &err) == -1 &&
          strstr(err.message, "no/such/dir/x.safetensors") && strstr(err.message, "cannot create"));

    // Names that need JSON escaping, and UTF-8 names, come back unchanged.
    const char *odd_names[3] = {"quote\"back\\slash", "tab\tnew\nline", "caf\xc3\xa9.\xe2\x82\xac"};
    fc_tensor_out odd[3];
    for (int i = 0; i < 3; i++) odd[i] = tensor_out(odd_names[i], FC_DTYPE_F32, 1, shape_2, values);
    CHECK(write_ok(path, odd, 3));
    fc_safetensors *st = NULL;
    if (open_ok(path, &st)) {
        for (int i = 0; i < 3; i++) CHECK(fc_safetensors_find(st, odd_names[i]) != NULL);
        fc_safetensors_close(st);
    }

    // Writing over an existing file replaces it whole.
    const float other[3] = {7, 8, 9};
    const int64_t shape_3[1] = {3};
    fc_tensor_out replacement = tensor_out("y", FC_DTYPE_F32, 1, shape_3, other);
    CHECK(write_ok(path, &replacement, 1));
    if (open_ok(path, &st)) {
        CHECK(fc_safetensors_count(st) == 1 && fc_safetensors_find(st, "y") != NULL);
        fc_safetensors_close(st);
    }
    CHECK(!temp_dir_has_tmp_files());
}

// ---------------------------------------------------------------------------------------------
// Malformed files

static void test_dtype_strings(void) {
    // Every dtype of the spec validates, with sizes in bits (F4 packs two elements a byte).
    static const char *names[] = {
        "F64",         "F32",         "F16", "BF16", "I64",     "I32",     "I16",     "I8",
        "U8",          "U16",         "U32", "U64",  "BOOL",    "F8_E4M3", "F8_E5M2", "F8_E8M0",
        "F8_E4M3FNUZ", "F8_E5M2FNUZ", "C64", "F4",   "F6_E2M3", "F6_E3M2"};
    size_t n = sizeof names / sizeof names[0];
    char header[4096];
    size_t len = (size_t)snprintf(header, sizeof header, "{");
    uint64_t offset = 0;
    for (size_t i = 0; i < n; i++) {
        // 8 elements: bits / 8 × 8 = bits bytes, whole for every dtype.
        uint64_t nbytes = (uint64_t)fc_dtype_lookup(names[i])->bits;
        len += (size_t)snprintf(
            header + len, sizeof header - len,
            "%s\"t_%s\":{\"dtype\":\"%s\",\"shape\":[8],\"data_offsets\":[%llu,%llu]}",
            i ? "," : "", names[i], names[i], (unsigned long long)offset,
            (unsigned long long)(offset + nbytes));
        offset += nbytes;
    }
    snprintf(header + len, sizeof header - len, "}");
    size_t file_len;
    unsigned char *file = make_file(header, NULL, offset, &file_len);
    char path[512];
    path_in(path, sizeof path, "all_dtypes.safetensors");
    CHECK(write_bytes(path, file, file_len) == 0);
    free(file);
    fc_safetensors *st = NULL;
    if (open_ok(path, &st)) {
        CHECK(fc_safetensors_count(st) == n);
        const fc_tensor *t = fc_safetensors_find(st, "t_U16");
        CHECK(t && t->dtype == FC_DTYPE_OTHER && strcmp(t->dtype_name, "U16") == 0 &&
              t->nbytes == 16);
        t = fc_safetensors_find(st, "t_F4");
        CHECK(t && t->dtype == FC_DTYPE_OTHER && t->nbytes == 4);
        t = fc_safetensors_find(st, "t_BOOL");
        CHECK(t && t->dtype == FC_DTYPE_BOOL && t->nbytes == 8);
        float dst[8];
        fc_error err = {{0}};
        const int64_t eight[1] = {8};
        CHECK(fc_safetensors_read_f32(st, "t_F8_E4M3", 1, eight, dst, &err) == -1);
        CHECK(strstr(err.message, "dtype F8_E4M3") != NULL);
        fc_safetensors_close(st);
    }
    expect_header_error("f4_odd.safetensors",
                        "{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2,
                        "byte boundary");
    expect_header_error("lowercase.safetensors",
                        "{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                        "unknown dtype \"f32\"");
}

typedef struct bad_header {
    const char *header;
    size_t data_len;
    const char *phrase;
} bad_header;

#define ENTRY(dtype, shape, offsets)                                                               \
    "{\"dtype\":" dtype ",\"shape\":" shape ",\"data_offsets\":" offsets "}"

static void test_bad_headers(void) {
    static const bad_header cases[] = {
        {"not json", 0, "start with '{'"},
        {"[1,2]", 0, "start with '{'"},
        {" {}", 0, "start with '{'"},
        {"{\"a\":", 0, "not valid JSON"},
        {"{\"a\":1,}", 0, "not valid JSON"},
        {"{\"a", 0, "unterminated string"},
        {"{}x", 0, "trailing characters"},
        {"{}{}", 0, "trailing characters"},
        {"{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "missing \"dtype\""},
        {"{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "missing \"shape\""},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "missing \"data_offsets\""},
        {"{\"a\":5}", 0, "is not an object"},
        {"{\"a\":" ENTRY("5", "[1]", "[0,4]") "}", 4, "dtype must be a string"},
        {"{\"a\":" ENTRY("\"F33\"", "[1]", "[0,4]") "}", 4, "unknown dtype \"F33\""},
        {"{\"a\":" ENTRY("\"F32\"", "\"1\"", "[0,4]") "}", 4, "shape must be an array"},
        {"{\"a\":" ENTRY("\"F32\"", "[2,\"3\"]", "[0,24]") "}", 24,
         "shape dimension 1 is not a number"},
        {"{\"a\":" ENTRY("\"F32\"", "[null]", "[0,4]") "}", 4, "shape dimension 0 is not a number"},
        {"{\"a\":" ENTRY("\"F32\"", "[-1]", "[0,4]") "}", 4, "shape dimension 0 is negative"},
        {"{\"a\":" ENTRY("\"F32\"", "[1.5]", "[0,4]") "}", 4, "1.5 at byte"},
        {"{\"a\":" ENTRY("\"F32\"", "[1.0]", "[0,4]") "}", 4, "is not an integer"},
        {"{\"a\":" ENTRY("\"F32\"", "[1e0]", "[0,4]") "}", 4, "is not an integer"},
        {"{\"a\":" ENTRY("\"F32\"", "[18446744073709551616]", "[0,4]") "}", 4, "is too large"},
        {"{\"a\":" ENTRY("\"F32\"", "[1,1,1,1,1,1,1,1,1]", "[0,4]") "}", 4, "at most 8"},
        {"{\"a\":" ENTRY("\"F32\"", "[1]", "[4,0]") "}", 4, "begin > end"},
        {"{\"a\":" ENTRY("\"F32\"", "[1]", "[0]") "}", 4, "array of two integers"},
        {"{\"a\":" ENTRY("\"F32\"", "[1]", "[0,4,8]") "}", 8, "array of two integers"},
        {"{\"a\":" ENTRY("\"F32\"", "[1]", "{}") "}", 4, "array of two integers"},
        {"{\"a\":" ENTRY("\"F32\"", "[1]", "[0,\"4\"]") "}", 4,
         "data_offsets value is not a number"},
        {"{\"a\":" ENTRY("\"F32\"", "[1]", "[0,-4]") "}", 4, "data_offsets value is negative"},
        {"{\"a\":" ENTRY("\"F32\"", "[2]", "[0,4]") "}", 4, "needs 8 bytes"},
        {"{\"a\":" ENTRY("\"F32\"", "[2,2]", "[0,12]") "}", 12, "needs 16 bytes"},
        {"{\"a\":" ENTRY("\"F32\"", "[4294967296,4294967296]", "[0,4]") "}", 4, "overflows"},
        {"{\"a\":" ENTRY("\"F32\"", "[4294967296,4294967296,2]", "[0,4]") "}", 4, "overflows"},
        {"{\"a\":" ENTRY("\"F32\"", "[4294967296,1073741824]", "[0,4]") "}", 4, "overflows"},
        {"{\"a\":" ENTRY("\"F32\"", "[1]", "[4,8]") "}", 8, "hole in the data buffer"},
        {"{\"a\":" ENTRY("\"F32\"", "[1]", "[0,4]") ",\"b\":" ENTRY("\"F32\"", "[1]", "[8,12]") "}",
         12, "hole in the data buffer"},
        {"{\"a\":" ENTRY("\"F32\"", "[2]", "[0,8]") ",\"b\":" ENTRY("\"F32\"", "[1]", "[4,8]") "}",
         8, "overlap"},
        {"{\"a\":" ENTRY("\"F32\"", "[2]", "[0,8]") ",\"b\":" ENTRY("\"F32\"", "[0]", "[4,4]") "}",
         8, "overlap"},
        {"{\"a\":" ENTRY("\"F32\"", "[1]", "[0,4]") "}", 8, "4 trailing bytes"},
        {"{}", 1, "1 trailing bytes"},
        {"{\"a\":" ENTRY("\"F32\"", "[2]", "[0,8]") "}", 4, "truncated"},
        {"{\"a\":" ENTRY("\"F32\"", "[1]", "[0,4]") ",\"a\":" ENTRY("\"F32\"", "[1]", "[4,8]") "}",
         8, "duplicate tensor name \"a\""},
        {"{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
         "duplicate field \"dtype\""},
        {"{\"__metadata__\":{},\"__metadata__\":{}}", 0, "duplicate tensor name \"__metadata__\""},
        {"{\"__metadata__\":[1]}", 0, "__metadata__ must be an object"},
        {"{\"__metadata__\":\"pt\"}", 0, "__metadata__ must be an object"},
        {"{\"__metadata__\":{\"format\":1}}", 0, "value of \"format\" must be a string"},
        {"{\"__metadata__\":{\"a\":{\"b\":\"c\"}}}", 0, "value of \"a\" must be a string"},
        {"{\"__metadata__\":{\"a\":\"b\",\"a\":\"c\"}}", 0, "__metadata__ has duplicate key \"a\""},
        {"{\"bad\xff\":" ENTRY("\"F32\"", "[1]", "[0,4]") "}", 4, "not valid UTF-8"},
        {"{\"\xc0\xaf\":" ENTRY("\"F32\"", "[1]", "[0,4]") "}", 4, "not valid UTF-8"},
        {"{\"\xed\xa0\x80\":" ENTRY("\"F32\"", "[1]", "[0,4]") "}", 4, "not valid UTF-8"},
        {"{\"\xf4\x90\x80\x80\":" ENTRY("\"F32\"", "[1]", "[0,4]") "}", 4, "not valid UTF-8"},
        {"{\"a\x01\":" ENTRY("\"F32\"", "[1]", "[0,4]") "}", 4, "control character 0x01"},
        {"{\x01}", 0, "control character 0x01"},
        {"{\"a\\u0000b\":" ENTRY("\"F32\"", "[1]", "[0,4]") "}", 4, "escaped NUL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "bad_header_%02zu.safetensors", i);
        expect_header_error(name, cases[i].header, cases[i].data_len, cases[i].phrase);
    }

    // What the format allows stays accepted.
    CHECK(header_opens("ok_padding.safetensors", "{} \t\n\r   ", 0));
    CHECK(header_opens("ok_metadata_null.safetensors", "{\"__metadata__\":null}", 0));
    CHECK(header_opens(
        "ok_extra_field.safetensors",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":[\"y\"]}}", 4));
    CHECK(header_opens(
        "ok_zero_dim.safetensors",
        "{\"a\":" ENTRY("\"F32\"", "[0,4294967296,4294967296,4294967296]", "[0,0]") "}", 0));
    CHECK(header_opens("ok_escaped_name.safetensors",
                       "{\"a\\\"\\u00e9\":" ENTRY("\"F32\"", "[1]", "[0,4]") "}", 4));
}

static void test_bad_files(void) {
    unsigned char small[8] = {0};
    expect_open_error("empty.safetensors", small, 0, "too short");
    expect_open_error("seven.safetensors", small, 7, "too short");

    size_t len;
    unsigned char *bytes = make_file("{}", NULL, 0, &len);
    set_length_prefix(bytes, 100000001ull);
    expect_open_error("huge_header.safetensors", bytes, len, "exceeds the format's limit");
    set_length_prefix(bytes, UINT64_MAX);
    expect_open_error("max_header.safetensors", bytes, len, "exceeds the format's limit");
    set_length_prefix(bytes, 1000);
    expect_open_error("long_header.safetensors", bytes, len, "truncated");
    set_length_prefix(bytes, 0);
    expect_open_error("zero_header.safetensors", bytes, len, "start with '{'");
    free(bytes);

    fc_safetensors *st = (fc_safetensors *)&st;
    fc_error err = {{0}};
    CHECK(fc_safetensors_open_file(temp_dir, &st, &err) == -1 && st == NULL);
    CHECK(strstr(err.message, temp_dir) && strstr(err.message, "not a regular file"));
    char path[512];
    path_in(path, sizeof path, "does_not_exist.safetensors");
    CHECK(fc_safetensors_open_file(path, &st, &err) == -1);
    CHECK(strstr(err.message, path) && strstr(err.message, "cannot open"));
}

// Every prefix of a valid file is refused: a short one as too short, the rest as truncated.
static void test_truncation(void) {
    char path[512];
    path_in(path, sizeof path, "whole.safetensors");
    const float values[4] = {1, 2, 3, 4};
    const uint16_t halves[3] = {0x3c00, 0x4000, 0x4200};
    const int64_t shape_4[1] = {4}, shape_3[1] = {3};
    fc_tensor_out out[2] = {tensor_out("a", FC_DTYPE_F32, 1, shape_4, values),
                            tensor_out("b", FC_DTYPE_F16, 1, shape_3, halves)};
    CHECK(write_ok(path, out, 2));
    size_t len;
    unsigned char *whole = read_bytes(path, &len);
    if (!whole) return;
    int wrong = 0;
    char cut_path[512];
    path_in(cut_path, sizeof cut_path, "cut.safetensors");
    for (size_t cut = 0; cut < len; cut++) {
        write_bytes(cut_path, whole, cut);
        fc_safetensors *st = NULL;
        fc_error err = {{0}};
        int rc = fc_safetensors_open_file(cut_path, &st, &err);
        const char *phrase = cut < 8 ? "too short" : "truncated";
        int ok =
            rc == -1 && st == NULL && strstr(err.message, cut_path) && strstr(err.message, phrase);
        if (!ok && wrong++ == 0) fprintf(stderr, "  cut at %zu: \"%s\"\n", cut, err.message);
        if (rc == 0) fc_safetensors_close(st);
    }
    CHECK(wrong == 0);
    free(whole);
}

// ---------------------------------------------------------------------------------------------
// Folders and shards

static void make_folder(char *buf, size_t cap, const char *name) {
    path_in(buf, cap, name);
    mkdir(buf, 0755);
}

static void write_text(const char *dir, const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    CHECK(write_bytes(path, text, strlen(text)) == 0);
}

// Writes a shard with the named F32 tensors, each of shape [2] holding {k, k + 0.5} where k is
// the tensor's position in names.
static void write_shard(const char *dir, const char *file, const char **names, size_t n) {
    static float values[8][2];
    fc_tensor_out out[8];
    const int64_t shape_2[1] = {2};
    for (size_t i = 0; i < n; i++) {
        values[i][0] = (float)names[i][0];
        values[i][1] = (float)names[i][0] + 0.5f;
        out[i] = tensor_out(names[i], FC_DTYPE_F32, 1, shape_2, values[i]);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    CHECK(write_ok(path, out, n));
}

static void expect_dir_error(const char *dir, const char *phrase_a, const char *phrase_b) {
    fc_safetensors *st = (fc_safetensors *)&st;
    fc_error err = {{0}};
    int rc = fc_safetensors_open_dir(dir, &st, &err);
    CHECK(rc == -1 && st == NULL);
    int ok = strstr(err.message, phrase_a) && (!phrase_b || strstr(err.message, phrase_b));
    if (!ok) fprintf(stderr, "  %s: message \"%s\" lacks \"%s\"\n", dir, err.message, phrase_a);
    CHECK(ok);
    if (rc == 0) fc_safetensors_close(st);
}

#define SHARD1 "model-00001-of-00002.safetensors"
#define SHARD2 "model-00002-of-00002.safetensors"
#define INDEX "model.safetensors.index.json"

static void test_sharded(void) {
    char dir[512];
    make_folder(dir, sizeof dir, "sharded");
    const char *first[2] = {"a", "b"}, *second[1] = {"c"};
    write_shard(dir, SHARD1, first, 2);
    write_shard(dir, SHARD2, second, 1);
    write_text(dir, INDEX,
               "{\"metadata\":{\"total_size\":24},\"weight_map\":{"
               "\"a\":\"" SHARD1 "\",\"c\":\"" SHARD2 "\",\"b\":\"" SHARD1 "\"}}");
    fc_safetensors *st = NULL;
    fc_error err = {{0}};
    CHECK(fc_safetensors_open_dir(dir, &st, &err) == 0);
    if (st) {
        CHECK(fc_safetensors_count(st) == 3);
        CHECK(strcmp(fc_safetensors_at(st, 0)->name, "a") == 0);
        CHECK(strcmp(fc_safetensors_at(st, 2)->name, "c") == 0);
        const fc_tensor *c = fc_safetensors_find(st, "c");
        CHECK(c && strstr(c->path, SHARD2) != NULL);
        const fc_tensor *a = fc_safetensors_find(st, "a");
        CHECK(a && strstr(a->path, SHARD1) != NULL);
        float got[2];
        const int64_t shape_2[1] = {2};
        CHECK(fc_safetensors_read_f32(st, "c", 1, shape_2, got, &err) == 0);
        CHECK(got[0] == 'c' && got[1] == 'c' + 0.5f);
        CHECK(fc_safetensors_read_f32(st, "zz", 1, shape_2, got, &err) == -1);
        CHECK(strstr(err.message, INDEX) && strstr(err.message, "missing tensor \"zz\""));
        fc_safetensors_close(st);
    }

    // A shard the index names does not exist.
    make_folder(dir, sizeof dir, "missing_shard");
    write_shard(dir, SHARD1, first, 2);
    write_text(dir, INDEX,
               "{\"weight_map\":{\"a\":\"" SHARD1 "\",\"b\":\"" SHARD1 "\","
               "\"c\":\"model-00003-of-00003.safetensors\"}}");
    expect_dir_error(dir, INDEX, "model-00003-of-00003.safetensors does not exist");

    // The index lists a tensor that its shard lacks.
    make_folder(dir, sizeof dir, "missing_tensor");
    write_shard(dir, SHARD1, first, 2);
    write_text(dir, INDEX, "{\"weight_map\":{\"a\":\"" SHARD1 "\",\"zz\":\"" SHARD1 "\"}}");
    expect_dir_error(dir, "\"zz\" is listed in shard", "no such tensor");

    // The index names the wrong shard for a tensor.
    make_folder(dir, sizeof dir, "wrong_shard");
    write_shard(dir, SHARD1, first, 2);
    write_shard(dir, SHARD2, second, 1);
    write_text(dir, INDEX,
               "{\"weight_map\":{\"a\":\"" SHARD2 "\",\"b\":\"" SHARD1 "\","
               "\"c\":\"" SHARD2 "\"}}");
    expect_dir_error(dir, "\"a\" is listed in shard", "but is in");

    // One tensor in two shards.
    make_folder(dir, sizeof dir, "two_shards");
    const char *overlapping[2] = {"b", "c"};
    write_shard(dir, SHARD1, first, 2);
    write_shard(dir, SHARD2, overlapping, 2);
    write_text(dir, INDEX,
               "{\"weight_map\":{\"a\":\"" SHARD1 "\",\"b\":\"" SHARD1 "\","
               "\"c\":\"" SHARD2 "\"}}");
    expect_dir_error(dir, "tensor \"b\" is in two shards", SHARD2);

    // A corrupt shard is reported under its own name.
    make_folder(dir, sizeof dir, "corrupt_shard");
    write_shard(dir, SHARD1, first, 2);
    size_t shard_len;
    unsigned char *shard = make_file("{\"c\":1}", NULL, 0, &shard_len);
    set_length_prefix(shard, 16); // claims more header than the file holds
    char shard_path[600];
    snprintf(shard_path, sizeof shard_path, "%s/%s", dir, SHARD2);
    CHECK(write_bytes(shard_path, shard, shard_len) == 0);
    free(shard);
    write_text(dir, INDEX, "{\"weight_map\":{\"a\":\"" SHARD1 "\",\"c\":\"" SHARD2 "\"}}");
    expect_dir_error(dir, SHARD2, "truncated");

    // Malformed indexes.
    make_folder(dir, sizeof dir, "bad_index");
    write_shard(dir, SHARD1, first, 2);
    write_text(dir, INDEX, "{\"weight_map\":");
    expect_dir_error(dir, INDEX, "not valid JSON");
    write_text(dir, INDEX, "{\"metadata\":{}}");
    expect_dir_error(dir, INDEX, "missing \"weight_map\"");
    write_text(dir, INDEX, "{\"weight_map\":{\"a\":1}}");
    expect_dir_error(dir, INDEX, "must be a shard file name");
    write_text(dir, INDEX, "{\"weight_map\":{\"a\":\"../" SHARD1 "\"}}");
    expect_dir_error(dir, INDEX, "in the same folder");
    write_text(dir, INDEX, "{\"weight_map\":{\"a\":\"" SHARD1 "\",\"a\":\"" SHARD1 "\"}}");
    expect_dir_error(dir, INDEX, "lists tensor \"a\" twice");

    // model.safetensors wins over an index in the same folder.
    make_folder(dir, sizeof dir, "single");
    write_shard(dir, "model.safetensors", second, 1);
    write_text(dir, INDEX, "{\"weight_map\":{\"x\":\"absent.safetensors\"}}");
    CHECK(fc_safetensors_open_dir(dir, &st, &err) == 0);
    if (st) {
        CHECK(fc_safetensors_count(st) == 1 && fc_safetensors_find(st, "c") != NULL);
        fc_safetensors_close(st);
    }

    // Neither file; a pickle only; no folder at all.
    make_folder(dir, sizeof dir, "empty_folder");
    expect_dir_error(dir, "neither model.safetensors nor model.safetensors.index.json exists", dir);
    make_folder(dir, sizeof dir, "pickle_only");
    write_text(dir, "pytorch_model.bin", "PK\x03\x04");
    expect_dir_error(dir, "only safetensors checkpoints are supported", "pytorch_model.bin");
    path_in(dir, sizeof dir, "no_such_folder");
    expect_dir_error(dir, "not a folder", dir);
}

// ---------------------------------------------------------------------------------------------
// Mini-fuzz

static int compare_tensor_data(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)(*(const fc_tensor *const *)a)->data;
    uintptr_t y = (uintptr_t)(*(const fc_tensor *const *)b)->data;
    return x < y ? -1 : x > y;
}

// Every byte of every opened tensor is read into this, so that ASan sees out-of-bounds views.
static volatile unsigned touched_bytes;

// Checks what a successful open promises: the tensors tile exactly the bytes after the header
// of the file as it is on disk, each tensor's size matches its shape, and every byte and every
// float conversion can be read. Returns 0 when something is off.
static int opened_file_is_sound(const fc_safetensors *st, const unsigned char *bytes, size_t len) {
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; i--) header_len = (header_len << 8) | bytes[i];
    size_t n = fc_safetensors_count(st);
    const fc_tensor **sorted = malloc((n + 1) * sizeof *sorted);
    uint64_t total = 0;
    int sound = 1;
    for (size_t i = 0; i < n; i++) {
        const fc_tensor *t = fc_safetensors_at(st, i);
        sorted[i] = t;
        total += t->nbytes;
        size_t element = fc_dtype_size(t->dtype);
        if (element) {
            uint64_t elements = 1;
            for (int d = 0; d < t->ndim; d++) elements *= (uint64_t)t->shape[d];
            sound = sound && elements * element == t->nbytes;
        }
        const unsigned char *data = t->data;
        for (size_t k = 0; k < t->nbytes; k++) touched_bytes += data[k];
        if (t->dtype == FC_DTYPE_F32 || t->dtype == FC_DTYPE_F16 || t->dtype == FC_DTYPE_BF16) {
            size_t count = t->nbytes / element;
            float *dst = malloc(count ? count * sizeof *dst : 1);
            fc_error err;
            sound =
                sound && fc_safetensors_read_f32(st, t->name, t->ndim, t->shape, dst, &err) == 0;
            free(dst);
        }
    }
    sound = sound && 8 + header_len + total == len;
    qsort(sorted, n, sizeof *sorted, compare_tensor_data);
    for (size_t i = 1; i < n; i++) {
        sound = sound && (const char *)sorted[i - 1]->data + sorted[i - 1]->nbytes ==
                             (const char *)sorted[i]->data;
    }
    free(sorted);
    return sound;
}

static void test_fuzz(void) {
    char base_path[512], path[512];
    path_in(base_path, sizeof base_path, "fuzz_base.safetensors");
    path_in(path, sizeof path, "fuzz.safetensors");
    const float w[4] = {1, -2, 3.5f, 0};
    const uint16_t h[3] = {0x3c00, 0x7c00, 0x0001};
    const uint16_t b[1] = {0x3f80};
    const uint8_t u[3] = {1, 2, 3};
    const int64_t i64 = 42;
    const float s = 9;
    const int64_t shape_22[2] = {2, 2}, shape_3[1] = {3}, shape_1[1] = {1};
    fc_tensor_out out[6] = {tensor_out("w", FC_DTYPE_F32, 2, shape_22, w),
                            tensor_out("h", FC_DTYPE_F16, 1, shape_3, h),
                            tensor_out("b", FC_DTYPE_BF16, 1, shape_1, b),
                            tensor_out("u", FC_DTYPE_U8, 1, shape_3, u),
                            tensor_out("i", FC_DTYPE_I64, 1, shape_1, &i64),
                            tensor_out("s", FC_DTYPE_F32, 0, NULL, &s)};
    CHECK(write_ok(base_path, out, 6));
    size_t base_len;
    unsigned char *base = read_bytes(base_path, &base_len);
    if (!base) return;
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; i--) header_len = (header_len << 8) | base[i];

    static const char structural[] = "{}[]\",:0123456789-.e \\";
    unsigned char *bytes = malloc(base_len + 16);
    rng_state = 0x9e3779b97f4a7c15ull;
    int opened = 0, refused = 0, unsound = 0, unclean = 0;
    for (int iteration = 0; iteration < 3000; iteration++) {
        memcpy(bytes, base, base_len);
        size_t len = base_len;
        uint64_t r = next_random();
        size_t in_header = 8 + (size_t)(next_random() % header_len);
        switch (r % 9) {
        case 0: // flip 1-3 bits anywhere
            for (int k = 0; k <= (int)((r >> 8) % 3); k++) {
                bytes[next_random() % len] ^= (unsigned char)(1u << (next_random() % 8));
            }
            break;
        case 1: // a JSON-structural character somewhere in the header
            bytes[in_header] = (unsigned char)structural[next_random() % (sizeof structural - 1)];
            break;
        case 2: { // change one digit of the header (shapes and offsets)
            for (size_t k = 0; k < header_len; k++) {
                size_t at = 8 + (in_header - 8 + k) % header_len;
                if (bytes[at] >= '0' && bytes[at] <= '9') {
                    bytes[at] = (unsigned char)('0' + next_random() % 10);
                    break;
                }
            }
            break;
        }
        case 3: // truncate
            len = (size_t)(next_random() % len);
            break;
        case 4: // append junk
            for (int k = 0; k < 1 + (int)((r >> 8) % 8); k++)
                bytes[len++] = (unsigned char)next_random();
            break;
        case 5: // a header length near the real one
            set_length_prefix(bytes, header_len + (next_random() % 33) - 16);
            break;
        case 6: { // change one letter of the header (names, keys, dtype strings)
            for (size_t k = 0; k < header_len; k++) {
                size_t at = 8 + (in_header - 8 + k) % header_len;
                if ((bytes[at] >= 'a' && bytes[at] <= 'z') ||
                    (bytes[at] >= 'A' && bytes[at] <= 'Z')) {
                    bytes[at] = (unsigned char)("abFBIU_"[next_random() % 7]);
                    break;
                }
            }
            break;
        }
        case 7: // any byte of the data buffer: always a valid file
            if (len > 8 + header_len)
                bytes[8 + header_len + next_random() % (len - 8 - header_len)] = (unsigned char)r;
            break;
        default: // a random byte in the header
            bytes[in_header] = (unsigned char)next_random();
            break;
        }
        write_bytes(path, bytes, len);
        fc_safetensors *st = NULL;
        fc_error err = {{0}};
        int rc = fc_safetensors_open_file(path, &st, &err);
        if (rc == 0) {
            opened++;
            if (!opened_file_is_sound(st, bytes, len) && unsound++ == 0) {
                fprintf(stderr, "  fuzz iteration %d opened an unsound file\n", iteration);
            }
            fc_safetensors_close(st);
        } else {
            refused++;
            if ((rc != -1 || st != NULL || !strstr(err.message, path)) && unclean++ == 0) {
                fprintf(stderr, "  fuzz iteration %d failed uncleanly: %s\n", iteration,
                        err.message);
            }
        }
    }
    CHECK(unsound == 0);
    CHECK(unclean == 0);
    // Both outcomes happen often, or the fuzz tests little.
    CHECK(opened > 300);
    CHECK(refused > 1000);
    free(bytes);
    free(base);
}

// ---------------------------------------------------------------------------------------------

static int remove_entry(const char *path, const struct stat *info, int type, struct FTW *ftw) {
    return remove(path);
}

void suite_safetensors(void) {
    snprintf(temp_dir, sizeof temp_dir, "/tmp/finecat_st_XXXXXX");
    if (!mkdtemp(temp_dir)) {
        fc_check_at(0, __FILE__, __LINE__, "mkdtemp failed");
        return;
    }
    test_f16_widening();
    test_f16_narrowing();
    test_bf16();
    test_dtype_table();
    test_round_trip();
    test_header_layout();
    test_scalar_and_empty();
    test_read_errors();
    test_writer();
    test_dtype_strings();
    test_bad_headers();
    test_bad_files();
    test_truncation();
    test_sharded();
    test_fuzz();
    nftw(temp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
