-- Stop and search by power, by outcome, and of children (README "Data
-- model and measures"). Each search adds 1 to exactly one power column
-- (pace_s1: PACE 1984 s.1; mda_s23: Misuse of Drugs Act 1971 s.23; the
-- existing section_60; other_power: any other legislation, or none) and to
-- exactly one outcome column (nfa: no further action; the existing arrests;
-- other_outcome: everything else, none included), and to children when the
-- person was under 18 (age range "under 10" or "10-17").
--
-- Rows counted before this migration hold 0 in the new columns: the events
-- behind them are not read again. Figures over windows that reach back
-- before it (stop_search.pace_s1_share, mda_s23_share, other_power_share,
-- nfa_rate, other_outcome_rate, children_share) understate these counts
-- until those days are replayed (their rows and their stop-search event
-- keys deleted, then the events sent again). A constant default: the
-- columns are added without rewriting the table.
ALTER TABLE equality.stop_search_daily
    ADD COLUMN pace_s1       bigint NOT NULL DEFAULT 0,
    ADD COLUMN mda_s23       bigint NOT NULL DEFAULT 0,
    ADD COLUMN other_power   bigint NOT NULL DEFAULT 0,
    ADD COLUMN nfa           bigint NOT NULL DEFAULT 0,
    ADD COLUMN other_outcome bigint NOT NULL DEFAULT 0,
    ADD COLUMN children      bigint NOT NULL DEFAULT 0;
