-- Alerts (README "Alerts"). The consumers evaluate the rules in the same
-- transaction as the figures they judge (common/src/alerts.c) and write one
-- row to the outbox per state change; eqm-alert-relay publishes unsent,
-- publishable rows to equality.alerts, keyed by fingerprint, and stamps
-- sent_at only after the broker's delivery report.
CREATE TABLE equality.alert_outbox (
    id              bigserial   PRIMARY KEY,
    alert_id        uuid        NOT NULL UNIQUE,
    fingerprint     text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('firing', 'resolved')),
    audience        text        NOT NULL,
    payload         jsonb       NOT NULL,  -- the message, schemas/events/alert.schema.json
    publish         boolean     NOT NULL DEFAULT true,  -- false while silenced
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    kafka_partition integer,
    kafka_offset    bigint
);
CREATE INDEX alert_outbox_unsent ON equality.alert_outbox (id)
    WHERE sent_at IS NULL AND publish;

-- Alert state, one row per fingerprint (md5 of rule, measure, area or
-- role/stage, dimension, group and window), written by
-- eqm_alerts_evaluate() in the batch transaction. status: pending (breach
-- seen fewer than the rule's `pending` evaluations), firing, resolved,
-- inactive (a pending breach that did not hold). resolved_window_end is
-- the window end at which it resolved: only a breach at a later window
-- end re-opens it, so a late event cannot (README "Alerts").
CREATE TABLE equality.alert_state (
    fingerprint         text        PRIMARY KEY,
    rule                text        NOT NULL,
    source              text        NOT NULL,
    measure             text        NOT NULL,
    area                text,
    role                text,
    stage               text,
    dimension           text        NOT NULL,
    grp                 text        NOT NULL,
    window_days         integer     NOT NULL,
    status              text        NOT NULL
        CHECK (status IN ('inactive', 'pending', 'firing', 'resolved')),
    pending_count       integer     NOT NULL DEFAULT 0,
    severity_level      integer     NOT NULL DEFAULT 0,
    severity            text,
    first_breached_at   timestamptz,
    last_value          double precision,
    last_window_end     date,
    resolved_window_end date,
    last_notified_at    timestamptz,
    last_evaluated_at   timestamptz NOT NULL,
    last_alert_id       uuid
);
CREATE INDEX alert_state_rule ON equality.alert_state (rule, status);

-- Silences: a panel has reviewed a disparity. Silenced alerts are still
-- evaluated and written to the outbox, with publish = false. Rows are
-- never deleted: unsilence stamps removed_at, so the audit trail keeps both.
CREATE TABLE equality.alert_silences (
    id             bigserial   PRIMARY KEY,
    fingerprint    text        NOT NULL,
    until          timestamptz NOT NULL,
    reason         text        NOT NULL CHECK (reason <> ''),
    created_by     text        NOT NULL DEFAULT current_user,
    created_at     timestamptz NOT NULL DEFAULT now(),
    removed_at     timestamptz,
    removed_by     text
);
CREATE INDEX alert_silences_fp ON equality.alert_silences (fingerprint) WHERE removed_at IS NULL;

-- Every state change (the outbox rows, published or not) and every
-- silence and unsilence, newest first by `at`.
CREATE VIEW equality.alert_history AS
SELECT o.created_at AS at, o.fingerprint, o.payload->>'transition' AS event, o.status,
       o.payload->>'rule' AS rule, o.payload->>'area' AS area, o.payload->>'dimension' AS dimension,
       o.payload->>'group' AS grp, (o.payload->>'window_days')::integer AS window_days,
       o.payload->>'window_end' AS window_end, (o.payload->>'value')::double precision AS value,
       o.payload->>'severity' AS severity, o.audience, o.publish AS published, o.alert_id,
       o.payload->>'summary' AS detail
  FROM equality.alert_outbox o
UNION ALL
SELECT s.created_at, s.fingerprint, 'silenced', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL,
       'until ' || s.until || ' by ' || s.created_by || ': ' || s.reason
  FROM equality.alert_silences s
UNION ALL
SELECT s.removed_at, s.fingerprint, 'unsilenced', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, 'by ' || s.removed_by
  FROM equality.alert_silences s
 WHERE s.removed_at IS NOT NULL;

-- Current alerts for people: state with its active silence, if any.
CREATE VIEW equality.alerts_current AS
SELECT st.fingerprint, st.status, st.severity, st.rule, st.measure, st.area, st.role, st.stage,
       st.dimension, st.grp, st.window_days, st.last_value, st.last_window_end,
       st.first_breached_at, st.last_notified_at, st.last_evaluated_at,
       si.until AS silenced_until, si.reason AS silence_reason
  FROM equality.alert_state st
  LEFT JOIN LATERAL (SELECT x.until, x.reason FROM equality.alert_silences x
                      WHERE x.fingerprint = st.fingerprint AND x.removed_at IS NULL
                        AND x.until > now()
                      ORDER BY x.until DESC LIMIT 1) si ON true;
