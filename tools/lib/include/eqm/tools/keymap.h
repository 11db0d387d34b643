/*
 * keymap.h - a map from byte strings to a number, for the tools that must
 * know whether they have seen a key before: how many times a row's id
 * came up in a file (eqm-replay), on which line a key was first given (the
 * population loader), how many events a generator made of each kind (the
 * custody generator's expected counts).
 *
 * Open addressing over FNV-1a hashes; the keys are copied into one arena,
 * so a key costs no allocation of its own. Zero-initialise a struct
 * eqm_keymap to get an empty map.
 */
#ifndef EQM_TOOLS_KEYMAP_H
#define EQM_TOOLS_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eqm/buf.h"

struct eqm_keymap_slot; /* keymap.c */

struct eqm_keymap {
    struct eqm_keymap_slot *slots;
    size_t cap, used;
    struct eqm_buf arena; /* the keys, each NUL-terminated */
};

/*
 * The value of key (len bytes, any bytes). If the map lacks it, it
 * is added with value first and *added (if not NULL) is set true; else
 * *added is false. Returns a pointer to the value, valid until the next
 * call on the map; NULL out of memory (the map keeps what it held, and
 * adds nothing more until it is reset).
 */
uint64_t *eqm_keymap_get(struct eqm_keymap *m, const char *key, size_t len, uint64_t first,
                         bool *added) __attribute__((warn_unused_result));

/*
 * Walks the map, in no particular order: start with *pos = 0; each call
 * sets *key (its len bytes, then a NUL; valid until the map changes),
 * *len and *value of the next key and returns true, or returns false once
 * every key has been given.
 */
bool eqm_keymap_next(const struct eqm_keymap *m, size_t *pos, const char **key, size_t *len,
                     uint64_t *value);

/* Empties the map, keeping its memory for the next keys. */
void eqm_keymap_reset(struct eqm_keymap *m);

/* Frees the map's memory and leaves it empty (zeroed). */
void eqm_keymap_free(struct eqm_keymap *m);

#endif /* EQM_TOOLS_KEYMAP_H */
