-- Stored offsets found beyond the end of their partition's log (the topic
-- was made again, or the broker lost its log): one row per finding, by the
-- consumer that found it, with what it did (README "Offsets ahead of the
-- log"). eqm-admin status counts them.
CREATE TABLE equality.offset_events (
    id             bigserial   PRIMARY KEY,
    consumer_group text        NOT NULL,
    topic          text        NOT NULL,
    partition      integer     NOT NULL,
    stored_offset  bigint      NOT NULL,
    log_start      bigint,
    log_end        bigint,
    action         text        NOT NULL CHECK (action IN ('reread', 'stop')),
    found_at       timestamptz NOT NULL DEFAULT now()
);
