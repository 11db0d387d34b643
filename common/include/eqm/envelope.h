/*
 * envelope.h - the fields every event has (CONTRACT.md "Events in"):
 * parsing raw message bytes into a JSON object and validating event_id,
 * event_type, occurred_at and area. Pure; the engine, the unit tests and
 * the fixture checks call it.
 */
#ifndef EQM_ENVELOPE_H
#define EQM_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "eqm/service.h"

/*
 * Validates the common envelope of a parsed event. Pure: the unit tests
 * and the fixture checks call it. now_us and max_future_skew_s bound the
 * event time. Returns 0 or -1 with *rej filled.
 */
int eqm_envelope_parse(const json_t *event, int64_t now_us, long max_future_skew_s,
                       struct eqm_envelope *env, struct eqm_reject *rej)
    __attribute__((warn_unused_result));

/*
 * Parses raw message bytes as a JSON object and validates the envelope.
 * On success *event holds a new reference the caller must json_decref().
 */
int eqm_message_parse(const char *payload, size_t len, long max_message_bytes, int64_t now_us,
                      long max_future_skew_s, json_t **event, struct eqm_envelope *env,
                      struct eqm_reject *rej) __attribute__((warn_unused_result));

/*
 * Makes a refusal fit to store and send: the reason valid UTF-8 (it may
 * quote the message's own bytes, cut anywhere: each byte that is not
 * UTF-8 becomes U+FFFD), and a code ("rejected" if the handler gave
 * none). The engine calls it on every refusal before the dead letter.
 */
void eqm_reject_clean(struct eqm_reject *rej);

#endif /* EQM_ENVELOPE_H */
