/*
 * log.h - one line per event of note on stderr, key=value.
 *
 *   ts=2026-11-24T13:00:00.123Z level=warn service=stop-search msg="..." k=v
 *
 * The level is checked before formatting, so a disabled debug line costs a
 * comparison. Not thread-safe with respect to eqm_log_init(); the
 * logging functions themselves write each line with one fprintf.
 */
#ifndef EQM_LOG_H
#define EQM_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum eqm_log_level { EQM_LOG_ERROR = 0, EQM_LOG_WARN, EQM_LOG_INFO, EQM_LOG_DEBUG };

/* service is copied (at most 63 bytes). */
void eqm_log_init(const char *service, enum eqm_log_level level);
void eqm_log_set_level(enum eqm_log_level level);
bool eqm_log_enabled(enum eqm_log_level level);

/* Parses "error", "warn", "info", "debug". Returns 0 or -1. */
int eqm_log_level_parse(const char *s, enum eqm_log_level *out) __attribute__((warn_unused_result));

/*
 * Writes one line: the message (quoted, escaped) then any extra key=value
 * text given by fmt, which the caller writes as `k=v k2=v2`.
 */
void eqm_log(enum eqm_log_level level, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define eqm_log_error(msg, ...) eqm_log(EQM_LOG_ERROR, msg, __VA_ARGS__)
#define eqm_log_warn(msg, ...)  eqm_log(EQM_LOG_WARN, msg, __VA_ARGS__)
#define eqm_log_info(msg, ...)  eqm_log(EQM_LOG_INFO, msg, __VA_ARGS__)
#define eqm_log_debug(msg, ...)                                                                    \
    do {                                                                                           \
        if (eqm_log_enabled(EQM_LOG_DEBUG))                                                        \
            eqm_log(EQM_LOG_DEBUG, msg, __VA_ARGS__);                                              \
    } while (0)

/* Appends `s` to buf as a double-quoted, escaped log value. */
void eqm_log_quote(char *buf, size_t size, const char *s);

/*
 * `s` as a double-quoted, escaped log value, for a `k=%s` in fmt (an error
 * text may hold quotes of its own: `relation "x" does not exist`). The
 * result lives in one of four per-thread buffers, so up to four may be
 * used in one call; it is cut at about 1 KB.
 */
const char *eqm_log_q(const char *s);

#endif /* EQM_LOG_H */
