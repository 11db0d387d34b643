/*
 * backoff.c - exponential back-off with full jitter (backoff.h).
 */
#include "backoff.h"

/* xorshift64* (Vigna): small, fast, and with a state the caller keeps, so
 * tests can replay a sequence; not for anything secret. */
static uint64_t next_random(uint64_t *state) {
    uint64_t x = *state ? *state : UINT64_C(0x9E3779B97F4A7C15);

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * UINT64_C(0x2545F4914F6CDD1D);
}

int64_t eqm_backoff_ms(int attempts, int64_t base_ms, int64_t cap_ms, int64_t retry_after_ms,
                       uint64_t *rnd) {
    int64_t ceiling, delay;

    if (base_ms < 0)
        base_ms = 0;
    if (cap_ms < 0)
        cap_ms = 0;
    ceiling = base_ms < cap_ms ? base_ms : cap_ms;
    /* Doubling stops once the cap is reached, and a value is only doubled
     * while it is at most half the cap: no overflow, and at most 63 rounds
     * whatever attempts is. */
    for (int i = 1; i < attempts && ceiling > 0 && ceiling < cap_ms; i++)
        ceiling = ceiling > cap_ms / 2 ? cap_ms : ceiling * 2;
    if (!rnd)
        delay = ceiling;
    else
        /* Unsigned, because ceiling + 1 overflows int64_t at INT64_MAX. The
         * modulo's bias is below 2^-20 for any ceiling under 2^44 ms. */
        delay = (int64_t)(next_random(rnd) % ((uint64_t)ceiling + 1));
    if (retry_after_ms >= 0) {
        if (retry_after_ms > EQM_BACKOFF_RETRY_AFTER_MAX_MS)
            retry_after_ms = EQM_BACKOFF_RETRY_AFTER_MAX_MS;
        if (delay < retry_after_ms)
            delay = retry_after_ms;
    }
    return delay;
}
