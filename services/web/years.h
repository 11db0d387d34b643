/*
 * years.h - the figures by financial year (April to March, as the Home
 * Office publishes them), read from equality_read.period_figures: each
 * year on the population base the rule gives for it, with whether the
 * year is whole. The stop and search and custody panels show them beside
 * the rolling trend, so that a panel can hold a row against a published
 * "year ending March" table.
 */
#ifndef EQM_WEB_YEARS_H
#define EQM_WEB_YEARS_H

#include "panel.h"

/*
 * The financial years of measure ("stop_search.searches") in the area of a,
 * Black and minority ethnic people (bme) and every minority broad group
 * (Asian, Black, Mixed, Other) against White, as
 * the API serves it: {"measure", "noun", "area", "reference", "min_events",
 * "headings", "columns", "rows"}, one row per year and group, oldest
 * first (the years that overlap a's months, if it names any), with year, group, group_events,
 * reference_events, population_base, group_population, reference_population, rate, reference_rate,
 * too_few, ratio, ci_low, ci_high and complete (the year's end is behind the newest event). noun
 * names the events in the headings ("searches"). The caller owns the result; NULL with errstr.
 */
json_t *eqm_web_years(const struct eqm_web_env *e, const struct eqm_web_args *a,
                      const char *measure, const char *noun, char *errstr, size_t errstr_size);

/* The sentence on what the years' table is. */
void eqm_web_years_intro(FILE *fp);

/* The years' table, its id table-years-<measure's last part>
 * ("table-years-searches"); no rows: a sentence saying so. */
void eqm_web_years_rows(FILE *fp, const json_t *years);

#endif
