#include "eqm/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static char log_service[64] = "eqm";
static enum eqm_log_level log_level = EQM_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void eqm_log_init(const char *service, enum eqm_log_level level) {
    snprintf(log_service, sizeof(log_service), "%s", service ? service : "eqm");
    log_level = level;
}

void eqm_log_set_level(enum eqm_log_level level) {
    log_level = level;
}

bool eqm_log_enabled(enum eqm_log_level level) {
    return level <= log_level;
}

int eqm_log_level_parse(const char *s, enum eqm_log_level *out) {
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum eqm_log_level)i;
            return 0;
        }
    }
    return -1;
}

void eqm_log_quote(char *buf, size_t size, const char *s) {
    size_t o = strlen(buf);

    if (o + 1 >= size)
        return;
    buf[o++] = '"';
    for (; s && *s && o + 3 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c == '\n') {
            buf[o++] = '\\';
            buf[o++] = 'n';
        } else if (c < 0x20) {
            buf[o++] = ' ';
        } else {
            buf[o++] = (char)c;
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
}

const char *eqm_log_q(const char *s) {
    static _Thread_local char ring[4][1024];
    static _Thread_local unsigned next;
    char *buf = ring[next++ % 4];

    buf[0] = '\0';
    eqm_log_quote(buf, sizeof(ring[0]), s);
    return buf;
}

void eqm_log(enum eqm_log_level level, const char *msg, const char *fmt, ...) {
    char line[2048];
    char ts[32];
    struct timeval tv;
    struct tm tm;
    size_t o;
    va_list ap;

    if (!eqm_log_enabled(level))
        return;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

    snprintf(line, sizeof(line), "ts=%s.%03dZ level=%s service=%s msg=", ts,
             (int)(tv.tv_usec / 1000), level_names[level], log_service);
    eqm_log_quote(line, sizeof(line), msg);
    o = strlen(line);
    if (fmt && *fmt && o + 2 < sizeof(line)) {
        line[o++] = ' ';
        va_start(ap, fmt);
        vsnprintf(line + o, sizeof(line) - o, fmt, ap);
        va_end(ap);
    }
    /* One write per line so concurrent processes do not interleave. */
    fprintf(stderr, "%s\n", line);
}
