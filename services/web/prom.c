/* prom.c - eqm-web's /metrics from PostgreSQL (prom.h). */
#include "prom.h"

#include <stdlib.h>
#include <string.h>

#include "eqm/commitstats.h"
#include "eqm/pg.h"

/* One Prometheus sample: name{labels} value, label values escaped. */
void eqm_web_sample(FILE *fp, const char *name, const char *const *labels, const char *const *vals,
                    int n, const char *value) {
    fputs(name, fp);
    for (int i = 0; i < n; i++) {
        fprintf(fp, "%s%s=\"", i ? "," : "{", labels[i]);
        for (const char *s = vals[i]; *s; s++) {
            if (*s == '\\' || *s == '"')
                fputc('\\', fp);
            if (*s == '\n')
                fputs("\\n", fp);
            else
                fputc(*s, fp);
        }
        fputc('"', fp);
    }
    fprintf(fp, "%s %s\n", n ? "}" : "", value);
}

#define CONSUMER_TOTAL(what, column, help)                                                         \
    {                                                                                              \
        "eqm_consumer_" what "_total", "counter", "eqm_consumer_" what "_total", help,             \
            {"group", "topic"}, 2,                                                                 \
            "SELECT consumer_group, topic, sum(" column ") FROM equality_read.consumer_stats "     \
            "GROUP BY 1, 2 ORDER BY 1, 2"                                                          \
    }

/* The families /metrics serves: each row of sql is one sample, its label
 * values first and its value last. A counter's name ends in _total, in
 * its HELP and TYPE lines too (the text format's rule; the parser then
 * names the family without it). */
static const struct family {
    const char *name, *type, *sample, *help;
    const char *labels[3];
    int n_labels;
    const char *sql;
} families[] = {
    CONSUMER_TOTAL("messages", "messages",
                   "Messages each consumer group has read and committed (events, duplicates and "
                   "dead letters)."),
    CONSUMER_TOTAL("events", "events", "Events counted for the first time, by consumer group."),
    CONSUMER_TOTAL("duplicates", "duplicates",
                   "Messages whose event was counted before (de-duplicated), by consumer group."),
    CONSUMER_TOTAL("dead_letters", "dead_letters",
                   "Messages made dead letters, by consumer group."),
    CONSUMER_TOTAL("batches", "batches", "Batches committed, by consumer group."),
    {"eqm_consumer_next_offset",
     "gauge",
     "eqm_consumer_next_offset",
     "Next Kafka offset each consumer group will read, per partition (committed with the "
     "counts).",
     {"group", "topic", "partition"},
     3,
     "SELECT consumer_group, topic, partition, coalesce(next_offset, 0)"
     "  FROM equality_read.kafka_offsets ORDER BY 1, 2, 3"},
    {"eqm_consumer_last_commit_timestamp_seconds",
     "gauge",
     "eqm_consumer_last_commit_timestamp_seconds",
     "When each partition's offset was last committed (Unix time).",
     {"group", "topic", "partition"},
     3,
     "SELECT consumer_group, topic, partition, extract(epoch FROM updated_at)"
     "  FROM equality_read.kafka_offsets ORDER BY 1, 2, 3"},
    {"eqm_dead_letters",
     "gauge",
     "eqm_dead_letters",
     "Dead letters kept, by source and reason code.",
     {"source", "reason"},
     2,
     "SELECT source, reason_code, count(*) FROM equality_read.dead_letters GROUP BY 1, 2 ORDER BY "
     "1, 2"},
    {"eqm_alerts",
     "gauge",
     "eqm_alerts",
     "Alerts by state.",
     {"status"},
     1,
     "SELECT status, count(*) FROM equality_read.alert_state GROUP BY 1 ORDER BY 1"},
    {"eqm_alert_outbox_unsent",
     "gauge",
     "eqm_alert_outbox_unsent",
     "Alert messages not yet published by eqm-alert-relay.",
     {NULL},
     0,
     "SELECT count(*) FROM equality_read.alert_outbox WHERE sent_at IS NULL AND publish"},
    {"eqm_notify_deliveries",
     "gauge",
     "eqm_notify_deliveries",
     "Deliveries of alerts to people, by channel and state.",
     {"channel", "state"},
     2,
     "SELECT channel, state, count(*) FROM equality_read.notify_deliveries GROUP BY 1, 2 ORDER BY "
     "1, 2"},
};

static int family(FILE *fp, PGconn *pg, const struct family *f, char *err, size_t sz) {
    PGresult *r = PQexec(pg, f->sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        eqm_pg_error(pg, r, f->name, err, sz);
        PQclear(r);
        return -1;
    }
    fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
    for (int i = 0; i < PQntuples(r); i++) {
        const char *vals[3];
        for (int k = 0; k < f->n_labels; k++)
            vals[k] = PQgetvalue(r, i, k);
        eqm_web_sample(fp, f->sample, f->labels, vals, f->n_labels, PQgetvalue(r, i, f->n_labels));
    }
    PQclear(r);
    return 0;
}

/* eqm_consumer_commit_seconds: how long each batch's transaction took,
 * from BEGIN sent to COMMIT acknowledged, as a Prometheus histogram summed
 * over each group's members (their buckets are per bucket, not
 * cumulative; the bounds are eqm/commitstats.h's). */
static int commit_histogram(FILE *fp, PGconn *pg, char *err, size_t sz) {
    static const char *const labels[] = {"group", "topic", "le"};
    PGresult *r =
        PQexec(pg, "SELECT consumer_group, topic, sum(commit_seconds_sum), sum(commit_count) "
                   "FROM equality_read.consumer_stats GROUP BY 1, 2 "
                   "ORDER BY 1, 2");
    PGresult *b = NULL;
    int rc = -1;

    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        eqm_pg_error(pg, r, "eqm_consumer_commit_seconds", err, sz);
        goto out;
    }
    b = PQexec(
        pg, "SELECT s.consumer_group, s.topic, u.i, sum(u.n) FROM equality_read.consumer_stats s, "
            "unnest(s.commit_buckets) WITH ORDINALITY AS u(n, i) GROUP BY 1, 2, 3 "
            "ORDER BY 1, 2, 3");
    if (PQresultStatus(b) != PGRES_TUPLES_OK) {
        eqm_pg_error(pg, b, "eqm_consumer_commit_seconds", err, sz);
        goto out;
    }
    fputs("# HELP eqm_consumer_commit_seconds How long each batch's transaction took to "
          "commit (BEGIN sent to COMMIT acknowledged), by consumer group.\n"
          "# TYPE eqm_consumer_commit_seconds histogram\n",
          fp);
    for (int i = 0, j = 0; i < PQntuples(r); i++) {
        const char *group = PQgetvalue(r, i, 0), *topic = PQgetvalue(r, i, 1);
        const char *vals[3] = {group, topic, NULL};
        long long cum = 0;
        char le[32], value[32];

        for (int k = 0; k <= EQM_COMMIT_BOUNDS; k++) {
            /* Rows of b in the same order: this group's bucket k+1. */
            if (j < PQntuples(b) && !strcmp(PQgetvalue(b, j, 0), group) &&
                !strcmp(PQgetvalue(b, j, 1), topic) && atoi(PQgetvalue(b, j, 2)) == k + 1)
                cum += strtoll(PQgetvalue(b, j++, 3), NULL, 10);
            if (k < EQM_COMMIT_BOUNDS)
                snprintf(le, sizeof(le), "%g", eqm_commit_bounds[k]);
            else
                snprintf(le, sizeof(le), "+Inf");
            snprintf(value, sizeof(value), "%lld", cum);
            vals[2] = le;
            eqm_web_sample(fp, "eqm_consumer_commit_seconds_bucket", labels, vals, 3, value);
        }
        /* Buckets beyond the bounds this build knows (none today). */
        while (j < PQntuples(b) && !strcmp(PQgetvalue(b, j, 0), group) &&
               !strcmp(PQgetvalue(b, j, 1), topic))
            j++;
        eqm_web_sample(fp, "eqm_consumer_commit_seconds_sum", labels, vals, 2, PQgetvalue(r, i, 2));
        eqm_web_sample(fp, "eqm_consumer_commit_seconds_count", labels, vals, 2,
                       PQgetvalue(r, i, 3));
    }
    rc = 0;
out:
    PQclear(b);
    PQclear(r);
    return rc;
}

int eqm_web_pg_metrics(FILE *fp, PGconn *pg, char *err, size_t sz) {
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
        if (family(fp, pg, &families[i], err, sz) != 0)
            return -1;
    return commit_histogram(fp, pg, err, sz);
}
