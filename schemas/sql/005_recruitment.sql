-- Recruitment funnel and workforce (service eqm-recruitment, topic
-- recruitment.events). Daily counts written by the engine; figures written
-- by the service's recompute hook; views for analysts. No candidate or
-- employee reference is stored anywhere: only aggregates.
--
-- The engine allows four key columns after `day`; where a table needs five,
-- dimension and group travel together in `dim_grp` ("dimension:grp" --
-- dimension names never contain ':') and are split back into ordinary
-- columns by generated columns, so analysts never see the combined key.

-- Funnel: one row per local day (event time), role, campaign (also '*' =
-- all campaigns), stage, dimension and group. entered counts every
-- application_stage event at that stage; passed + failed + withdrawn =
-- entered.
CREATE TABLE equality.recruitment_daily (
    day       date   NOT NULL,
    role      text   NOT NULL,
    campaign  text   NOT NULL,
    stage     text   NOT NULL,
    dim_grp   text   NOT NULL,
    dimension text   GENERATED ALWAYS AS (split_part(dim_grp, ':', 1)) STORED,
    grp       text   GENERATED ALWAYS AS (substr(dim_grp, strpos(dim_grp, ':') + 1)) STORED,
    entered   bigint NOT NULL DEFAULT 0,
    passed    bigint NOT NULL DEFAULT 0,
    failed    bigint NOT NULL DEFAULT 0,
    withdrawn bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, role, campaign, stage, dim_grp)
);

-- Joiners and leavers: one row per local day, role, area (also the whole
-- force), dimension and group. leaver_service_days sums the length of
-- service of the leavers whose length is known (leaver_service_known).
CREATE TABLE equality.workforce_daily (
    day                  date   NOT NULL,
    role                 text   NOT NULL,
    area                 text   NOT NULL,
    dimension            text   NOT NULL,
    grp                  text   NOT NULL,
    joiners              bigint NOT NULL DEFAULT 0,
    leavers              bigint NOT NULL DEFAULT 0,
    leaver_service_days  bigint NOT NULL DEFAULT 0,
    leaver_service_known bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, role, area, dimension, grp)
);

-- Headcount snapshots, keyed by the day the snapshot was sent (`day`) and
-- the day it describes (`as_of`, 'YYYY-MM-DD'). Per role, area and
-- dimension only the latest as_of counts (equality.headcount_latest). Two
-- snapshot events for the same role, area, dimension and as_of add up (a
-- snapshot may be split over several messages, e.g. one per group); a
-- repeat of the same event_id is ignored by the engine's de-duplication.
-- A correction is sent as a newer as_of.
CREATE TABLE equality.headcount_snapshots (
    day       date   NOT NULL,
    as_of     text   NOT NULL,
    role      text   NOT NULL,
    area      text   NOT NULL,
    dim_grp   text   NOT NULL,
    dimension text   GENERATED ALWAYS AS (split_part(dim_grp, ':', 1)) STORED,
    grp       text   GENERATED ALWAYS AS (substr(dim_grp, strpos(dim_grp, ':') + 1)) STORED,
    headcount bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, as_of, role, area, dim_grp)
);

CREATE VIEW equality.headcount_latest AS
WITH s AS (
    SELECT as_of::date AS as_of, role, area, dimension, grp, sum(headcount)::bigint AS headcount
      FROM equality.headcount_snapshots
     GROUP BY 1, 2, 3, 4, 5
)
SELECT s.* FROM s
 WHERE s.as_of = (SELECT max(x.as_of) FROM s x
                   WHERE x.role = s.role AND x.area = s.area AND x.dimension = s.dimension);

-- Which group each dimension compares with (CONTRACT: the reference group
-- by default, or the group with the highest pass rate "where configured").
-- comparison: 'reference' (uses reference_grp) or 'highest'. Read by every
-- recompute; an analyst may change it and the next recompute follows.
CREATE TABLE equality.recruitment_settings (
    dimension     text PRIMARY KEY,
    comparison    text NOT NULL CHECK (comparison IN ('reference', 'highest')),
    reference_grp text,
    CHECK (comparison = 'highest' OR reference_grp IS NOT NULL)
);
INSERT INTO equality.recruitment_settings VALUES
    ('ethnicity', 'reference', 'white'),
    ('sex', 'reference', 'male'),
    ('disability', 'reference', 'no'),
    ('age_range', 'highest', NULL);

-- Attrition figures per role, campaign ('*' = all), stage, dimension, group
-- and window, written by eqm-recruitment (see README "Recruitment").
-- stage is a contract stage, 'end_to_end' (application to appointment) or
-- 'withdrawal' (where "passed" means "did not withdraw").
CREATE TABLE equality.attrition_figures (
    role                  text    NOT NULL,
    campaign              text    NOT NULL,
    stage                 text    NOT NULL,
    stage_order           integer NOT NULL,
    dimension             text    NOT NULL,
    grp                   text    NOT NULL,
    window_days           integer NOT NULL,
    window_end            date    NOT NULL,
    comparison_grp        text,
    entered               bigint  NOT NULL,
    passed                bigint  NOT NULL,
    failed                bigint  NOT NULL,
    withdrawn             bigint  NOT NULL,
    base                  bigint  NOT NULL,
    pass_rate             double precision,
    pass_rate_ci_low      double precision,
    pass_rate_ci_high     double precision,
    comparison_passed     bigint,
    comparison_base       bigint,
    comparison_pass_rate  double precision,
    adverse_impact_ratio  double precision,
    ci_low                double precision,
    ci_high               double precision,
    p_value               double precision,
    withdrawal_rate       double precision,
    comparison_withdrawn  bigint,
    comparison_entered    bigint,
    withdrawal_rate_ratio double precision,
    note                  text,
    computed_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (role, campaign, stage, dimension, grp, window_days)
);

CREATE VIEW equality.attrition_by_campaign AS
SELECT role, campaign, stage, stage_order, dimension, grp, comparison_grp, window_days,
       window_end, entered, passed, failed, withdrawn, base, pass_rate, pass_rate_ci_low,
       pass_rate_ci_high, comparison_passed, comparison_base, comparison_pass_rate,
       adverse_impact_ratio, ci_low, ci_high, p_value,
       adverse_impact_ratio < 0.8 AS four_fifths_breach,
       p_value < 0.05 AS significant,
       withdrawal_rate, comparison_withdrawn, comparison_entered, withdrawal_rate_ratio,
       note, computed_at
  FROM equality.attrition_figures;

-- The analyst's view: all campaigns together.
CREATE VIEW equality.attrition AS
SELECT role, stage, stage_order, dimension, grp, comparison_grp, window_days, window_end,
       entered, passed, failed, withdrawn, base, pass_rate, pass_rate_ci_low,
       pass_rate_ci_high, comparison_passed, comparison_base, comparison_pass_rate,
       adverse_impact_ratio, ci_low, ci_high, p_value, four_fifths_breach, significant,
       withdrawal_rate, comparison_withdrawn, comparison_entered, withdrawal_rate_ratio,
       note, computed_at
  FROM equality.attrition_by_campaign
 WHERE campaign = '*';

-- Workforce figures per role, area, dimension, group and window.
CREATE TABLE equality.workforce_figures (
    role                   text    NOT NULL,
    area                   text    NOT NULL,
    dimension              text    NOT NULL,
    grp                    text    NOT NULL,
    window_days            integer NOT NULL,
    window_end             date    NOT NULL,
    reference_grp          text    NOT NULL,
    snapshot_as_of         date,
    snapshot_headcount     bigint,
    headcount              bigint  NOT NULL,
    headcount_total        bigint  NOT NULL,
    share                  double precision,
    population             bigint,
    population_total       bigint,
    population_share       double precision,
    representation_ratio   double precision,
    representation_ci_low  double precision,
    representation_ci_high double precision,
    joiners                bigint  NOT NULL,
    joiners_total          bigint  NOT NULL,
    joiners_share          double precision,
    leavers                bigint  NOT NULL,
    avg_headcount          double precision,
    leaver_rate            double precision,
    ref_leavers            bigint,
    ref_avg_headcount      double precision,
    ref_leaver_rate        double precision,
    leaver_rate_ratio      double precision,
    leaver_rate_ci_low     double precision,
    leaver_rate_ci_high    double precision,
    leavers_service_known  bigint  NOT NULL,
    mean_service_years_of_leavers double precision,
    note                   text,
    computed_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (role, area, dimension, grp, window_days)
);

CREATE VIEW equality.workforce AS
SELECT role, area, dimension, grp, reference_grp, window_days, window_end, snapshot_as_of,
       snapshot_headcount, headcount, headcount_total, share, population, population_total,
       population_share, representation_ratio, representation_ci_low, representation_ci_high,
       joiners, joiners_total, joiners_share, leavers, avg_headcount, leaver_rate, ref_leavers,
       ref_avg_headcount, ref_leaver_rate, leaver_rate_ratio, leaver_rate_ci_low,
       leaver_rate_ci_high, leavers_service_known, mean_service_years_of_leavers, note,
       computed_at
  FROM equality.workforce_figures;

-- Funnel counts in the contract's stage order, for reports.
CREATE VIEW equality.recruitment_funnel AS
SELECT role, campaign, stage,
       array_position(ARRAY['application', 'eligibility', 'assessment_centre', 'interview',
                            'vetting', 'medical', 'fitness', 'offer', 'appointment'], stage)
           AS stage_order,
       dimension, grp, min(day) AS first_day, max(day) AS last_day,
       sum(entered)::bigint AS entered, sum(passed)::bigint AS passed,
       sum(failed)::bigint AS failed, sum(withdrawn)::bigint AS withdrawn
  FROM equality.recruitment_daily
 GROUP BY role, campaign, stage, dimension, grp;
