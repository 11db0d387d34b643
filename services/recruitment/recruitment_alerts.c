/*
 * recruitment_alerts.c - the recruitment service's alert measure families
 * (eqm/alert_rules.h, listed by services/catalog/): the attrition and
 * workforce views this service computes, and how their alerts read.
 *
 * A file of its own, needing nothing else of the service, so that the
 * catalogue another consumer links pulls in these and not the handler.
 * Each sql selects the columns eqm/alert_eval.h names, in its order. None
 * names a population base yet: the workforce's population is the base of
 * today (equality.workforce_figures has no base column), so no alert of
 * this service is ever a restatement.
 */
#include <stddef.h>
#include <string.h>

#include "eqm/alert_summary.h"
#include "recruitment.h"

/* Pass rates per role and stage against the comparison group (view attrition). */
static const char attrition_sql[] =
    "SELECT 'recruitment.adverse_impact_ratio'::text AS measure, NULL::text AS area, "
    "a.role, a.stage, a.dimension, a.grp, a.comparison_grp AS ref_grp, a.window_days, "
    "a.window_end, a.adverse_impact_ratio AS value, a.ci_low, a.ci_high, a.p_value, "
    "a.passed AS n, a.base::float8 AS base, a.comparison_passed::float8 AS ref_n, "
    "a.comparison_base::float8 AS ref_base, jsonb_build_object('n', a.passed, 'base', "
    "a.base, 'ref_n', a.comparison_passed, 'ref_base', a.comparison_base, 'entered', "
    "a.entered, 'passed', a.passed, 'failed', a.failed, 'withdrawn', a.withdrawn, "
    "'pass_rate', a.pass_rate, 'comparison_pass_rate', a.comparison_pass_rate) AS "
    "counts, a.role || '/' || a.stage AS scope, a.base AS mc, "
    "NULL::text AS population_base, NULL::float8 AS prev_value "
    "FROM equality.attrition a, p WHERE p.source = 'recruitment' "
    "AND p.measure = 'recruitment.adverse_impact_ratio' AND NOT p.prefix "
    "AND a.dimension = p.dimension AND a.window_days = p.window_days";

/* Withdrawal rates per role and stage against the comparison group. */
static const char withdrawal_sql[] =
    "SELECT 'recruitment.withdrawal_rate_ratio'::text AS measure, NULL::text AS area, "
    "a.role, a.stage, a.dimension, a.grp, a.comparison_grp AS ref_grp, a.window_days, "
    "a.window_end, a.withdrawal_rate_ratio AS value, NULL::float8 AS ci_low, "
    "NULL::float8 AS ci_high, NULL::float8 AS p_value, a.withdrawn AS n, "
    "a.entered::float8 AS base, a.comparison_withdrawn::float8 AS ref_n, "
    "a.comparison_entered::float8 AS ref_base, jsonb_build_object('n', a.withdrawn, "
    "'base', a.entered, 'ref_n', a.comparison_withdrawn, 'ref_base', "
    "a.comparison_entered, 'withdrawal_rate', a.withdrawal_rate) AS counts, "
    "a.role || '/' || a.stage AS scope, a.entered AS mc, "
    "NULL::text AS population_base, NULL::float8 AS prev_value "
    "FROM equality.attrition a, p WHERE p.source = 'recruitment' "
    "AND p.measure = 'recruitment.withdrawal_rate_ratio' AND NOT p.prefix "
    "AND a.dimension = p.dimension AND a.window_days = p.window_days";

/* Headcount share against the share of the local population (view workforce). */
static const char representation_sql[] =
    "SELECT 'workforce.representation_ratio'::text AS measure, w.area, w.role, "
    "NULL::text AS stage, w.dimension, w.grp, NULL::text AS ref_grp, w.window_days, "
    "w.window_end, w.representation_ratio AS value, w.representation_ci_low AS ci_low, "
    "w.representation_ci_high AS ci_high, NULL::float8 AS p_value, w.headcount AS n, "
    "w.headcount_total::float8 AS base, w.population::float8 AS ref_n, "
    "w.population_total::float8 AS ref_base, jsonb_build_object('n', w.headcount, "
    "'base', w.headcount_total, 'ref_n', w.population, 'ref_base', w.population_total, "
    "'share', w.share, 'population_share', w.population_share) AS counts, "
    "w.area || '/' || w.role AS scope, w.headcount AS mc, "
    "NULL::text AS population_base, NULL::float8 AS prev_value "
    "FROM equality.workforce w, p WHERE p.source = 'recruitment' "
    "AND p.measure = 'workforce.representation_ratio' AND NOT p.prefix "
    "AND w.dimension = p.dimension AND w.window_days = p.window_days";

/* Leaver rates against the reference group's (view workforce). */
static const char leavers_sql[] =
    "SELECT 'workforce.leaver_rate_ratio'::text AS measure, w.area, w.role, "
    "NULL::text AS stage, w.dimension, w.grp, w.reference_grp AS ref_grp, "
    "w.window_days, w.window_end, w.leaver_rate_ratio AS value, "
    "w.leaver_rate_ci_low AS ci_low, w.leaver_rate_ci_high AS ci_high, "
    "NULL::float8 AS p_value, w.leavers AS n, w.avg_headcount AS base, "
    "w.ref_leavers::float8 AS ref_n, w.ref_avg_headcount AS ref_base, "
    "jsonb_build_object('n', w.leavers, 'base', w.avg_headcount, 'ref_n', "
    "w.ref_leavers, 'ref_base', w.ref_avg_headcount, 'leaver_rate', w.leaver_rate, "
    "'ref_leaver_rate', w.ref_leaver_rate) AS counts, "
    "w.area || '/' || w.role AS scope, w.leavers AS mc, "
    "NULL::text AS population_base, NULL::float8 AS prev_value "
    "FROM equality.workforce w, p WHERE p.source = 'recruitment' "
    "AND p.measure = 'workforce.leaver_rate_ratio' AND NOT p.prefix "
    "AND w.dimension = p.dimension AND w.window_days = p.window_days";

/* The adverse impact ratio of the two stages of their own reads
 * differently from a stage's pass rate. */
static const char *adverse_impact_says(const struct eqm_alert_figure *f) {
    if (f->stage && strcmp(f->stage, "end_to_end") == 0)
        return "{group} for {role} posts went from application to appointment at {value} times "
               "the rate of {reference}";
    if (f->stage && strcmp(f->stage, "withdrawal") == 0)
        return "{group} for {role} posts stayed in the process at {value} times the rate of "
               "{reference}";
    return NULL;
}

static const struct eqm_alert_family families[] = {
    {.measure = "recruitment.adverse_impact_ratio",
     .value_field = "adverse_impact_ratio",
     .sql = attrition_sql,
     .people = "applicants",
     .says = "{group} for {role} posts passed the {stage} stage at {value} times the pass rate "
             "of {reference}",
     .counts = "{n} of {base} passed",
     .says_for = adverse_impact_says},
    {.measure = "recruitment.withdrawal_rate_ratio",
     .value_field = "withdrawal_rate_ratio",
     .sql = withdrawal_sql,
     .people = "applicants",
     .says = "{group} for {role} posts withdrew at the {stage} stage at {value} times the rate "
             "of {reference}",
     .counts = "{n} of {base} withdrew"},
    {.measure = "workforce.representation_ratio",
     .value_field = "representation_ratio",
     .sql = representation_sql,
     .says = "{group} were represented among {role} staff{area} at {value} times their share of "
             "the local population",
     .counts = "{n} of {base} staff"},
    {.measure = "workforce.leaver_rate_ratio",
     .value_field = "leaver_rate_ratio",
     .sql = leavers_sql,
     .people = "staff",
     .says = "{group} in {role} roles{area} left at {value} times the rate of {reference}",
     .counts = "{n} leavers"},
};

const struct eqm_alert_source eqm_recruitment_alerts = EQM_ALERT_SOURCE("recruitment", families);
