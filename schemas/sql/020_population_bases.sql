-- Population bases (README "Population"): the population is data with a
-- name and a date, and several are kept side by side. Census 2011
-- (KS201EW, 18 categories) and Census 2021 (TS021, 19 categories) are the
-- first two; a later ONS estimate is a new row of population_base and a
-- load (eqm-admin load-population --base NAME FILE). A rule chooses the
-- base for a period, by default the Home Office's: Census 2011 for
-- periods ending up to 31 March 2021, Census 2021 after.
--
-- Every figure names its base: equality.figures_on_base recomputes the
-- population rates and rate ratios of the engine's figures on the base
-- the rule gives for each figure's window, and says which it used;
-- equality.rate_ratio_on_base() does it for any counts. The engine's own
-- figures (equality.figures) divide by equality.area_population, which is
-- now the base the rule gives for today (census-2021 by default, as
-- before).

CREATE TABLE equality.population_base (
    name           text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    reference_date date NOT NULL,
    -- What it is and where it comes from. (Not named "source": in this
    -- schema a source column names the service a row belongs to.)
    description    text NOT NULL,
    -- The wording its files' categories must use (2011: KS201EW, 2021:
    -- TS021); NULL: either.
    census_layout  integer CHECK (census_layout IN (2011, 2021))
);
INSERT INTO equality.population_base (name, reference_date, description, census_layout) VALUES
    ('census-2011', '2011-03-27',
     'Census 2011, ONS table KS201EW: usual residents by ethnic group (18 categories)', 2011),
    ('census-2021', '2021-03-21',
     'Census 2021, ONS table TS021: usual residents by ethnic group (19 categories)', 2021);

-- The Census categories, each with its detailed group (the same name in
-- both censuses where the category is the same) and broad group: the
-- table the loader has in C (tools/lib/src/census.c), here for SQL and
-- for the rows loaded before this migration.
CREATE TABLE equality.census_categories (
    census          integer NOT NULL CHECK (census IN (2011, 2021)),
    census_category text    NOT NULL,
    detailed_group  text    NOT NULL,
    broad_group     text    NOT NULL CHECK (broad_group IN ('asian', 'black', 'mixed', 'white',
                                                            'other')),
    PRIMARY KEY (census, census_category)
);
-- One row per detailed group: its broad group, its KS201EW wording and its
-- TS021 wording (Roma: 2021 only).
INSERT INTO equality.census_categories (census, census_category, detailed_group, broad_group)
SELECT c.census, c.label, g.detailed, g.broad
  FROM (VALUES
    ('white_british', 'white', 'White: English/Welsh/Scottish/Northern Irish/British',
     'White: English, Welsh, Scottish, Northern Irish or British'),
    ('white_irish', 'white', 'White: Irish', 'White: Irish'),
    ('white_gypsy_irish_traveller', 'white', 'White: Gypsy or Irish Traveller',
     'White: Gypsy or Irish Traveller'),
    ('white_roma', 'white', NULL, 'White: Roma'),
    ('white_other', 'white', 'White: Other White', 'White: Other White'),
    ('mixed_white_black_caribbean', 'mixed',
     'Mixed/multiple ethnic group: White and Black Caribbean',
     'Mixed or Multiple ethnic groups: White and Black Caribbean'),
    ('mixed_white_black_african', 'mixed', 'Mixed/multiple ethnic group: White and Black African',
     'Mixed or Multiple ethnic groups: White and Black African'),
    ('mixed_white_asian', 'mixed', 'Mixed/multiple ethnic group: White and Asian',
     'Mixed or Multiple ethnic groups: White and Asian'),
    ('mixed_other', 'mixed', 'Mixed/multiple ethnic group: Other Mixed',
     'Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups'),
    ('asian_indian', 'asian', 'Asian/Asian British: Indian',
     'Asian, Asian British or Asian Welsh: Indian'),
    ('asian_pakistani', 'asian', 'Asian/Asian British: Pakistani',
     'Asian, Asian British or Asian Welsh: Pakistani'),
    ('asian_bangladeshi', 'asian', 'Asian/Asian British: Bangladeshi',
     'Asian, Asian British or Asian Welsh: Bangladeshi'),
    ('asian_chinese', 'asian', 'Asian/Asian British: Chinese',
     'Asian, Asian British or Asian Welsh: Chinese'),
    ('asian_other', 'asian', 'Asian/Asian British: Other Asian',
     'Asian, Asian British or Asian Welsh: Other Asian'),
    ('black_african', 'black', 'Black/African/Caribbean/Black British: African',
     'Black, Black British, Black Welsh, Caribbean or African: African'),
    ('black_caribbean', 'black', 'Black/African/Caribbean/Black British: Caribbean',
     'Black, Black British, Black Welsh, Caribbean or African: Caribbean'),
    ('black_other', 'black', 'Black/African/Caribbean/Black British: Other Black',
     'Black, Black British, Black Welsh, Caribbean or African: Other Black'),
    ('other_arab', 'other', 'Other ethnic group: Arab', 'Other ethnic group: Arab'),
    ('other_any', 'other', 'Other ethnic group: Any other ethnic group',
     'Other ethnic group: Any other ethnic group')
  ) AS g (detailed, broad, ks201ew, ts021)
 CROSS JOIN LATERAL (VALUES (2011, g.ks201ew), (2021, g.ts021)) AS c (census, label)
 WHERE c.label IS NOT NULL;

-- The rows loaded so far are Census 2021's. The base goes last, with a
-- default, so that a row written as before (five values) still lands.
ALTER TABLE equality.population_district
    ADD COLUMN detailed_group text,
    ADD COLUMN base text NOT NULL DEFAULT 'census-2021'
        REFERENCES equality.population_base (name) ON UPDATE CASCADE;
UPDATE equality.population_district p
   SET detailed_group = c.detailed_group
  FROM equality.census_categories c
 WHERE c.census = 2021 AND lower(c.census_category) = lower(btrim(p.census_category));
ALTER TABLE equality.population_district DROP CONSTRAINT population_district_pkey;
ALTER TABLE equality.population_district ADD PRIMARY KEY (base, area_code, census_category);

-- Which base a period uses: the row whose days hold the period's last
-- day (a rolling window, a year ending in March). Editable: the owner or
-- the administrator changes the rows, e.g. to move to a later estimate.
CREATE TABLE equality.population_base_rule (
    period_from date NOT NULL PRIMARY KEY, -- '-infinity': every day before period_to
    period_to   date,                      -- last day it applies to; NULL: no end
    base        text NOT NULL REFERENCES equality.population_base (name) ON UPDATE CASCADE,
    CHECK (period_to IS NULL OR period_to >= period_from)
);
INSERT INTO equality.population_base_rule (period_from, period_to, base) VALUES
    ('-infinity', '2021-03-31', 'census-2011'),
    ('2021-04-01', NULL, 'census-2021');

-- The base for a period ending on day: the rule row holding day with the
-- latest start; NULL when no row holds it.
CREATE FUNCTION equality.population_base_for(day date) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT r.base FROM equality.population_base_rule r
     WHERE r.period_from <= day AND (r.period_to IS NULL OR day <= r.period_to)
     ORDER BY r.period_from DESC LIMIT 1
$$;

-- Population per base, area and broad group, as area_population was (an
-- area is a named set of district codes, or a code itself): an area's
-- codes in each base are those of its codes the base has, so an area may
-- list a base's districts and another base's force-area code alike.
CREATE VIEW equality.area_population_by_base AS
WITH per_area AS (
    SELECT p.base, a.area, p.broad_group AS grp, sum(p.population)::bigint AS population
      FROM equality.area_districts a
      JOIN equality.population_district p ON p.area_code = a.district_code
     GROUP BY p.base, a.area, p.broad_group
    UNION ALL
    SELECT p.base, p.area_code, p.broad_group, sum(p.population)::bigint
      FROM equality.population_district p
     WHERE NOT EXISTS (SELECT 1 FROM equality.area_districts a WHERE a.area = p.area_code)
     GROUP BY p.base, p.area_code, p.broad_group
)
SELECT base, area, grp, population FROM per_area
UNION ALL
SELECT base, area, 'bme', sum(population)::bigint FROM per_area
 WHERE grp IN ('asian', 'black', 'mixed', 'other')
 GROUP BY base, area;

-- The same by detailed group (rows loaded with a broad group only have
-- none, and are left out).
CREATE VIEW equality.area_population_detailed AS
SELECT p.base, a.area, p.detailed_group, p.broad_group, sum(p.population)::bigint AS population
  FROM equality.area_districts a
  JOIN equality.population_district p ON p.area_code = a.district_code
 WHERE p.detailed_group IS NOT NULL
 GROUP BY p.base, a.area, p.detailed_group, p.broad_group
UNION ALL
SELECT p.base, p.area_code, p.detailed_group, p.broad_group, sum(p.population)::bigint
  FROM equality.population_district p
 WHERE p.detailed_group IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM equality.area_districts a WHERE a.area = p.area_code)
 GROUP BY p.base, p.area_code, p.detailed_group, p.broad_group;

-- The engine's denominators: the base the rule gives for today. The rule
-- is read in the view (not through population_base_for()), so that a
-- reader of the view needs no rights on the rule table.
CREATE OR REPLACE VIEW equality.area_population AS
SELECT area, grp, population, base AS population_base
  FROM equality.area_population_by_base
 WHERE base = (SELECT r.base FROM equality.population_base_rule r
                WHERE r.period_from <= current_date
                  AND (r.period_to IS NULL OR current_date <= r.period_to)
                ORDER BY r.period_from DESC LIMIT 1);

-- The rate ratio of n events of grp to ref_n of ref_grp in area, per head
-- of each group's population on base: (n / pop) / (ref_n / ref_pop).
-- NULL when a population is missing or 0, or ref_n is 0.
CREATE FUNCTION equality.rate_ratio_on_base(base text, area text, grp text, n bigint,
                                            ref_grp text, ref_n bigint)
RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT (n::double precision / p.population) / (ref_n::double precision / r.population)
      FROM equality.area_population_by_base p, equality.area_population_by_base r
     WHERE p.base = $1 AND p.area = $2 AND p.grp = $3 AND p.population > 0
       AND r.base = $1 AND r.area = $2 AND r.grp = $5 AND r.population > 0 AND ref_n > 0
$$;

-- The engine's population figures (ethnicity: searches, arrests,
-- detentions, strip searches, uses of force, per head of population) on
-- the base the rule gives for each window's last day: the counts as the
-- engine wrote them, the populations, rates per 1,000 and rate ratio on
-- that base, and population_base saying which. engine_base is the base
-- equality.area_population gives today (the one the engine divides by).
CREATE VIEW equality.figures_on_base AS
WITH f AS (
    SELECT f.*,
           (SELECT r.base FROM equality.population_base_rule r
             WHERE r.period_from <= f.window_end
               AND (r.period_to IS NULL OR f.window_end <= r.period_to)
             ORDER BY r.period_from DESC LIMIT 1) AS population_base
      FROM equality.figures f
     WHERE f.dimension = 'ethnicity'
       AND (f.measure IN ('stop_search.searches', 'custody.arrests', 'custody.detentions',
                          'custody.strip_searches', 'custody.use_of_force')
            OR starts_with(f.measure, 'custody.use_of_force_by_tactic.'))
)
SELECT f.source, f.measure, f.area, f.dimension, f.grp, f.reference_grp, f.window_days,
       f.window_end, f.population_base, f.n, p.population AS base, f.ref_n,
       r.population AS ref_base,
       CASE WHEN p.population > 0 THEN f.n * 1000.0 / p.population END AS rate,
       CASE WHEN r.population > 0 THEN f.ref_n * 1000.0 / r.population END AS ref_rate,
       CASE WHEN p.population > 0 AND r.population > 0 AND f.ref_n > 0
                 AND f.grp NOT IN ('not_stated', f.reference_grp)
            THEN (f.n::double precision / p.population)
                 / (f.ref_n::double precision / r.population) END AS ratio,
       (SELECT min(a.population_base) FROM equality.area_population a) AS engine_base,
       f.computed_at
  FROM f
  LEFT JOIN equality.area_population_by_base p
         ON p.base = f.population_base AND p.area = f.area AND p.grp = f.grp
  LEFT JOIN equality.area_population_by_base r
         ON r.base = f.population_base AND r.area = f.area AND r.grp = f.reference_grp;

-- Grants (018's pattern): the consumers read the reference data; the
-- administrator keeps it (bases, rules, rows); the analyst reads views.
GRANT SELECT ON equality.population_base, equality.population_base_rule,
    equality.census_categories, equality.area_population_by_base,
    equality.area_population_detailed
    TO eqm_stop_search, eqm_custody, eqm_recruitment;
GRANT SELECT, INSERT, UPDATE, DELETE ON equality.population_base, equality.population_base_rule
    TO eqm_admin;
GRANT SELECT ON equality.census_categories, equality.area_population_by_base,
    equality.area_population_detailed, equality.figures_on_base TO eqm_admin;
REVOKE ALL ON FUNCTION equality.population_base_for(date),
    equality.rate_ratio_on_base(text, text, text, bigint, text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION equality.population_base_for(date),
    equality.rate_ratio_on_base(text, text, text, bigint, text, bigint)
    TO eqm_stop_search, eqm_custody, eqm_recruitment, eqm_admin;

CREATE VIEW equality_read.population_base AS SELECT * FROM equality.population_base;
CREATE VIEW equality_read.population_base_rule AS SELECT * FROM equality.population_base_rule;
CREATE VIEW equality_read.census_categories AS SELECT * FROM equality.census_categories;
CREATE VIEW equality_read.area_population_by_base AS
SELECT * FROM equality.area_population_by_base;
CREATE VIEW equality_read.area_population_detailed AS
SELECT * FROM equality.area_population_detailed;
CREATE VIEW equality_read.figures_on_base AS SELECT * FROM equality.figures_on_base;
GRANT SELECT ON equality_read.population_base, equality_read.population_base_rule,
    equality_read.census_categories, equality_read.area_population_by_base,
    equality_read.area_population_detailed, equality_read.figures_on_base TO eqm_analyst;
