/* Internal layout of struct eqm_sink, shared by sink.c and engine.c. */
#ifndef EQM_SINK_INTERNAL_H
#define EQM_SINK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "eqm/service.h"

struct eqm_sink_row {
    int table;
    size_t part_off[EQM_MAX_KEY_PARTS]; /* offsets into text */
    int64_t counts[EQM_MAX_COUNTS];
};

struct eqm_sink {
    const struct eqm_counts_table *tables;
    int n_tables;
    size_t n_rows, cap_rows;
    struct eqm_sink_row *rows;
    char *text;
    size_t text_len, text_cap;
    const char *scratch[EQM_MAX_KEY_PARTS];
};

#endif
