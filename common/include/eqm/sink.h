/*
 * sink.h - the collecting sink: the rows (table, key parts, counts) a
 * handler adds for one event (eqm_sink_add() in eqm/service.h). The
 * engine drains it after every event; unit tests and tools read it.
 */
#ifndef EQM_SINK_H
#define EQM_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "eqm/service.h"

/*
 * A standalone sink that only collects rows, for unit tests and tools:
 * eqm_sink_collect_new() ... handler ... eqm_sink_collect_rows(). tables
 * must outlive the sink. Returns NULL on bad sizes or out of memory.
 */
struct eqm_sink *eqm_sink_collect_new(const struct eqm_counts_table *tables, int n_tables);
/* Number of rows added so far; row i's table, parts and counts through
 * the out pointers, valid until the next call on the sink (any call). */
size_t eqm_sink_collect_rows(const struct eqm_sink *sink);
int eqm_sink_collect_row(const struct eqm_sink *sink, size_t i, const char *const **parts,
                         const int64_t **counts);
void eqm_sink_collect_reset(struct eqm_sink *sink);
void eqm_sink_collect_free(struct eqm_sink **sink);

#endif /* EQM_SINK_H */
