#include "tokenizer/truncation.h"

#include "util/error.h"

// The balanced split of truncate_encodings for longest_first with two sequences: with budget
// m, the shorter keeps all of itself when the longer can still have the rest, otherwise both
// get m / 2 and the second of the two (after swapping back) the odd token.
static void longest_first_pair(size_t budget, size_t a, size_t b, size_t *keep_a, size_t *keep_b) {
    int swapped = a > b;
    size_t n1 = swapped ? b : a, n2 = swapped ? a : b; // n1 is the shorter
    if (n1 > budget)
        n2 = n1;
    else
        n2 = n1 > budget - n1 ? n1 : budget - n1;
    if (n1 + n2 > budget) {
        n1 = budget / 2;
        n2 = n1 + budget % 2;
    }
    *keep_a = swapped ? n2 : n1;
    *keep_b = swapped ? n1 : n2;
}

int fc_truncation_lengths(fc_truncation strategy, int max_length, int special_count, size_t first_len,
                          size_t second_len, int has_second, size_t *keep_first, size_t *keep_second,
                          fc_error *err) {
    *keep_first = first_len;
    *keep_second = has_second ? second_len : 0;
    if (strategy == FC_TRUNCATE_NONE || max_length <= 0) return 0;
    // Tokenizer::post_process computes max_length - special_count in usize; below zero it wraps
    // to a huge budget, so HF does not truncate at all (checked: max_length 2 for a pair gives
    // the full ids). Do the same rather than invent a rule.
    if (max_length < special_count) return 0;
    size_t budget = (size_t)(max_length - special_count);
    if (budget == 0) { // truncate_encodings empties both sequences, whatever the strategy
        *keep_first = 0;
        *keep_second = 0;
        return 0;
    }
    size_t total = first_len + *keep_second;
    if (total <= budget) return 0;
    size_t excess = total - budget;
    if (strategy == FC_TRUNCATE_LONGEST_FIRST) {
        if (has_second)
            longest_first_pair(budget, first_len, second_len, keep_first, keep_second);
        else
            *keep_first = budget;
        return 0;
    }
    if (strategy == FC_TRUNCATE_ONLY_FIRST) {
        if (first_len > excess) {
            *keep_first = first_len - excess;
            return 0;
        }
        return fc_fail(err, "truncation: sequence to truncate too short to respect the provided "
                       "max_length %d (first sequence has %zu tokens, %zu must go)",
                       max_length, first_len, excess);
    }
    return fc_fail(err, "truncation: unknown strategy %d", (int)strategy);
}
