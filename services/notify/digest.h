/*
 * digest.h - the content of a digest (README "Notifications", "Digests"):
 * what fired and what resolved in a subscriber's period, and what is still
 * open, in plain words for the panel's lay members.
 *
 * A digest is a JSON object, the generic webhook body of a digest:
 *
 *   {"type": "digest", "audience", "recipient", "every" (daily|weekly|
 *    monthly), "period_start", "period_end" (RFC 3339, UTC),
 *    "fired": [ITEM], "resolved": [ITEM], "open": [OPEN]}
 *
 * ITEM {"fingerprint", "severity", "summary", "at"}; OPEN {"fingerprint",
 * "severity", "summary", "first_breached_at", "acknowledged_by",
 * "acknowledged_at", "responded_by", "responded_at", "days_unanswered"}
 * (the last five null when there is none). eqm-notify reads it from
 * PostgreSQL when the digest is sent; these functions only render it.
 * Pure: no I/O. Missing fields render as "?"; every function returns 0,
 * or -1 out of memory.
 */
#ifndef EQM_NOTIFY_DIGEST_H
#define EQM_NOTIFY_DIGEST_H

#include <stdint.h>

#include <jansson.h>

#include "eqm/buf.h"

/* "[Equality Monitor] Weekly digest, AUDIENCE: 1 fired, 1 resolved,
 * 2 open (1 unanswered)" (UTF-8, not yet encoded) into out (appended). */
int eqm_digest_subject(struct eqm_buf *out, const json_t *digest)
    __attribute__((warn_unused_result));

/* The plain-text and HTML bodies (every value HTML-escaped), appended.
 * start_s and end_s are the period (seconds since the epoch), shown in
 * the process time zone (the force's). */
int eqm_digest_body_text(struct eqm_buf *out, const json_t *digest, int64_t start_s, int64_t end_s)
    __attribute__((warn_unused_result));
int eqm_digest_body_html(struct eqm_buf *out, const json_t *digest, int64_t start_s, int64_t end_s)
    __attribute__((warn_unused_result));

/* The whole e-mail (eqm_email_compose()) into out, reset first; date is
 * the Date header (seconds since the epoch). */
int eqm_digest_email_build(struct eqm_buf *out, const json_t *digest, int64_t start_s,
                           int64_t end_s, const char *from, const char *to, const char *message_id,
                           int64_t date) __attribute__((warn_unused_result));

/* "<digest.PERIOD_END.HASH@eqm-notify>", HASH 16 hex digits of
 * md5("AUDIENCE/RECIPIENT"): the same for every attempt at one digest. */
void eqm_digest_message_id(const char *audience, const char *recipient, int64_t period_end_s,
                           char *out, size_t size);

#endif /* EQM_NOTIFY_DIGEST_H */
