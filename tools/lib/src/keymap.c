/*
 * keymap.c - see eqm/tools/keymap.h. The table is kept at most half full,
 * so probes stay short; it doubles when it would not be.
 */
#include "eqm/tools/keymap.h"

#include <stdlib.h>
#include <string.h>

struct eqm_keymap_slot {
    uint64_t hash;
    size_t off; /* into the arena, +1 (0 = empty slot) */
    size_t len;
    uint64_t value;
};

static uint64_t fnv1a(const char *s, size_t len) {
    uint64_t h = 0xcbf29ce484222325ULL;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static int grow(struct eqm_keymap *m) {
    size_t cap = m->cap ? m->cap * 2 : 256;
    struct eqm_keymap_slot *slots = calloc(cap, sizeof(*slots));

    if (!slots)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        size_t j;

        if (!m->slots[i].off)
            continue;
        for (j = m->slots[i].hash & (cap - 1); slots[j].off; j = (j + 1) & (cap - 1))
            ;
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

uint64_t *eqm_keymap_get(struct eqm_keymap *m, const char *key, size_t len, uint64_t first,
                         bool *added) {
    uint64_t h = fnv1a(key, len);
    size_t j, off;

    if (2 * (m->used + 1) > m->cap && grow(m) != 0)
        return NULL;
    for (j = h & (m->cap - 1); m->slots[j].off; j = (j + 1) & (m->cap - 1)) {
        const char *k = m->arena.data + m->slots[j].off - 1;

        if (m->slots[j].hash == h && m->slots[j].len == len && !memcmp(k, key, len)) {
            if (added)
                *added = false;
            return &m->slots[j].value;
        }
    }
    /* The NUL eqm_buf_append() writes after the key stays, keeping keys
     * apart in the arena. */
    off = m->arena.len;
    if (eqm_buf_append(&m->arena, key, len) != 0)
        return NULL;
    m->arena.len++;
    m->slots[j].hash = h;
    m->slots[j].off = off + 1;
    m->slots[j].len = len;
    m->slots[j].value = first;
    m->used++;
    if (added)
        *added = true;
    return &m->slots[j].value;
}

bool eqm_keymap_next(const struct eqm_keymap *m, size_t *pos, const char **key, size_t *len,
                     uint64_t *value) {
    for (; *pos < m->cap; (*pos)++) {
        const struct eqm_keymap_slot *sl = &m->slots[*pos];

        if (!sl->off)
            continue;
        *key = m->arena.data + sl->off - 1;
        *len = sl->len;
        *value = sl->value;
        (*pos)++;
        return true;
    }
    return false;
}

void eqm_keymap_reset(struct eqm_keymap *m) {
    if (m->slots)
        memset(m->slots, 0, m->cap * sizeof(*m->slots));
    m->used = 0;
    eqm_buf_reset(&m->arena);
}

void eqm_keymap_free(struct eqm_keymap *m) {
    free(m->slots);
    eqm_buf_free(&m->arena);
    memset(m, 0, sizeof(*m));
}
