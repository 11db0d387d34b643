/*
 * summary.c - the plain-English sentence of an alert (eqm/alert_summary.h).
 *
 * The frame is the same for every measure: a group phrase people read
 * ("Black people", "men", "applicants aged 18-24"), the window in words,
 * the interval and the counts, "Resolved:" and the clearing level. What a
 * measure says is its family's template, so that a service adds a
 * measure without touching this file.
 */
#include "eqm/alert_summary.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct sbuf {
    char *p;
    size_t size, len; /* len: wanted length, may exceed size */
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...) {
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(b->len < b->size ? b->p + b->len : NULL, b->len < b->size ? b->size - b->len : 0,
                  fmt, ap);
    va_end(ap);
    if (n > 0)
        b->len += (size_t)n;
}

/* A ratio as people read it: 3.4, 0.62, 12. */
static void fmt_num(char *out, size_t size, double v) {
    if (v >= 10)
        snprintf(out, size, "%.0f", v);
    else if (v >= 1)
        snprintf(out, size, "%.1f", v);
    else
        snprintf(out, size, "%.2f", v);
}

static void fmt_date(char *out, size_t size, const char *ymd) {
    static const char *const months[] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
    int y, m, d;
    if (ymd && sscanf(ymd, "%4d-%2d-%2d", &y, &m, &d) == 3 && m >= 1 && m <= 12)
        snprintf(out, size, "%d %s %d", d, months[m - 1], y);
    else
        snprintf(out, size, "%s", ymd ? ymd : "the latest day");
}

/* "police_officer" -> "police officer". */
static void words(char *out, size_t size, const char *s) {
    size_t i;
    for (i = 0; s && s[i] && i + 1 < size; i++)
        out[i] = s[i] == '_' ? ' ' : s[i];
    out[i] = '\0';
}

/* The people of a group: "Black people", "men", "applicants aged 18-24". */
static void group_phrase(char *out, size_t size, const char *dim, const char *grp,
                         const char *kind) {
    static const struct {
        const char *grp, *pre, *post;
    } eth[] = {
        {"black", "Black ", ""},
        {"white", "White ", ""},
        {"asian", "Asian ", ""},
        {"mixed", "", " of mixed ethnicity"},
        {"other", "", " of other ethnic groups"},
        {"bme", "Black, Asian and minority ethnic ", ""},
        {"not_stated", "", " whose ethnicity was not stated"},
    };
    char w[80];
    if (!grp) {
        snprintf(out, size, "%s", kind);
        return;
    }
    if (dim && strstr(dim, "ethnicity")) {
        for (size_t i = 0; i < sizeof(eth) / sizeof(eth[0]); i++) {
            if (strcmp(grp, eth[i].grp) == 0) {
                snprintf(out, size, "%s%s%s", eth[i].pre, kind, eth[i].post);
                return;
            }
        }
    }
    if (dim && (strcmp(dim, "gender") == 0 || strcmp(dim, "sex") == 0) &&
        (strcmp(grp, "male") == 0 || strcmp(grp, "female") == 0)) {
        if (strcmp(kind, "people") == 0)
            snprintf(out, size, "%s", grp[0] == 'm' ? "men" : "women");
        else
            snprintf(out, size, "%s %s", grp, kind);
        return;
    }
    if (dim && strcmp(dim, "age_range") == 0) {
        snprintf(out, size, "%s aged %s", kind, grp);
        return;
    }
    if (dim && strcmp(dim, "disability") == 0 &&
        (strcmp(grp, "yes") == 0 || strcmp(grp, "no") == 0)) {
        snprintf(out, size, "%s%s", grp[0] == 'y' ? "disabled " : "non-disabled ", kind);
        return;
    }
    words(w, sizeof(w), dim ? dim : "group");
    snprintf(out, size, "%s with %s \"%s\"", kind, w, grp);
}

/* The templates' placeholders (eqm/alert_summary.h); the first P_N are
 * words, filled in from struct parts. */
enum { P_GROUP, P_REFERENCE, P_AREA, P_VALUE, P_ROLE, P_STAGE, P_REST, P_N, P_BASE, P_PLURAL };
static const char *const placeholders[] = {"group", "reference", "area", "value", "role",
                                           "stage", "rest",      "n",    "base"};

/* The words of a sentence, in the order of the enum above. */
struct parts {
    const char *words[P_N];
};

/* The placeholder between name (after its '{') and name + len, or -1. */
static int placeholder(const char *name, size_t len) {
    for (int i = 0; i < P_PLURAL; i++)
        if (strlen(placeholders[i]) == len && strncmp(name, placeholders[i], len) == 0)
            return i;
    if (len > 2 && strncmp(name, "n|", 2) == 0 && memchr(name + 2, '|', len - 2))
        return P_PLURAL;
    return -1;
}

/* Appends template t with its placeholders filled in; an unknown one is
 * written as it stands (eqm_alert_summary_check() keeps them out). */
static void expand(struct sbuf *b, const char *t, const struct parts *p,
                   const struct eqm_alert_figure *f) {
    while (*t) {
        const char *open = strchr(t, '{'), *close = open ? strchr(open, '}') : NULL;
        const char *one, *many;
        int k;
        if (!close) {
            sb_printf(b, "%s", t);
            return;
        }
        sb_printf(b, "%.*s", (int)(open - t), t);
        k = placeholder(open + 1, (size_t)(close - open - 1));
        switch (k) {
        case -1:
            sb_printf(b, "%.*s", (int)(close + 1 - open), open);
            break;
        case P_N:
            sb_printf(b, "%lld", f->n);
            break;
        case P_BASE:
            sb_printf(b, "%lld", f->base);
            break;
        case P_PLURAL: /* {n|one|many} */
            one = open + 3;
            many = strchr(one, '|') + 1;
            if (f->n == 1)
                sb_printf(b, "%lld %.*s", f->n, (int)(many - 1 - one), one);
            else
                sb_printf(b, "%lld %.*s", f->n, (int)(close - many), many);
            break;
        default:
            sb_printf(b, "%s", p->words[k]);
            break;
        }
        t = close + 1;
    }
}

static int check_template(const char *t, const char *measure, const char *what, char *errstr,
                          size_t errstr_size) {
    for (const char *open = t ? strchr(t, '{') : NULL; open; open = strchr(open + 1, '{')) {
        const char *close = strchr(open, '}');
        if (!close || memchr(open + 1, '{', (size_t)(close - open - 1))) {
            snprintf(errstr, errstr_size, "%s: %s: a \"{\" is not closed", measure, what);
            return -1;
        }
        if (placeholder(open + 1, (size_t)(close - open - 1)) < 0) {
            snprintf(errstr, errstr_size, "%s: %s: unknown placeholder \"%.*s\"", measure, what,
                     (int)(close + 1 - open), open);
            return -1;
        }
    }
    return 0;
}

int eqm_alert_summary_check(const struct eqm_alert_family *family, char *errstr,
                            size_t errstr_size) {
    if (check_template(family->says, family->measure, "says", errstr, errstr_size) != 0 ||
        check_template(family->counts, family->measure, "counts", errstr, errstr_size) != 0)
        return -1;
    return 0;
}

int eqm_alert_summary(char *buf, size_t size, const struct eqm_alert_figure *f, int resolved,
                      double clear_threshold) {
    struct sbuf b = {buf, size, 0};
    char g[160], ref[160], area[160], r[32], lo[32], hi[32], date[40], role[64], stage[64];
    char rest[64] = "";
    const struct eqm_alert_family *fam = f->family;
    const char *m = f->measure ? f->measure : "";
    const char *kind = fam && fam->people ? fam->people : "people";
    const char *says = fam && fam->says_for ? fam->says_for(f) : NULL;
    struct parts p = {{g, ref, area, r, role, stage, rest}};
    size_t start;

    if (size > 0)
        buf[0] = '\0';
    if (!says && fam)
        says = fam->says;
    if (fam && fam->prefix && strncmp(m, fam->measure, strlen(fam->measure)) == 0)
        words(rest, sizeof(rest), m + strlen(fam->measure));
    group_phrase(g, sizeof(g), f->dimension, f->grp, kind);
    group_phrase(ref, sizeof(ref), f->dimension, f->reference_grp, kind);
    if (f->area_name && *f->area_name)
        snprintf(area, sizeof(area), " in %s", f->area_name);
    else
        area[0] = '\0';
    fmt_num(r, sizeof(r), f->has_value ? f->value : 0);
    fmt_date(date, sizeof(date), f->window_end);
    words(role, sizeof(role), f->role ? f->role : "");
    words(stage, sizeof(stage), f->stage ? f->stage : "");

    if (f->restated_on)
        sb_printf(&b, "Restated: ");
    else if (resolved)
        sb_printf(&b, "Resolved: ");
    start = b.len;
    if (!f->has_value) {
        sb_printf(&b, "the figure for %s%s (%s) is no longer available in the %d days to %s.", g,
                  area, m, f->window_days, date);
        goto out;
    }
    if (says)
        expand(&b, says, &p, f);
    else
        sb_printf(&b, "for %s%s, %s was %s times the figure for %s", g, area, m, r, ref);
    sb_printf(&b, " in the %d days to %s", f->window_days, date);
    if (f->has_ci) {
        fmt_num(lo, sizeof(lo), f->ci_low);
        fmt_num(hi, sizeof(hi), f->ci_high);
        sb_printf(&b, " (95%% CI %s to %s; ", lo, hi);
    } else {
        sb_printf(&b, " (no confidence interval; ");
    }
    if (says && fam->counts)
        expand(&b, fam->counts, &p, f);
    else if (f->base >= 0)
        sb_printf(&b, "%lld of %lld", f->n, f->base);
    else
        sb_printf(&b, "%lld", f->n);
    sb_printf(&b, ")");
    if (resolved) {
        char c[32];
        fmt_num(c, sizeof(c), clear_threshold);
        sb_printf(&b, ", %s the clearing level of %s",
                  f->value < clear_threshold ? "below" : "above", c);
    }
    if (f->restated_on)
        sb_printf(&b,
                  ", restated on the %s population instead of %s: the same events divided by a "
                  "different population, not a change in policing",
                  f->restated_on, f->restated_from ? f->restated_from : "the one before");
    sb_printf(&b, ".");
out:
    if (start < size && buf[start])
        buf[start] = (char)toupper((unsigned char)buf[start]);
    return (int)b.len;
}
