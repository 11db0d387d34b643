-- Self-defined against officer-defined ethnicity (README "Dashboard", the
-- stop and search page's data quality): one row per local day (force time
-- zone), area, self-defined broad group and officer-defined broad group,
-- counting the searches whose event carries both fields (a field present
-- but null or blank counts as not_stated on its side; an event without
-- officer_defined_ethnicity, or with neither self_defined_ethnicity nor
-- ethnicity, is not counted here). Groups: asian, black, mixed, white,
-- other, not_stated. 'area' also holds the whole-force area.
--
-- eqm-stop-search adds to it in the same transaction as stop_search_daily
-- (an event counted once, its key in event_keys). Events counted before
-- this migration are not in it: the table starts empty, and covers the
-- days before it only once those are replayed (their rows and their
-- stop-search event keys deleted, then the events sent again).
CREATE TABLE equality.stop_search_ethnicity_agreement (
    day             date   NOT NULL,
    area            text   NOT NULL,
    self_defined    text   NOT NULL,
    officer_defined text   NOT NULL,
    searches        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, area, self_defined, officer_defined)
);

-- The stop-search consumer's own counts, as stop_search_daily (018): no
-- source column, so no row-level security; only eqm_stop_search writes it.
GRANT SELECT, INSERT, UPDATE ON equality.stop_search_ethnicity_agreement TO eqm_stop_search;

-- The analyst's view (018's pattern: owned by the owner, in equality_read).
CREATE VIEW equality_read.stop_search_ethnicity_agreement AS
SELECT * FROM equality.stop_search_ethnicity_agreement;
COMMENT ON VIEW equality_read.stop_search_ethnicity_agreement IS
    'Stop and search: searches per local day and area (the force''s too) by self-defined '
    '(self_defined) and officer-defined (officer_defined) broad ethnic group, for the events '
    'that carry both fields; not_stated on either side included. Agreement: the rows with '
    'self_defined = officer_defined over all rows.';
GRANT SELECT ON equality_read.stop_search_ethnicity_agreement TO eqm_analyst;
