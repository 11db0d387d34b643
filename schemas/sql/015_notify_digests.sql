-- eqm-notify's digests (README "Notifications", "Digests"): one row per
-- digest subscriber and period. A period is (period_start, period_end];
-- period_end is the scheduled instant, period_start the previous digest's
-- period_end (or the schedule's instant before, for a subscriber's first),
-- so a period missed while the service was down is covered by the next
-- digest, never lost and never twice. The digest's content is read when
-- it is sent; delivery follows equality.notify_deliveries' states.
CREATE TABLE equality.notify_digests (
    audience        text        NOT NULL,
    recipient       text        NOT NULL,
    period_end      timestamptz NOT NULL,
    period_start    timestamptz NOT NULL CHECK (period_start < period_end),
    channel         text        NOT NULL CHECK (channel IN ('email', 'webhook')),
    target          text        NOT NULL,
    message_id      text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- The delivery's course, as in equality.notify_deliveries: due at
    -- next_attempt_at (a claim moves it a lease ahead), then delivered or
    -- failed with the last reply.
    state           text        NOT NULL DEFAULT 'pending'
                                CHECK (state IN ('pending', 'delivered', 'failed')),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    attempts        integer     NOT NULL DEFAULT 0,
    last_attempt_at timestamptz,
    delivered_at    timestamptz,
    last_status     integer,
    last_error      text,
    PRIMARY KEY (audience, recipient, period_end)
);

CREATE INDEX notify_digests_due ON equality.notify_digests (next_attempt_at)
    WHERE state = 'pending';
