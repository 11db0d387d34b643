/*
 * rules.c - alert rules from JSON, validated against the catalogue of
 * every service's alert families (eqm/alert_rules.h).
 *
 * Why strict: a rules file is written by hand and judged by nobody until
 * an alert should have fired, so every field is checked, unknown fields
 * are refused (a typo is not silently ignored), and a measure must be one
 * of the catalogue's.
 */
#include "eqm/alert_rules.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

struct eqm_alert_rules {
    struct eqm_alert_rule *rule;
    int n;
};

/* ------------------------------------------------------------------ */
/* The catalogue: which measures a rule may name.                       */

/* A rule may name a prefix family either as "x.y.*" (all of it) or one
 * member in full ("x.y.z"). */
static bool family_matches(const struct eqm_alert_family *fam, const char *m) {
    size_t ml = strlen(fam->measure);
    const char *rest;
    if (!fam->prefix)
        return strcmp(m, fam->measure) == 0;
    if (strlen(m) <= ml || strncmp(m, fam->measure, ml) != 0)
        return false;
    rest = m + ml;
    return strcmp(rest, "*") == 0 ||
           strspn(rest, "abcdefghijklmnopqrstuvwxyz_0123456789") == strlen(rest);
}

const struct eqm_alert_family *eqm_alert_catalog_find(const struct eqm_alert_catalog *catalog,
                                                      const char *measure, const char **source) {
    for (int s = 0; catalog && s < catalog->n_sources; s++) {
        const struct eqm_alert_source *src = catalog->sources[s];
        for (int i = 0; i < src->n_families; i++) {
            if (family_matches(&src->families[i], measure)) {
                if (source)
                    *source = src->name;
                return &src->families[i];
            }
        }
    }
    return NULL;
}

/* Length of the first part of a measure name, its dot included ("x." of
 * "x.y"), or 0. */
static size_t head_len(const char *measure) {
    const char *dot = strchr(measure, '.');
    return dot ? (size_t)(dot - measure) + 1 : 0;
}

/* The measures of catalog, for a person who named none of them: a
 * service's as "x.*" when they all begin "x." (and there are several),
 * else each in full, a prefix family as "x.y.*". */
static void measures_list(const struct eqm_alert_catalog *catalog, char *out, size_t size) {
    size_t len = 0;
    out[0] = '\0';
    for (int s = 0; catalog && s < catalog->n_sources; s++) {
        const struct eqm_alert_source *src = catalog->sources[s];
        size_t head = src->n_families > 1 ? head_len(src->families[0].measure) : 0;
        for (int i = 1; i < src->n_families && head; i++)
            if (strncmp(src->families[i].measure, src->families[0].measure, head) != 0)
                head = 0;
        for (int i = 0; i < src->n_families && len < size; i++) {
            const struct eqm_alert_family *fam = &src->families[i];
            len += (size_t)snprintf(out + len, size - len, "%s%.*s%s", len ? ", " : "",
                                    head ? (int)head : (int)strlen(fam->measure), fam->measure,
                                    head || fam->prefix ? "*" : "");
            if (head)
                break;
        }
    }
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
static int rule_parse(const struct eqm_alert_catalog *catalog, json_t *o, struct eqm_alert_rule *r,
                      char *msg, size_t msg_size) {
    const char *s, *key;
    json_t *v;
    long long iv;
    int rc;

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
    if (!(r->family = eqm_alert_catalog_find(catalog, s, &r->source))) {
        char known[256];
        measures_list(catalog, known, sizeof(known));
        FAIL("unknown measure \"%s\" (%s)", s, known);
    }
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

int eqm_alert_rules_parse(struct eqm_alert_rules **out, const struct eqm_alert_catalog *catalog,
                          const char *text, const char *name, char *errstr, size_t errstr_size) {
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
        if (rule_parse(catalog, item, r, msg, sizeof(msg)) != 0) {
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

int eqm_alert_rules_load(struct eqm_alert_rules **out, const struct eqm_alert_catalog *catalog,
                         const char *path, char *errstr, size_t errstr_size) {
    FILE *fp;
    char *text = NULL;
    long len;
    int rc;

    if (!path || !*path)
        return eqm_alert_rules_parse(out, catalog, eqm_alert_rules_default_json,
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
    rc = eqm_alert_rules_parse(out, catalog, text, path, errstr, errstr_size);
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
