/*
 * metrics.h - turns a service's daily counts into figures.
 *
 * For every area, dimension, group and window (ending at the local day of
 * the source's newest event), and every measure of the service:
 *   population measures: rate per 1,000 population of the group (on the
 *     population base the rule gives for the window's last day, which the
 *     figure names: eqm/poptable.h), and the ratio to the reference
 *     group's rate, with a Katz 95% interval;
 *   share measures: the group's share (numerator over base count) with a
 *     Wilson interval, and the ratio to the reference group's share, with a
 *     Katz 95% interval.
 * Ethnic dimensions also get "bme" (asian + black + mixed + other, eqm/bme.h). The
 * group not_stated is kept with its counts and left out of ratios, as is
 * the reference group itself.
 */
#ifndef EQM_METRICS_H
#define EQM_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "eqm/figtable.h"
#include "eqm/service.h"
#include "eqm/stats.h"

/* Window sums of one (area, dimension, group, window). */
struct eqm_metrics_row {
    const char *area;
    const char *dimension;
    const char *grp;
    int window_days;
    int64_t counts[EQM_MAX_COUNTS];
};

/* One computed figure. Counts of -1 mean "not available" (NULL). */
struct eqm_figure {
    const char *measure;
    const char *grp;
    const char *reference_grp;
    int64_t n, base, ref_n, ref_base;
    struct eqm_estimate rate; /* per 1,000 population, or a share 0..1 */
    struct eqm_estimate ref_rate;
    struct eqm_estimate ratio;
    const char *note; /* why a figure is missing, or NULL */
};

/*
 * Pure: the figure of measure m for row against the reference row ref
 * (NULL if the reference group has no counts). pop and ref_pop are the
 * populations (-1 if unknown). The reference group and not_stated get no
 * ratio.
 */
void eqm_metrics_figure(const struct eqm_measure *m, const struct eqm_dimension *dim,
                        const struct eqm_metrics_row *row, const struct eqm_metrics_row *ref,
                        int64_t pop, int64_t ref_pop, struct eqm_figure *out);

/*
 * How the figures are written (eqm/figtable.h): the table, keyed by
 * measure, area, dimension, group and window, with parameters $1 = the
 * source (the rows the recomputation owns) and $2 = the window end.
 */
extern const struct eqm_figtable_def eqm_metrics_table;

/*
 * Notes in equality.figure_bases (migration 023) that source's figures are
 * now on population base (NULL: none): when it differs from the base noted
 * before, that one is kept as the previous base until the alerts have been
 * judged on the new one (eqm/alert_eval.h: a restatement). Inside the
 * caller's transaction. 0, or -1 with errstr.
 */
int eqm_metrics_note_base(PGconn *conn, const char *source, const char *base, char *errstr,
                          size_t errstr_size) __attribute__((warn_unused_result));

/*
 * Recomputes every figure of svc into eqm_metrics_table, inside the
 * caller's open transaction (after eqm_figlock_take(), so consumers of one
 * service take turns). Returns the number of figures written (0 when
 * nothing is counted yet), or -1 with errstr (the caller rolls back).
 */
int eqm_metrics_recompute(PGconn *conn, const struct eqm_service *svc,
                          const struct eqm_figures_scope *scope, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

#endif /* EQM_METRICS_H */
