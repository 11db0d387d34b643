-- Wakes eqm-alert-relay when outbox rows are committed (README "Publishing:
-- the outbox and the relay"). NOTIFY is delivered at COMMIT, so the relay
-- never wakes for a row it cannot yet see, and a rolled-back batch wakes
-- nobody. One notification per statement, not per row: the relay reads
-- every unsent row anyway. The relay also polls (relay.poll.interval.ms),
-- so a notification missed while it reconnects only delays a row.
CREATE FUNCTION equality.alert_outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('equality_alert_outbox', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER alert_outbox_notify
    AFTER INSERT ON equality.alert_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION equality.alert_outbox_notify();
