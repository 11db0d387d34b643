#include "eqm/poptable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/pg.h"

struct entry {
    const char *area;
    const char *grp;
    int64_t population;
};

struct eqm_poptable {
    struct entry *e;
    size_t n;
    char *text; /* every area and group, NUL-terminated, one block */
    char *base; /* the population base, or NULL */
};

static int entry_cmp(const void *a, const void *b) {
    const struct entry *x = a, *y = b;
    int r = strcmp(x->area, y->area);
    return r ? r : strcmp(x->grp, y->grp);
}

int eqm_poptable_new(struct eqm_poptable **out, size_t n, const char *const *area,
                     const char *const *grp, const int64_t *population) {
    struct eqm_poptable *t = calloc(1, sizeof(*t));
    size_t len = 0, at = 0;

    if (!t)
        return -1;
    for (size_t i = 0; i < n; i++)
        len += strlen(area[i]) + strlen(grp[i]) + 2;
    /* One more of each, so that an empty table still allocates. */
    t->e = calloc(n + 1, sizeof(*t->e));
    t->text = malloc(len + 1);
    if (!t->e || !t->text) {
        free(t->e);
        free(t->text);
        free(t);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        size_t la = strlen(area[i]) + 1, lg = strlen(grp[i]) + 1;
        memcpy(t->text + at, area[i], la);
        t->e[i].area = t->text + at;
        at += la;
        memcpy(t->text + at, grp[i], lg);
        t->e[i].grp = t->text + at;
        at += lg;
        t->e[i].population = population[i];
    }
    t->n = n;
    qsort(t->e, n, sizeof(*t->e), entry_cmp);
    *out = t;
    return 0;
}

int eqm_poptable_load(PGconn *conn, const char *day, struct eqm_poptable **out, char *errstr,
                      size_t sz) {
    const char *params[1] = {day};
    PGresult *res = eqm_pg_query(conn, "SELECT equality.population_base_for($1::date)", 1, params,
                                 "choosing the population base", errstr, sz);
    const char **area = NULL, **grp = NULL;
    char *base = NULL;
    int64_t *pop = NULL;
    size_t n;
    int ret = -1;

    if (!res)
        goto out;
    if (!PQgetisnull(res, 0, 0) && !(base = strdup(PQgetvalue(res, 0, 0))))
        goto oom;
    PQclear(res);
    params[0] = base;
    res = eqm_pg_query(conn,
                       "SELECT area, grp, population FROM equality.area_population_groups_by_base"
                       " WHERE base = $1",
                       1, params, "reading population", errstr, sz);
    if (!res)
        goto out;
    n = (size_t)PQntuples(res);
    area = calloc(n + 1, sizeof(*area));
    grp = calloc(n + 1, sizeof(*grp));
    pop = calloc(n + 1, sizeof(*pop));
    if (!area || !grp || !pop)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        area[i] = PQgetvalue(res, (int)i, 0);
        grp[i] = PQgetvalue(res, (int)i, 1);
        pop[i] = strtoll(PQgetvalue(res, (int)i, 2), NULL, 10);
    }
    if (eqm_poptable_new(out, n, area, grp, pop) != 0)
        goto oom;
    (*out)->base = base;
    base = NULL;
    ret = 0;
    goto out;
oom:
    snprintf(errstr, sz, "out of memory reading population");
out:
    free(base);
    free(area);
    free(grp);
    free(pop);
    PQclear(res);
    return ret;
}

int64_t eqm_poptable_get(const struct eqm_poptable *t, const char *area, const char *grp) {
    struct entry key = {.area = area, .grp = grp};
    const struct entry *e = bsearch(&key, t->e, t->n, sizeof(*t->e), entry_cmp);
    return e ? e->population : -1;
}

const char *eqm_poptable_base(const struct eqm_poptable *t) {
    return t->base;
}

size_t eqm_poptable_size(const struct eqm_poptable *t) {
    return t->n;
}

void eqm_poptable_free(struct eqm_poptable **t) {
    if (!t || !*t)
        return;
    free((*t)->e);
    free((*t)->text);
    free((*t)->base);
    free(*t);
    *t = NULL;
}
