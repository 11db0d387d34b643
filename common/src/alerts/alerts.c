/*
 * alerts.c - alert rules (JSON), the per-fingerprint state machine, the
 * summary sentence, and the evaluation that runs inside a consumer's batch
 * transaction and writes state changes to equality.alert_outbox.
 *
 * Why it is shaped this way: the figures are recomputed in full inside the
 * transaction, so evaluation reads them back per rule, but only the rows
 * that breach or whose fingerprint is pending or firing come back to C
 * (the filter is in SQL); a figure that stays quiet costs nothing. The
 * state machine itself is a pure function (eqm_alert_step) so that the
 * unit tests can drive it without a database.
 */
#include "eqm/alerts.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "eqm/log.h"
#include "eqm/pg.h"
#include "eqm/pgarray.h"

struct eqm_alert_rules {
    struct eqm_alert_rule *rule;
    int n;
};

/* ------------------------------------------------------------------ */
/* Measures the rules may name, and where their figures live.          */

enum family { FAM_METRICS, FAM_ATTRITION, FAM_WITHDRAWAL, FAM_REPRESENTATION, FAM_LEAVERS };

static const struct {
    const char *measure; /* exact name, or prefix ending in '.' */
    int prefix;
    const char *source;
    enum family family;
} measures[] = {
    {"stop_search.searches", 0, "stop-search", FAM_METRICS},
    {"stop_search.find_rate", 0, "stop-search", FAM_METRICS},
    {"stop_search.arrest_rate", 0, "stop-search", FAM_METRICS},
    {"stop_search.section_60_share", 0, "stop-search", FAM_METRICS},
    {"stop_search.strip_share", 0, "stop-search", FAM_METRICS},
    {"custody.arrests", 0, "custody", FAM_METRICS},
    {"custody.detentions", 0, "custody", FAM_METRICS},
    {"custody.strip_searches", 0, "custody", FAM_METRICS},
    {"custody.use_of_force", 0, "custody", FAM_METRICS},
    {"custody.use_of_force_by_tactic.", 1, "custody", FAM_METRICS},
    {"custody.strip_search_share", 0, "custody", FAM_METRICS},
    {"custody.out_of_court_share", 0, "custody", FAM_METRICS},
    {"custody.charge_share", 0, "custody", FAM_METRICS},
    {"recruitment.adverse_impact_ratio", 0, "recruitment", FAM_ATTRITION},
    {"recruitment.withdrawal_rate_ratio", 0, "recruitment", FAM_WITHDRAWAL},
    {"workforce.representation_ratio", 0, "recruitment", FAM_REPRESENTATION},
    {"workforce.leaver_rate_ratio", 0, "recruitment", FAM_LEAVERS},
};
#define N_MEASURES (sizeof(measures) / sizeof(measures[0]))

/* Index into measures[] for a rule's measure, or -1. A rule may name a
 * prefix measure either as "custody.use_of_force_by_tactic.*" (all
 * tactics) or one tactic in full. */
static int measure_find(const char *m) {
    size_t len = strlen(m);
    for (size_t i = 0; i < N_MEASURES; i++) {
        size_t ml = strlen(measures[i].measure);
        if (!measures[i].prefix) {
            if (strcmp(m, measures[i].measure) == 0)
                return (int)i;
        } else if (len > ml && strncmp(m, measures[i].measure, ml) == 0) {
            const char *rest = m + ml;
            if (strcmp(rest, "*") == 0 ||
                strspn(rest, "abcdefghijklmnopqrstuvwxyz_0123456789") == strlen(rest))
                return (int)i;
        }
    }
    return -1;
}

/* ------------------------------------------------------------------ */
/* Rules: loading and validation.                                       */

static void rule_clear(struct eqm_alert_rule *r) {
    free(r->name);
    free(r->measure);
    free(r->dimension);
    for (size_t i = 0; i < r->n_groups; i++)
        free(r->groups[i]);
    free(r->groups);
    free(r->severity);
    for (int i = 0; i < r->n_steps; i++)
        free(r->step_severity[i]);
    free(r->audience);
    memset(r, 0, sizeof(*r));
}

void eqm_alert_rules_free(struct eqm_alert_rules **rules) {
    if (!rules || !*rules)
        return;
    for (int i = 0; i < (*rules)->n; i++)
        rule_clear(&(*rules)->rule[i]);
    free((*rules)->rule);
    free(*rules);
    *rules = NULL;
}

static int cmp_holds(enum eqm_alert_cmp c, double v, double t) {
    switch (c) {
    case EQM_ALERT_GE:
        return v >= t;
    case EQM_ALERT_GT:
        return v > t;
    case EQM_ALERT_LE:
        return v <= t;
    case EQM_ALERT_LT:
        return v < t;
    }
    return 0;
}

/* True when "higher is worse" for the comparison. */
static int cmp_upward(enum eqm_alert_cmp c) {
    return c == EQM_ALERT_GE || c == EQM_ALERT_GT;
}

const char *eqm_alert_cmp_name(enum eqm_alert_cmp c) {
    static const char *const names[] = {">=", ">", "<=", "<"};
    return (unsigned)c < 4 ? names[c] : "?";
}

static const char *const rule_keys[] = {"name",
                                        "measure",
                                        "dimension",
                                        "groups",
                                        "window_days",
                                        "comparison",
                                        "threshold",
                                        "clear",
                                        "min_count",
                                        "require_significant",
                                        "severity",
                                        "severity_steps",
                                        "audience",
                                        "pending",
                                        "repeat_after_days",
                                        "description",
                                        NULL};

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* Reads an optional non-negative integer member. 1: absent; 0: ok; -1: bad. */
static int get_int(json_t *o, const char *key, long long lo, long long hi, long long *out) {
    json_t *v = json_object_get(o, key);
    if (!v)
        return 1;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return -1;
    *out = json_integer_value(v);
    return 0;
}

static int get_str(json_t *o, const char *key, const char **out) {
    json_t *v = json_object_get(o, key);
    if (!v)
        return 1;
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 200)
        return -1;
    *out = json_string_value(v);
    return 0;
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(msg, msg_size, __VA_ARGS__);                                                      \
        return -1;                                                                                 \
    } while (0)

/* Validates one rule object into *r (r zeroed by the caller; freed by the
 * caller on failure). */
static int rule_parse(json_t *o, struct eqm_alert_rule *r, char *msg, size_t msg_size) {
    const char *s, *key;
    json_t *v;
    long long iv;
    int rc, mi;

    if (!json_is_object(o))
        FAIL("a rule must be a JSON object");
    json_object_foreach(o, key, v) {
        int known = 0;
        for (int i = 0; rule_keys[i]; i++)
            known |= strcmp(key, rule_keys[i]) == 0;
        if (!known)
            FAIL("unknown field \"%s\"", key);
    }
    if (get_str(o, "name", &s) != 0)
        FAIL("\"name\" is required: a non-empty string of at most 200 characters");
    if (!(r->name = dup_str(s)))
        FAIL("out of memory");
    if (get_str(o, "measure", &s) != 0)
        FAIL("\"measure\" is required: a string");
    if ((mi = measure_find(s)) < 0)
        FAIL("unknown measure \"%s\" (stop_search.*, custody.*, recruitment.adverse_impact_ratio, "
             "recruitment.withdrawal_rate_ratio, workforce.representation_ratio, "
             "workforce.leaver_rate_ratio)",
             s);
    r->source = measures[mi].source;
    if (!(r->measure = dup_str(s)))
        FAIL("out of memory");
    if (get_str(o, "dimension", &s) != 0)
        FAIL("\"dimension\" is required: a string such as \"ethnicity\"");
    if (!(r->dimension = dup_str(s)))
        FAIL("out of memory");

    v = json_object_get(o, "groups");
    if (v && !(json_is_string(v) && strcmp(json_string_value(v), "all") == 0)) {
        size_t i;
        json_t *g;
        if (!json_is_array(v) || json_array_size(v) == 0)
            FAIL("\"groups\" must be \"all\" or a non-empty array of group names");
        if (!(r->groups = calloc(json_array_size(v), sizeof(char *))))
            FAIL("out of memory");
        json_array_foreach(v, i, g) {
            if (!json_is_string(g) || json_string_length(g) == 0)
                FAIL("\"groups\" item %zu is not a non-empty string", i + 1);
            if (!(r->groups[i] = dup_str(json_string_value(g))))
                FAIL("out of memory");
            r->n_groups = i + 1;
        }
    }

    if ((rc = get_int(o, "window_days", 1, 3660, &iv)) != 0)
        FAIL("\"window_days\" is required: an integer from 1 to 3660 (one of the configured "
             "windows)");
    r->window_days = (int)iv;

    if (get_str(o, "comparison", &s) != 0)
        FAIL("\"comparison\" is required: one of \">=\", \">\", \"<=\", \"<\"");
    if (strcmp(s, ">=") == 0)
        r->cmp = EQM_ALERT_GE;
    else if (strcmp(s, ">") == 0)
        r->cmp = EQM_ALERT_GT;
    else if (strcmp(s, "<=") == 0)
        r->cmp = EQM_ALERT_LE;
    else if (strcmp(s, "<") == 0)
        r->cmp = EQM_ALERT_LT;
    else
        FAIL("\"comparison\" must be one of \">=\", \">\", \"<=\", \"<\", not \"%s\"", s);

    v = json_object_get(o, "threshold");
    if (!v || !json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0)
        FAIL("\"threshold\" is required: a non-negative number");
    r->threshold = json_number_value(v);
    v = json_object_get(o, "clear");
    if (v && (!json_is_number(v) || !isfinite(json_number_value(v))))
        FAIL("\"clear\" must be a number");
    r->clear = v ? json_number_value(v) : r->threshold;
    if (cmp_upward(r->cmp) ? r->clear > r->threshold : r->clear < r->threshold)
        FAIL("\"clear\" (%g) must be on the safe side of \"threshold\" (%g): %s it for \"%s\"",
             r->clear, r->threshold, cmp_upward(r->cmp) ? "at most" : "at least",
             eqm_alert_cmp_name(r->cmp));

    iv = 0;
    if (get_int(o, "min_count", 0, INT64_MAX, &iv) < 0)
        FAIL("\"min_count\" must be a non-negative integer");
    r->min_count = iv;
    v = json_object_get(o, "require_significant");
    if (v && !json_is_boolean(v))
        FAIL("\"require_significant\" must be true or false");
    r->require_significant = v && json_is_true(v);

    s = "warning";
    if (get_str(o, "severity", &s) < 0)
        FAIL("\"severity\" must be a non-empty string");
    if (!(r->severity = dup_str(s)))
        FAIL("out of memory");
    v = json_object_get(o, "severity_steps");
    if (v) {
        size_t i;
        json_t *st;
        double prev = r->threshold;
        if (!json_is_array(v) || json_array_size(v) > EQM_ALERT_MAX_STEPS)
            FAIL("\"severity_steps\" must be an array of at most %d {\"at\", \"severity\"} objects",
                 EQM_ALERT_MAX_STEPS);
        json_array_foreach(v, i, st) {
            json_t *at = json_object_get(st, "at");
            const char *sev;
            if (!json_is_object(st) || !at || !json_is_number(at) ||
                get_str(st, "severity", &sev) != 0 || json_object_size(st) != 2)
                FAIL("\"severity_steps\" item %zu must be {\"at\": number, \"severity\": string}",
                     i + 1);
            if (!cmp_upward(r->cmp) ? json_number_value(at) >= prev : json_number_value(at) <= prev)
                FAIL("\"severity_steps\" item %zu: \"at\" %g must be %s than the threshold and the "
                     "steps before it",
                     i + 1, json_number_value(at), cmp_upward(r->cmp) ? "higher" : "lower");
            prev = json_number_value(at);
            r->step_at[i] = prev;
            if (!(r->step_severity[i] = dup_str(sev)))
                FAIL("out of memory");
            r->n_steps = (int)i + 1;
        }
    }

    if (get_str(o, "audience", &s) != 0)
        FAIL("\"audience\" is required: the group that receives the alert, e.g. "
             "\"stop-search-scrutiny-group\"");
    if (!(r->audience = dup_str(s)))
        FAIL("out of memory");
    iv = 1;
    if (get_int(o, "pending", 1, 1000, &iv) < 0)
        FAIL("\"pending\" must be an integer from 1 to 1000 (evaluations in a row)");
    r->pending = (int)iv;
    iv = 0;
    if (get_int(o, "repeat_after_days", 0, 3660, &iv) < 0)
        FAIL("\"repeat_after_days\" must be an integer from 0 (never) to 3660");
    r->repeat_after_days = (int)iv;
    v = json_object_get(o, "description");
    if (v && !json_is_string(v))
        FAIL("\"description\" must be a string");
    return 0;
}

int eqm_alert_rules_parse(struct eqm_alert_rules **out, const char *text, const char *name,
                          char *errstr, size_t errstr_size) {
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr), *list, *item;
    struct eqm_alert_rules *rules = NULL;
    char msg[400];
    size_t i;
    const char *key;
    json_t *v;

    if (!root) {
        snprintf(errstr, errstr_size, "%s:line %d: %s", name, jerr.line, jerr.text);
        return -1;
    }
    if (!json_is_object(root) || !json_is_array(list = json_object_get(root, "rules"))) {
        snprintf(errstr, errstr_size, "%s: expected an object {\"rules\": [...]}", name);
        goto error;
    }
    json_object_foreach(root, key, v) {
        if (strcmp(key, "rules") != 0 && strcmp(key, "description") != 0) {
            snprintf(errstr, errstr_size, "%s: unknown top-level field \"%s\"", name, key);
            goto error;
        }
    }
    if (!(rules = calloc(1, sizeof(*rules))) ||
        !(rules->rule = calloc(json_array_size(list) + 1, sizeof(*rules->rule)))) {
        snprintf(errstr, errstr_size, "%s: out of memory", name);
        goto error;
    }
    json_array_foreach(list, i, item) {
        struct eqm_alert_rule *r = &rules->rule[i];
        rules->n = (int)i + 1;
        if (rule_parse(item, r, msg, sizeof(msg)) != 0) {
            snprintf(errstr, errstr_size, "%s:rule %zu: %s", name, i + 1, msg);
            goto error;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(rules->rule[j].name, r->name) == 0) {
                snprintf(errstr, errstr_size,
                         "%s:rule %zu: name \"%s\" is already used by rule %zu", name, i + 1,
                         r->name, j + 1);
                goto error;
            }
        }
    }
    json_decref(root);
    *out = rules;
    return 0;
error:
    eqm_alert_rules_free(&rules);
    json_decref(root);
    return -1;
}

int eqm_alert_rules_load(struct eqm_alert_rules **out, const char *path, char *errstr,
                         size_t errstr_size) {
    FILE *fp;
    char *text = NULL;
    long len;
    int rc;

    if (!path || !*path)
        return eqm_alert_rules_parse(out, eqm_alert_rules_default_json,
                                     "schemas/alert-rules.json (built in)", errstr, errstr_size);
    if (!(fp = fopen(path, "rb"))) {
        snprintf(errstr, errstr_size, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0 ||
        len > 16 * 1024 * 1024 || !(text = malloc((size_t)len + 1)) ||
        fread(text, 1, (size_t)len, fp) != (size_t)len) {
        snprintf(errstr, errstr_size, "%s: cannot read (or larger than 16 MB)", path);
        free(text);
        fclose(fp);
        return -1;
    }
    fclose(fp);
    text[len] = '\0';
    rc = eqm_alert_rules_parse(out, text, path, errstr, errstr_size);
    free(text);
    return rc;
}

int eqm_alert_rules_count(const struct eqm_alert_rules *rules, const char *source) {
    int n = 0;
    if (!rules)
        return 0;
    for (int i = 0; i < rules->n; i++)
        n += !source || strcmp(rules->rule[i].source, source) == 0;
    return n;
}

int eqm_alert_rules_check_windows(const struct eqm_alert_rules *rules, const char *file,
                                  const char *source, const int *windows, int n, char *errstr,
                                  size_t sz) {
    if (!rules)
        return 0;
    for (int i = 0; i < rules->n; i++) {
        const struct eqm_alert_rule *r = &rules->rule[i];
        char list[96] = ""; /* up to EQM_CONFIG_MAX_WINDOWS numbers */
        size_t len = 0;
        bool found = false;
        if (strcmp(r->source, source) != 0)
            continue;
        for (int w = 0; w < n && !found; w++)
            found = windows[w] == r->window_days;
        if (found)
            continue;
        for (int w = 0; w < n && len < sizeof(list); w++)
            len +=
                (size_t)snprintf(list + len, sizeof(list) - len, "%s%d", w ? "," : "", windows[w]);
        snprintf(errstr, sz,
                 "%s:rule %d (\"%s\"): \"window_days\": %d is not one of the windows %s "
                 "computes (windows = %s), so the rule would never fire; add %d to windows, "
                 "or change the rule",
                 file && *file ? file : "(built-in defaults)", i + 1, r->name, r->window_days,
                 source, list, r->window_days);
        return -1;
    }
    return 0;
}

int eqm_alert_rules_total(const struct eqm_alert_rules *rules) {
    return rules ? rules->n : 0;
}

const struct eqm_alert_rule *eqm_alert_rules_get(const struct eqm_alert_rules *rules, int i) {
    return rules && i >= 0 && i < rules->n ? &rules->rule[i] : NULL;
}

/* ------------------------------------------------------------------ */
/* The state machine.                                                   */

void eqm_alert_state_init(struct eqm_alert_state *st) {
    memset(st, 0, sizeof(*st));
    st->status = EQM_ALERT_INACTIVE;
    st->resolved_window_end = INT32_MIN;
}

static int severity_level(const struct eqm_alert_rule *rule, double v) {
    int lvl = 0;
    for (int i = 0; i < rule->n_steps; i++)
        if (cmp_holds(rule->cmp, v, rule->step_at[i]))
            lvl = i + 1;
    return lvl;
}

const char *eqm_alert_severity_name(const struct eqm_alert_rule *rule, int level) {
    return level > 0 && level <= rule->n_steps ? rule->step_severity[level - 1] : rule->severity;
}

const char *eqm_alert_status_name(enum eqm_alert_status s) {
    static const char *const names[] = {"inactive", "pending", "firing", "resolved"};
    return (unsigned)s < 4 ? names[s] : "inactive";
}

const char *eqm_alert_transition_name(enum eqm_alert_transition t) {
    static const char *const names[] = {"none", "firing", "severity_up", "reminder", "resolved"};
    return (unsigned)t < 5 ? names[t] : "none";
}

enum eqm_alert_transition eqm_alert_step(const struct eqm_alert_rule *rule,
                                         struct eqm_alert_state *st,
                                         const struct eqm_alert_obs *obs, int64_t now_us) {
    int breach = obs->has_value && cmp_holds(rule->cmp, obs->value, rule->threshold) &&
                 obs->n >= rule->min_count && (!rule->require_significant || obs->significant);
    /* Still on the bad side of the clearing level: hysteresis. Loss of
     * significance or of counts alone does not clear a firing alert; the
     * value has to come back. */
    int holding = obs->has_value && cmp_holds(rule->cmp, obs->value, rule->clear);
    int64_t repeat_us = (int64_t)rule->repeat_after_days * 86400 * INT64_C(1000000);

    switch (st->status) {
    case EQM_ALERT_INACTIVE:
    case EQM_ALERT_RESOLVED:
    case EQM_ALERT_PENDING:
        /* Re-opening a resolved alert needs a breach seen at a newer window
         * end: a late event, which never moves window_end, cannot. */
        if (breach && (st->status != EQM_ALERT_RESOLVED || st->resolved_window_end == INT32_MIN ||
                       obs->window_end > st->resolved_window_end)) {
            if (st->status != EQM_ALERT_PENDING) {
                st->pending_count = 0;
                st->first_breached_us = now_us;
            }
            st->pending_count++;
            if (st->pending_count >= rule->pending) {
                st->status = EQM_ALERT_FIRING;
                st->severity_level = severity_level(rule, obs->value);
                st->last_notified_us = now_us;
                return EQM_ALERT_T_FIRING;
            }
            st->status = EQM_ALERT_PENDING;
            return EQM_ALERT_T_NONE;
        }
        if (st->status == EQM_ALERT_PENDING) {
            /* The breach did not hold for `pending` evaluations. */
            st->status =
                st->resolved_window_end == INT32_MIN ? EQM_ALERT_INACTIVE : EQM_ALERT_RESOLVED;
            st->pending_count = 0;
            st->first_breached_us = 0;
        }
        return EQM_ALERT_T_NONE;
    case EQM_ALERT_FIRING:
        if (!holding) {
            st->status = EQM_ALERT_RESOLVED;
            st->pending_count = 0;
            st->resolved_window_end = obs->window_end;
            st->last_notified_us = now_us;
            return EQM_ALERT_T_RESOLVED;
        }
        if (breach) {
            int lvl = severity_level(rule, obs->value);
            if (lvl > st->severity_level) {
                st->severity_level = lvl;
                st->last_notified_us = now_us;
                return EQM_ALERT_T_SEVERITY_UP;
            }
        }
        if (repeat_us > 0 && now_us - st->last_notified_us >= repeat_us) {
            st->last_notified_us = now_us;
            return EQM_ALERT_T_REMINDER;
        }
        return EQM_ALERT_T_NONE;
    }
    return EQM_ALERT_T_NONE;
}

/* ------------------------------------------------------------------ */
/* The summary sentence.                                                */

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

static int starts(const char *s, const char *prefix) {
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

int eqm_alert_summary(char *buf, size_t size, const struct eqm_alert_figure *f, int resolved,
                      double clear_threshold) {
    struct sbuf b = {buf, size, 0};
    char g[160], ref[160], area[160], r[32], lo[32], hi[32], date[40], role[64], stage[64];
    const char *m = f->measure ? f->measure : "";
    const char *kind = "people";
    char counts[160];
    size_t start;

    if (size > 0)
        buf[0] = '\0';
    if (starts(m, "recruitment."))
        kind = "applicants";
    else if (starts(m, "workforce.leaver"))
        kind = "staff";
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
    if (f->base >= 0)
        snprintf(counts, sizeof(counts), "%lld of %lld", f->n, f->base);
    else
        snprintf(counts, sizeof(counts), "%lld", f->n);

    if (resolved)
        sb_printf(&b, "Resolved: ");
    start = b.len;
    if (!f->has_value) {
        sb_printf(&b, "the figure for %s%s (%s) is no longer available in the %d days to %s.", g,
                  area, m, f->window_days, date);
        goto out;
    }
    if (strcmp(m, "stop_search.searches") == 0) {
        sb_printf(&b, "%s%s were stopped and searched at %s times the rate of %s", g, area, r, ref);
        snprintf(counts, sizeof(counts), "%lld search%s", f->n, f->n == 1 ? "" : "es");
    } else if (strcmp(m, "stop_search.find_rate") == 0) {
        sb_printf(&b, "searches of %s%s found what was searched for at %s times the rate for %s", g,
                  area, r, ref);
        snprintf(counts, sizeof(counts), "%lld finds in %lld searches", f->n, f->base);
    } else if (strcmp(m, "stop_search.arrest_rate") == 0) {
        sb_printf(&b, "searches of %s%s ended in arrest at %s times the rate for %s", g, area, r,
                  ref);
        snprintf(counts, sizeof(counts), "%lld arrests in %lld searches", f->n, f->base);
    } else if (strcmp(m, "stop_search.section_60_share") == 0) {
        sb_printf(&b, "searches of %s%s were under section 60 at %s times the rate for %s", g, area,
                  r, ref);
        snprintf(counts, sizeof(counts), "%lld of %lld searches", f->n, f->base);
    } else if (strcmp(m, "stop_search.strip_share") == 0) {
        sb_printf(&b,
                  "searches of %s%s involved removal of more than outer clothing at %s times the "
                  "rate for %s",
                  g, area, r, ref);
        snprintf(counts, sizeof(counts), "%lld of %lld searches", f->n, f->base);
    } else if (strcmp(m, "custody.arrests") == 0) {
        sb_printf(&b, "%s%s were arrested at %s times the rate of %s", g, area, r, ref);
        snprintf(counts, sizeof(counts), "%lld arrests", f->n);
    } else if (strcmp(m, "custody.detentions") == 0) {
        sb_printf(&b, "%s%s were detained in custody at %s times the rate of %s", g, area, r, ref);
        snprintf(counts, sizeof(counts), "%lld detentions", f->n);
    } else if (strcmp(m, "custody.strip_searches") == 0) {
        sb_printf(&b, "%s%s were strip-searched at %s times the rate of %s", g, area, r, ref);
        snprintf(counts, sizeof(counts), "%lld strip searches", f->n);
    } else if (strcmp(m, "custody.use_of_force") == 0) {
        sb_printf(&b, "%s%s had force used on them at %s times the rate of %s", g, area, r, ref);
        snprintf(counts, sizeof(counts), "%lld uses of force", f->n);
    } else if (starts(m, "custody.use_of_force_by_tactic.")) {
        char tactic[64];
        words(tactic, sizeof(tactic), m + strlen("custody.use_of_force_by_tactic."));
        sb_printf(&b, "%s%s had %s used on them at %s times the rate of %s", g, area, tactic, r,
                  ref);
        snprintf(counts, sizeof(counts), "%lld uses", f->n);
    } else if (strcmp(m, "custody.strip_search_share") == 0) {
        sb_printf(&b, "detentions of %s%s involved a strip search at %s times the rate for %s", g,
                  area, r, ref);
        snprintf(counts, sizeof(counts), "%lld of %lld detentions", f->n, f->base);
    } else if (strcmp(m, "custody.out_of_court_share") == 0) {
        sb_printf(&b, "cases of %s%s ended out of court at %s times the rate for %s", g, area, r,
                  ref);
        snprintf(counts, sizeof(counts), "%lld of %lld disposals", f->n, f->base);
    } else if (strcmp(m, "custody.charge_share") == 0) {
        sb_printf(&b, "cases of %s%s ended in a charge at %s times the rate for %s", g, area, r,
                  ref);
        snprintf(counts, sizeof(counts), "%lld of %lld disposals", f->n, f->base);
    } else if (strcmp(m, "recruitment.adverse_impact_ratio") == 0) {
        if (f->stage && strcmp(f->stage, "end_to_end") == 0)
            sb_printf(&b,
                      "%s for %s posts went from application to appointment at %s times the rate "
                      "of %s",
                      g, role, r, ref);
        else if (f->stage && strcmp(f->stage, "withdrawal") == 0)
            sb_printf(&b, "%s for %s posts stayed in the process at %s times the rate of %s", g,
                      role, r, ref);
        else
            sb_printf(&b, "%s for %s posts passed the %s stage at %s times the pass rate of %s", g,
                      role, stage, r, ref);
        snprintf(counts, sizeof(counts), "%lld of %lld passed", f->n, f->base);
    } else if (strcmp(m, "recruitment.withdrawal_rate_ratio") == 0) {
        sb_printf(&b, "%s for %s posts withdrew at the %s stage at %s times the rate of %s", g,
                  role, stage, r, ref);
        snprintf(counts, sizeof(counts), "%lld of %lld withdrew", f->n, f->base);
    } else if (strcmp(m, "workforce.representation_ratio") == 0) {
        sb_printf(&b,
                  "%s were represented among %s staff%s at %s times their share of the local "
                  "population",
                  g, role, area, r);
        snprintf(counts, sizeof(counts), "%lld of %lld staff", f->n, f->base);
    } else if (strcmp(m, "workforce.leaver_rate_ratio") == 0) {
        sb_printf(&b, "%s in %s roles%s left at %s times the rate of %s", g, role, area, r, ref);
        snprintf(counts, sizeof(counts), "%lld leavers", f->n);
    } else {
        sb_printf(&b, "for %s%s, %s was %s times the figure for %s", g, area, m, r, ref);
    }
    sb_printf(&b, " in the %d days to %s", f->window_days, date);
    if (f->has_ci) {
        fmt_num(lo, sizeof(lo), f->ci_low);
        fmt_num(hi, sizeof(hi), f->ci_high);
        sb_printf(&b, " (95%% CI %s to %s; %s)", lo, hi, counts);
    } else {
        sb_printf(&b, " (no confidence interval; %s)", counts);
    }
    if (resolved) {
        char c[32];
        fmt_num(c, sizeof(c), clear_threshold);
        sb_printf(&b, ", %s the clearing level of %s",
                  f->value < clear_threshold ? "below" : "above", c);
    }
    sb_printf(&b, ".");
out:
    if (start < size && buf[start])
        buf[start] = (char)toupper((unsigned char)buf[start]);
    return (int)b.len;
}

/* ------------------------------------------------------------------ */
/* Evaluation against PostgreSQL.                                       */

/* The figures of each family, in one column order:
 * measure, area, role, stage, dimension, grp, ref_grp, window_days,
 * window_end, value, ci_low, ci_high, p_value, n, base, ref_n, ref_base,
 * counts (json), scope (part of the fingerprint), mc (the count min_count
 * applies to). p is the CTE of parameters. */
static const char *family_sql(enum family fam) {
    switch (fam) {
    case FAM_METRICS:
        return "SELECT m.measure, m.area, NULL::text AS role, NULL::text AS stage, m.dimension, "
               "m.grp, m.reference_grp AS ref_grp, m.window_days, m.window_end, m.ratio AS value, "
               "m.ci_low, m.ci_high, NULL::float8 AS p_value, m.n, m.base::float8 AS base, "
               "m.ref_n::float8 AS ref_n, m.ref_base::float8 AS ref_base, "
               "jsonb_build_object('n', m.n, 'base', m.base, 'ref_n', m.ref_n, 'ref_base', "
               "m.ref_base, 'rate', m.rate, 'ref_rate', m.ref_rate) AS counts, m.area AS scope, "
               "m.n AS mc FROM equality.figures m, p WHERE m.source = p.source "
               "AND (m.measure = p.measure OR (p.prefix AND starts_with(m.measure, p.measure))) "
               "AND m.dimension = p.dimension AND m.window_days = p.window_days";
    case FAM_ATTRITION:
        return "SELECT 'recruitment.adverse_impact_ratio'::text AS measure, NULL::text AS area, "
               "a.role, a.stage, a.dimension, a.grp, a.comparison_grp AS ref_grp, a.window_days, "
               "a.window_end, a.adverse_impact_ratio AS value, a.ci_low, a.ci_high, a.p_value, "
               "a.passed AS n, a.base::float8 AS base, a.comparison_passed::float8 AS ref_n, "
               "a.comparison_base::float8 AS ref_base, jsonb_build_object('n', a.passed, 'base', "
               "a.base, 'ref_n', a.comparison_passed, 'ref_base', a.comparison_base, 'entered', "
               "a.entered, 'passed', a.passed, 'failed', a.failed, 'withdrawn', a.withdrawn, "
               "'pass_rate', a.pass_rate, 'comparison_pass_rate', a.comparison_pass_rate) AS "
               "counts, a.role || '/' || a.stage AS scope, a.base AS mc "
               "FROM equality.attrition a, p WHERE p.source = 'recruitment' "
               "AND p.measure = 'recruitment.adverse_impact_ratio' AND NOT p.prefix "
               "AND a.dimension = p.dimension AND a.window_days = p.window_days";
    case FAM_WITHDRAWAL:
        return "SELECT 'recruitment.withdrawal_rate_ratio'::text AS measure, NULL::text AS area, "
               "a.role, a.stage, a.dimension, a.grp, a.comparison_grp AS ref_grp, a.window_days, "
               "a.window_end, a.withdrawal_rate_ratio AS value, NULL::float8 AS ci_low, "
               "NULL::float8 AS ci_high, NULL::float8 AS p_value, a.withdrawn AS n, "
               "a.entered::float8 AS base, a.comparison_withdrawn::float8 AS ref_n, "
               "a.comparison_entered::float8 AS ref_base, jsonb_build_object('n', a.withdrawn, "
               "'base', a.entered, 'ref_n', a.comparison_withdrawn, 'ref_base', "
               "a.comparison_entered, 'withdrawal_rate', a.withdrawal_rate) AS counts, "
               "a.role || '/' || a.stage AS scope, a.entered AS mc "
               "FROM equality.attrition a, p WHERE p.source = 'recruitment' "
               "AND p.measure = 'recruitment.withdrawal_rate_ratio' AND NOT p.prefix "
               "AND a.dimension = p.dimension AND a.window_days = p.window_days";
    case FAM_REPRESENTATION:
        return "SELECT 'workforce.representation_ratio'::text AS measure, w.area, w.role, "
               "NULL::text AS stage, w.dimension, w.grp, NULL::text AS ref_grp, w.window_days, "
               "w.window_end, w.representation_ratio AS value, w.representation_ci_low AS ci_low, "
               "w.representation_ci_high AS ci_high, NULL::float8 AS p_value, w.headcount AS n, "
               "w.headcount_total::float8 AS base, w.population::float8 AS ref_n, "
               "w.population_total::float8 AS ref_base, jsonb_build_object('n', w.headcount, "
               "'base', w.headcount_total, 'ref_n', w.population, 'ref_base', w.population_total, "
               "'share', w.share, 'population_share', w.population_share) AS counts, "
               "w.area || '/' || w.role AS scope, w.headcount AS mc "
               "FROM equality.workforce w, p WHERE p.source = 'recruitment' "
               "AND p.measure = 'workforce.representation_ratio' AND NOT p.prefix "
               "AND w.dimension = p.dimension AND w.window_days = p.window_days";
    case FAM_LEAVERS:
        return "SELECT 'workforce.leaver_rate_ratio'::text AS measure, w.area, w.role, "
               "NULL::text AS stage, w.dimension, w.grp, w.reference_grp AS ref_grp, "
               "w.window_days, w.window_end, w.leaver_rate_ratio AS value, "
               "w.leaver_rate_ci_low AS ci_low, w.leaver_rate_ci_high AS ci_high, "
               "NULL::float8 AS p_value, w.leavers AS n, w.avg_headcount AS base, "
               "w.ref_leavers::float8 AS ref_n, w.ref_avg_headcount AS ref_base, "
               "jsonb_build_object('n', w.leavers, 'base', w.avg_headcount, 'ref_n', "
               "w.ref_leavers, 'ref_base', w.ref_avg_headcount, 'leaver_rate', w.leaver_rate, "
               "'ref_leaver_rate', w.ref_leaver_rate) AS counts, "
               "w.area || '/' || w.role AS scope, w.leavers AS mc "
               "FROM equality.workforce w, p WHERE p.source = 'recruitment' "
               "AND p.measure = 'workforce.leaver_rate_ratio' AND NOT p.prefix "
               "AND w.dimension = p.dimension AND w.window_days = p.window_days";
    }
    return NULL;
}

static const char *const value_field[] = {"ratio", "adverse_impact_ratio", "withdrawal_rate_ratio",
                                          "representation_ratio", "leaver_rate_ratio"};

enum {
    C_MEASURE,
    C_AREA,
    C_ROLE,
    C_STAGE,
    C_DIM,
    C_GRP,
    C_REF,
    C_WDAYS,
    C_WEND,
    C_VALUE,
    C_CILO,
    C_CIHI,
    C_P,
    C_N,
    C_BASE,
    C_REFN,
    C_REFBASE,
    C_COUNTS,
    C_MC,
    C_FP,
    C_WDAY,
    C_AREANAME,
    C_STATUS,
    C_PENDING,
    C_SEVLVL,
    C_FIRST,
    C_NOTIFIED,
    C_RESOLVED,
    C_LASTVAL,
    C_LASTWEND,
    C_SILENCED
};

static const char *eval_sql_head =
    "WITH p AS (SELECT $1::text AS source, $2::text AS measure, $3::boolean AS prefix, "
    "$4::text AS dimension, $5::integer AS window_days, $6::text[] AS groups, "
    "$7::float8 AS threshold, $8::bigint AS min_count, $9::text AS rule, "
    "to_timestamp($10::float8 / 1e6) AS now), "
    "f AS (";
static const char *eval_sql_mid =
    "), "
    "g AS (SELECT f.*, md5(concat_ws('|', p.rule, f.measure, f.scope, f.dimension, f.grp, "
    "f.window_days)) AS fp FROM f, p WHERE p.groups IS NULL OR f.grp = ANY (p.groups)) "
    "SELECT g.measure, g.area, g.role, g.stage, g.dimension, g.grp, g.ref_grp, g.window_days, "
    "g.window_end::text, g.value, g.ci_low, g.ci_high, g.p_value, g.n, g.base, g.ref_n, "
    "g.ref_base, g.counts::text, g.mc, g.fp, (g.window_end - date '1970-01-01'), "
    /* Display name: a district's Census name; a defined area's name with
     * capitals ("cambridgeshire" -> "Cambridgeshire"); the default force
     * area "force" in words; else as kept. */
    "coalesce((SELECT min(d.area_name) FROM equality.population_district d "
    "          WHERE d.area_code = g.area), "
    "         CASE WHEN g.area = 'force' THEN 'the force area' END, "
    "         (SELECT initcap(min(a.area)) FROM equality.area_districts a "
    "          WHERE a.area = g.area), g.area), "
    "s.status, s.pending_count, s.severity_level, "
    "(extract(epoch FROM s.first_breached_at) * 1e6)::bigint, "
    "(extract(epoch FROM s.last_notified_at) * 1e6)::bigint, "
    "(s.resolved_window_end - date '1970-01-01'), s.last_value, s.last_window_end::text, "
    "EXISTS (SELECT 1 FROM equality.alert_silences x WHERE x.fingerprint = g.fp "
    "        AND x.removed_at IS NULL AND x.until > p.now) "
    "FROM g CROSS JOIN p LEFT JOIN equality.alert_state s ON s.fingerprint = g.fp "
    "WHERE (g.value ";
static const char *eval_sql_tail = " p.threshold AND g.mc >= p.min_count) "
                                   "   OR s.status IN ('pending', 'firing') "
                                   "ORDER BY g.fp";

static const char *upsert_sql =
    "INSERT INTO equality.alert_state (fingerprint, rule, source, measure, area, role, stage, "
    "dimension, grp, window_days, status, pending_count, severity_level, severity, "
    "first_breached_at, last_value, last_window_end, resolved_window_end, last_notified_at, "
    "last_evaluated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
    "to_timestamp($15::float8 / 1e6), $16, $17::date, date '1970-01-01' + $18::integer, "
    "to_timestamp($19::float8 / 1e6), "
    "to_timestamp($20::float8 / 1e6)) "
    "ON CONFLICT (fingerprint) DO UPDATE SET status = EXCLUDED.status, "
    "pending_count = EXCLUDED.pending_count, severity_level = EXCLUDED.severity_level, "
    "severity = EXCLUDED.severity, first_breached_at = EXCLUDED.first_breached_at, "
    "last_value = EXCLUDED.last_value, last_window_end = EXCLUDED.last_window_end, "
    "resolved_window_end = EXCLUDED.resolved_window_end, "
    "last_notified_at = EXCLUDED.last_notified_at, last_evaluated_at = EXCLUDED.last_evaluated_at";

static const char *outbox_sql =
    "WITH u AS (SELECT gen_random_uuid() AS id), "
    "o AS (INSERT INTO equality.alert_outbox (alert_id, fingerprint, status, audience, payload, "
    "publish) SELECT u.id, $1, $2, $3, jsonb_set($4::jsonb, '{alert_id}', to_jsonb(u.id::text)), "
    "$5::boolean FROM u RETURNING alert_id) "
    "UPDATE equality.alert_state SET last_alert_id = (SELECT alert_id FROM o) "
    "WHERE fingerprint = $1 RETURNING last_alert_id";

static const char *col(const PGresult *res, int row, int c) {
    return PQgetisnull(res, row, c) ? NULL : PQgetvalue(res, row, c);
}

static void fmt_time(char out[64], int64_t us) {
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)((us % 1000000) / 1000));
}

static json_t *num_or_null(const char *s) {
    return s ? json_real(strtod(s, NULL)) : json_null();
}
static json_t *str_or_null(const char *s) {
    return s ? json_string(s) : json_null();
}

static enum eqm_alert_status status_parse(const char *s) {
    if (!s)
        return EQM_ALERT_INACTIVE;
    if (strcmp(s, "pending") == 0)
        return EQM_ALERT_PENDING;
    if (strcmp(s, "firing") == 0)
        return EQM_ALERT_FIRING;
    if (strcmp(s, "resolved") == 0)
        return EQM_ALERT_RESOLVED;
    return EQM_ALERT_INACTIVE;
}

/* The message for one transition; NULL when out of memory. */
static json_t *payload_build(const struct eqm_alert_rule *rule, enum family fam,
                             const PGresult *res, int row, const struct eqm_alert_state *st,
                             enum eqm_alert_transition t, const struct eqm_alert_obs *obs,
                             int significant, int64_t now_us) {
    struct eqm_alert_figure fig;
    char summary[1024], first[64], eval[64];
    json_t *counts, *o;
    json_error_t jerr;

    memset(&fig, 0, sizeof(fig));
    fig.measure = col(res, row, C_MEASURE);
    fig.area_name = col(res, row, C_AREANAME);
    fig.role = col(res, row, C_ROLE);
    fig.stage = col(res, row, C_STAGE);
    fig.dimension = col(res, row, C_DIM);
    fig.grp = col(res, row, C_GRP);
    fig.reference_grp = col(res, row, C_REF);
    fig.window_days = atoi(PQgetvalue(res, row, C_WDAYS));
    fig.window_end = col(res, row, C_WEND);
    fig.has_value = obs->has_value;
    fig.value = obs->value;
    fig.has_ci = col(res, row, C_CILO) && col(res, row, C_CIHI);
    fig.ci_low = fig.has_ci ? strtod(col(res, row, C_CILO), NULL) : 0;
    fig.ci_high = fig.has_ci ? strtod(col(res, row, C_CIHI), NULL) : 0;
    fig.n = col(res, row, C_N) ? strtoll(col(res, row, C_N), NULL, 10) : 0;
    fig.base = col(res, row, C_BASE) ? llround(strtod(col(res, row, C_BASE), NULL)) : -1;
    eqm_alert_summary(summary, sizeof(summary), &fig, t == EQM_ALERT_T_RESOLVED, rule->clear);
    fmt_time(first, st->first_breached_us ? st->first_breached_us : now_us);
    fmt_time(eval, now_us);

    counts = json_loads(PQgetvalue(res, row, C_COUNTS), 0, &jerr);
    if (!counts)
        return NULL;
    o = json_object();
    if (!o) {
        json_decref(counts);
        return NULL;
    }
    json_object_set_new(o, "schema_version", json_integer(1));
    /* Replaced by the uuid PostgreSQL draws in the same INSERT. */
    json_object_set_new(o, "alert_id", json_string("00000000-0000-0000-0000-000000000000"));
    json_object_set_new(o, "fingerprint", json_string(PQgetvalue(res, row, C_FP)));
    json_object_set_new(o, "status",
                        json_string(t == EQM_ALERT_T_RESOLVED ? "resolved" : "firing"));
    json_object_set_new(o, "transition", json_string(eqm_alert_transition_name(t)));
    json_object_set_new(o, "rule", json_string(rule->name));
    json_object_set_new(o, "source", json_string(rule->source));
    json_object_set_new(o, "measure", json_string(fig.measure));
    json_object_set_new(o, "area", str_or_null(col(res, row, C_AREA)));
    json_object_set_new(o, "area_name", str_or_null(fig.area_name));
    json_object_set_new(o, "role", str_or_null(fig.role));
    json_object_set_new(o, "stage", str_or_null(fig.stage));
    json_object_set_new(o, "dimension", json_string(fig.dimension));
    json_object_set_new(o, "group", json_string(fig.grp));
    json_object_set_new(o, "reference_group", str_or_null(fig.reference_grp));
    json_object_set_new(o, "window_days", json_integer(fig.window_days));
    json_object_set_new(o, "window_end", json_string(fig.window_end));
    json_object_set_new(o, "value", obs->has_value ? json_real(obs->value) : json_null());
    json_object_set_new(o, "value_field", json_string(value_field[fam]));
    json_object_set_new(o, "ci_low", num_or_null(col(res, row, C_CILO)));
    json_object_set_new(o, "ci_high", num_or_null(col(res, row, C_CIHI)));
    json_object_set_new(o, "p_value", num_or_null(col(res, row, C_P)));
    json_object_set_new(o, "comparison", json_string(eqm_alert_cmp_name(rule->cmp)));
    json_object_set_new(o, "threshold", json_real(rule->threshold));
    json_object_set_new(o, "clear_threshold", json_real(rule->clear));
    json_object_set_new(o, "min_count", json_integer(rule->min_count));
    json_object_set_new(o, "require_significant", json_boolean(rule->require_significant));
    json_object_set_new(o, "significant", json_boolean(significant));
    json_object_set_new(o, "counts", counts);
    json_object_set_new(o, "audience", json_string(rule->audience));
    json_object_set_new(o, "severity",
                        json_string(eqm_alert_severity_name(rule, st->severity_level)));
    json_object_set_new(o, "first_breached_at", json_string(first));
    json_object_set_new(o, "evaluated_at", json_string(eval));
    json_object_set_new(o, "summary", json_string(summary));
    return o;
}

static int pg_fail(PGconn *conn, PGresult *res, const char *what, char *errstr, size_t sz) {
    eqm_pg_error(conn, res, what, errstr, sz);
    PQclear(res);
    return -1;
}

static int same_state(const struct eqm_alert_state *a, const struct eqm_alert_state *b) {
    return a->status == b->status && a->pending_count == b->pending_count &&
           a->severity_level == b->severity_level && a->first_breached_us == b->first_breached_us &&
           a->last_notified_us == b->last_notified_us &&
           a->resolved_window_end == b->resolved_window_end;
}

/* Evaluates one rule; returns outbox rows written or -1. */
static int evaluate_rule(PGconn *conn, const struct eqm_alert_rule *rule, int64_t now_us,
                         char *errstr, size_t errstr_size) {
    enum family fam = measures[measure_find(rule->measure)].family;
    static const char *const ops[] = {">=", ">", "<=", "<"};
    char sql[8192], measure[256], window[16], threshold[40], min_count[24], now[32], *groups = NULL;
    const char *params[10];
    int prefix = 0, written = 0;
    size_t ml = strlen(rule->measure);
    PGresult *res;

    /* "x.*" is a prefix match on "x.". */
    snprintf(measure, sizeof(measure), "%s", rule->measure);
    if (ml >= 2 && strcmp(rule->measure + ml - 2, ".*") == 0) {
        measure[ml - 1] = '\0';
        prefix = 1;
    }
    snprintf(sql, sizeof(sql), "%s%s%s%s%s", eval_sql_head, family_sql(fam), eval_sql_mid,
             ops[rule->cmp], eval_sql_tail);
    snprintf(window, sizeof(window), "%d", rule->window_days);
    snprintf(threshold, sizeof(threshold), "%.17g", rule->threshold);
    snprintf(min_count, sizeof(min_count), "%lld", rule->min_count);
    snprintf(now, sizeof(now), "%lld", (long long)now_us);
    if (rule->n_groups > 0) {
        struct eqm_buf b = {0};
        if (eqm_pg_array_begin(&b) != 0)
            goto oom;
        for (size_t i = 0; i < rule->n_groups; i++)
            if (eqm_pg_array_text(&b, rule->groups[i], strlen(rule->groups[i])) != 0)
                goto oom_buf;
        if (eqm_pg_array_end(&b) != 0)
            goto oom_buf;
        groups = b.data;
        goto built;
    oom_buf:
        free(b.data);
    oom:
        snprintf(errstr, errstr_size, "alerts: out of memory");
        return -1;
    }
built:
    params[0] = rule->source;
    params[1] = measure;
    params[2] = prefix ? "true" : "false";
    params[3] = rule->dimension;
    params[4] = window;
    params[5] = groups;
    params[6] = threshold;
    params[7] = min_count;
    params[8] = rule->name;
    params[9] = now;
    res = PQexecParams(conn, sql, 10, NULL, params, NULL, NULL, 0);
    free(groups);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return pg_fail(conn, res, "evaluating alert rule", errstr, errstr_size);

    for (int row = 0; row < PQntuples(res); row++) {
        struct eqm_alert_state st, before;
        struct eqm_alert_obs obs;
        enum eqm_alert_transition t;
        const char *p = col(res, row, C_P), *lo = col(res, row, C_CILO),
                   *hi = col(res, row, C_CIHI);
        const char *lastval = col(res, row, C_LASTVAL), *lastwend = col(res, row, C_LASTWEND);
        int significant;

        eqm_alert_state_init(&st);
        if (col(res, row, C_STATUS)) {
            st.status = status_parse(col(res, row, C_STATUS));
            st.pending_count = atoi(PQgetvalue(res, row, C_PENDING));
            st.severity_level = atoi(PQgetvalue(res, row, C_SEVLVL));
            if (col(res, row, C_FIRST))
                st.first_breached_us = strtoll(col(res, row, C_FIRST), NULL, 10);
            if (col(res, row, C_NOTIFIED))
                st.last_notified_us = strtoll(col(res, row, C_NOTIFIED), NULL, 10);
            if (col(res, row, C_RESOLVED))
                st.resolved_window_end = (int32_t)atoi(col(res, row, C_RESOLVED));
        }
        before = st;
        memset(&obs, 0, sizeof(obs));
        obs.has_value = col(res, row, C_VALUE) != NULL;
        obs.value = obs.has_value ? strtod(col(res, row, C_VALUE), NULL) : 0;
        obs.n = col(res, row, C_MC) ? strtoll(col(res, row, C_MC), NULL, 10) : 0;
        obs.window_end = (int32_t)atoi(PQgetvalue(res, row, C_WDAY));
        /* With a p-value (recruitment), p < 0.05; otherwise the interval
         * must exclude 1. No interval: not significant. */
        if (p)
            significant = strtod(p, NULL) < 0.05;
        else
            significant = lo && hi && (strtod(lo, NULL) > 1.0 || strtod(hi, NULL) < 1.0);
        obs.significant = significant;
        t = eqm_alert_step(rule, &st, &obs, now_us);

        /* Nothing changed, and the figure is the one already stored: no
         * write at all (a firing alert costs a read per evaluation). */
        if (t == EQM_ALERT_T_NONE && same_state(&st, &before) && col(res, row, C_STATUS) &&
            ((lastval && obs.has_value && strtod(lastval, NULL) == obs.value) ||
             (!lastval && !obs.has_value)) &&
            lastwend && strcmp(lastwend, PQgetvalue(res, row, C_WEND)) == 0)
            continue;
        {
            char pend[16], lvl[16], first[32], notified[32], resolved[16], value[40], ev[32];
            const char *up[20];
            PGresult *r2;
            snprintf(pend, sizeof(pend), "%d", st.pending_count);
            snprintf(lvl, sizeof(lvl), "%d", st.severity_level);
            snprintf(first, sizeof(first), "%lld", (long long)st.first_breached_us);
            snprintf(notified, sizeof(notified), "%lld", (long long)st.last_notified_us);
            snprintf(value, sizeof(value), "%.17g", obs.value);
            snprintf(ev, sizeof(ev), "%lld", (long long)now_us);
            snprintf(resolved, sizeof(resolved), "%d", (int)st.resolved_window_end);
            up[0] = PQgetvalue(res, row, C_FP);
            up[1] = rule->name;
            up[2] = rule->source;
            up[3] = PQgetvalue(res, row, C_MEASURE);
            up[4] = col(res, row, C_AREA);
            up[5] = col(res, row, C_ROLE);
            up[6] = col(res, row, C_STAGE);
            up[7] = PQgetvalue(res, row, C_DIM);
            up[8] = PQgetvalue(res, row, C_GRP);
            up[9] = PQgetvalue(res, row, C_WDAYS);
            up[10] = eqm_alert_status_name(st.status);
            up[11] = pend;
            up[12] = lvl;
            up[13] = eqm_alert_severity_name(rule, st.severity_level);
            up[14] = st.first_breached_us ? first : NULL;
            up[15] = obs.has_value ? value : NULL;
            up[16] = PQgetvalue(res, row, C_WEND);
            up[17] = NULL;
            up[18] = st.last_notified_us ? notified : NULL;
            up[19] = ev;
            up[17] = st.resolved_window_end != INT32_MIN ? resolved : NULL;
            r2 = PQexecParams(conn, upsert_sql, 20, NULL, up, NULL, NULL, 0);
            if (PQresultStatus(r2) != PGRES_COMMAND_OK) {
                PQclear(res);
                return pg_fail(conn, r2, "writing alert state", errstr, errstr_size);
            }
            PQclear(r2);
        }
        if (t != EQM_ALERT_T_NONE) {
            json_t *payload = payload_build(rule, fam, res, row, &st, t, &obs, significant, now_us);
            char *text =
                payload ? json_dumps(payload, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
            const char *op[5];
            PGresult *r3;
            int silenced = PQgetvalue(res, row, C_SILENCED)[0] == 't';
            json_decref(payload);
            if (!text) {
                PQclear(res);
                snprintf(errstr, errstr_size, "alerts: out of memory building the message");
                return -1;
            }
            op[0] = PQgetvalue(res, row, C_FP);
            op[1] = t == EQM_ALERT_T_RESOLVED ? "resolved" : "firing";
            op[2] = rule->audience;
            op[3] = text;
            op[4] = silenced ? "false" : "true";
            r3 = PQexecParams(conn, outbox_sql, 5, NULL, op, NULL, NULL, 0);
            free(text);
            if (PQresultStatus(r3) != PGRES_TUPLES_OK) {
                PQclear(res);
                return pg_fail(conn, r3, "writing alert outbox", errstr, errstr_size);
            }
            eqm_log_info("alert", "rule=%s fingerprint=%s transition=%s silenced=%d alert_id=%s",
                         rule->name, op[0], eqm_alert_transition_name(t), silenced,
                         PQntuples(r3) ? PQgetvalue(r3, 0, 0) : "");
            PQclear(r3);
            written++;
        }
    }
    PQclear(res);
    return written;
}

int eqm_alerts_evaluate(PGconn *conn, const struct eqm_alert_rules *rules, const char *source,
                        int64_t now_us, char *errstr, size_t errstr_size) {
    int total = 0;
    if (!rules)
        return 0;
    for (int i = 0; i < rules->n; i++) {
        int n;
        if (source && strcmp(rules->rule[i].source, source) != 0)
            continue;
        if ((n = evaluate_rule(conn, &rules->rule[i], now_us, errstr, errstr_size)) < 0)
            return -1;
        total += n;
    }
    return total;
}
