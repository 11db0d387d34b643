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
