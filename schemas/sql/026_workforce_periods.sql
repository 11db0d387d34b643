-- The workforce in fixed periods (README "Fixed periods"): per financial
-- year (1 April to 31 March), role, area, dimension and group, the
-- headcount as at 31 March, the year's joiners and leavers, and the
-- figures eqm-recruitment computes for a rolling window (recruitment.c,
-- eqm_workforce_figures) on the year instead: share of the stated
-- headcount, representation against the population on the base the rule
-- of 020 gives for 31 March, joiners' share, leaver rate and its ratio to
-- the reference group, leavers' mean length of service. The Home Office
-- publishes the police workforce so: as at 31 March, with the joiners and
-- leavers of the year ending March.
--
-- As period_figures, a view over the daily tables: a late joiner, leaver
-- or snapshot changes its year (and the headcount of every year after it)
-- by construction.
--
--   snapshot_as_of, snapshot_headcount
--                the latest headcount snapshot on or before 31 March and
--                the group's count in it (none: the headcount is the
--                joiners less the leavers counted);
--   headcount    the snapshot's count plus the joiners less the leavers
--                after it, up to 31 March (0 if that is below 0), as
--                eqm-recruitment's headcount at a window's end;
--   headcount_total, joiners_total
--                over the stated groups: not not_stated, not an aggregate
--                (a group whose detail is not known, "white_unspecified",
--                is stated);
--   population_total
--                the area's population on the base (the five broad groups,
--                or the Census categories), none when a stated group with
--                staff has no population (a "*_unspecified" group has none
--                of its own and stops none);
--   bme, white_minority, all_minority
--                the aggregates of eqm/bme.h: bme of the broad groups in
--                ethnicity, all three of the detailed groups in
--                ethnicity_detailed, their population from
--                area_population_groups_by_base;
--   intervals    Katz, z = 1.959963984540054 (two-sided 95%), as
--                common/src/base/stats.c;
--   complete     the recruitment consumer's newest event time is at or
--                after the local midnight that ends 31 March.
CREATE VIEW equality.workforce_period_figures AS
WITH snaps AS (
    SELECT as_of::date AS as_of, role, area, dimension, grp, sum(headcount)::bigint AS headcount
      FROM equality.headcount_snapshots
     GROUP BY 1, 2, 3, 4, 5
),
years AS (
    SELECT DISTINCT role, area, dimension,
           make_date(extract(year FROM day - interval '3 months')::int, 4, 1) AS period_start
      FROM equality.workforce_daily
    UNION
    SELECT DISTINCT role, area, dimension,
           make_date(extract(year FROM as_of - interval '3 months')::int, 4, 1)
      FROM snaps
),
ends AS (
    SELECT y.role, y.area, y.dimension, y.period_start, e.period_end,
           (SELECT max(s.as_of) FROM snaps s
             WHERE s.role = y.role AND s.area = y.area AND s.dimension = y.dimension
               AND s.as_of <= e.period_end) AS snapshot_as_of
      FROM years y
     CROSS JOIN LATERAL (SELECT (y.period_start + interval '1 year')::date - 1 AS period_end) e
),
-- The base of each year's 31 March: the latest rule that covers it.
bases AS (
    SELECT DISTINCT ON (y.period_end) y.period_end, br.base
      FROM (SELECT DISTINCT period_end FROM ends) y
      JOIN equality.population_base_rule br
        ON br.period_from <= y.period_end AND y.period_end <= coalesce(br.period_to, y.period_end)
     ORDER BY y.period_end, br.period_from DESC
),
-- The groups of a year: its snapshot's and those with a flow up to its end.
keyed AS (
    SELECT e.*, k.grp
      FROM ends e
     CROSS JOIN LATERAL (
            SELECT s.grp FROM snaps s
             WHERE s.role = e.role AND s.area = e.area AND s.dimension = e.dimension
               AND s.as_of = e.snapshot_as_of
            UNION
            SELECT f.grp FROM equality.workforce_daily f
             WHERE f.role = e.role AND f.area = e.area AND f.dimension = e.dimension
               AND f.day <= e.period_end) k
),
flows AS (
    SELECT k.*,
           coalesce((SELECT s.headcount FROM snaps s
                      WHERE s.role = k.role AND s.area = k.area AND s.dimension = k.dimension
                        AND s.grp = k.grp AND s.as_of = k.snapshot_as_of), 0) AS snapshot_headcount,
           w.*
      FROM keyed k
     CROSS JOIN LATERAL (
            SELECT coalesce(sum(f.joiners - f.leavers)
                                FILTER (WHERE k.snapshot_as_of IS NULL OR f.day > k.snapshot_as_of),
                            0)::bigint AS net_since,
                   coalesce(sum(f.joiners) FILTER (WHERE f.day >= k.period_start), 0)::bigint
                       AS joiners,
                   coalesce(sum(f.leavers) FILTER (WHERE f.day >= k.period_start), 0)::bigint
                       AS leavers,
                   coalesce(sum(f.leaver_service_days) FILTER (WHERE f.day >= k.period_start),
                            0)::bigint AS service_days,
                   coalesce(sum(f.leaver_service_known) FILTER (WHERE f.day >= k.period_start),
                            0)::bigint AS service_known
              FROM equality.workforce_daily f
             WHERE f.role = k.role AND f.area = k.area AND f.dimension = k.dimension
               AND f.grp = k.grp AND f.day <= k.period_end) w
),
-- Each group's row, and again under each aggregate it is part of.
counted AS (
    SELECT f.role, f.area, f.dimension, a.grp, f.period_start, f.period_end, f.snapshot_as_of,
           sum(f.snapshot_headcount)::bigint AS snapshot_headcount,
           sum(f.net_since)::bigint AS net_since, sum(f.joiners)::bigint AS joiners,
           sum(f.leavers)::bigint AS leavers, sum(f.service_days)::bigint AS service_days,
           sum(f.service_known)::bigint AS service_known
      FROM flows f
     CROSS JOIN LATERAL (
            SELECT f.dimension = 'ethnicity' AND f.grp IN ('asian', 'black', 'mixed', 'other')
                       OR f.dimension = 'ethnicity_detailed'
                          AND split_part(f.grp, '_', 1) IN ('asian', 'black', 'mixed', 'other')
                       AS bme,
                   f.dimension = 'ethnicity_detailed'
                       AND f.grp IN ('white_irish', 'white_gypsy_irish_traveller', 'white_roma',
                                     'white_other') AS white_minority) m
     CROSS JOIN LATERAL (VALUES (f.grp),
                                (CASE WHEN m.bme THEN 'bme' END),
                                (CASE WHEN m.white_minority THEN 'white_minority' END),
                                (CASE WHEN f.dimension = 'ethnicity_detailed'
                                           AND (m.bme OR m.white_minority)
                                      THEN 'all_minority' END)) AS a (grp)
     WHERE a.grp IS NOT NULL
     GROUP BY f.role, f.area, f.dimension, a.grp, f.period_start, f.period_end, f.snapshot_as_of
),
headed AS (
    SELECT c.*,
           greatest(c.snapshot_headcount + c.net_since, 0) AS headcount,
           c.grp NOT IN ('not_stated', 'bme', 'white_minority', 'all_minority') AS stated,
           CASE c.dimension WHEN 'ethnicity' THEN 'white'
                            WHEN 'ethnicity_detailed' THEN 'white_british'
                            WHEN 'sex' THEN 'male' WHEN 'disability' THEN 'no' END
               AS reference_grp,
           CASE WHEN c.dimension IN ('ethnicity', 'ethnicity_detailed') THEN b.base END
               AS population_base
      FROM counted c
      LEFT JOIN bases b ON b.period_end = c.period_end
),
populated AS (
    SELECT h.*, pop.population,
           CASE h.dimension
               WHEN 'ethnicity' THEN
                   (SELECT sum(b.population) FROM equality.area_population_by_base b
                     WHERE b.base = h.population_base AND b.area = h.area
                       AND b.grp IN ('asian', 'black', 'mixed', 'white', 'other'))
               WHEN 'ethnicity_detailed' THEN
                   (SELECT sum(b.population) FROM equality.area_population_groups_by_base b
                     WHERE b.base = h.population_base AND b.area = h.area
                       AND b.grp IN (SELECT cc.detailed_group FROM equality.census_categories cc))
           END::bigint AS base_total
      FROM headed h
      LEFT JOIN equality.area_population_groups_by_base pop
             ON pop.base = h.population_base AND pop.area = h.area AND pop.grp = h.grp
),
totals AS (
    SELECT p.*,
           coalesce(sum(p.headcount) FILTER (WHERE p.stated) OVER w, 0)::bigint AS headcount_total,
           coalesce(sum(p.joiners) FILTER (WHERE p.stated) OVER w, 0)::bigint AS joiners_total,
           CASE WHEN coalesce(bool_and(p.population IS NOT NULL OR p.grp LIKE '%\_unspecified')
                                  FILTER (WHERE p.stated) OVER w, true)
                     AND p.base_total > 0
                THEN p.base_total END AS population_total,
           p.headcount - (p.joiners - p.leavers) / 2.0 AS avg_headcount
      FROM populated p
    WINDOW w AS (PARTITION BY p.role, p.area, p.dimension, p.period_start)
),
rated AS (
    SELECT t.*,
           CASE WHEN t.headcount_total > 0 AND t.headcount <= t.headcount_total
                     AND t.grp <> 'not_stated'
                THEN t.headcount::double precision / t.headcount_total END AS share,
           CASE WHEN t.population_total > 0 AND t.population >= 0
                     AND t.population <= t.population_total AND t.grp <> 'not_stated'
                THEN t.population::double precision / t.population_total END AS population_share,
           CASE WHEN t.avg_headcount > 0 THEN t.leavers / t.avg_headcount END AS leaver_rate,
           r.leavers AS ref_leavers, r.avg_headcount AS ref_avg_headcount
      FROM totals t
      LEFT JOIN totals r
             ON r.role = t.role AND r.area = t.area AND r.dimension = t.dimension
            AND r.period_start = t.period_start AND r.grp = t.reference_grp
),
ratios AS (
    SELECT x.*,
           CASE WHEN x.share IS NOT NULL AND x.population_share IS NOT NULL AND x.population > 0
                THEN x.share / x.population_share END AS representation_ratio,
           CASE WHEN x.ref_avg_headcount > 0 THEN x.ref_leavers / x.ref_avg_headcount END
               AS ref_leaver_rate,
           CASE WHEN x.grp NOT IN ('not_stated', x.reference_grp) AND x.avg_headcount > 0
                     AND x.ref_avg_headcount > 0 AND x.ref_leavers > 0
                THEN (x.leavers / x.avg_headcount) / (x.ref_leavers / x.ref_avg_headcount)
           END AS leaver_rate_ratio
      FROM rated x
)
SELECT q.role, 'financial_year'::text AS period_kind,
       'FY' || extract(year FROM q.period_start) || '/' || to_char(q.period_end, 'YY') AS period,
       'year ending March ' || to_char(q.period_end, 'YYYY') AS period_label,
       q.period_start, q.period_end, q.area, q.dimension, q.grp, q.reference_grp,
       q.snapshot_as_of, q.snapshot_headcount, q.headcount, q.headcount_total, q.share,
       q.population_base, q.population, q.population_total, q.population_share,
       q.representation_ratio,
       CASE WHEN q.representation_ratio > 0 THEN
           q.representation_ratio * exp(-1.959963984540054
               * sqrt(1.0 / q.headcount - 1.0 / q.headcount_total
                      + 1.0 / q.population - 1.0 / q.population_total)) END
           AS representation_ci_low,
       CASE WHEN q.representation_ratio > 0 THEN
           q.representation_ratio * exp(1.959963984540054
               * sqrt(1.0 / q.headcount - 1.0 / q.headcount_total
                      + 1.0 / q.population - 1.0 / q.population_total)) END
           AS representation_ci_high,
       q.joiners, q.joiners_total,
       CASE WHEN q.joiners_total > 0 AND q.grp <> 'not_stated'
            THEN q.joiners::double precision / q.joiners_total END AS joiners_share,
       q.leavers, q.avg_headcount::double precision AS avg_headcount,
       q.leaver_rate::double precision AS leaver_rate, q.ref_leavers,
       q.ref_leaver_rate::double precision AS ref_leaver_rate,
       q.leaver_rate_ratio::double precision AS leaver_rate_ratio,
       CASE WHEN q.leaver_rate_ratio > 0 AND q.leavers <= q.avg_headcount
                 AND q.ref_leavers <= q.ref_avg_headcount THEN
           (q.leaver_rate_ratio * exp(-1.959963984540054
               * sqrt(1.0 / q.leavers - 1.0 / q.avg_headcount
                      + 1.0 / q.ref_leavers - 1.0 / q.ref_avg_headcount)))::double precision END
           AS leaver_rate_ci_low,
       CASE WHEN q.leaver_rate_ratio > 0 AND q.leavers <= q.avg_headcount
                 AND q.ref_leavers <= q.ref_avg_headcount THEN
           (q.leaver_rate_ratio * exp(1.959963984540054
               * sqrt(1.0 / q.leavers - 1.0 / q.avg_headcount
                      + 1.0 / q.ref_leavers - 1.0 / q.ref_avg_headcount)))::double precision END
           AS leaver_rate_ci_high,
       q.service_known AS leavers_service_known,
       CASE WHEN q.service_known > 0 THEN q.service_days / q.service_known::double precision / 365.25
       END AS mean_service_years_of_leavers,
       w.max_occurred_at IS NOT NULL
           AND w.max_occurred_at >= ((q.period_end + 1)::timestamp AT TIME ZONE z.tz) AS complete
  FROM ratios q
 CROSS JOIN (SELECT coalesce(max(ps.time_zone), 'Europe/London') AS tz
               FROM equality.period_settings ps) z
  LEFT JOIN equality.watermarks w ON w.source = 'recruitment';

-- Grants as period_figures' (022): the administrator in equality, the
-- analyst through equality_read.
GRANT SELECT ON equality.workforce_period_figures TO eqm_admin;
CREATE VIEW equality_read.workforce_period_figures AS
SELECT * FROM equality.workforce_period_figures;
GRANT SELECT ON equality_read.workforce_period_figures TO eqm_analyst;
