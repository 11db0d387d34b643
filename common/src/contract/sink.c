/* The collecting sink: rows of (table, key parts, counts) added by a
 * handler for one event. The engine drains it after each event; tests read
 * it. Reset per event, so its memory is reused, not reallocated. */
#include <stdlib.h>
#include <string.h>

#include "eqm/sink.h"
#include "contract/sink_internal.h"

struct eqm_sink *eqm_sink_collect_new(const struct eqm_counts_table *tables, int n_tables) {
    struct eqm_sink *s;

    if (!tables || n_tables < 1 || n_tables > EQM_MAX_TABLES)
        return NULL;
    for (int t = 0; t < n_tables; t++)
        if (tables[t].n_key_columns < 1 || tables[t].n_key_columns > EQM_MAX_KEY_PARTS ||
            tables[t].n_count_columns < 1 || tables[t].n_count_columns > EQM_MAX_COUNTS)
            return NULL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->tables = tables;
    s->n_tables = n_tables;
    return s;
}

int eqm_sink_add(struct eqm_sink *s, int table, const char *const *parts, const int64_t *counts) {
    const struct eqm_counts_table *t;
    struct eqm_sink_row *row;
    size_t need = 0;

    if (table < 0 || table >= s->n_tables)
        return -1;
    t = &s->tables[table];
    if (s->n_rows == s->cap_rows) {
        size_t cap = s->cap_rows ? s->cap_rows * 2 : 16;
        struct eqm_sink_row *nr = realloc(s->rows, cap * sizeof(*nr));
        if (!nr)
            return -1;
        s->rows = nr;
        s->cap_rows = cap;
    }
    for (int i = 0; i < t->n_key_columns; i++)
        need += strlen(parts[i]) + 1;
    if (s->text_len + need > s->text_cap) {
        size_t cap = s->text_cap ? s->text_cap : 512;
        char *nt;
        while (cap < s->text_len + need)
            cap *= 2;
        nt = realloc(s->text, cap);
        if (!nt)
            return -1;
        s->text = nt;
        s->text_cap = cap;
    }
    row = &s->rows[s->n_rows];
    row->table = table;
    for (int i = 0; i < t->n_key_columns; i++) {
        size_t n = strlen(parts[i]) + 1;
        row->part_off[i] = s->text_len;
        memcpy(s->text + s->text_len, parts[i], n);
        s->text_len += n;
    }
    memcpy(row->counts, counts, (size_t)t->n_count_columns * sizeof(*counts));
    s->n_rows++;
    return 0;
}

int eqm_sink_add_areas(struct eqm_sink *s, int table, const char **parts, int area_part,
                       const char *area, const char *force_area, const int64_t *counts) {
    parts[area_part] = area;
    if (eqm_sink_add(s, table, parts, counts) != 0)
        return -1;
    if (strcmp(area, force_area) == 0)
        return 0;
    parts[area_part] = force_area;
    return eqm_sink_add(s, table, parts, counts);
}

int eqm_sink_add_dimensions(struct eqm_sink *s, int table, const char *area, const char *force_area,
                            const struct eqm_dimension *dims, const char *const *groups, int n,
                            const int64_t *counts) {
    for (int d = 0; d < n; d++) {
        const char *parts[3] = {area, dims[d].name, groups[d]};
        if (eqm_sink_add_areas(s, table, parts, 0, area, force_area, counts) != 0)
            return -1;
    }
    return 0;
}

size_t eqm_sink_collect_rows(const struct eqm_sink *s) {
    return s->n_rows;
}

int eqm_sink_collect_row(const struct eqm_sink *s, size_t i, const char *const **parts,
                         const int64_t **counts) {
    struct eqm_sink *m = (struct eqm_sink *)s; /* scratch pointers only */
    const struct eqm_sink_row *row = &s->rows[i];
    for (int k = 0; k < s->tables[row->table].n_key_columns; k++)
        m->scratch[k] = s->text + row->part_off[k];
    *parts = m->scratch;
    *counts = row->counts;
    return row->table;
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
    free(s->rows);
    free(s->text);
    free(s);
    *sp = NULL;
}
