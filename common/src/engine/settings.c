/* The engine's settings table (eqm/engine.h, eqm/config.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/engine.h"

#define OFF(f) offsetof(struct eqm_engine_config, f)

/* "28, 91,365" -> window_days; the setting keeps its text as given. */
static int check_windows(void *base, const char *s, char *errstr, size_t sz) {
    struct eqm_engine_config *cfg = base;
    int days[EQM_MAX_WINDOWS];
    int n = 0;
    const char *p = s;

    while (*p) {
        char *end;
        long v;
        errno = 0;
        v = strtol(p, &end, 10);
        if (end == p || errno || v < 1 || v > 3660) {
            snprintf(errstr, sz, "windows: \"%s\" is not a list of days (1 to 3660)", s);
            return -1;
        }
        if (n == EQM_MAX_WINDOWS) {
            snprintf(errstr, sz, "windows: at most %d windows", EQM_MAX_WINDOWS);
            return -1;
        }
        for (int i = 0; i < n; i++) {
            if (days[i] == (int)v) {
                snprintf(errstr, sz, "windows: %ld given twice", v);
                return -1;
            }
        }
        days[n++] = (int)v;
        p = end;
        while (*p == ' ')
            p++;
        if (*p == ',')
            p++;
        else if (*p) {
            snprintf(errstr, sz, "windows: \"%s\" is not a list of days (1 to 3660)", s);
            return -1;
        }
        while (*p == ' ')
            p++;
    }
    if (n == 0) {
        snprintf(errstr, sz, "windows: at least one window is needed");
        return -1;
    }
    memcpy(cfg->window_days, days, sizeof(days[0]) * (size_t)n);
    cfg->n_windows = n;
    return 0;
}

static int check_ahead(void *base, const char *value, char *errstr, size_t sz) {
    (void)base;
    if (strcmp(value, "reread") && strcmp(value, "stop")) {
        snprintf(errstr, sz, "offsets.ahead.of.log: \"%s\" is not reread or stop", value);
        return -1;
    }
    return 0;
}

static const struct eqm_setting settings[] = {
    {"topic", EQM_SETTING_STRING, OFF(topic), "", 0, 0, 0, "input topic", NULL},
    {"group.id", EQM_SETTING_STRING, OFF(group_id), "", 0, 0, 0, "Kafka consumer group", NULL},
    {"dead.letter.topic", EQM_SETTING_STRING, OFF(dead_letter_topic), "equality.dead-letter", 0, 0,
     0, "topic for unusable messages", NULL},
    {"timezone", EQM_SETTING_STRING, OFF(timezone), "Europe/London", 0, 0, 0,
     "the force's time zone: daily buckets are local days", NULL},
    {"force.area", EQM_SETTING_STRING, OFF(force_area), "force", 0, 0, 0,
     "area name under which whole-force figures are kept", NULL},
    {"windows", EQM_SETTING_STRING, OFF(windows), "28,91,365", 0, 0, 0,
     "rolling windows in days, comma-separated", check_windows},
    {"batch.max.messages", EQM_SETTING_LONG, OFF(batch_max_messages), "50000", 1, 1000000, 0,
     "most messages in one transaction", NULL},
    {"batch.max.rows", EQM_SETTING_LONG, OFF(batch_max_rows), "50000", 1, 10000000, 0,
     "a batch also closes once it would upsert this many count rows (bounds memory when "
     "events are spread over many days)",
     NULL},
    {"batch.max.ms", EQM_SETTING_LONG, OFF(batch_max_ms), "200", 1, 60000, 0,
     "longest time a batch stays open", NULL},
    {"max.message.bytes", EQM_SETTING_LONG, OFF(max_message_bytes), "1000000", 64, 100000000, 0,
     "larger messages are dead letters", NULL},
    {"dedup.horizon.days", EQM_SETTING_LONG, OFF(dedup_horizon_days), "730", 0, 100000, 0,
     "keep de-duplication keys this many days behind the newest event; older events are "
     "dead letters (0 = keep keys for ever)",
     NULL},
    {"max.future.skew.s", EQM_SETTING_LONG, OFF(max_future_skew_s), "86400", 0, 100000000, 0,
     "events dated further than this in the future are dead letters", NULL},
    {"metrics.interval.ms", EQM_SETTING_LONG, OFF(metrics_interval_ms), "1000", 0, 3600000, 0,
     "recompute figures at most this often (see metrics.max.share); always when idle or "
     "stopping",
     NULL},
    {"metrics.max.share", EQM_SETTING_DOUBLE, OFF(metrics_max_share), "0.02", 0.001, 1, 0,
     "under load, spend at most this share of the time recomputing figures: the interval "
     "stretches to (1 / share - 1) times the last recomputation (figures stay in the batch "
     "transaction, so a recomputation holds up the events behind it)",
     NULL},
    {"exit.when.idle", EQM_SETTING_DOUBLE, OFF(exit_when_idle), "0", 0, 1e9, 0,
     "exit 0 after this many seconds without messages, once assigned (0 = never)", NULL},
    {"pipeline", EQM_SETTING_BOOL, OFF(pipeline), "true", 0, 0, 0,
     "send a batch to PostgreSQL and read the next one while it runs; the batch commits "
     "only if none of its events was seen before (otherwise it is read again and committed "
     "one statement at a time, the careful way, for the next 30 s)",
     NULL},
    {"naive", EQM_SETTING_BOOL, OFF(naive), "false", 0, 0, 0,
     "benchmark baseline only: commit one PostgreSQL transaction per event (batch.max.messages "
     "forced to 1), as a quick implementation would; same guarantees, far slower",
     NULL},
    {"stats.file", EQM_SETTING_STRING, OFF(stats_file), "", 0, 0, 0,
     "write run statistics (events, batches, produce-to-commit latency percentiles, peak "
     "RSS) to this file every second and at exit, for eqm-bench; empty = off",
     NULL},
    {"alerts.rules", EQM_SETTING_STRING, OFF(alerts_rules), "", 0, 0, 0,
     "alert rules file (JSON); empty = the built-in defaults", NULL},
    {"alerts.enabled", EQM_SETTING_BOOL, OFF(alerts_enabled), "true", 0, 0, 0,
     "evaluate alert rules after each recomputation of the figures", NULL},
    {"alerts.hold.lag", EQM_SETTING_LONG, OFF(alerts_hold_lag), "10000", 0, 1000000000, 0,
     "catching up: while the partitions held are more than this many messages behind the ends "
     "of their logs (or the last batch was full), figures are recomputed but not judged against "
     "the alert rules; they are judged once caught up, so a replayed backlog gives the alerts of "
     "the caught-up figures only (0 = never hold)",
     NULL},
    {"pg.reconnect.max.s", EQM_SETTING_DOUBLE, OFF(pg_reconnect_max_s), "120", 0, 86400, 0,
     "when PostgreSQL goes away, try to reconnect (200 ms, doubling to 5 s) for this long; "
     "then stop with nothing of the batch committed (it is read again at the next start)",
     NULL},
    {"offsets.ahead.of.log", EQM_SETTING_STRING, OFF(offsets_ahead), "reread", 0, 0, 0,
     "when a stored offset is beyond the end of its partition's log (the topic was made "
     "again, or the broker lost its log): reread = log an error and read the partition again "
     "from its start (every event still counts once: the de-duplication keys); stop = log the "
     "error and stop",
     check_ahead},
};

struct eqm_settings eqm_engine_settings(struct eqm_engine_config *ecfg) {
    return (struct eqm_settings){settings, sizeof(settings) / sizeof(settings[0]), ecfg};
}
