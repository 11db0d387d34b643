-- eqm-notify: alerts read from equality.alerts and their deliveries to
-- people (README "Notifications"). Its consumer offsets are rows of
-- equality.kafka_offsets under its own consumer group (eqm-notify).

-- One row per alert message received. alert_id is the de-duplication of
-- the relay's possible second copies: a copy finds its row and adds no
-- deliveries.
CREATE TABLE equality.notify_alerts (
    alert_id        uuid        PRIMARY KEY,
    fingerprint     text        NOT NULL,
    status          text        NOT NULL,
    audience        text        NOT NULL,
    severity        text        NOT NULL,
    payload         jsonb       NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    topic           text        NOT NULL,
    kafka_partition integer     NOT NULL,
    kafka_offset    bigint      NOT NULL
);

-- One row per alert and recipient, written in the transaction that
-- received the alert; the delivery loop sends the due ones. target is the
-- address or URL the delivery goes to (kept so that what was sent where
-- can be audited); message_id is the Message-ID / idempotency key, the
-- same for every attempt, so a resend after a crash is recognisable.
CREATE TABLE equality.notify_deliveries (
    alert_id        uuid        NOT NULL REFERENCES equality.notify_alerts (alert_id),
    recipient       text        NOT NULL,
    channel         text        NOT NULL CHECK (channel IN ('email', 'webhook')),
    target          text        NOT NULL,
    state           text        NOT NULL DEFAULT 'pending'
                                CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    last_status     integer,
    last_error      text,
    delivered_at    timestamptz,
    message_id      text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (alert_id, recipient)
);

CREATE INDEX notify_deliveries_due ON equality.notify_deliveries (next_attempt_at)
    WHERE state = 'pending';

-- A message on equality.alerts that is not a usable alert: recorded with
-- its position and why, in the transaction that moves the offset past it.
CREATE TABLE equality.notify_rejections (
    id              bigserial   PRIMARY KEY,
    topic           text        NOT NULL,
    kafka_partition integer     NOT NULL,
    kafka_offset    bigint      NOT NULL,
    reason          text        NOT NULL,
    payload_bytes   integer     NOT NULL,
    rejected_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (topic, kafka_partition, kafka_offset)
);
