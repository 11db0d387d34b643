#define _GNU_SOURCE /* strcasestr */
#include "stop_search.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "eqm/ethnicity.h"

static const char *const key_columns[] = {"area", "dimension", "grp"};
static const char *const count_columns[] = {"searches",    "linked", "link_known",    "arrests",
                                            "section_60",  "strip",  "pace_s1",       "mda_s23",
                                            "other_power", "nfa",    "other_outcome", "children"};
_Static_assert(sizeof(count_columns) / sizeof(count_columns[0]) == SS__COUNT,
               "one count column per counter");
_Static_assert(SS__COUNT <= EQM_MAX_COUNTS, "the engine holds at most EQM_MAX_COUNTS counters");

/* Migration 019: self-defined against officer-defined broad group. */
static const char *const agreement_keys[] = {"area", "self_defined", "officer_defined"};
static const char *const agreement_counts[] = {"searches"};

static const struct eqm_counts_table tables[] = {
    {"equality.stop_search_daily", key_columns, 3, count_columns, SS__COUNT},
    [SS_TABLE_AGREEMENT] = {"equality.stop_search_ethnicity_agreement", agreement_keys, 3,
                            agreement_counts, 1},
};

static const struct eqm_measure measures[] = {
    {"stop_search.searches", SS_SEARCHES, EQM_BASE_POPULATION},
    {"stop_search.find_rate", SS_LINKED, SS_LINK_KNOWN},
    {"stop_search.arrest_rate", SS_ARRESTS, SS_SEARCHES},
    {"stop_search.section_60_share", SS_SECTION_60, SS_SEARCHES},
    {"stop_search.strip_share", SS_STRIP, SS_SEARCHES},
    /* The power and the outcome partition the searches, so each family of
     * shares adds up to 1 (section_60_share is the power family's third;
     * arrest_rate the outcome family's second). */
    {"stop_search.pace_s1_share", SS_PACE_S1, SS_SEARCHES},
    {"stop_search.mda_s23_share", SS_MDA_S23, SS_SEARCHES},
    {"stop_search.other_power_share", SS_OTHER_POWER, SS_SEARCHES},
    {"stop_search.nfa_rate", SS_NFA, SS_SEARCHES},
    {"stop_search.other_outcome_rate", SS_OTHER_OUTCOME, SS_SEARCHES},
    {"stop_search.children_share", SS_CHILDREN, SS_SEARCHES},
};

/* Reference groups: white for ethnicity, as the Home Office compares;
 * male for gender; the oldest band for age (the largest adult group);
 * White British for the detailed groups of the self-defined ethnicity
 * (eqm_ethnicity_detailed), beside which white_minority and all_minority
 * are reported. */
static const struct eqm_dimension dimensions[] = {
    {"ethnicity", "white", true},
    {"officer_defined_ethnicity", "white", true},
    {"gender", "male", false},
    {"age_range", "over 34", false},
    {"ethnicity_detailed", "white_british", true},
};
#define N_DIMENSIONS ((int)(sizeof(dimensions) / sizeof(dimensions[0])))

/* The string value of a field, or NULL if absent, null, not a string. */
static const char *text(const json_t *event, const char *field) {
    const json_t *v = json_object_get(event, field);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Leading and trailing blanks do not matter; NULL stays NULL. */
static bool blank(const char *s) {
    if (!s)
        return true;
    while (*s && isspace((unsigned char)*s))
        s++;
    return !*s;
}

static bool equals_trimmed(const char *s, const char *want) {
    size_t n;
    while (isspace((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return n == strlen(want) && !strncasecmp(s, want, n);
}

/* true / false / unknown (-1), from a JSON boolean or the strings that
 * CSV conversions leave behind ("True", "false"). */
static int tristate(const json_t *event, const char *field) {
    const json_t *v = json_object_get(event, field);
    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (equals_trimmed(s, "true"))
            return 1;
        if (equals_trimmed(s, "false"))
            return 0;
    }
    return -1;
}

const char *eqm_stop_search_gender(const char *s) {
    if (blank(s) || equals_trimmed(s, "not stated") || equals_trimmed(s, "not_stated") ||
        equals_trimmed(s, "unknown"))
        return "not_stated";
    if (equals_trimmed(s, "male") || equals_trimmed(s, "m"))
        return "male";
    if (equals_trimmed(s, "female") || equals_trimmed(s, "f"))
        return "female";
    /* police.uk's third category; any other stated value belongs here. */
    return "other";
}

const char *eqm_stop_search_age(const char *s) {
    static const char *const bands[] = {"under 10", "10-17", "18-24", "25-34", "over 34"};
    if (blank(s))
        return "not_stated";
    for (size_t i = 0; i < sizeof(bands) / sizeof(bands[0]); i++)
        if (equals_trimmed(s, bands[i]))
            return bands[i];
    return "not_stated";
}

static const char *ethnic_group(const char *s) {
    return eqm_ethnicity_name(eqm_ethnicity_map(s, s ? strlen(s) : 0, NULL));
}

bool eqm_stop_search_carries_both(const json_t *event) {
    return (json_object_get(event, "self_defined_ethnicity") ||
            json_object_get(event, "ethnicity")) &&
           json_object_get(event, "officer_defined_ethnicity");
}

bool eqm_stop_search_child(const char *age_range) {
    const char *band = eqm_stop_search_age(age_range);
    return !strcmp(band, "under 10") || !strcmp(band, "10-17");
}

/* Legislation and outcome are matched as section 60 always was: police.uk's
 * words for the power or outcome anywhere in the value, whatever the case
 * (so surrounding words or a trailing blank do not matter). */
static bool mentions(const char *s, const char *words) {
    return s && strcasestr(s, words) != NULL;
}

int eqm_stop_search_power(const char *legislation) {
    /* "(section 60)" but not section 60AA (face coverings). First, so that
     * section_60 counts what it counted before the other powers were. */
    if (mentions(legislation, "section 60)"))
        return SS_SECTION_60;
    if (mentions(legislation, "Police and Criminal Evidence Act 1984 (section 1)"))
        return SS_PACE_S1;
    if (mentions(legislation, "Misuse of Drugs Act 1971 (section 23)"))
        return SS_MDA_S23;
    return SS_OTHER_POWER;
}

int eqm_stop_search_outcome(const char *outcome) {
    /* "Arrest" today; "Suspect arrested" / "Offender arrested" in older
     * police.uk outcome lists. First, so that arrests count as before. */
    if (outcome && (equals_trimmed(outcome, "arrest") || mentions(outcome, "arrested")))
        return SS_ARRESTS;
    /* "A no further action disposal"; older "Nothing found - no further
     * action". "Offender given ..." (a warning, a penalty notice) is an
     * outcome, not NFA. */
    if (mentions(outcome, "no further action"))
        return SS_NFA;
    return SS_OTHER_OUTCOME;
}

static int handle(const struct eqm_envelope *env, const json_t *event, const char *force_area,
                  struct eqm_sink *sink, struct eqm_reject *rej) {
    int64_t counts[SS__COUNT] = {0};
    const char *self = text(event, "self_defined_ethnicity");
    const char *groups[N_DIMENSIONS];
    int linked;

    if (strcmp(env->event_type, "stop_search") != 0) {
        rej->code = "unknown_event_type";
        snprintf(rej->reason, sizeof(rej->reason),
                 "event_type \"%.64s\" is not one this topic carries (expected \"stop_search\")",
                 env->event_type);
        return -1;
    }
    if (!self)
        self = text(event, "ethnicity");
    groups[0] = ethnic_group(self);
    groups[1] = ethnic_group(text(event, "officer_defined_ethnicity"));
    groups[2] =
        eqm_stop_search_gender(text(event, "gender") ? text(event, "gender") : text(event, "sex"));
    groups[3] = eqm_stop_search_age(text(event, "age_range"));
    groups[4] = eqm_ethnicity_detailed(self, self ? strlen(self) : 0, NULL, NULL);

    linked = tristate(event, "outcome_linked_to_object_of_search");
    counts[SS_SEARCHES] = 1;
    counts[SS_LINKED] = linked == 1;
    counts[SS_LINK_KNOWN] = linked >= 0;
    counts[SS_STRIP] = tristate(event, "removal_of_more_than_outer_clothing") == 1;
    /* One power and one outcome for every search. */
    counts[eqm_stop_search_power(text(event, "legislation"))] = 1;
    counts[eqm_stop_search_outcome(text(event, "outcome"))] = 1;
    counts[SS_CHILDREN] = eqm_stop_search_child(groups[3]);

    /* Out of memory is no fault of the event's: stop, and read it again. */
    if (eqm_sink_add_dimensions(sink, 0, env->area, force_area, dimensions, groups, N_DIMENSIONS,
                                counts) != 0)
        return EQM_HANDLE_FAILED;
    /* Self-defined against officer-defined, where the event carries both. */
    if (eqm_stop_search_carries_both(event)) {
        static const int64_t one[1] = {1};
        const char *parts[3] = {env->area, groups[0], groups[1]};
        if (eqm_sink_add_areas(sink, SS_TABLE_AGREEMENT, parts, 0, env->area, force_area, one) != 0)
            return EQM_HANDLE_FAILED;
    }
    return EQM_HANDLE_OK;
}

const struct eqm_service eqm_stop_search_service = {
    .name = "stop-search",
    .default_topic = "stop-search.events",
    .default_group = "eqm-stop-search",
    .tables = tables,
    .n_tables = sizeof(tables) / sizeof(tables[0]),
    .measures = measures,
    .n_measures = sizeof(measures) / sizeof(measures[0]),
    .dimensions = dimensions,
    .n_dimensions = N_DIMENSIONS,
    .handle = handle,
};
