#include "custody.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "eqm/ethnicity.h"
#include "eqm/log.h"

static const char *const key_columns[] = {"area", "dimension", "grp"};

/* Column names as in schemas/sql/003_custody.sql, in CU_* order. */
static const char *const count_columns[] = {
    "arrests",
    "detentions",
    "strip_searches",
    "use_of_force",
    "disposals",
    "out_of_court",
    "charged",
    "tactic_handcuffing",
    "tactic_restraint",
    "tactic_limb_restraints",
    "tactic_unarmed_skills",
    "tactic_spit_guard",
    "tactic_taser_drawn",
    "tactic_taser_aimed",
    "tactic_taser_discharged",
    "tactic_baton",
    "tactic_irritant_spray",
    "tactic_dog",
    "tactic_firearm",
    "tactic_other",
    "tactic_not_recorded",
    "uof_custody",
    "uof_community",
};
_Static_assert(sizeof(count_columns) / sizeof(count_columns[0]) == CU__COUNT,
               "one column name per CU_* counter");
_Static_assert(CU__COUNT <= EQM_MAX_COUNTS, "the engine holds at most EQM_MAX_COUNTS counters");
_Static_assert(CU_T_OTHER - CU_TACTIC_FIRST + 1 == EQM_CUSTODY_N_TACTICS, "one column per tactic");

const char *const eqm_custody_tactics[EQM_CUSTODY_N_TACTICS] = {
    "handcuffing",
    "restraint",
    "limb_restraints",
    "unarmed_skills",
    "spit_guard",
    "taser_drawn",
    "taser_aimed",
    "taser_discharged",
    "baton",
    "irritant_spray",
    "dog",
    "firearm",
    "other",
};

static const struct eqm_counts_table tables[] = {
    {"equality.custody_daily", key_columns, 3, count_columns, CU__COUNT},
};

#define BY_TACTIC(name, col)                                                                       \
    { "custody.use_of_force_by_tactic." name, col, EQM_BASE_POPULATION }

static const struct eqm_measure measures[] = {
    /* Per 1,000 population of the group, ratio to the reference group. */
    {"custody.arrests", CU_ARRESTS, EQM_BASE_POPULATION},
    {"custody.detentions", CU_DETENTIONS, EQM_BASE_POPULATION},
    {"custody.strip_searches", CU_STRIP_SEARCHES, EQM_BASE_POPULATION},
    {"custody.use_of_force", CU_USE_OF_FORCE, EQM_BASE_POPULATION},
    BY_TACTIC("handcuffing", CU_T_HANDCUFFING),
    BY_TACTIC("restraint", CU_T_RESTRAINT),
    BY_TACTIC("limb_restraints", CU_T_LIMB_RESTRAINTS),
    BY_TACTIC("unarmed_skills", CU_T_UNARMED_SKILLS),
    BY_TACTIC("spit_guard", CU_T_SPIT_GUARD),
    BY_TACTIC("taser_drawn", CU_T_TASER_DRAWN),
    BY_TACTIC("taser_aimed", CU_T_TASER_AIMED),
    BY_TACTIC("taser_discharged", CU_T_TASER_DISCHARGED),
    BY_TACTIC("baton", CU_T_BATON),
    BY_TACTIC("irritant_spray", CU_T_IRRITANT_SPRAY),
    BY_TACTIC("dog", CU_T_DOG),
    BY_TACTIC("firearm", CU_T_FIREARM),
    BY_TACTIC("other", CU_T_OTHER),
    /* Shares of a count of the group's own events, ratio to the reference
     * group's share. */
    {"custody.strip_search_share", CU_STRIP_SEARCHES, CU_DETENTIONS},
    {"custody.out_of_court_share", CU_OUT_OF_COURT, CU_DISPOSALS},
    {"custody.charge_share", CU_CHARGED, CU_DISPOSALS},
};

/* Reference groups: white for ethnicity, as the Home Office compares; male
 * for gender; the oldest band for age, as stop-search does.
 *
 * "ethnicity" is the Home Office's choice for each measure: the person's
 * self-defined ethnicity, except for a use of force that carries a stated
 * officer_defined_ethnicity, which counts in that officer-perceived group
 * (the Home Office's use-of-force tables are by perceived ethnicity).
 * "officer_defined_ethnicity" is the officer-perceived group on its own,
 * for every event that carries it, whatever its type; it is last, and only
 * those events have a row of it. "self_defined_ethnicity" is the person's
 * self-defined group for every event, so that a use of force counted by the
 * perceived group in "ethnicity" still counts by the self-defined one.
 * "ethnicity_detailed" is the self-defined ethnicity's detailed group
 * (eqm_ethnicity_detailed) for every event, use of force included, against
 * White British. */
static const struct eqm_dimension dimensions[] = {
    {"ethnicity", "white", true},
    {"gender", "male", false},
    {"age_range", "over 34", false},
    {"self_defined_ethnicity", "white", true},
    {"ethnicity_detailed", "white_british", true},
    {"officer_defined_ethnicity", "white", true},
};
#define N_DIMENSIONS ((int)(sizeof(dimensions) / sizeof(dimensions[0])))
#define D_SELF       3 /* dimensions[] index of self_defined_ethnicity */
#define D_DETAILED   4 /* dimensions[] index of ethnicity_detailed */
#define D_OFFICER    5 /* dimensions[] index of officer_defined_ethnicity: the last */

/* ---- characteristics -------------------------------------------------- */

/* The string value of a field, or NULL if absent, null, not a string. */
static const char *text(const json_t *event, const char *field) {
    const json_t *v = json_object_get(event, field);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool is_blank_char(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static bool blank(const char *s) {
    if (!s)
        return true;
    while (*s && is_blank_char(*s))
        s++;
    return !*s;
}

/* s equals want ignoring ASCII case and surrounding blanks. */
static bool equals_trimmed(const char *s, const char *want) {
    size_t n;
    while (is_blank_char(*s))
        s++;
    n = strlen(s);
    while (n && is_blank_char(s[n - 1]))
        n--;
    return n == strlen(want) && !strncasecmp(s, want, n);
}

const char *eqm_custody_gender(const char *s) {
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

static const char *const age_bands[] = {"under 10", "10-17", "18-24", "25-34", "over 34"};

const char *eqm_custody_age_band(const char *s) {
    if (blank(s))
        return "not_stated";
    for (size_t i = 0; i < sizeof(age_bands) / sizeof(age_bands[0]); i++)
        if (equals_trimmed(s, age_bands[i]))
            return age_bands[i];
    return "not_stated";
}

const char *eqm_custody_age_band_of_years(long long years) {
    if (years < 0 || years > 130)
        return "not_stated";
    if (years < 10)
        return age_bands[0];
    if (years <= 17)
        return age_bands[1];
    if (years <= 24)
        return age_bands[2];
    if (years <= 34)
        return age_bands[3];
    return age_bands[4];
}

static const char *age_group(const json_t *event) {
    const char *band = eqm_custody_age_band(text(event, "age_range"));
    const json_t *age = json_object_get(event, "age");

    /* Custody records hold an age in years; a band, when given, wins. */
    if (!strcmp(band, "not_stated") && json_is_integer(age))
        return eqm_custody_age_band_of_years(json_integer_value(age));
    return band;
}

static const char *ethnic_name(const char *s) {
    return eqm_ethnicity_name(eqm_ethnicity_map(s, s ? strlen(s) : 0, NULL));
}

/* The person's self-defined label. */
static const char *self_defined(const json_t *event) {
    const char *s = text(event, "ethnicity");
    return s ? s : text(event, "self_defined_ethnicity");
}

/* The person's self-defined group. */
static const char *ethnic_group(const json_t *event) {
    return ethnic_name(self_defined(event));
}

/* The person's self-defined detailed group. */
static const char *ethnic_detailed(const json_t *event) {
    const char *s = self_defined(event);
    return eqm_ethnicity_detailed(s, s ? strlen(s) : 0, NULL, NULL);
}

/* ---- tactics ---------------------------------------------------------- */

#define TACTIC_NAME_MAX 64

/* Other names producers use for the same tactic, after normalising (see
 * eqm_custody_tactic). The Home Office's use-of-force return and the
 * forces' own systems name tactics differently; CED is the Taser's generic
 * name. Documented in schemas/events/README.md. */
static const struct {
    const char *alias;
    int column;
} aliases[] = {
    {"taser_fired", CU_T_TASER_DISCHARGED},
    {"ced_fired", CU_T_TASER_DISCHARGED},
    {"ced_discharged", CU_T_TASER_DISCHARGED},
    {"ced_drawn", CU_T_TASER_DRAWN},
    {"ced_aimed", CU_T_TASER_AIMED},
    {"taser_red_dot", CU_T_TASER_AIMED},
    {"taser_red_dotted", CU_T_TASER_AIMED},
    {"handcuffs", CU_T_HANDCUFFING},
    {"compliant_handcuffing", CU_T_HANDCUFFING},
    {"non_compliant_handcuffing", CU_T_HANDCUFFING},
    {"ground_restraint", CU_T_RESTRAINT},
    {"limb_restraint", CU_T_LIMB_RESTRAINTS},
    {"limb_body_restraints", CU_T_LIMB_RESTRAINTS},
    {"limb_and_body_restraints", CU_T_LIMB_RESTRAINTS},
    {"unarmed_skill", CU_T_UNARMED_SKILLS},
    {"spit_and_bite_guard", CU_T_SPIT_GUARD},
    {"spit_bite_guard", CU_T_SPIT_GUARD},
    {"spit_hood", CU_T_SPIT_GUARD},
    {"cs_spray", CU_T_IRRITANT_SPRAY},
    {"pava_spray", CU_T_IRRITANT_SPRAY},
    {"pava", CU_T_IRRITANT_SPRAY},
    {"baton_drawn", CU_T_BATON},
    {"baton_used", CU_T_BATON},
    {"police_dog", CU_T_DOG},
    {"dog_deployed", CU_T_DOG},
    {"dog_bite", CU_T_DOG},
    {"firearms", CU_T_FIREARM},
    {"firearm_aimed", CU_T_FIREARM},
    {"firearm_fired", CU_T_FIREARM},
};

/* Lower case, blanks trimmed, ' ', '-' and '/' as '_', runs of '_' as
 * one, no '_' at either end. Returns the length, or -1 if longer than
 * TACTIC_NAME_MAX. */
static int normalise(const char *s, char out[TACTIC_NAME_MAX + 1]) {
    int n = 0;
    for (; *s; s++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (c == ' ' || c == '-' || c == '/' || is_blank_char(c))
            c = '_';
        if (c == '_' && (n == 0 || out[n - 1] == '_'))
            continue;
        if (n == TACTIC_NAME_MAX)
            return -1;
        out[n++] = c;
    }
    if (n && out[n - 1] == '_')
        n--;
    out[n] = '\0';
    return n;
}

int eqm_custody_tactic(const char *s, bool *known) {
    char name[TACTIC_NAME_MAX + 1];
    int n = normalise(s, name);

    if (known)
        *known = false;
    if (n == 0)
        return -1;
    if (n > 0) {
        for (int i = 0; i < EQM_CUSTODY_N_TACTICS; i++)
            if (!strcmp(name, eqm_custody_tactics[i])) {
                if (known)
                    *known = true;
                return i;
            }
        for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
            if (!strcmp(name, aliases[i].alias)) {
                if (known)
                    *known = true;
                return aliases[i].column - CU_TACTIC_FIRST;
            }
    }
    return CU_T_OTHER - CU_TACTIC_FIRST;
}

/* Unknown tactics are counted as "other" and logged, once per distinct
 * spelling (a producer sending a new name sends it thousands of times). */
#define UNKNOWN_LOGGED_MAX 32
static char unknown_logged[UNKNOWN_LOGGED_MAX][TACTIC_NAME_MAX + 1];
static int n_unknown_logged;

static void log_unknown_tactic(const char *s, const char *event_id) {
    char tactic[160] = "", id[300] = "";

    for (int i = 0; i < n_unknown_logged; i++)
        if (!strncmp(unknown_logged[i], s, TACTIC_NAME_MAX))
            return;
    eqm_log_quote(tactic, sizeof(tactic), s);
    eqm_log_quote(id, sizeof(id), event_id);
    if (n_unknown_logged == UNKNOWN_LOGGED_MAX) {
        eqm_log_debug("unknown use-of-force tactic counted as other", "tactic=%s event_id=%s",
                      tactic, id);
        return;
    }
    snprintf(unknown_logged[n_unknown_logged++], TACTIC_NAME_MAX + 1, "%s", s);
    eqm_log_warn("unknown use-of-force tactic counted as other",
                 "tactic=%s event_id=%s first_of_its_spelling=true%s", tactic, id,
                 n_unknown_logged == UNKNOWN_LOGGED_MAX ? " further_spellings_logged_at=debug"
                                                        : "");
}

static const char *json_kind(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "a list";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "something else";
}

static int use_of_force(const struct eqm_envelope *env, const json_t *event, int64_t *counts,
                        struct eqm_reject *rej) {
    const json_t *tactics = json_object_get(event, "tactics");
    const char *setting = text(event, "setting");
    bool used[EQM_CUSTODY_N_TACTICS] = {false}, any = false;
    size_t i;
    const json_t *v;

    if (tactics && !json_is_null(tactics)) {
        if (!json_is_array(tactics)) {
            rej->code = "bad_tactics";
            snprintf(rej->reason, sizeof(rej->reason),
                     "tactics must be a list of strings, e.g. [\"handcuffing\", \"restraint\"], "
                     "not %s",
                     json_kind(tactics));
            return -1;
        }
        /* Check every element before counting or logging anything. */
        json_array_foreach(tactics, i, v) {
            if (!json_is_string(v)) {
                rej->code = "bad_tactics";
                snprintf(rej->reason, sizeof(rej->reason),
                         "tactics[%zu] is %s; every tactic must be a string such as "
                         "\"handcuffing\"",
                         i, json_kind(v));
                return -1;
            }
        }
        json_array_foreach(tactics, i, v) {
            bool known;
            int t = eqm_custody_tactic(json_string_value(v), &known);
            if (t < 0)
                continue; /* a blank entry names no tactic */
            if (!known)
                log_unknown_tactic(json_string_value(v), env->event_id);
            used[t] = true;
            any = true;
        }
    }
    counts[CU_USE_OF_FORCE] = 1;
    /* Each tactic counts once per incident, however often it is listed. */
    for (int t = 0; t < EQM_CUSTODY_N_TACTICS; t++)
        counts[CU_TACTIC_FIRST + t] = used[t];
    counts[CU_TACTIC_NOT_RECORDED] = !any;
    counts[CU_UOF_CUSTODY] = setting && equals_trimmed(setting, "custody");
    counts[CU_UOF_COMMUNITY] = setting && equals_trimmed(setting, "community");
    return 0;
}

/* ---- disposals -------------------------------------------------------- */

#define OUTCOMES_TEXT                                                                              \
    "charged, caution, community_resolution, penalty_notice, cannabis_warning, "                   \
    "no_further_action, released_under_investigation or bail"

static const struct {
    const char *name;
    bool out_of_court;
    bool charged;
} outcomes[] = {
    {"charged", false, true},
    {"caution", true, false},
    {"community_resolution", true, false},
    {"penalty_notice", true, false},
    {"cannabis_warning", true, false},
    {"no_further_action", false, false},
    {"released_under_investigation", false, false},
    {"bail", false, false},
};

static int disposal(const json_t *event, int64_t *counts, struct eqm_reject *rej) {
    const json_t *o = json_object_get(event, "outcome");

    if (!o || json_is_null(o) || (json_is_string(o) && blank(json_string_value(o)))) {
        rej->code = "missing_outcome";
        snprintf(rej->reason, sizeof(rej->reason),
                 "a disposal needs an outcome: one of " OUTCOMES_TEXT);
        return -1;
    }
    if (!json_is_string(o)) {
        rej->code = "bad_outcome";
        snprintf(rej->reason, sizeof(rej->reason),
                 "outcome is %s; it must be a string, one of " OUTCOMES_TEXT, json_kind(o));
        return -1;
    }
    /* Exact names, as the schema's enum: a variant spelling is a producer
     * to fix (the dead letter can be replayed), not a guess to make. */
    for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
        if (!strcmp(json_string_value(o), outcomes[i].name)) {
            counts[CU_DISPOSALS] = 1;
            counts[CU_OUT_OF_COURT] = outcomes[i].out_of_court;
            counts[CU_CHARGED] = outcomes[i].charged;
            return 0;
        }
    rej->code = "bad_outcome";
    snprintf(rej->reason, sizeof(rej->reason), "outcome \"%.48s\" is not one of " OUTCOMES_TEXT,
             json_string_value(o));
    return -1;
}

/* ---- the handler ------------------------------------------------------ */

#define OFFICER_WORDS                                                                              \
    "it must be a string such as \"White\", \"Black\", \"Asian\", \"Mixed\" or \"Other\", or null"

/* The officer-perceived group (*group), or NULL when the event carries
 * none (absent or null). Any string is read as ethnicity is (an unknown
 * label is not_stated); another type is a producer's mistake, not a group
 * to guess: -1, with *rej filled. */
static int officer_group(const json_t *event, const char **group, struct eqm_reject *rej) {
    const json_t *v = json_object_get(event, "officer_defined_ethnicity");

    *group = json_is_string(v) ? ethnic_name(json_string_value(v)) : NULL;
    if (!v || json_is_null(v) || *group)
        return 0;
    snprintf(rej->reason, sizeof(rej->reason), "officer_defined_ethnicity is %s; " OFFICER_WORDS,
             json_kind(v));
    rej->code = "bad_officer_defined_ethnicity";
    return -1;
}

static int handle(const struct eqm_envelope *env, const json_t *event, const char *force_area,
                  struct eqm_sink *sink, struct eqm_reject *rej) {
    int64_t counts[CU__COUNT] = {0};
    const char *groups[N_DIMENSIONS];
    const char *type = env->event_type;
    const char *officer;

    if (officer_group(event, &officer, rej) != 0)
        return -1;

    if (!strcmp(type, "arrest")) {
        counts[CU_ARRESTS] = 1;
    } else if (!strcmp(type, "detention")) {
        counts[CU_DETENTIONS] = 1;
    } else if (!strcmp(type, "strip_search")) {
        counts[CU_STRIP_SEARCHES] = 1;
    } else if (!strcmp(type, "use_of_force")) {
        if (use_of_force(env, event, counts, rej) != 0)
            return -1;
    } else if (!strcmp(type, "disposal")) {
        if (disposal(event, counts, rej) != 0)
            return -1;
    } else {
        rej->code = "unknown_event_type";
        snprintf(rej->reason, sizeof(rej->reason),
                 "event_type \"%.64s\" is not one this topic carries (expected arrest, "
                 "detention, strip_search, use_of_force or disposal)",
                 type);
        return -1;
    }

    groups[0] = groups[D_SELF] = ethnic_group(event);
    groups[1] =
        eqm_custody_gender(text(event, "gender") ? text(event, "gender") : text(event, "sex"));
    groups[2] = age_group(event);
    groups[D_DETAILED] = ethnic_detailed(event);
    groups[D_OFFICER] = officer;
    /* A use of force counts in the officer-perceived group when one is
     * stated, as the Home Office's use-of-force statistics do; otherwise
     * (and for every other event type) in the self-defined one. */
    if (!strcmp(type, "use_of_force") && officer && strcmp(officer, "not_stated"))
        groups[0] = officer;

    /* Out of memory is no fault of the event's: stop, and read it again.
     * The officer-perceived row (the last) only when the event carries it. */
    if (eqm_sink_add_dimensions(sink, 0, env->area, force_area, dimensions, groups,
                                officer ? N_DIMENSIONS : D_OFFICER, counts) != 0)
        return EQM_HANDLE_FAILED;
    return EQM_HANDLE_OK;
}

const struct eqm_service eqm_custody_service = {
    .name = "custody",
    .default_topic = "custody.events",
    .default_group = "eqm-custody",
    .tables = tables,
    .n_tables = 1,
    .measures = measures,
    .n_measures = sizeof(measures) / sizeof(measures[0]),
    .dimensions = dimensions,
    .n_dimensions = N_DIMENSIONS,
    .handle = handle,
};
