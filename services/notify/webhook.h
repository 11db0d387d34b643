/*
 * webhook.h - eqm-notify's webhook channel: one alert POSTed as JSON to a
 * URL, in the shape the receiver expects.
 *
 * Shapes: GENERIC is the alert message exactly as on equality.alerts;
 * TEAMS is the message a Microsoft Teams workflow ("When a Teams webhook
 * request is received") takes, an Adaptive Card; SLACK is a Slack incoming
 * webhook's Block Kit message. Every request carries Content-Type:
 * application/json, User-Agent: eqm-notify, Idempotency-Key (so a receiver
 * can drop the repeat of a delivery that was retried after a lost reply)
 * and the target's secret header if it has one. TLS is always verified.
 *
 * The reply is classified for the delivery loop (notify_channel.h):
 * 2xx OK; 408, 429, every 5xx and every connection, timeout or TLS failure
 * RETRY (with the server's Retry-After for 429 and 503); every other status
 * (other 4xx, and 1xx/3xx, as redirects are not followed) PERMANENT. The
 * detail names the host only, never the URL's path, query or user
 * information (a Slack or Teams webhook URL is itself the secret), and
 * never the secret header.
 *
 * The program calls curl_global_init() once before any thread starts
 * (libcurl requires it); eqm_webhook_send() makes a handle per call and
 * may run in several threads at once.
 */
#ifndef EQM_WEBHOOK_H
#define EQM_WEBHOOK_H

#include <stdint.h>

#include <jansson.h>

#include "notify_channel.h"

/* The most of a reply's body kept in a result's detail, in bytes. */
#define EQM_WEBHOOK_DETAIL_BODY 400

enum eqm_webhook_shape { EQM_WEBHOOK_GENERIC, EQM_WEBHOOK_TEAMS, EQM_WEBHOOK_SLACK };

/* "generic", "teams" or "slack" (exactly). 0, or -1 with *out untouched. */
int eqm_webhook_shape_parse(const char *s, enum eqm_webhook_shape *out)
    __attribute__((warn_unused_result));

struct eqm_webhook_target {
    const char *url; /* http:// or https:// */
    enum eqm_webhook_shape shape;
    const char *secret_header; /* "Name: value" or NULL */
    const char *ca_file;       /* CA bundle for TLS, or NULL for the system's */
    long timeout_ms;           /* connect and total; <= 0 means 10,000 */
};

/*
 * The request body for the shape from the alert message (a JSON object as
 * on equality.alerts). Fields that are missing or null are shown as "n/a"
 * (or left out); text stays UTF-8 as it came. Returns a malloc'd
 * NUL-terminated text the caller frees; NULL on out of memory.
 */
char *eqm_webhook_body(enum eqm_webhook_shape shape, const json_t *alert)
    __attribute__((warn_unused_result));

/*
 * One POST of alert to t. idempotency_key (NULL: no header) and the secret
 * header must not hold a line break (that is a PERMANENT result, not a
 * request). Returns 0 with *out filled (outcome OK, RETRY or PERMANENT,
 * status 0 when no HTTP reply came), or -1 only on out of memory (*out then
 * says so, as a RETRY).
 */
int eqm_webhook_send(const struct eqm_webhook_target *t, const json_t *alert,
                     const char *idempotency_key, struct eqm_delivery_result *out)
    __attribute__((warn_unused_result));

/*
 * A Retry-After value, delta-seconds ("120") or an HTTP-date (IMF-fixdate
 * "Sun, 06 Nov 1994 08:49:37 GMT", and the obsolete RFC 850 and asctime
 * forms RFC 9110 asks a recipient to accept), as ms from now_s (Unix
 * seconds): 0 for a date already past, -1 if value is not one of those.
 * Leading and trailing spaces are allowed; huge delta-seconds saturate.
 */
int64_t eqm_retry_after_parse(const char *value, int64_t now_s);

#endif /* EQM_WEBHOOK_H */
