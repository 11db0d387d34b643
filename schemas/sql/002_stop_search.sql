-- Stop and search daily counts: one row per local day (force time zone),
-- area, dimension and group. 'area' also holds the whole-force area.
CREATE TABLE equality.stop_search_daily (
    day        date   NOT NULL,
    area       text   NOT NULL,
    dimension  text   NOT NULL,
    grp        text   NOT NULL,
    searches   bigint NOT NULL DEFAULT 0,
    linked     bigint NOT NULL DEFAULT 0,
    link_known bigint NOT NULL DEFAULT 0,
    arrests    bigint NOT NULL DEFAULT 0,
    section_60 bigint NOT NULL DEFAULT 0,
    strip      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, area, dimension, grp)
);
