/*
 * notify_channel.h - what every eqm-notify channel (e-mail, webhook)
 * reports for one delivery attempt, so the delivery loop can decide
 * between done, try again later (see backoff.h) and give up.
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
