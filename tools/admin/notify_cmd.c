/*
 * eqm-admin notifications [--state pending|delivered|failed] [--alert PREFIX] [--limit N]
 * eqm-admin notifications --digests [--state STATE] [--limit N]
 *
 * eqm-notify's deliveries, newest alert first: the alert (fingerprint
 * prefix, status, severity), the recipient (its id, and its address or
 * URL masked: a listing is read over shoulders), channel, state, attempts,
 * the last reply or error, and the times. --alert takes a prefix of the
 * alert_id or of the fingerprint. --digests lists the digests instead,
 * newest period first: audience, recipient, target (masked), the period
 * in the server's time zone, state, attempts, last reply, Message-ID.
 */
#include "notify_cmd.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/pg.h"

#include "table.h"

/* An address or URL as a listing shows it (j***@x.org, https://host/...). */
#define SQL_MASKED_TARGET                                                                          \
    " CASE WHEN channel = 'email'"                                                                 \
    "      THEN left(target, 1) || '***' || substr(target, strpos(target, '@'))"                   \
    "      ELSE coalesce(substring(target from '^[a-z]+://[^/?#@]*'), '') || '/***'"               \
    " END AS target,"
#define SQL_LIST                                                                                   \
    "SELECT left(a.fingerprint, 8) AS alert, a.status, a.severity, d.recipient," SQL_MASKED_TARGET \
    "       d.channel, d.state, d.attempts, coalesce(d.last_status::text, '') AS reply,"           \
    "       coalesce(left(d.last_error, 80), '') AS last_error,"                                   \
    "       to_char(d.created_at, 'YYYY-MM-DD HH24:MI:SS') AS created,"                            \
    "       coalesce(to_char(d.last_attempt_at, 'YYYY-MM-DD HH24:MI:SS'), '') AS last_attempt,"    \
    "       CASE WHEN d.state = 'pending'"                                                         \
    "            THEN to_char(d.next_attempt_at, 'YYYY-MM-DD HH24:MI:SS') ELSE '' END AS next,"    \
    "       coalesce(to_char(d.delivered_at, 'YYYY-MM-DD HH24:MI:SS'), '') AS delivered"           \
    "  FROM equality.notify_deliveries d"                                                          \
    "  JOIN equality.notify_alerts a USING (alert_id)"                                             \
    " WHERE ($1 = '' OR d.state = $1)"                                                             \
    "   AND ($2 = '' OR d.alert_id::text LIKE $2 || '%' OR a.fingerprint LIKE $2 || '%')"          \
    " ORDER BY a.received_at DESC, d.alert_id, d.recipient"                                        \
    " LIMIT $3::int"

#define SQL_DIGESTS                                                                                \
    "SELECT audience, recipient," SQL_MASKED_TARGET " channel,"                                    \
    "       to_char(period_start, 'YYYY-MM-DD HH24:MI') AS period_start,"                          \
    "       to_char(period_end, 'YYYY-MM-DD HH24:MI') AS period_end, state, attempts,"             \
    "       coalesce(last_status::text, '') AS reply,"                                             \
    "       coalesce(left(last_error, 80), '') AS last_error,"                                     \
    "       coalesce(to_char(delivered_at, 'YYYY-MM-DD HH24:MI:SS'), '') AS delivered, message_id" \
    "  FROM equality.notify_digests"                                                               \
    " WHERE ($1 = '' OR state = $1)"                                                               \
    " ORDER BY period_end DESC, audience, recipient"                                               \
    " LIMIT $3::int"

static int prefix_ok(const char *s) {
    if (!*s || strlen(s) > 36)
        return 0;
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s) && *s != '-')
            return 0;
    return 1;
}

int eqm_admin_notifications(PGconn *conn, int argc, char **argv) {
    const char *state = "", *alert = "", *limit = "200";
    const char *params[3];
    char errstr[512], lower[40];
    bool digests = false;
    PGresult *res;

    for (int i = 2; i < argc; i++) {
        const char **opt;
        if (!strcmp(argv[i], "--digests")) {
            digests = true;
            continue;
        }
        opt = !strcmp(argv[i], "--state")   ? &state
              : !strcmp(argv[i], "--alert") ? &alert
              : !strcmp(argv[i], "--limit") ? &limit
                                            : NULL;
        if (!opt || i + 1 >= argc) {
            fprintf(stderr, "eqm-admin: notifications: unexpected argument \"%s\"\n", argv[i]);
            return 2;
        }
        *opt = argv[++i];
    }
    if (*state && strcmp(state, "pending") && strcmp(state, "delivered") &&
        strcmp(state, "failed")) {
        fprintf(stderr, "eqm-admin: notifications: --state must be pending, delivered or failed\n");
        return 2;
    }
    if (digests && *alert) {
        fprintf(stderr, "eqm-admin: notifications: --digests lists digests, not an alert's "
                        "deliveries (no --alert)\n");
        return 2;
    }
    if (*alert && !prefix_ok(alert)) {
        fprintf(stderr, "eqm-admin: notifications: --alert takes a prefix of an alert_id or a "
                        "fingerprint (hex digits and '-')\n");
        return 2;
    }
    {
        char *end;
        long n = strtol(limit, &end, 10);
        if (*end || n < 1 || n > 100000) {
            fprintf(stderr, "eqm-admin: notifications: --limit must be 1 to 100000\n");
            return 2;
        }
    }
    snprintf(lower, sizeof(lower), "%s", alert);
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    params[0] = state;
    params[1] = lower;
    params[2] = limit;
    /* The digests' query leaves $2 unused: typed as text for it. */
    res = PQexecParams(conn, digests ? SQL_DIGESTS : SQL_LIST, 3, (const Oid[]){0, 25, 0}, params,
                       NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        eqm_pg_error(conn, res, "listing deliveries", errstr, sizeof(errstr));
        fprintf(stderr, "eqm-admin: %s\n", errstr);
        PQclear(res);
        return 1;
    }
    printf("%s (eqm-notify)%s%s%s%s\n", digests ? "Digests" : "Notification deliveries",
           *state ? ", state " : "", state, *alert ? ", alert " : "", alert);
    eqm_admin_table_print(res, "  ");
    PQclear(res);
    return 0;
}
