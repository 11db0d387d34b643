-- Dimension and group as ordinary key columns again. The engine once
-- allowed four key columns after `day`, so equality.recruitment_daily and
-- equality.headcount_snapshots packed dimension and group into one key,
-- dim_grp ("dimension:grp"), with generated columns splitting it back
-- (005). The engine now allows five (EQM_MAX_KEY_PARTS), and the service
-- sends dimension and group as parts of their own.
--
-- DROP EXPRESSION keeps each generated column's stored values as ordinary
-- data, so no row is rewritten by hand; dim_grp goes with the primary key
-- that contained it, and the same key is made of the two columns (dimension
-- names never contain ':', so the rows stay unique). The views reading the
-- tables (headcount_latest, recruitment_funnel) name dimension and grp,
-- never dim_grp, and read the same values.

ALTER TABLE equality.recruitment_daily
    ALTER COLUMN dimension DROP EXPRESSION,
    ALTER COLUMN grp DROP EXPRESSION;
ALTER TABLE equality.recruitment_daily
    DROP CONSTRAINT recruitment_daily_pkey,
    DROP COLUMN dim_grp,
    ADD PRIMARY KEY (day, role, campaign, stage, dimension, grp);

ALTER TABLE equality.headcount_snapshots
    ALTER COLUMN dimension DROP EXPRESSION,
    ALTER COLUMN grp DROP EXPRESSION;
ALTER TABLE equality.headcount_snapshots
    DROP CONSTRAINT headcount_snapshots_pkey,
    DROP COLUMN dim_grp,
    ADD PRIMARY KEY (day, as_of, role, area, dimension, grp);
