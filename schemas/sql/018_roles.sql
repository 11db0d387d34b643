-- Least privilege (README "Security"): a group role per program, what each
-- may do, and row-level security on the engine's shared tables so that one
-- service cannot move another's offsets, keys, watermarks, dead letters,
-- figures or alert state.
--
-- The owner is the role that runs the migrations (eqm-admin migrate): it
-- owns the schema and every table, and is the only one that may change
-- them. It needs CREATEROLE for the group roles below to be created here;
-- a DBA may instead create them beforehand (NOLOGIN), and this migration
-- then leaves them as they are. Login roles are the operator's: one per
-- program, granted its group role, e.g.
--   CREATE ROLE stop_search LOGIN PASSWORD '...' IN ROLE eqm_stop_search;
--
--   eqm_stop_search, eqm_custody, eqm_recruitment
--                  a consumer: its own counts tables; its own rows (source)
--                  of the shared tables; reads the reference data
--   eqm_relay      publishes the outbox: reads it, marks rows sent
--   eqm_notify     its own tables; its own offsets; reads open alerts
--   eqm_analyst    the views of schema equality_read and nothing else
--                  (eqm-web, eqm-report, BI tools)
--   eqm_admin      silences, acknowledgements and answers, areas and the
--                  population; reads the engine's state (eqm-admin); also
--                  an analyst
--
-- Roles are the cluster's, not the database's: every database of the
-- cluster that holds this schema shares them.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['eqm_stop_search', 'eqm_custody', 'eqm_recruitment', 'eqm_relay',
                             'eqm_notify', 'eqm_analyst', 'eqm_admin'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$$;
GRANT eqm_analyst TO eqm_admin;

-- Nobody but the owner creates anything in the schema.
REVOKE ALL ON SCHEMA equality FROM PUBLIC;
GRANT USAGE ON SCHEMA equality TO eqm_stop_search, eqm_custody, eqm_recruitment, eqm_relay,
    eqm_notify, eqm_admin;

-- The sources the session's roles may write for: 'stop-search' for a
-- member of eqm_stop_search, and so on. Read once per statement by the
-- policies (as an uncorrelated subquery), not once per row.
CREATE FUNCTION equality.session_sources() RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(replace(substr(r.rolname, 5), '_', '-')), '{}')
      FROM pg_roles r
     WHERE r.rolname IN ('eqm_stop_search', 'eqm_custody', 'eqm_recruitment', 'eqm_notify')
       AND pg_has_role(current_user, r.oid, 'USAGE')
$$;

-- Offsets and the offsets found ahead of their log say whose they are.
-- Rows of the known topics get their source; any other row (a topic of
-- another name) is the owner's to assign: UPDATE ... SET source = ...
ALTER TABLE equality.kafka_offsets ADD COLUMN source text;
UPDATE equality.kafka_offsets
   SET source = CASE topic WHEN 'stop-search.events' THEN 'stop-search'
                           WHEN 'custody.events' THEN 'custody'
                           WHEN 'recruitment.events' THEN 'recruitment'
                           WHEN 'equality.alerts' THEN 'notify' END;
ALTER TABLE equality.offset_events ADD COLUMN source text;
UPDATE equality.offset_events o
   SET source = k.source
  FROM equality.kafka_offsets k
 WHERE k.consumer_group = o.consumer_group AND k.topic = o.topic AND k.partition = o.partition;

-- Row-level security: a service sees and writes only its own rows. The
-- owner is not subject to it; eqm_admin reads every row.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['kafka_offsets', 'event_keys', 'watermarks', 'dead_letters',
                             'offset_events', 'consumer_stats', 'figures', 'alert_state'] LOOP
        EXECUTE format('ALTER TABLE equality.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY own_rows ON equality.%I '
                       'USING (source IN (SELECT unnest(equality.session_sources()))) '
                       'WITH CHECK (source IN (SELECT unnest(equality.session_sources())))', t);
        EXECUTE format('CREATE POLICY admin_reads ON equality.%I FOR SELECT TO eqm_admin '
                       'USING (true)', t);
    END LOOP;
END
$$;
-- The outbox's rows are their alert's: its source is alert_state's.
ALTER TABLE equality.alert_outbox ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON equality.alert_outbox
    USING (EXISTS (SELECT 1 FROM equality.alert_state s
                    WHERE s.fingerprint = alert_outbox.fingerprint
                      AND s.source IN (SELECT unnest(equality.session_sources()))))
    WITH CHECK (EXISTS (SELECT 1 FROM equality.alert_state s
                         WHERE s.fingerprint = alert_outbox.fingerprint
                           AND s.source IN (SELECT unnest(equality.session_sources()))));
-- The relay publishes every service's alerts; eqm_admin reads them.
CREATE POLICY relay_publishes ON equality.alert_outbox TO eqm_relay USING (true) WITH CHECK (true);
CREATE POLICY admin_reads ON equality.alert_outbox FOR SELECT TO eqm_admin USING (true);

-- What every consumer does: the engine's tables (rows as above), the
-- reference data, the alert rules' inputs.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['eqm_stop_search', 'eqm_custody', 'eqm_recruitment'] LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE ON equality.kafka_offsets, '
                       'equality.watermarks, equality.consumer_stats, equality.alert_state TO %I',
                       r);
        EXECUTE format('GRANT SELECT, INSERT, DELETE ON equality.event_keys TO %I', r);
        EXECUTE format('GRANT SELECT, INSERT ON equality.dead_letters, equality.offset_events, '
                       'equality.alert_outbox TO %I', r);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON equality.figures TO %I', r);
        EXECUTE format('GRANT SELECT ON equality.schema_migrations, equality.population_district, '
                       'equality.area_districts, equality.area_population, '
                       'equality.alert_silences, equality.metrics TO %I', r);
        EXECUTE format('GRANT USAGE ON SEQUENCE equality.offset_events_id_seq, '
                       'equality.alert_outbox_id_seq TO %I', r);
    END LOOP;
END
$$;
-- Each consumer's own counts.
GRANT SELECT, INSERT, UPDATE ON equality.stop_search_daily TO eqm_stop_search;
GRANT SELECT, INSERT, UPDATE ON equality.custody_daily TO eqm_custody;
GRANT SELECT, INSERT, UPDATE ON equality.recruitment_daily, equality.workforce_daily,
    equality.headcount_snapshots TO eqm_recruitment;
GRANT SELECT, INSERT, UPDATE, DELETE ON equality.attrition_figures, equality.workforce_figures
    TO eqm_recruitment;
GRANT SELECT ON equality.recruitment_settings, equality.attrition, equality.workforce,
    equality.headcount_latest TO eqm_recruitment;

-- The relay: the outbox, read and marked sent.
GRANT SELECT, UPDATE (sent_at, kafka_partition, kafka_offset) ON equality.alert_outbox
    TO eqm_relay;
GRANT SELECT ON equality.schema_migrations TO eqm_relay;

-- The notifier: its own tables and offsets, the open alerts.
GRANT SELECT, INSERT, UPDATE ON equality.notify_alerts, equality.notify_deliveries,
    equality.notify_digests, equality.kafka_offsets TO eqm_notify;
GRANT SELECT, INSERT ON equality.notify_rejections TO eqm_notify;
GRANT USAGE ON SEQUENCE equality.notify_rejections_id_seq TO eqm_notify;
GRANT SELECT ON equality.schema_migrations, equality.alerts_current TO eqm_notify;

-- The administrator: silences, acknowledgements and answers, areas and
-- the population; the engine's state and the deliveries, read.
GRANT SELECT, INSERT, UPDATE ON equality.alert_silences TO eqm_admin;
GRANT SELECT, INSERT ON equality.alert_responses TO eqm_admin;
GRANT USAGE ON SEQUENCE equality.alert_silences_id_seq, equality.alert_responses_id_seq
    TO eqm_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON equality.area_districts, equality.population_district
    TO eqm_admin;
GRANT SELECT ON equality.schema_migrations, equality.area_population, equality.alert_state,
    equality.alert_history, equality.alerts_current, equality.kafka_offsets, equality.watermarks,
    equality.event_keys, equality.dead_letters, equality.offset_events, equality.alert_outbox,
    equality.notify_alerts, equality.notify_deliveries, equality.notify_digests,
    equality.consumer_stats TO eqm_admin;

-- The analyst's views: what the dashboard and a BI tool read, in a schema
-- of their own, owned by the owner (so they read the tables as the owner
-- does, and row-level security does not narrow them). Nothing here names
-- a person: no recipients, no dead letters' reasons. A view lists the
-- columns its table had when it was made; a migration that adds a column
-- an analyst should see makes the view again.
CREATE SCHEMA equality_read;
REVOKE ALL ON SCHEMA equality_read FROM PUBLIC;
GRANT USAGE ON SCHEMA equality_read TO eqm_analyst;

CREATE VIEW equality_read.stop_search_daily AS SELECT * FROM equality.stop_search_daily;
CREATE VIEW equality_read.custody_daily AS SELECT * FROM equality.custody_daily;
CREATE VIEW equality_read.recruitment_daily AS SELECT * FROM equality.recruitment_daily;
CREATE VIEW equality_read.workforce_daily AS SELECT * FROM equality.workforce_daily;
CREATE VIEW equality_read.headcount_snapshots AS SELECT * FROM equality.headcount_snapshots;
CREATE VIEW equality_read.attrition_figures AS SELECT * FROM equality.attrition_figures;
CREATE VIEW equality_read.workforce_figures AS SELECT * FROM equality.workforce_figures;
CREATE VIEW equality_read.attrition AS SELECT * FROM equality.attrition;
CREATE VIEW equality_read.workforce AS SELECT * FROM equality.workforce;
CREATE VIEW equality_read.recruitment_funnel AS SELECT * FROM equality.recruitment_funnel;
CREATE VIEW equality_read.metrics AS SELECT * FROM equality.metrics;
CREATE VIEW equality_read.disparity AS SELECT * FROM equality.disparity;
CREATE VIEW equality_read.area_population AS SELECT * FROM equality.area_population;
CREATE VIEW equality_read.area_districts AS SELECT * FROM equality.area_districts;
CREATE VIEW equality_read.alerts_current AS SELECT * FROM equality.alerts_current;
CREATE VIEW equality_read.alert_history AS SELECT * FROM equality.alert_history;
CREATE VIEW equality_read.alert_state AS SELECT * FROM equality.alert_state;
CREATE VIEW equality_read.alert_outbox AS
SELECT id, alert_id, fingerprint, status, audience, publish, created_at, sent_at
  FROM equality.alert_outbox;
CREATE VIEW equality_read.kafka_offsets AS SELECT * FROM equality.kafka_offsets;
CREATE VIEW equality_read.consumer_stats AS SELECT * FROM equality.consumer_stats;
CREATE VIEW equality_read.consumer_commit_bounds AS SELECT * FROM equality.consumer_commit_bounds;
CREATE VIEW equality_read.dead_letter_summary AS SELECT * FROM equality.dead_letter_summary;
CREATE VIEW equality_read.dead_letters AS
SELECT topic, partition, kafka_offset, source, reason_code, payload_bytes, received_at
  FROM equality.dead_letters;
CREATE VIEW equality_read.notify_deliveries AS
SELECT alert_id, channel, state, attempts, created_at, delivered_at FROM equality.notify_deliveries;
CREATE VIEW equality_read.schema_migrations AS SELECT * FROM equality.schema_migrations;
GRANT SELECT ON ALL TABLES IN SCHEMA equality_read TO eqm_analyst;
