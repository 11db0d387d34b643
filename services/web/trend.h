/*
 * trend.h - the trend every panel draws: a rate ratio of a group to White
 * people by month (per head of population, Katz 95%), the month alone or
 * a rolling 12, with the share not stated and the sensitivity bound, read
 * from one count column of a daily counts table; each month divided by the
 * population base the rule gives for its last day (as
 * equality.period_figures divides a month, and the engine a window). The stop and search
 * panel draws it for searches, the custody panel for uses of force,
 * arrests, detentions and strip searches.
 */
#ifndef EQM_WEB_TREND_H
#define EQM_WEB_TREND_H

#include "panel.h"

/* What a trend counts. table and column are written into the SQL: they
 * come from the panels' own constants, never from a request. */
struct eqm_web_counted {
    const char *table;   /* "equality.stop_search_daily" */
    const char *column;  /* "searches" */
    const char *measure; /* its figures' measure, for the alert threshold: "stop_search.searches" */
    const char *noun;    /* the events in words, for the table's headings: "searches" */
};

/*
 * The trend of what c counts in the area and group of a (a->span months
 * per point, default 12; months a->from to a->to), as the API serves it:
 * {"measure", "noun", "area", "group", "reference", "span", "group_population",
 * "reference_population", "min_events", "threshold", "headings",
 * "columns", "rows"}, one row per month with group_events,
 * reference_events, months, too_few, ratio, ci_low, ci_high, not_stated,
 * all_events, not_stated_share, ratio_if_not_stated_in_group and the
 * point's population_base (in words, "Census 2021"), group_population and
 * reference_population (null base and 0 populations where the base has
 * none for the area: no ratio). The top-level populations are today's
 * base's. The caller owns the result; NULL with errstr.
 */
json_t *eqm_web_trend(const struct eqm_web_env *e, const struct eqm_web_args *a,
                      const struct eqm_web_counted *c, char *errstr, size_t errstr_size);

#endif
