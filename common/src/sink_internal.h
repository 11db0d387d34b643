/* Internal layout of struct eqm_sink, shared by sink.c and engine.c. */
#ifndef EQM_SINK_INTERNAL_H
#define EQM_SINK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "eqm/engine.h"

struct eqm_sink {
    int n_parts;
    int n_counts;
    size_t n_rows, cap_rows;
    size_t *part_off;  /* n_rows * n_parts offsets into text */
    int64_t *counts;   /* n_rows * n_counts */
    char *text;
    size_t text_len, text_cap;
    const char *scratch[EQM_MAX_KEY_PARTS];
};

#endif
