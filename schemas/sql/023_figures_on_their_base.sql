-- The engine's figures on the base of their window (README "Population"):
-- a rolling window's population is the base the rule of 020 gives for the
-- window's last day, no longer the base of today, and every population
-- figure names it. A window ending 31 March 2021 divides by Census 2011
-- (by default); one ending a day later by Census 2021.
--
-- When the base of a source's figures changes (the window crosses a rule's
-- boundary, or the administrator edits the rule), the figures are restated
-- on the new base at the next recomputation, and an alert whose state
-- changes only because of it (the same counts, judged on the base before,
-- would not have changed its state) is announced as "restated", not fired
-- or resolved: figure_bases keeps, per source, the base of its figures and
-- the one before, until the alerts have been judged once on the new one.

ALTER TABLE equality.figures ADD COLUMN population_base text;

CREATE TABLE equality.figure_bases (
    source          text PRIMARY KEY,
    population_base text,            -- the base of the source's figures now
    previous_base   text,            -- the base before, until alerts are judged on the new one
    changed_at      timestamptz NOT NULL DEFAULT now()
);

-- The figures' views name the base (recruitment's rows have none here:
-- attrition compares applicants, not population).
CREATE OR REPLACE VIEW equality.metrics AS
SELECT source, measure, area, dimension, grp, reference_grp, window_days, window_end, n, base,
       ref_n, ref_base, rate, rate_ci_low, rate_ci_high, ref_rate, ratio, ci_low, ci_high, note,
       computed_at, population_base
  FROM equality.figures
UNION ALL
SELECT 'recruitment', 'recruitment.adverse_impact.' || stage || '.' || role, force_area,
       dimension, grp, coalesce(comparison_grp, ''), window_days, window_end, passed, base,
       comparison_passed, comparison_base, pass_rate, pass_rate_ci_low, pass_rate_ci_high,
       comparison_pass_rate, adverse_impact_ratio, ci_low, ci_high, note, computed_at, NULL
  FROM equality.attrition_figures
 WHERE campaign = '*'
UNION ALL
SELECT 'recruitment', 'workforce.representation.' || role, area, dimension, grp, 'population',
       window_days, window_end, headcount, headcount_total, population, population_total, share,
       share_ci_low, share_ci_high, population_share, representation_ratio,
       representation_ci_low, representation_ci_high, note, computed_at, NULL
  FROM equality.workforce_figures
 WHERE dimension = 'ethnicity'
UNION ALL
SELECT 'recruitment', 'workforce.leaver_rate.' || role, area, dimension, grp, reference_grp,
       window_days, window_end, leavers,
       CASE WHEN avg_headcount > 0 THEN floor(avg_headcount + 0.5::float8)::bigint END,
       ref_leavers,
       CASE WHEN ref_leavers IS NOT NULL AND ref_avg_headcount > 0
            THEN floor(ref_avg_headcount + 0.5::float8)::bigint END,
       leaver_rate, NULL::double precision, NULL::double precision, ref_leaver_rate,
       leaver_rate_ratio, leaver_rate_ci_low, leaver_rate_ci_high, note, computed_at, NULL
  FROM equality.workforce_figures;

CREATE OR REPLACE VIEW equality.disparity AS
SELECT measure, area, dimension, grp, reference_grp, window_days, window_end,
       n, base, ref_n, ref_base, rate, ref_rate, ratio, ci_low, ci_high,
       rate_ci_low, rate_ci_high, note, computed_at, population_base
  FROM equality.metrics;

CREATE OR REPLACE VIEW equality_read.metrics AS SELECT * FROM equality.metrics;
CREATE OR REPLACE VIEW equality_read.disparity AS SELECT * FROM equality.disparity;

-- Grants and row-level security (018's pattern): each consumer its own
-- row; the administrator reads them all, the analyst through equality_read.
ALTER TABLE equality.figure_bases ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON equality.figure_bases
    USING (source IN (SELECT unnest(equality.session_sources())))
    WITH CHECK (source IN (SELECT unnest(equality.session_sources())));
CREATE POLICY admin_reads ON equality.figure_bases FOR SELECT TO eqm_admin USING (true);
GRANT SELECT, INSERT, UPDATE ON equality.figure_bases
    TO eqm_stop_search, eqm_custody, eqm_recruitment;
GRANT SELECT ON equality.figure_bases TO eqm_admin;
CREATE VIEW equality_read.figure_bases AS SELECT * FROM equality.figure_bases;
GRANT SELECT ON equality_read.figure_bases TO eqm_analyst;
