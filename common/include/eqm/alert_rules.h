/*
 * alert_rules.h - alert rules as data: loading and validating a rules
 * file against the catalogue of every service's alert measure families.
 *
 * Rules are data: a JSON file (schemas/alert-rules.json ships the
 * defaults, compiled in; alerts.rules names another file). One file holds
 * every service's rules; each consumer loads all of it (a mistake in any
 * rule stops it) and evaluates its own (eqm/alert_eval.h). Pure: no I/O
 * but reading the file, no global state.
 *
 * Errors: functions that can fail return 0 or -1, and on failure write
 * `file:rule N: message` (`file:line L: message` for bad JSON) to errstr,
 * truncated to errstr_size; their outputs are left untouched.
 */
#ifndef EQM_ALERT_RULES_H
#define EQM_ALERT_RULES_H

#include <stddef.h>

#include "eqm/service.h"

/*
 * What rules may name: every service's alert families (each service's
 * struct eqm_alert_source, listed by services/catalog/). A program passes
 * it in; it must outlive the rules loaded with it, which point into it.
 */
struct eqm_alert_catalog {
    const struct eqm_alert_source *const *sources;
    int n_sources;
};

enum eqm_alert_cmp { EQM_ALERT_GE = 0, EQM_ALERT_GT, EQM_ALERT_LE, EQM_ALERT_LT };

#define EQM_ALERT_MAX_STEPS 4

/* One validated rule (see README "Alerts" for the file format). */
struct eqm_alert_rule {
    char *name;
    char *measure;                         /* exact, or a prefix when it ends in ".*" */
    const struct eqm_alert_family *family; /* the catalogue's, that measure matched */
    const char *source;                    /* the service whose family it is */
    char *dimension;
    char **groups; /* NULL: all groups */
    size_t n_groups;
    int window_days;
    enum eqm_alert_cmp cmp;
    double threshold;
    double clear;        /* hysteresis: a firing alert resolves past this */
    long long min_count; /* no alert while n is below this */
    int require_significant;
    char *severity; /* base severity */
    int n_steps;
    double step_at[EQM_ALERT_MAX_STEPS];
    char *step_severity[EQM_ALERT_MAX_STEPS];
    char *audience;
    int pending;           /* consecutive breaching evaluations before firing */
    int repeat_after_days; /* 0: no reminders */
};

struct eqm_alert_rules;

/*
 * Loads and validates rules from path, or the built-in defaults when path
 * is NULL or empty, against catalog. Returns 0 and *out (the caller frees
 * it with eqm_alert_rules_free()), or -1 with errstr and *out untouched.
 */
int eqm_alert_rules_load(struct eqm_alert_rules **out, const struct eqm_alert_catalog *catalog,
                         const char *path, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/*
 * Parses rules from JSON text; name is used in error messages. Same
 * ownership and failure as eqm_alert_rules_load(). A rule whose measure
 * is no family of catalog is refused, naming the measures there are.
 */
int eqm_alert_rules_parse(struct eqm_alert_rules **out, const struct eqm_alert_catalog *catalog,
                          const char *text, const char *name, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/* Frees the rules and sets *rules to NULL; NULL-safe. */
void eqm_alert_rules_free(struct eqm_alert_rules **rules);

/* Number of rules of this source (a service's name), or of all when NULL. */
int eqm_alert_rules_count(const struct eqm_alert_rules *rules, const char *source);

/* Rule i (0-based) or NULL; the rules keep ownership. */
const struct eqm_alert_rule *eqm_alert_rules_get(const struct eqm_alert_rules *rules, int i);
int eqm_alert_rules_total(const struct eqm_alert_rules *rules);

/*
 * A rule of source whose window_days is not among the n windows the
 * service computes would never see a figure, and so never fire: returns
 * -1 with errstr naming the first such rule (`file:rule N ("name"): ...`,
 * file as given, "(built-in defaults)" when empty), 0 when every rule of
 * source has its window.
 */
int eqm_alert_rules_check_windows(const struct eqm_alert_rules *rules, const char *file,
                                  const char *source, const int *windows, int n, char *errstr,
                                  size_t errstr_size) __attribute__((warn_unused_result));

/*
 * The family of catalog that measure names, or NULL. A prefix family
 * ("x.y.") matches "x.y.*" (all of it) and "x.y.z" (one of it). *source,
 * when source is not NULL, is set to the name of the service it is of.
 * The catalogue keeps ownership.
 */
const struct eqm_alert_family *eqm_alert_catalog_find(const struct eqm_alert_catalog *catalog,
                                                      const char *measure, const char **source);

/* ">=", ">", "<=" or "<". */
const char *eqm_alert_cmp_name(enum eqm_alert_cmp c);

/* The defaults compiled in from schemas/alert-rules.json. */
extern const char eqm_alert_rules_default_json[];

#endif /* EQM_ALERT_RULES_H */
