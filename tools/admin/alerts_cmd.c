/*
 * alerts_cmd.c - eqm-admin's alert commands: list alerts, silence and
 * unsilence a fingerprint, acknowledge and answer an alert, show one
 * alert's history. A silence is a row in equality.alert_silences (never
 * deleted; unsilence stamps removed_at); an acknowledgement or a response
 * is a row in equality.alert_responses (never changed), so
 * equality.alert_history shows who did what, when and why.
 */
#include "alerts_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/pg.h"
#include "table.h"

static PGresult *query(PGconn *conn, const char *what, const char *sql, int n,
                       const char *const *params, ExecStatusType want) {
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != want) {
        char errstr[1024];
        eqm_pg_error(conn, res, what, errstr, sizeof(errstr));
        fprintf(stderr, "eqm-admin: %s\n", errstr);
        PQclear(res);
        return NULL;
    }
    return res;
}

/*
 * A statement that returns one row when it did its work (an INSERT ...
 * SELECT ... RETURNING whose WHERE may match nothing). Returns 0 with *out
 * set; 1 if the statement failed (said on stderr); -1 if it matched no row.
 */
static int one_row(PGconn *conn, const char *what, const char *sql, int n,
                   const char *const *params, PGresult **out) {
    PGresult *res = query(conn, what, sql, n, params, PGRES_TUPLES_OK);
    if (!res)
        return 1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return -1;
    }
    *out = res;
    return 0;
}

/* A full fingerprint, or a unique prefix of one (at least 6 characters). */
static int resolve_fp(PGconn *conn, const char *arg, char out[33]) {
    const char *p[1] = {arg};
    PGresult *res;
    if (strlen(arg) < 6 || strlen(arg) > 32 || strspn(arg, "0123456789abcdef") != strlen(arg)) {
        fprintf(stderr,
                "eqm-admin: \"%s\" is not a fingerprint (32 hex digits, or a unique "
                "prefix of at least 6; see eqm-admin alerts)\n",
                arg);
        return -1;
    }
    res = query(conn, "looking up the fingerprint",
                "SELECT fingerprint FROM equality.alert_state "
                "WHERE starts_with(fingerprint, $1) LIMIT 2",
                1, p, PGRES_TUPLES_OK);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        fprintf(stderr,
                "eqm-admin: %s alert with fingerprint %s%s (eqm-admin alerts --all lists "
                "them)\n",
                PQntuples(res) ? "more than one" : "no", arg, PQntuples(res) ? "..." : "");
        PQclear(res);
        return -1;
    }
    snprintf(out, 33, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

static const char *who(const char *by) {
    const char *u = by ? by : getenv("USER");
    return u && *u ? u : NULL;
}

/*
 * Records an acknowledgement (kind "ack", body the optional note) or a
 * response (kind "response", body the text) for the alert's current
 * episode. An alert that has never breached has no episode to answer.
 */
static int record_response(PGconn *conn, const char *fp, const char *kind, const char *body,
                           const char *by) {
    const char *p[4] = {fp, kind, body ? body : "", by};
    PGresult *res = NULL;
    int rc = one_row(conn, "recording the answer",
                     "INSERT INTO equality.alert_responses "
                     "(fingerprint, episode, kind, status, alert_id, body, created_by) "
                     "SELECT fingerprint, first_breached_at, $2, status, last_alert_id, $3, "
                     "coalesce($4, current_user) FROM equality.alert_state "
                     "WHERE fingerprint = $1 AND first_breached_at IS NOT NULL "
                     "RETURNING id, status, episode::timestamp(0), created_by",
                     4, p, &res);
    if (rc < 0)
        fprintf(stderr,
                "eqm-admin: alerts %s: alert %s has never breached its rule: there is "
                "nothing to %s\n",
                strcmp(kind, "ack") ? "respond" : "ack", fp,
                strcmp(kind, "ack") ? "answer" : "acknowledge");
    if (rc != 0)
        return 1;
    printf("%s %s (%s since %s) by %s (record %s)\n",
           strcmp(kind, "ack") ? "answered" : "acknowledged", fp, PQgetvalue(res, 0, 1),
           PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

/* eqm-admin alerts ack|respond|history FP [options]: argv[2] is the verb. */
static int alerts_verb(PGconn *conn, int argc, char **argv) {
    const char *verb = argv[2], *by = NULL, *note = NULL, *text = NULL;
    char fp[33];

    if (argc < 4 || argv[3][0] == '-') {
        fprintf(stderr, "eqm-admin: alerts %s: FINGERPRINT is required\n", verb);
        return 2;
    }
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--by") && i + 1 < argc && strcmp(verb, "history"))
            by = argv[++i];
        else if (!strcmp(argv[i], "--note") && i + 1 < argc && !strcmp(verb, "ack"))
            note = argv[++i];
        else if (!strcmp(argv[i], "--text") && i + 1 < argc && !strcmp(verb, "respond"))
            text = argv[++i];
        else {
            fprintf(stderr, "eqm-admin: alerts %s: unexpected argument \"%s\"\n", verb, argv[i]);
            return 2;
        }
    }
    if (!strcmp(verb, "respond") && (!text || !*text)) {
        fprintf(stderr, "eqm-admin: alerts respond FINGERPRINT --text TEXT: the force's "
                        "explanation or action (--text) is required\n");
        return 2;
    }
    if (resolve_fp(conn, argv[3], fp) != 0)
        return 1;
    if (!strcmp(verb, "ack"))
        return record_response(conn, fp, "ack", note, who(by));
    if (!strcmp(verb, "respond"))
        return record_response(conn, fp, "response", text, who(by));

    const char *p[1] = {fp};
    PGresult *res = query(conn, "reading the alert's history",
                          "SELECT at::timestamp(0) AS at, event, status, severity, "
                          "round(value::numeric, 2) AS value, window_end, detail "
                          "FROM equality.alert_history WHERE fingerprint = $1 ORDER BY at, event",
                          1, p, PGRES_TUPLES_OK);
    if (!res)
        return 1;
    printf("History of alert %s\n", fp);
    eqm_admin_table_print(res, "");
    PQclear(res);
    return 0;
}

int eqm_admin_alerts(PGconn *conn, int argc, char **argv) {
    const char *cmd = argv[1], *until = NULL, *reason = NULL, *by = NULL;
    int all = 0, rc;
    char fp[33];
    PGresult *res;

    if (!strcmp(cmd, "alerts") && argc >= 3 &&
        (!strcmp(argv[2], "ack") || !strcmp(argv[2], "respond") || !strcmp(argv[2], "history")))
        return alerts_verb(conn, argc, argv);
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--until") && i + 1 < argc)
            until = argv[++i];
        else if (!strcmp(argv[i], "--reason") && i + 1 < argc)
            reason = argv[++i];
        else if (!strcmp(argv[i], "--by") && i + 1 < argc)
            by = argv[++i];
        else if (!strcmp(argv[i], "--all"))
            all = 1;
        else {
            fprintf(stderr, "eqm-admin: %s: unexpected argument \"%s\"\n", cmd, argv[i]);
            return 2;
        }
    }

    if (!strcmp(cmd, "alerts")) {
        /* "alerts", "alerts list", "alerts --all", "alerts list --all" */
        if (argc >= 3 && !strcmp(argv[2], "--all"))
            all = 1;
        else if (argc >= 3 && strcmp(argv[2], "list")) {
            fprintf(stderr, "eqm-admin: alerts: unknown argument \"%s\"\n", argv[2]);
            return 2;
        }
        res =
            query(conn, "listing alerts",
                  all ? "SELECT fingerprint, status, severity, rule, coalesce(area, role) AS area, "
                        "stage, dimension, grp, window_days AS days, round(last_value::numeric, 2) "
                        "AS value, last_window_end AS window_end, first_breached_at::timestamp(0) "
                        "AS first_breached, silenced_until::timestamp(0), silence_reason, "
                        "acknowledged_by || ' ' || acknowledged_at::date AS acknowledged, "
                        "responded_by || ' ' || responded_at::date AS answered, days_unanswered "
                        "FROM equality.alerts_current ORDER BY status, rule, area, grp"
                      : "SELECT fingerprint, status, severity, rule, coalesce(area, role) AS area, "
                        "stage, dimension, grp, window_days AS days, round(last_value::numeric, 2) "
                        "AS value, last_window_end AS window_end, first_breached_at::timestamp(0) "
                        "AS first_breached, silenced_until::timestamp(0), silence_reason, "
                        "acknowledged_by || ' ' || acknowledged_at::date AS acknowledged, "
                        "responded_by || ' ' || responded_at::date AS answered, days_unanswered "
                        "FROM equality.alerts_current WHERE status IN ('firing', 'pending') "
                        "ORDER BY status, rule, area, grp",
                  0, NULL, PGRES_TUPLES_OK);
        if (!res)
            return 1;
        eqm_admin_table_print(res, "");
        PQclear(res);
        return 0;
    }

    if (argc < 3 || argv[2][0] == '-') {
        fprintf(stderr, "eqm-admin: %s: FINGERPRINT is required\n", cmd);
        return 2;
    }
    if (!strcmp(cmd, "silence")) {
        const char *p[4];
        if (!until || !reason || !*reason) {
            fprintf(stderr, "eqm-admin: silence FINGERPRINT --until DATE --reason TEXT: both "
                            "--until and --reason are required\n");
            return 2;
        }
        if (resolve_fp(conn, argv[2], fp) != 0)
            return 1;
        p[0] = fp;
        p[1] = until;
        p[2] = reason;
        p[3] = who(by);
        /* A bare date silences through the end of that day (server time
         * zone); anything else is read as a timestamptz. */
        rc = one_row(conn, "recording the silence",
                     "WITH u AS (SELECT CASE WHEN $2 ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' "
                     "THEN ($2::date + 1)::timestamptz ELSE $2::timestamptz END AS until) "
                     "INSERT INTO equality.alert_silences (fingerprint, until, reason, created_by) "
                     "SELECT $1, u.until, $3, coalesce($4, current_user) FROM u "
                     "WHERE u.until > now() RETURNING id, until::timestamp(0)",
                     4, p, &res);
        if (rc < 0) {
            fprintf(stderr, "eqm-admin: silence: --until %s is not in the future\n", until);
            return 2;
        }
        if (rc != 0)
            return 1;
        printf("silenced %s until %s (silence %s); its alerts are still evaluated and stored, "
               "not published\n",
               fp, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0));
        PQclear(res);
        return 0;
    }
    if (!strcmp(cmd, "unsilence")) {
        const char *p[2];
        if (resolve_fp(conn, argv[2], fp) != 0)
            return 1;
        p[0] = fp;
        p[1] = who(by);
        res = query(conn, "removing the silence",
                    "UPDATE equality.alert_silences SET removed_at = now(), "
                    "removed_by = coalesce($2, current_user) "
                    "WHERE fingerprint = $1 AND removed_at IS NULL",
                    2, p, PGRES_COMMAND_OK);
        if (!res)
            return 1;
        printf("unsilenced %s (%s silence%s removed)\n", fp, PQcmdTuples(res),
               strcmp(PQcmdTuples(res), "1") ? "s" : "");
        PQclear(res);
        return 0;
    }
    fprintf(stderr, "eqm-admin: unknown alert command \"%s\"\n", cmd);
    return 2;
}
