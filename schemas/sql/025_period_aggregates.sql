-- The aggregates in the fixed periods (README "Fixed periods"): beside
-- each broad group, period_figures has a row for bme (asian + black +
-- mixed + other) in the ethnicity dimension, and for bme, white_minority
-- and all_minority in ethnicity_detailed, as the rolling figures have:
-- the events summed from the member groups' rows, divided by the
-- aggregate's population on the period's base (area_population_groups_by_base
-- sums them alike). The same columns as before (024), so the grants and
-- equality_read's view stand.

CREATE OR REPLACE VIEW equality.period_figures AS
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
-- Each day's rows, and again under each aggregate the row belongs to
-- (eqm/bme.h's membership; a detailed group's broad group is its name's
-- first part: asian_indian, other_arab, white_irish).
counted AS (
    SELECT d.source, d.measure, d.day, d.area, d.dimension, a.grp, d.n
      FROM daily d
     CROSS JOIN LATERAL (VALUES
            (d.grp, true),
            ('bme', (d.dimension = 'ethnicity' AND d.grp IN ('asian', 'black', 'mixed', 'other'))
                    OR (d.dimension = 'ethnicity_detailed'
                        AND split_part(d.grp, '_', 1) IN ('asian', 'black', 'mixed', 'other'))),
            ('white_minority', d.dimension = 'ethnicity_detailed'
                               AND d.grp IN ('white_irish', 'white_gypsy_irish_traveller',
                                             'white_roma', 'white_other')),
            ('all_minority', d.dimension = 'ethnicity_detailed'
                             AND (split_part(d.grp, '_', 1) IN ('asian', 'black', 'mixed', 'other')
                                  OR d.grp IN ('white_irish', 'white_gypsy_irish_traveller',
                                               'white_roma', 'white_other'))))
            AS a (grp, member)
     WHERE a.member
),
per_period AS (
    SELECT d.source, d.measure, p.kind AS period_kind, p.period_start, d.area, d.dimension,
           d.grp, sum(d.n)::bigint AS events
      FROM counted d
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
                             WHEN 'age_range' THEN 'over 34'
                             WHEN 'ethnicity_detailed' THEN 'white_british' END AS reference_grp
      FROM per_period pp
),
-- The reference group's events beside each group's, by a window over the
-- period's rows (not a join of per_period to itself: each CTE read once is
-- inlined, so a query's measure, area and period_kind reach the daily
-- tables' scans instead of every period of every measure being summed).
figures AS (
    SELECT p.*,
           (sum(p.events) FILTER (WHERE p.grp = p.reference_grp)
                OVER (PARTITION BY p.source, p.measure, p.period_kind, p.period_start, p.area,
                                   p.dimension))::bigint AS ref_events,
           CASE WHEN p.dimension IN ('ethnicity', 'ethnicity_detailed') THEN
               (SELECT br.base FROM equality.population_base_rule br
                 WHERE br.period_from <= p.period_end
                   AND (br.period_to IS NULL OR p.period_end <= br.period_to)
                 ORDER BY br.period_from DESC LIMIT 1) END AS population_base
      FROM periods p
),
rated AS (
    SELECT f.*, pop.population, rp.population AS ref_population,
           CASE WHEN pop.population > 0 AND rp.population > 0 AND f.ref_events > 0
                     AND f.events <= pop.population AND f.ref_events <= rp.population
                     AND f.grp NOT IN ('not_stated', f.reference_grp)
                THEN (f.events::double precision / pop.population)
                     / (f.ref_events::double precision / rp.population) END AS ratio
      FROM figures f
      LEFT JOIN equality.area_population_groups_by_base pop
             ON pop.base = f.population_base AND pop.area = f.area AND pop.grp = f.grp
      LEFT JOIN equality.area_population_groups_by_base rp
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
