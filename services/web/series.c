/* series.c - trend and funnel series (series.h). */
#include "series.h"

#include <math.h>
#include <string.h>

static bool next_month(const struct eqm_month_counts *prev, const struct eqm_month_counts *m) {
    int y = prev->year, mo = prev->month + 1;
    if (mo > 12) {
        mo = 1;
        y++;
    }
    return m->year == y && m->month == mo;
}

int eqm_series_trend(const struct eqm_month_counts *m, size_t n, int span, int64_t min_events,
                     struct eqm_trend_point *out) {
    int64_t a = 0, b = 0;

    if (span < 1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (m[i].month < 1 || m[i].month > 12 || m[i].a < 0 || m[i].b < 0 || m[i].pop_a < 0 ||
            m[i].pop_b < 0 || (i > 0 && !next_month(&m[i - 1], &m[i])))
            return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct eqm_trend_point *p = &out[i];
        a += m[i].a;
        b += m[i].b;
        if (i >= (size_t)span) {
            a -= m[i - (size_t)span].a;
            b -= m[i - (size_t)span].b;
        }
        p->year = m[i].year;
        p->month = m[i].month;
        p->a = a;
        p->b = b;
        p->months = i + 1 < (size_t)span ? (int)i + 1 : span;
        p->pop_a = m[i].pop_a;
        p->pop_b = m[i].pop_b;
        p->too_few = a < min_events || b < min_events;
        p->no_population = p->pop_a == 0 || p->pop_b == 0;
        if ((p->pop_a > 0 && a > p->pop_a) || (p->pop_b > 0 && b > p->pop_b))
            return -1;
        if (p->too_few || p->no_population)
            p->ratio = (struct eqm_estimate){0};
        else if (eqm_stats_ratio_katz(a, p->pop_a, b, p->pop_b, EQM_STATS_Z95, &p->ratio) != 0)
            return -1;
    }
    return 0;
}

int eqm_series_funnel_limits(double theta, double p, double n, double z, double *low,
                             double *high) {
    double se;
    if (!(theta > 0) || !(n > 0) || !(p > 0 && p < 1) || !(z >= 0) || !isfinite(theta) ||
        !isfinite(n) || !isfinite(z))
        return -1;
    se = sqrt(1 / (n * p) + 1 / (n * (1 - p)));
    *low = theta * exp(-z * se);
    *high = theta * exp(z * se);
    return 0;
}

bool eqm_series_in_literal(const char *parts, const char *grp) {
    size_t n = strlen(grp);
    for (const char *p = parts + 1; *p && *p != '}';) {
        size_t len = strcspn(p, ",}");
        if (len == n && !strncmp(p, grp, n))
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

static bool broad(const char *grp) {
    static const char *const names[] = {"asian", "black", "mixed", "white", "other"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(grp, names[i]))
            return true;
    return false;
}

/* The point's share and not-stated share, once its rows are summed. */
static void share_point(struct eqm_share_point *p, int64_t min_events) {
    int64_t all = p->stated + p->not_stated;
    p->too_few = p->group < min_events || p->stated - p->group < min_events;
    p->share = (struct eqm_estimate){0};
    if (!p->too_few && p->stated > 0 &&
        eqm_stats_wilson(p->group, p->stated, EQM_STATS_Z95, &p->share) != 0)
        p->share = (struct eqm_estimate){0};
    p->has_not_stated_share = all > 0;
    p->not_stated_share = all > 0 ? (double)p->not_stated / (double)all : 0;
}

int eqm_series_headcount(const struct eqm_headcount_row *rows, size_t n, const char *parts,
                         int64_t min_events, struct eqm_share_point *out) {
    int k = -1;

    if (!parts || parts[0] != '{' || !strchr(parts, '}'))
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct eqm_headcount_row *r = &rows[i];
        if (r->headcount < 0 || !r->as_of || !r->grp ||
            (k >= 0 && strcmp(r->as_of, out[k].as_of) < 0))
            return -1;
        if (k < 0 || strcmp(r->as_of, out[k].as_of) != 0) {
            if (k >= 0)
                share_point(&out[k], min_events);
            out[++k] = (struct eqm_share_point){.as_of = r->as_of};
        }
        if (broad(r->grp)) {
            out[k].stated += r->headcount;
            if (eqm_series_in_literal(parts, r->grp))
                out[k].group += r->headcount;
        } else if (!strcmp(r->grp, "not_stated")) {
            out[k].not_stated += r->headcount;
        }
    }
    if (k >= 0)
        share_point(&out[k], min_events);
    return k + 1;
}

const char *const eqm_series_agreement_groups[EQM_SERIES_N_AGREEMENT] = {
    "white", "black", "asian", "mixed", "other", "not_stated"};

static int agreement_index(const char *grp) {
    for (int g = 0; grp && g < EQM_SERIES_N_AGREEMENT; g++)
        if (!strcmp(grp, eqm_series_agreement_groups[g]))
            return g;
    return -1;
}

int eqm_series_agreement(const struct eqm_agreement_row *rows, size_t n,
                         struct eqm_agreement *out) {
    const int ns = EQM_SERIES_N_AGREEMENT - 1; /* not_stated, the last */

    *out = (struct eqm_agreement){0};
    for (size_t i = 0; i < n; i++) {
        int s = agreement_index(rows[i].self_defined), o = agreement_index(rows[i].officer_defined);
        if (s < 0 || o < 0 || rows[i].searches < 0)
            return -1;
        out->cell[s][o] += rows[i].searches;
    }
    for (int s = 0; s < EQM_SERIES_N_AGREEMENT; s++)
        for (int o = 0; o < EQM_SERIES_N_AGREEMENT; o++) {
            int64_t c = out->cell[s][o];
            out->self_total[s] += c;
            out->officer_total[o] += c;
            out->total += c;
            out->agreed += s == o ? c : 0;
            if (s != ns && o != ns) {
                out->stated += c;
                out->stated_agreed += s == o ? c : 0;
            }
        }
    for (int g = 0; g < EQM_SERIES_N_AGREEMENT; g++) {
        out->has_row_share[g] = out->self_total[g] > 0;
        out->row_share[g] =
            out->has_row_share[g] ? (double)out->cell[g][g] / (double)out->self_total[g] : 0;
    }
    out->has_share = out->total > 0;
    out->share = out->has_share ? (double)out->agreed / (double)out->total : 0;
    out->has_stated_share = out->stated > 0;
    out->stated_share =
        out->has_stated_share ? (double)out->stated_agreed / (double)out->stated : 0;
    return 0;
}
