-- Detailed groups and non-visible minorities (README "Detailed groups and
-- non-visible minorities"): the population of every detailed group
-- (equality.census_categories' names) beside the broad groups, and of the
-- aggregates the engine reports in its ethnicity_detailed dimension
-- (eqm/bme.h): white_minority (white_irish, white_gypsy_irish_traveller,
-- white_roma, white_other) and all_minority (bme + white_minority). bme is
-- area_population_by_base's, the same sum whether of broad or of detailed
-- rows. Rows loaded with a broad group only have no detailed rows here.

-- Every group the engine divides by, per base: broad groups and bme
-- (area_population_by_base), detailed groups, white_minority, all_minority.
CREATE VIEW equality.area_population_groups_by_base AS
WITH detailed AS (
    SELECT base, area, detailed_group AS grp, broad_group, population
      FROM equality.area_population_detailed
),
white_minority AS (
    SELECT base, area, 'white_minority'::text AS grp, sum(population)::bigint AS population
      FROM detailed
     WHERE grp IN ('white_irish', 'white_gypsy_irish_traveller', 'white_roma', 'white_other')
     GROUP BY base, area
)
SELECT base, area, grp, population FROM equality.area_population_by_base
UNION ALL
SELECT base, area, grp, population FROM detailed
UNION ALL
SELECT base, area, grp, population FROM white_minority
UNION ALL
SELECT w.base, w.area, 'all_minority', (w.population + b.population)::bigint
  FROM white_minority w
  JOIN equality.area_population_by_base b
    ON b.base = w.base AND b.area = w.area AND b.grp = 'bme';

-- The same on the base area_population uses (the rule's for today): what
-- the engine reads (common/src/figures/poptable.c).
CREATE VIEW equality.area_population_groups AS
SELECT area, grp, population, base AS population_base
  FROM equality.area_population_groups_by_base
 WHERE base = (SELECT min(a.population_base) FROM equality.area_population a);

-- Fixed periods (022) with the detailed groups: their reference group
-- (white_british), base and populations. The same columns as before.
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
                             WHEN 'age_range' THEN 'over 34'
                             WHEN 'ethnicity_detailed' THEN 'white_british' END AS reference_grp
      FROM per_period pp
),
figures AS (
    SELECT p.*,
           r.events AS ref_events,
           CASE WHEN p.dimension IN ('ethnicity', 'ethnicity_detailed') THEN
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

-- Grants (018's pattern): the consumers and the administrator read the
-- populations; the analyst through equality_read.
GRANT SELECT ON equality.area_population_groups_by_base, equality.area_population_groups
    TO eqm_stop_search, eqm_custody, eqm_recruitment, eqm_admin;
CREATE VIEW equality_read.area_population_groups_by_base AS
SELECT * FROM equality.area_population_groups_by_base;
CREATE VIEW equality_read.area_population_groups AS
SELECT * FROM equality.area_population_groups;
GRANT SELECT ON equality_read.area_population_groups_by_base,
    equality_read.area_population_groups TO eqm_analyst;
