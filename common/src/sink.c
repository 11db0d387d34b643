/* The collecting sink: rows of (key parts, counts) added by a handler for
 * one event. The engine drains it after each event; tests read it. */
#include <stdlib.h>
#include <string.h>

#include "eqm/engine.h"
#include "sink_internal.h"

struct eqm_sink *eqm_sink_collect_new(int n_parts, int n_counts) {
    struct eqm_sink *s;

    if (n_parts < 1 || n_parts > EQM_MAX_KEY_PARTS || n_counts < 1 || n_counts > EQM_MAX_COUNTS)
        return NULL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->n_parts = n_parts;
    s->n_counts = n_counts;
    return s;
}

int eqm_sink_add(struct eqm_sink *s, const char *const *parts, const int64_t *counts) {
    size_t need;

    if (s->n_rows == s->cap_rows) {
        size_t cap = s->cap_rows ? s->cap_rows * 2 : 16;
        size_t *po = realloc(s->part_off, cap * (size_t)s->n_parts * sizeof(*po));
        int64_t *c;
        if (!po)
            return -1;
        s->part_off = po;
        c = realloc(s->counts, cap * (size_t)s->n_counts * sizeof(*c));
        if (!c)
            return -1;
        s->counts = c;
        s->cap_rows = cap;
    }
    need = 0;
    for (int i = 0; i < s->n_parts; i++)
        need += strlen(parts[i]) + 1;
    if (s->text_len + need > s->text_cap) {
        size_t cap = s->text_cap ? s->text_cap : 512;
        char *t;
        while (cap < s->text_len + need)
            cap *= 2;
        t = realloc(s->text, cap);
        if (!t)
            return -1;
        s->text = t;
        s->text_cap = cap;
    }
    for (int i = 0; i < s->n_parts; i++) {
        size_t n = strlen(parts[i]) + 1;
        s->part_off[s->n_rows * (size_t)s->n_parts + (size_t)i] = s->text_len;
        memcpy(s->text + s->text_len, parts[i], n);
        s->text_len += n;
    }
    memcpy(s->counts + s->n_rows * (size_t)s->n_counts, counts,
           (size_t)s->n_counts * sizeof(*counts));
    s->n_rows++;
    return 0;
}

size_t eqm_sink_collect_rows(const struct eqm_sink *s) {
    return s->n_rows;
}

void eqm_sink_collect_row(const struct eqm_sink *s, size_t i, const char *const **parts,
                          const int64_t **counts) {
    struct eqm_sink *m = (struct eqm_sink *)s; /* scratch pointers only */
    for (int k = 0; k < s->n_parts; k++)
        m->scratch[k] = s->text + s->part_off[i * (size_t)s->n_parts + (size_t)k];
    *parts = m->scratch;
    *counts = s->counts + i * (size_t)s->n_counts;
}

void eqm_sink_collect_reset(struct eqm_sink *s) {
    s->n_rows = 0;
    s->text_len = 0;
}

void eqm_sink_collect_free(struct eqm_sink **sp) {
    struct eqm_sink *s;
    if (!sp || !*sp)
        return;
    s = *sp;
    free(s->part_off);
    free(s->counts);
    free(s->text);
    free(s);
    *sp = NULL;
}
