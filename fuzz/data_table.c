// Fuzzes the CSV and TSV readers (src/data/reader_table.c, src/data/csv.c): byte 0 picks the
// format (snli-txt, snli-csv, glue-tsv, textfooler, cad, sick, taxinli, csv, tsv) and the
// reader options (fc_fuzz_read_dataset); the rest is the file.
#include "fuzz.h"

#include <stdlib.h>

#include "data/dataset.h"

int fc_fuzz_data_table(const uint8_t *data, size_t size) {
    static const int formats[16] = {FC_FORMAT_SNLI_TXT, FC_FORMAT_SNLI_CSV, FC_FORMAT_GLUE_TSV,
                                    FC_FORMAT_TEXTFOOLER, FC_FORMAT_CAD,    FC_FORMAT_SICK,
                                    FC_FORMAT_TAXINLI,  FC_FORMAT_CSV,      FC_FORMAT_TSV,
                                    FC_FORMAT_SNLI_TXT, FC_FORMAT_SNLI_CSV, FC_FORMAT_GLUE_TSV,
                                    FC_FORMAT_CAD,      FC_FORMAT_SICK,     FC_FORMAT_CSV,
                                    FC_FORMAT_TSV};
    if (size < 1) return 0;
    fc_fuzz_subdir("data_table");
    const char *path = fc_fuzz_write("data_table/train.txt", data + 1, size - 1);
    return fc_fuzz_read_dataset(path, formats[data[0] & 15], data[0] >> 4);
}

#ifdef FC_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_data_table(data, size) != 0) abort();
    return 0;
}
#endif
