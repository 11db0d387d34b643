-- Fixed periods (README "Fixed periods"): beside the rolling windows, the
-- figures of financial years (1 April to 31 March, as the Home Office
-- publishes), calendar quarters and calendar months, one row per source,
-- measure, period, area, dimension and group with a daily row in the
-- period (a custody measure may be 0 on a row its days did not count).
--
-- A view over the daily counts, not a table: a period's figures are the
-- sums of its days as they stand, so a late event (counted exactly once
-- in its day by its consumer) updates its period by construction, closed
-- or open. Days are the consumers' days: local days in the force's time
-- zone (setting timezone, default Europe/London), so a period's bounds
-- are local midnights and an event at 00:30 BST on 1 April (23:30 UTC on
-- 31 March) is in the new financial year.
--
--   period_kind  financial_year: period 'FY2024/25', period_label 'year
--                  ending March 2025' (1 April 2024 to 31 March 2025);
--                quarter: calendar quarters, period '2024-Q2',
--                  period_label 'quarter ending June 2024' (April to
--                  June: a financial year is four whole quarters, its
--                  first the calendar Q2);
--                month: period '2025-01', period_label 'January 2025'.
--   events       the measure's count over the period's days;
--   population   on the base the rule of 020 gives for the period's last
--                day (population_base names it), ethnicity only;
--   rate         per 1,000 people, as the engine's figures;
--   ratio        the rate ratio to the reference group (ethnicity:
--                white, the engine's and the Home Office's comparison),
--                with its Katz 95% interval as the engine computes it
--                (common/src/base/stats.c); none for not_stated or the
--                reference group itself;
--   complete     the source's newest event time (equality.watermarks) is
--                at or after the period's end (local midnight after its
--                last day): no event of the period's days can be newer
--                than what has been seen. A late event may still land in
--                a complete period and change it.
--
-- The time zone that turns a period's end into an instant is a setting,
-- by default the consumers' default, Europe/London; a force whose
-- consumers run with another timezone sets the same here (the
-- administrator: UPDATE equality.period_settings SET time_zone = ...).
-- (Not a custom server parameter: on PostgreSQL 15 only a superuser may
-- set one for a database.) Everything is inline (no function), so the
-- analyst's view needs no rights beyond it.

-- One row. A name PostgreSQL does not know is refused ("time zone ... not
-- recognized").
CREATE TABLE equality.period_settings (
    one       boolean PRIMARY KEY DEFAULT true CHECK (one),
    time_zone text NOT NULL DEFAULT 'Europe/London'
        CHECK (('2000-01-01 00:00:00+00'::timestamptz AT TIME ZONE time_zone) IS NOT NULL)
);
INSERT INTO equality.period_settings DEFAULT VALUES;

CREATE VIEW equality.period_figures AS
WITH daily AS (
    SELECT 'stop-search'::text AS source, 'stop_search.searches'::text AS measure,
           s.day, s.area, s.dimension, s.grp, s.searches AS n
      FROM equality.stop_search_daily s
    UNION ALL
    SELECT 'custody', m.measure, c.day, c.area, c.dimension, c.grp, m.n
      FROM equality.custody_daily c
     CROSS JOIN LATERAL (VALUES ('custody.arrests', c.arrests),
                                ('custody.detentions', c.detentions),
                                ('custody.strip_searches', c.strip_searches),
                                ('custody.use_of_force', c.use_of_force)) AS m (measure, n)
),
per_period AS (
    SELECT d.source, d.measure, p.kind AS period_kind, p.period_start, d.area, d.dimension,
           d.grp, sum(d.n)::bigint AS events
      FROM daily d
     CROSS JOIN LATERAL (VALUES
            ('financial_year',
             make_date(extract(year FROM d.day - interval '3 months')::int, 4, 1)),
            ('quarter', date_trunc('quarter', d.day)::date),
            ('month', date_trunc('month', d.day)::date)) AS p (kind, period_start)
     GROUP BY d.source, d.measure, p.kind, p.period_start, d.area, d.dimension, d.grp
),
periods AS (
    SELECT pp.*,
           (pp.period_start + CASE pp.period_kind WHEN 'financial_year' THEN interval '1 year'
                                                  WHEN 'quarter' THEN interval '3 months'
                                                  ELSE interval '1 month' END)::date - 1
               AS period_end,
           CASE pp.dimension WHEN 'ethnicity' THEN 'white' WHEN 'gender' THEN 'male'
                             WHEN 'age_range' THEN 'over 34' END AS reference_grp
      FROM per_period pp
),
figures AS (
    SELECT p.*,
           r.events AS ref_events,
           CASE WHEN p.dimension = 'ethnicity' THEN
               (SELECT br.base FROM equality.population_base_rule br
                 WHERE br.period_from <= p.period_end
                   AND (br.period_to IS NULL OR p.period_end <= br.period_to)
                 ORDER BY br.period_from DESC LIMIT 1) END AS population_base
      FROM periods p
      LEFT JOIN per_period r
             ON r.source = p.source AND r.measure = p.measure
            AND r.period_kind = p.period_kind AND r.period_start = p.period_start
            AND r.area = p.area AND r.dimension = p.dimension AND r.grp = p.reference_grp
),
rated AS (
    SELECT f.*, pop.population, rp.population AS ref_population,
           CASE WHEN pop.population > 0 AND rp.population > 0 AND f.ref_events > 0
                     AND f.events <= pop.population AND f.ref_events <= rp.population
                     AND f.grp NOT IN ('not_stated', f.reference_grp)
                THEN (f.events::double precision / pop.population)
                     / (f.ref_events::double precision / rp.population) END AS ratio
      FROM figures f
      LEFT JOIN equality.area_population_by_base pop
             ON pop.base = f.population_base AND pop.area = f.area AND pop.grp = f.grp
      LEFT JOIN equality.area_population_by_base rp
             ON rp.base = f.population_base AND rp.area = f.area AND rp.grp = f.reference_grp
)
SELECT r.source, r.measure, r.period_kind,
       CASE r.period_kind
           WHEN 'financial_year' THEN
               'FY' || extract(year FROM r.period_start) || '/'
               || to_char(r.period_end, 'YY')
           WHEN 'quarter' THEN to_char(r.period_start, 'YYYY') || '-Q' || to_char(r.period_start, 'Q')
           ELSE to_char(r.period_start, 'YYYY-MM') END AS period,
       CASE r.period_kind
           WHEN 'financial_year' THEN 'year ending March ' || to_char(r.period_end, 'YYYY')
           WHEN 'quarter' THEN 'quarter ending ' || to_char(r.period_end, 'FMMonth YYYY')
           ELSE to_char(r.period_start, 'FMMonth YYYY') END AS period_label,
       r.period_start, r.period_end, r.area, r.dimension, r.grp, r.reference_grp,
       r.events, r.ref_events, r.population_base, r.population, r.ref_population,
       CASE WHEN r.population > 0 THEN r.events * 1000.0 / r.population END AS rate,
       CASE WHEN r.ref_population > 0 THEN r.ref_events * 1000.0 / r.ref_population END
           AS ref_rate,
       r.ratio,
       CASE WHEN r.ratio > 0 THEN
           r.ratio * exp(-1.959964 * sqrt(1.0 / r.events - 1.0 / r.population
                                          + 1.0 / r.ref_events - 1.0 / r.ref_population))
       END AS ci_low,
       CASE WHEN r.ratio > 0 THEN
           r.ratio * exp(1.959964 * sqrt(1.0 / r.events - 1.0 / r.population
                                         + 1.0 / r.ref_events - 1.0 / r.ref_population))
       END AS ci_high,
       coalesce(w.max_occurred_at >=
                    ((r.period_end + 1)::timestamp
                     AT TIME ZONE coalesce((SELECT ps.time_zone FROM equality.period_settings ps),
                                           'Europe/London')),
                false) AS complete
  FROM rated r
  LEFT JOIN equality.watermarks w ON w.source = r.source;

-- Grants (018's pattern): the administrator reads it in equality, the
-- analyst through equality_read (owned by the owner, so row-level
-- security on watermarks does not narrow it).
GRANT SELECT ON equality.period_figures TO eqm_admin;
GRANT SELECT, UPDATE ON equality.period_settings TO eqm_admin;
CREATE VIEW equality_read.period_figures AS SELECT * FROM equality.period_figures;
CREATE VIEW equality_read.period_settings AS SELECT * FROM equality.period_settings;
GRANT SELECT ON equality_read.period_figures, equality_read.period_settings TO eqm_analyst;
