/*
 * The batch in memory (eqm/batch.h). Two open-addressing hash tables: one
 * from (table, day, key parts) to a slot, one from an event's key to its
 * first occurrence in the batch. Both hold index + 1 (0 = empty) and are
 * rebuilt, not resized in place, when half full.
 */
#include "eqm/batch.h"

#include <stdlib.h>
#include <string.h>

#include "eqm/md5.h"

/* ---- the arena ---------------------------------------------------------- */

/* A bump allocator reset after every batch: no malloc per field. */
struct arena_chunk {
    struct arena_chunk *next;
    size_t used, size;
    char data[];
};

struct arena {
    struct arena_chunk *head;
};

static char *arena_strdup(struct arena *a, const char *s, size_t n) {
    struct arena_chunk *c = a->head;
    char *p;

    if (!c || c->used + n + 1 > c->size) {
        /* Chunks behind the head hold this batch's live strings: never
         * reuse them before arena_reset(). */
        size_t size = n + 1 > 65536 ? n + 1 : 65536;
        struct arena_chunk *nc = malloc(sizeof(*nc) + size);
        if (!nc)
            return NULL;
        nc->next = c;
        nc->used = 0;
        nc->size = size;
        a->head = c = nc;
    }
    p = c->data + c->used;
    memcpy(p, s, n);
    p[n] = '\0';
    c->used += n + 1;
    return p;
}

/* Keeps the largest chunk only, so memory stays flat across batches. */
static void arena_reset(struct arena *a) {
    struct arena_chunk *c = a->head, *keep = NULL;
    while (c) {
        struct arena_chunk *nx = c->next;
        if (!keep || c->size > keep->size) {
            if (keep)
                free(keep);
            keep = c;
        } else {
            free(c);
        }
        c = nx;
    }
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
    }
    a->head = keep;
}

static void arena_free(struct arena *a) {
    struct arena_chunk *c = a->head;
    while (c) {
        struct arena_chunk *nx = c->next;
        free(c);
        c = nx;
    }
    a->head = NULL;
}

/* ---- the batch ----------------------------------------------------------- */

/* One aggregated row: (day, key parts) -> summed counts. Its counts are
 * in slot_counts, at stride (the service's widest table) per slot: a batch
 * of events spread over a year holds hundreds of thousands of slots. */
struct slot {
    int table;
    int32_t day;
    const char *parts[EQM_MAX_KEY_PARTS];
    uint64_t hash;
};

/* One increment of one event, into a slot; its counts are in the pool. */
struct inc {
    uint32_t slot;
    uint32_t pool_off;
};

struct eqm_batch {
    const struct eqm_counts_table *tables;
    int n_tables;
    int stride; /* count columns of the widest table */
    struct arena arena;
    struct slot *slots;
    size_t n_slots, cap_slots;
    int64_t *slot_counts; /* cap_slots * stride */
    uint32_t *slot_index;
    size_t index_cap;
    struct inc *incs;
    size_t n_incs, cap_incs;
    int64_t *pool; /* counts of the increments */
    size_t n_pool, cap_pool;
    struct eqm_batch_event *events;
    size_t n_events, cap_events;
    uint32_t *id_index;
    size_t id_index_cap;
    struct eqm_batch_dead_letter *dls;
    size_t n_dls, cap_dls;
};

int eqm_batch_new(struct eqm_batch **out, const struct eqm_counts_table *tables, int n_tables) {
    struct eqm_batch *b;

    if (!tables || n_tables < 1 || n_tables > EQM_MAX_TABLES)
        return -1;
    for (int t = 0; t < n_tables; t++)
        if (tables[t].n_key_columns < 1 || tables[t].n_key_columns > EQM_MAX_KEY_PARTS ||
            tables[t].n_count_columns < 1 || tables[t].n_count_columns > EQM_MAX_COUNTS)
            return -1;
    if (!(b = calloc(1, sizeof(*b))))
        return -1;
    b->tables = tables;
    b->n_tables = n_tables;
    b->stride = 1;
    for (int t = 0; t < n_tables; t++)
        if (tables[t].n_count_columns > b->stride)
            b->stride = tables[t].n_count_columns;
    *out = b;
    return 0;
}

void eqm_batch_free(struct eqm_batch **bp) {
    struct eqm_batch *b;
    if (!bp || !*bp)
        return;
    b = *bp;
    arena_free(&b->arena);
    free(b->slots);
    free(b->slot_counts);
    free(b->slot_index);
    free(b->incs);
    free(b->pool);
    free(b->events);
    free(b->id_index);
    free(b->dls);
    free(b);
    *bp = NULL;
}

void eqm_batch_reset(struct eqm_batch *b) {
    arena_reset(&b->arena);
    b->n_slots = b->n_incs = b->n_pool = b->n_events = b->n_dls = 0;
    if (b->slot_index)
        memset(b->slot_index, 0, b->index_cap * sizeof(*b->slot_index));
    if (b->id_index)
        memset(b->id_index, 0, b->id_index_cap * sizeof(*b->id_index));
}

size_t eqm_batch_n_events(const struct eqm_batch *b) {
    return b->n_events;
}

size_t eqm_batch_n_slots(const struct eqm_batch *b) {
    return b->n_slots;
}

size_t eqm_batch_n_dead_letters(const struct eqm_batch *b) {
    return b->n_dls;
}

struct eqm_batch_event *eqm_batch_event(struct eqm_batch *b, size_t i) {
    return &b->events[i];
}

const struct eqm_batch_dead_letter *eqm_batch_dead_letter(const struct eqm_batch *b, size_t i) {
    return &b->dls[i];
}

/* Grows an array of n used elements of size sz to hold want; 0 or -1. */
static int grow(void **p, size_t *cap, size_t want, size_t sz, size_t first) {
    size_t ncap = *cap ? *cap : first;
    void *np;
    if (want <= *cap)
        return 0;
    while (ncap < want)
        ncap *= 2;
    if (!(np = realloc(*p, ncap * sz)))
        return -1;
    *p = np;
    *cap = ncap;
    return 0;
}

/* ---- the two indexes ----------------------------------------------------- */

static uint64_t fnv1a(uint64_t h, const void *p, size_t n) {
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}
#define FNV_OFFSET 1469598103934665603ULL

static uint64_t slot_hash(int table, int32_t day, const char *const *parts, int n) {
    uint64_t h = fnv1a(FNV_OFFSET, &table, sizeof(table));
    h = fnv1a(h, &day, sizeof(day));
    for (int i = 0; i < n; i++)
        h = fnv1a(h, parts[i], strlen(parts[i]) + 1);
    return h;
}

/* Makes room for want entries at most half full. 1: rebuilt empty (the
 * caller re-inserts), 0: big enough, -1: out of memory. */
static int index_grow(uint32_t **index, size_t *cap, size_t want) {
    size_t ncap = *cap ? *cap : 1024;
    uint32_t *ni;
    while (ncap < want * 2)
        ncap *= 2;
    if (ncap == *cap)
        return 0;
    if (!(ni = calloc(ncap, sizeof(*ni))))
        return -1;
    free(*index);
    *index = ni;
    *cap = ncap;
    return 1;
}

static void slot_index_put(struct eqm_batch *b, uint32_t s) {
    size_t mask = b->index_cap - 1, i = b->slots[s].hash & mask;
    while (b->slot_index[i])
        i = (i + 1) & mask;
    b->slot_index[i] = s + 1;
}

/* Finds or creates the slot for (table, day, parts). Returns its number
 * or -1. */
static long slot_get(struct eqm_batch *b, int table, int32_t day, const char *const *parts) {
    int n = b->tables[table].n_key_columns;
    uint64_t h = slot_hash(table, day, parts, n);
    size_t mask, i;
    struct slot *s;

    if (b->n_slots + 1 > b->index_cap / 2) {
        int rc = index_grow(&b->slot_index, &b->index_cap, b->n_slots + 1);
        if (rc < 0)
            return -1;
        if (rc > 0)
            for (size_t k = 0; k < b->n_slots; k++)
                slot_index_put(b, (uint32_t)k);
    }
    mask = b->index_cap - 1;
    for (i = h & mask; b->slot_index[i]; i = (i + 1) & mask) {
        struct slot *c = &b->slots[b->slot_index[i] - 1];
        int k;
        if (c->hash != h || c->day != day || c->table != table)
            continue;
        for (k = 0; k < n && !strcmp(c->parts[k], parts[k]); k++)
            ;
        if (k == n)
            return (long)(b->slot_index[i] - 1);
    }
    if (b->n_slots == b->cap_slots) {
        size_t cap = b->cap_slots ? b->cap_slots * 2 : 256;
        struct slot *ns = realloc(b->slots, cap * sizeof(*ns));
        int64_t *nc;
        if (!ns)
            return -1;
        b->slots = ns;
        nc = realloc(b->slot_counts, cap * (size_t)b->stride * sizeof(*nc));
        if (!nc)
            return -1;
        b->slot_counts = nc;
        b->cap_slots = cap;
    }
    s = &b->slots[b->n_slots];
    memset(s, 0, sizeof(*s));
    s->table = table;
    s->day = day;
    s->hash = h;
    for (int k = 0; k < n; k++)
        if (!(s->parts[k] = arena_strdup(&b->arena, parts[k], strlen(parts[k]))))
            return -1;
    b->slot_index[i] = (uint32_t)b->n_slots + 1;
    return (long)b->n_slots++;
}

/* The key is already a good hash: its first 8 bytes will do. */
static uint64_t key_hash(const unsigned char *key) {
    uint64_t h;
    memcpy(&h, key, sizeof(h));
    return h;
}

static void id_index_put(struct eqm_batch *b, size_t ev) {
    size_t mask = b->id_index_cap - 1, j = key_hash(b->events[ev].key) & mask;
    while (b->id_index[j])
        j = (j + 1) & mask;
    b->id_index[j] = (uint32_t)ev + 1;
}

/* Marks event ev the first of its key in the batch (or not). */
static int id_index_add(struct eqm_batch *b, size_t ev) {
    size_t mask, i;
    int rc;

    if (b->n_events + 1 > b->id_index_cap / 2) {
        if ((rc = index_grow(&b->id_index, &b->id_index_cap, b->n_events + 1)) < 0)
            return -1;
        if (rc > 0)
            for (size_t k = 0; k < ev; k++)
                if (b->events[k].candidate)
                    id_index_put(b, k);
    }
    mask = b->id_index_cap - 1;
    for (i = key_hash(b->events[ev].key) & mask; b->id_index[i]; i = (i + 1) & mask) {
        if (!memcmp(b->events[b->id_index[i] - 1].key, b->events[ev].key, 16)) {
            b->events[ev].candidate = false;
            return 0;
        }
    }
    b->id_index[i] = (uint32_t)ev + 1;
    b->events[ev].candidate = true;
    return 0;
}

struct eqm_batch_event *eqm_batch_find(struct eqm_batch *b, const unsigned char key[16]) {
    size_t mask, i;
    if (!b->id_index_cap)
        return NULL;
    mask = b->id_index_cap - 1;
    for (i = key_hash(key) & mask; b->id_index[i]; i = (i + 1) & mask)
        if (!memcmp(b->events[b->id_index[i] - 1].key, key, 16))
            return &b->events[b->id_index[i] - 1];
    return NULL;
}

/* ---- adding ---------------------------------------------------------------- */

int eqm_batch_add_event(struct eqm_batch *b, const char *source, const struct eqm_envelope *env,
                        const struct eqm_sink *sink) {
    size_t rows = eqm_sink_collect_rows(sink);
    struct eqm_batch_event *ev;
    struct eqm_md5 m;

    if (grow((void **)&b->events, &b->cap_events, b->n_events + 1, sizeof(*b->events), 1024) ||
        grow((void **)&b->incs, &b->cap_incs, b->n_incs + rows, sizeof(*b->incs), 4096))
        return -1;
    ev = &b->events[b->n_events];
    eqm_md5_init(&m);
    eqm_md5_update(&m, source, strlen(source));
    eqm_md5_update(&m, ":", 1);
    eqm_md5_update(&m, env->event_id, strlen(env->event_id));
    eqm_md5_final(&m, ev->key);
    ev->day = env->day;
    ev->occurred_us = env->occurred_us;
    ev->inc_first = (uint32_t)b->n_incs;
    ev->inc_n = (uint32_t)rows;
    ev->is_new = false;
    for (size_t r = 0, last_off = 0, last_nc = 0; r < rows; r++) {
        const char *const *parts;
        const int64_t *counts;
        int table = eqm_sink_collect_row(sink, r, &parts, &counts);
        size_t nc = (size_t)b->tables[table].n_count_columns;
        long s;

        if (grow((void **)&b->pool, &b->cap_pool, b->n_pool + nc, sizeof(*b->pool), 16384))
            return -1;
        if ((s = slot_get(b, table, env->day, parts)) < 0)
            return -1;
        b->incs[b->n_incs].slot = (uint32_t)s;
        /* An event usually adds the same counts to all its rows (one per
         * area and dimension): keep them once. */
        if (r > 0 && nc == last_nc && !memcmp(b->pool + last_off, counts, nc * sizeof(int64_t))) {
            b->incs[b->n_incs].pool_off = (uint32_t)last_off;
        } else {
            b->incs[b->n_incs].pool_off = (uint32_t)b->n_pool;
            memcpy(b->pool + b->n_pool, counts, nc * sizeof(int64_t));
            last_off = b->n_pool;
            last_nc = nc;
            b->n_pool += nc;
        }
        b->n_incs++;
    }
    if (id_index_add(b, b->n_events) != 0)
        return -1;
    b->n_events++;
    return 0;
}

int eqm_batch_add_dead_letter(struct eqm_batch *b, int32_t partition, int64_t offset,
                              const char *code, const char *reason, int32_t bytes) {
    struct eqm_batch_dead_letter *d;

    if (grow((void **)&b->dls, &b->cap_dls, b->n_dls + 1, sizeof(*b->dls), 64))
        return -1;
    d = &b->dls[b->n_dls];
    d->partition = partition;
    d->offset = offset;
    d->code = code;
    d->bytes = bytes;
    if (!(d->reason = arena_strdup(&b->arena, reason, strlen(reason))))
        return -1;
    b->n_dls++;
    return 0;
}

/* ---- summing ---------------------------------------------------------------- */

size_t eqm_batch_sum(struct eqm_batch *b) {
    size_t nonzero = 0;

    /* From scratch: a retried transaction must not add twice. */
    if (b->n_slots > 0)
        memset(b->slot_counts, 0, b->n_slots * (size_t)b->stride * sizeof(*b->slot_counts));
    for (size_t i = 0; i < b->n_events; i++) {
        const struct eqm_batch_event *ev = &b->events[i];
        if (!ev->is_new)
            continue;
        for (uint32_t k = 0; k < ev->inc_n; k++) {
            const struct inc *in = &b->incs[ev->inc_first + k];
            int64_t *sum = b->slot_counts + (size_t)in->slot * (size_t)b->stride;
            const int64_t *c = b->pool + in->pool_off;
            for (int j = 0; j < b->tables[b->slots[in->slot].table].n_count_columns; j++)
                sum[j] += c[j];
        }
    }
    for (size_t s = 0; s < b->n_slots; s++) {
        const int64_t *sum = b->slot_counts + s * (size_t)b->stride;
        for (int c = 0; c < b->tables[b->slots[s].table].n_count_columns; c++) {
            if (sum[c] != 0) {
                nonzero++;
                break;
            }
        }
    }
    return nonzero;
}

void eqm_batch_slot(const struct eqm_batch *b, size_t i, int *table, int32_t *day,
                    const char *const **parts, const int64_t **sums) {
    const struct slot *s = &b->slots[i];
    *table = s->table;
    *day = s->day;
    *parts = s->parts;
    *sums = b->slot_counts + i * (size_t)b->stride;
}
