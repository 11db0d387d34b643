-- The panel's response loop ("explain or reform", README "Acknowledging
-- and answering an alert"): who acknowledged an alert, and the force's
-- explanation or action. Rows are never changed or deleted; a second
-- acknowledgement or response is a new row, so the audit trail keeps all.
--
-- An alert's episode is its breach: equality.alert_state.first_breached_at
-- is set when a breach begins and kept through firing and resolution, so
-- a row answers the episode that was current when it was written. When the
-- alert fires again later, the new episode is unanswered until answered.
CREATE TABLE equality.alert_responses (
    id              bigserial   PRIMARY KEY,
    fingerprint     text        NOT NULL,  -- equality.alert_state.fingerprint
    episode         timestamptz NOT NULL,  -- alert_state.first_breached_at then
    kind            text        NOT NULL CHECK (kind IN ('ack', 'response')),
    status          text        NOT NULL,  -- the alert's status when it was written
    alert_id        uuid,                  -- alert_state.last_alert_id then
    body            text        NOT NULL DEFAULT '' CHECK (kind = 'ack' OR body <> ''),
    created_by      text        NOT NULL CHECK (created_by <> ''),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_responses_fp ON equality.alert_responses (fingerprint, episode);

-- The history gains the acknowledgements and responses: migration 004's
-- view (state changes, silences, unsilences) keeps its definition under
-- a new name, and equality.alert_history is it plus the answers.
ALTER VIEW equality.alert_history RENAME TO alert_history_changes;
CREATE VIEW equality.alert_history AS
SELECT * FROM equality.alert_history_changes
UNION ALL
SELECT r.created_at, r.fingerprint,
       CASE r.kind WHEN 'ack' THEN 'acknowledged' ELSE 'responded' END, r.status,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, r.alert_id,
       'by ' || r.created_by || CASE WHEN r.body <> '' THEN ': ' || r.body ELSE '' END
  FROM equality.alert_responses r;

-- Current alerts gain, for the current episode, the latest acknowledgement
-- and response, and how many days a firing alert has gone unanswered
-- (counted from the day its breach began, in the server's time zone).
CREATE OR REPLACE VIEW equality.alerts_current AS
SELECT st.fingerprint, st.status, st.severity, st.rule, st.measure, st.area, st.role, st.stage,
       st.dimension, st.grp, st.window_days, st.last_value, st.last_window_end,
       st.first_breached_at, st.last_notified_at, st.last_evaluated_at,
       si.until AS silenced_until, si.reason AS silence_reason,
       ack.created_at AS acknowledged_at, ack.created_by AS acknowledged_by,
       resp.created_at AS responded_at, resp.created_by AS responded_by, resp.body AS response,
       CASE WHEN st.status = 'firing' AND resp.id IS NULL
            THEN current_date - st.first_breached_at::date END AS days_unanswered
  FROM equality.alert_state st
  LEFT JOIN LATERAL (SELECT x.until, x.reason FROM equality.alert_silences x
                      WHERE x.fingerprint = st.fingerprint AND x.removed_at IS NULL
                        AND x.until > now()
                      ORDER BY x.until DESC LIMIT 1) si ON true
  LEFT JOIN LATERAL (SELECT r.created_at, r.created_by FROM equality.alert_responses r
                      WHERE r.fingerprint = st.fingerprint AND r.kind = 'ack'
                        AND r.episode = st.first_breached_at
                      ORDER BY r.id DESC LIMIT 1) ack ON true
  LEFT JOIN LATERAL (SELECT r.id, r.created_at, r.created_by, r.body
                       FROM equality.alert_responses r
                      WHERE r.fingerprint = st.fingerprint AND r.kind = 'response'
                        AND r.episode = st.first_breached_at
                      ORDER BY r.id DESC LIMIT 1) resp ON true;
