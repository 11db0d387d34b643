/*
 * notify_channel.h - what one delivery attempt on a channel (e-mail,
 * webhook) tells eqm-notify's delivery loop.
 *
 * OK: the server took the message; the delivery is stamped delivered.
 * RETRY: a transient failure (connection, timeout, 4xx SMTP reply, HTTP
 * 429/5xx); the loop schedules another attempt after a back-off.
 * PERMANENT: the server refused the message for good (5xx SMTP reply,
 * HTTP 4xx other than 408/429); the delivery is marked failed with detail.
 */
#ifndef EQM_NOTIFY_CHANNEL_H
#define EQM_NOTIFY_CHANNEL_H

#include <stdint.h>

enum eqm_delivery_outcome {
    EQM_DELIVERY_OK = 0,
    EQM_DELIVERY_RETRY = 1,
    EQM_DELIVERY_PERMANENT = 2
};

struct eqm_delivery_result {
    enum eqm_delivery_outcome outcome;
    long status;            /* SMTP reply code or HTTP status; 0 if none */
    int64_t retry_after_ms; /* >= 0 when the server asked (Retry-After), else -1 */
    char detail[512];       /* server reply / curl error, valid UTF-8, no secrets */
};

#endif /* EQM_NOTIFY_CHANNEL_H */
