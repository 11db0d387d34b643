-- Custody and use of force daily counts (eqm-custody, topic custody.events):
-- one row per local day (force time zone), area, dimension and group.
-- 'area' also holds the whole-force area. Column order is the service's
-- (services/custody/custody.h); the figures are in equality.disparity,
-- measures custody.* (README "Measures").
CREATE TABLE equality.custody_daily (
    day                     date   NOT NULL,
    area                    text   NOT NULL,
    dimension               text   NOT NULL,
    grp                     text   NOT NULL,
    arrests                 bigint NOT NULL DEFAULT 0,
    detentions              bigint NOT NULL DEFAULT 0,
    strip_searches          bigint NOT NULL DEFAULT 0,
    use_of_force            bigint NOT NULL DEFAULT 0,
    disposals               bigint NOT NULL DEFAULT 0,
    out_of_court            bigint NOT NULL DEFAULT 0,
    charged                 bigint NOT NULL DEFAULT 0,
    tactic_handcuffing      bigint NOT NULL DEFAULT 0,
    tactic_restraint        bigint NOT NULL DEFAULT 0,
    tactic_limb_restraints  bigint NOT NULL DEFAULT 0,
    tactic_unarmed_skills   bigint NOT NULL DEFAULT 0,
    tactic_spit_guard       bigint NOT NULL DEFAULT 0,
    tactic_taser_drawn      bigint NOT NULL DEFAULT 0,
    tactic_taser_aimed      bigint NOT NULL DEFAULT 0,
    tactic_taser_discharged bigint NOT NULL DEFAULT 0,
    tactic_baton            bigint NOT NULL DEFAULT 0,
    tactic_irritant_spray   bigint NOT NULL DEFAULT 0,
    tactic_dog              bigint NOT NULL DEFAULT 0,
    tactic_firearm          bigint NOT NULL DEFAULT 0,
    tactic_other            bigint NOT NULL DEFAULT 0,
    tactic_not_recorded     bigint NOT NULL DEFAULT 0,
    uof_custody             bigint NOT NULL DEFAULT 0,
    uof_community           bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, area, dimension, grp)
);

COMMENT ON TABLE equality.custody_daily IS
    'Custody and use of force counts per local day, area (and the whole force), dimension '
    '(ethnicity, gender, age_range) and group, from custody.events.';
COMMENT ON COLUMN equality.custody_daily.arrests IS 'arrest events';
COMMENT ON COLUMN equality.custody_daily.detentions IS 'detention events (booked into custody)';
COMMENT ON COLUMN equality.custody_daily.strip_searches IS 'strip_search events';
COMMENT ON COLUMN equality.custody_daily.use_of_force IS
    'use_of_force events: incidents, whatever the number of tactics';
COMMENT ON COLUMN equality.custody_daily.disposals IS 'disposal events, every outcome';
COMMENT ON COLUMN equality.custody_daily.out_of_court IS
    'disposals with outcome caution, community_resolution, penalty_notice or cannabis_warning';
COMMENT ON COLUMN equality.custody_daily.charged IS 'disposals with outcome charged';
COMMENT ON COLUMN equality.custody_daily.tactic_other IS
    'uses of force with a tactic outside the known list (each incident once)';
COMMENT ON COLUMN equality.custody_daily.tactic_not_recorded IS
    'uses of force whose tactics were absent, null, an empty list or blank';
COMMENT ON COLUMN equality.custody_daily.uof_custody IS 'uses of force with setting custody';
COMMENT ON COLUMN equality.custody_daily.uof_community IS 'uses of force with setting community';
