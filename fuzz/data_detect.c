// Fuzzes format detection and whole-file reads (src/data/detect.c, dataset_read.c): byte 0
// picks the file's name (detection looks at it) and the reader options; the rest is the file,
// read with FC_FORMAT_AUTO into memory by fc_dataset_read.
#include "fuzz.h"

#include <stdlib.h>

#include "data/dataset.h"

int fc_fuzz_data_detect(const uint8_t *data, size_t size) {
    static const char *const names[8] = {
        "data_detect/snli_1.0_dev.jsonl", "data_detect/multinli_1.0_dev_matched.txt",
        "data_detect/dev.tsv",            "data_detect/train.csv",
        "data_detect/SICK.txt",           "data_detect/train.jsonl",
        "data_detect/dev_r1.jsonl",       "data_detect/data"};
    if (size < 1) return 0;
    fc_fuzz_subdir("data_detect");
    const char *path = fc_fuzz_write(names[data[0] & 7], data + 1, size - 1);
    fc_reader_options opts = fc_reader_default_options();
    if (data[0] & 8) opts.on_error = FC_ON_ERROR_SKIP;
    if (data[0] & 16) opts.label_map = "hf";
    if (data[0] & 32) opts.premise_column = "p";
    fc_dataset dataset;
    fc_error err = {{0}};
    int rc = fc_dataset_read(path, FC_FORMAT_AUTO, &opts, &dataset, &err);
    fc_fuzz_remove(names[data[0] & 7]);
    if (rc != 0) return fc_fuzz_error_named(rc, &err);
    int ok = dataset.count == dataset.counts.kept;
    for (size_t i = 0; ok && i < dataset.count; i++)
        ok = dataset.records[i].premise && dataset.records[i].hypothesis;
    fc_dataset_free(&dataset);
    return ok ? 0 : -1;
}

#ifdef FC_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_data_detect(data, size) != 0) abort();
    return 0;
}
#endif
