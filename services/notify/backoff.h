/*
 * backoff.h - how long eqm-notify waits before it tries a failed delivery
 * again.
 *
 * Exponential back-off with full jitter: after n failed attempts the next
 * one waits a uniformly random time in [0, min(cap_ms, base_ms * 2^(n-1))],
 * so deliveries that failed together (a receiver that was down) do not all
 * come back at the same moment. A server that said when to come back
 * (Retry-After) is believed as a minimum, up to EQM_BACKOFF_RETRY_AFTER_MAX_MS,
 * so a hostile or broken server cannot park a delivery for ever.
 */
#ifndef EQM_BACKOFF_H
#define EQM_BACKOFF_H

#include <stdint.h>

/* The longest Retry-After honoured: one hour. */
#define EQM_BACKOFF_RETRY_AFTER_MAX_MS 3600000

/*
 * The delay in ms before attempt attempts+1, after attempts (>= 1; less
 * counts as 1) failed ones. base_ms and cap_ms below 0 count as 0.
 * retry_after_ms >= 0 is the server's Retry-After: the result is then at
 * least min(retry_after_ms, EQM_BACKOFF_RETRY_AFTER_MAX_MS), which may be
 * more than cap_ms; -1 (any negative) means the server said nothing.
 * rnd is the caller's xorshift64* state, advanced once per call (a zero
 * state is replaced by a fixed non-zero seed); NULL means no jitter: the
 * upper bound itself. Never overflows, for any attempts up to INT_MAX.
 */
int64_t eqm_backoff_ms(int attempts, int64_t base_ms, int64_t cap_ms, int64_t retry_after_ms,
                       uint64_t *rnd);

#endif /* EQM_BACKOFF_H */
