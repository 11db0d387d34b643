-- Figures written once. The engine's figures (stop-search, custody) keep
-- their table, renamed equality.figures (written by
-- common/src/figures/metrics.c). Recruitment writes only its own tables,
-- equality.attrition_figures and equality.workforce_figures; the rows it
-- also wrote to equality.metrics (adverse impact, representation, leaver
-- rate) are now derived from those tables. equality.metrics becomes a view:
-- equality.figures UNION ALL those rows, the same columns, values and
-- notes as before, so every reader of equality.metrics and of
-- equality.disparity sees what it saw. Alert rules on the engine's
-- figures read equality.figures directly.
--
-- Two things the view needs that the recruitment tables did not keep:
--   attrition_figures.force_area: the area of the adverse impact rows
--     (recruitment is force-wide; the area is the configured force.area,
--     which only the service knows). Written with every row, so it is the
--     area the figures were computed for.
--   workforce_figures.share_ci_low / share_ci_high: the Wilson interval
--     of the headcount share, the representation rows' rate interval.
-- Both are filled here from the rows about to be deleted; rows without
-- such a row get theirs at the next recomputation.

ALTER TABLE equality.metrics RENAME TO figures;
ALTER INDEX equality.metrics_pkey RENAME TO figures_pkey;
ALTER INDEX equality.metrics_source RENAME TO figures_source;

ALTER TABLE equality.attrition_figures ADD COLUMN force_area text;
ALTER TABLE equality.workforce_figures
    ADD COLUMN share_ci_low double precision,
    ADD COLUMN share_ci_high double precision;

UPDATE equality.attrition_figures
   SET force_area = (SELECT min(f.area) FROM equality.figures f
                      WHERE f.source = 'recruitment'
                        AND starts_with(f.measure, 'recruitment.adverse_impact.'));
UPDATE equality.workforce_figures w
   SET share_ci_low = f.rate_ci_low, share_ci_high = f.rate_ci_high
  FROM equality.figures f
 WHERE f.source = 'recruitment' AND f.measure = 'workforce.representation.' || w.role
   AND f.area = w.area AND f.dimension = w.dimension AND f.grp = w.grp
   AND f.window_days = w.window_days;
DELETE FROM equality.figures WHERE source = 'recruitment';

-- equality.disparity read the table; it is made again over the view.
DROP VIEW equality.disparity;

-- Recruitment's rows as recompute.c wrote them: the adverse impact of
-- every stage over all campaigns (n = passed, base = passed + failed, or
-- the applications for the derived stages); representation for ethnicity
-- (n = headcount, ref_n = population, rate = share); the leaver rate of
-- every dimension, whose base is the average headcount rounded half up
-- (avg_headcount is a multiple of 0.5, so floor(x + 0.5) is exact).
CREATE VIEW equality.metrics AS
SELECT source, measure, area, dimension, grp, reference_grp, window_days, window_end, n, base,
       ref_n, ref_base, rate, rate_ci_low, rate_ci_high, ref_rate, ratio, ci_low, ci_high, note,
       computed_at
  FROM equality.figures
UNION ALL
SELECT 'recruitment', 'recruitment.adverse_impact.' || stage || '.' || role, force_area,
       dimension, grp, coalesce(comparison_grp, ''), window_days, window_end, passed, base,
       comparison_passed, comparison_base, pass_rate, pass_rate_ci_low, pass_rate_ci_high,
       comparison_pass_rate, adverse_impact_ratio, ci_low, ci_high, note, computed_at
  FROM equality.attrition_figures
 WHERE campaign = '*'
UNION ALL
SELECT 'recruitment', 'workforce.representation.' || role, area, dimension, grp, 'population',
       window_days, window_end, headcount, headcount_total, population, population_total, share,
       share_ci_low, share_ci_high, population_share, representation_ratio,
       representation_ci_low, representation_ci_high, note, computed_at
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
       leaver_rate_ratio, leaver_rate_ci_low, leaver_rate_ci_high, note, computed_at
  FROM equality.workforce_figures;

-- The analyst's view: every figure with the counts behind it (as in 001).
CREATE VIEW equality.disparity AS
SELECT measure, area, dimension, grp, reference_grp, window_days, window_end,
       n, base, ref_n, ref_base, rate, ref_rate, ratio, ci_low, ci_high,
       rate_ci_low, rate_ci_high, note, computed_at
  FROM equality.metrics;
