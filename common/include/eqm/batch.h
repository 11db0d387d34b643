/*
 * batch.h - one batch of a consumer, in memory: what its events add to
 * which count rows, and its dead letters. Pure (no I/O): the engine fills
 * it while it reads, the store (common/src/engine/store.c) writes it in
 * one transaction, and the unit tests drive it directly.
 *
 * An event's increments go to slots: one slot per (table, day, key
 * parts), so a batch of 50,000 events upserts each daily row once. Every
 * increment is kept with its event, not summed at once, because which
 * events count is only known after de-duplication against PostgreSQL:
 * eqm_batch_sum() then adds up the increments of the events marked new,
 * from scratch, so a transaction that is tried again never adds twice.
 *
 * Strings (key parts, dead-letter reasons) are copied into an arena that
 * lives until eqm_batch_reset(): no malloc per field, memory reused from
 * batch to batch.
 */
#ifndef EQM_BATCH_H
#define EQM_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eqm/service.h"
#include "eqm/sink.h"

/* One event of the batch. */
struct eqm_batch_event {
    unsigned char key[16]; /* md5(source ":" event_id), see eqm/md5.h */
    int32_t day;           /* local day (eqm/timeutil.h) */
    int64_t occurred_us;
    uint32_t inc_first, inc_n; /* its increments */
    bool candidate;            /* first occurrence of its key in the batch */
    bool is_new;               /* not counted before (set by de-duplication) */
};

/* One dead letter of the batch. code is a static string; reason lives in
 * the batch's arena. */
struct eqm_batch_dead_letter {
    int32_t partition;
    int64_t offset;
    const char *code;
    const char *reason;
    int32_t bytes; /* size of the original message */
};

struct eqm_batch;

/*
 * A batch for the counts tables of a service (tables must outlive it).
 * Returns 0 and *out, or -1 (bad table sizes, out of memory) with *out
 * untouched.
 */
int eqm_batch_new(struct eqm_batch **out, const struct eqm_counts_table *tables, int n_tables)
    __attribute__((warn_unused_result));

/* Frees everything; NULL-safe, *b becomes NULL. */
void eqm_batch_free(struct eqm_batch **b);

/* Empties the batch for the next one, keeping its memory. */
void eqm_batch_reset(struct eqm_batch *b);

/*
 * Adds one event: its de-duplication key is md5(source ":" event_id), and
 * its increments are the rows sink holds (the handler's, for this event).
 * Returns 0, or -1 out of memory (the batch is then unusable until reset).
 */
int eqm_batch_add_event(struct eqm_batch *b, const char *source, const struct eqm_envelope *env,
                        const struct eqm_sink *sink) __attribute__((warn_unused_result));

/* Adds one dead letter (reason is copied). Returns 0 or -1 out of memory. */
int eqm_batch_add_dead_letter(struct eqm_batch *b, int32_t partition, int64_t offset,
                              const char *code, const char *reason, int32_t bytes)
    __attribute__((warn_unused_result));

/* Counts of what the batch holds. */
size_t eqm_batch_n_events(const struct eqm_batch *b);
size_t eqm_batch_n_slots(const struct eqm_batch *b);
size_t eqm_batch_n_dead_letters(const struct eqm_batch *b);

/* Event i / dead letter i (i below the counts above). */
struct eqm_batch_event *eqm_batch_event(struct eqm_batch *b, size_t i);
const struct eqm_batch_dead_letter *eqm_batch_dead_letter(const struct eqm_batch *b, size_t i);

/* The event with this key that is its first occurrence in the batch, or
 * NULL. */
struct eqm_batch_event *eqm_batch_find(struct eqm_batch *b, const unsigned char key[16]);

/*
 * Sums the increments of the events marked is_new into their slots, from
 * zero. Returns the number of slots with a count that is not zero.
 */
size_t eqm_batch_sum(struct eqm_batch *b);

/*
 * Slot i after eqm_batch_sum(): its table, day, key parts (the table's
 * n_key_columns of them) and summed counts (n_count_columns). Valid until
 * the next change to the batch.
 */
void eqm_batch_slot(const struct eqm_batch *b, size_t i, int *table, int32_t *day,
                    const char *const **parts, const int64_t **sums);

#endif /* EQM_BATCH_H */
