/*
 * evaluate.c - alert rules judged against the figures inside a consumer's
 * batch transaction; state changes written to equality.alert_outbox
 * (eqm/alert_eval.h).
 *
 * Why it is shaped this way: the figures are recomputed in full inside the
 * transaction, so evaluation reads them back per rule, but only the rows
 * that breach or whose fingerprint is pending or firing come back to C
 * (the filter is in SQL); a figure that stays quiet costs nothing. One
 * statement per rule: the family's sql inside a fixed frame (parameters,
 * fingerprint, area name, stored state, silences).
 */
#include "eqm/alert_eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "eqm/alert_state.h"
#include "eqm/alert_summary.h"
#include "eqm/log.h"
#include "eqm/pg.h"
#include "eqm/pgarray.h"

/* Columns of the statement: the family's (eqm/alert_eval.h; not scope) to C_MC,
 * then the frame's. */
enum {
    C_MEASURE,
    C_AREA,
    C_ROLE,
    C_STAGE,
    C_DIM,
    C_GRP,
    C_REF,
    C_WDAYS,
    C_WEND,
    C_VALUE,
    C_CILO,
    C_CIHI,
    C_P,
    C_N,
    C_BASE,
    C_REFN,
    C_REFBASE,
    C_COUNTS,
    C_MC,
    C_PBASE,
    C_PREVVAL,
    C_FP,
    C_WDAY,
    C_AREANAME,
    C_STATUS,
    C_PENDING,
    C_SEVLVL,
    C_FIRST,
    C_NOTIFIED,
    C_RESOLVED,
    C_LASTVAL,
    C_LASTWEND,
    C_SILENCED,
    C_PREVBASE,
    C_PBASE_WORDS,
    C_PREVBASE_WORDS
};

static const char *eval_sql_head =
    "WITH p AS (SELECT $1::text AS source, $2::text AS measure, $3::boolean AS prefix, "
    "$4::text AS dimension, $5::integer AS window_days, $6::text[] AS groups, "
    "$7::float8 AS threshold, $8::bigint AS min_count, $9::text AS rule, "
    "to_timestamp($10::float8 / 1e6) AS now), "
    "f AS (";
static const char *eval_sql_mid =
    "), "
    "g AS (SELECT f.*, md5(concat_ws('|', p.rule, f.measure, f.scope, f.dimension, f.grp, "
    "f.window_days)) AS fp FROM f, p WHERE p.groups IS NULL OR f.grp = ANY (p.groups)) "
    "SELECT g.measure, g.area, g.role, g.stage, g.dimension, g.grp, g.ref_grp, g.window_days, "
    "g.window_end::text, g.value, g.ci_low, g.ci_high, g.p_value, g.n, g.base, g.ref_n, "
    "g.ref_base, g.counts::text, g.mc, g.population_base, g.prev_value, g.fp, "
    "(g.window_end - date '1970-01-01'), "
    /* Display name: a district's Census name; a defined area's name with
     * capitals ("cambridgeshire" -> "Cambridgeshire"); the default force
     * area "force" in words; else as kept. */
    "coalesce((SELECT min(d.area_name) FROM equality.population_district d "
    "          WHERE d.area_code = g.area), "
    "         CASE WHEN g.area = 'force' THEN 'the force area' END, "
    "         (SELECT initcap(min(a.area)) FROM equality.area_districts a "
    "          WHERE a.area = g.area), g.area), "
    "s.status, s.pending_count, s.severity_level, "
    "(extract(epoch FROM s.first_breached_at) * 1e6)::bigint, "
    "(extract(epoch FROM s.last_notified_at) * 1e6)::bigint, "
    "(s.resolved_window_end - date '1970-01-01'), s.last_value, s.last_window_end::text, "
    "EXISTS (SELECT 1 FROM equality.alert_silences x WHERE x.fingerprint = g.fp "
    "        AND x.removed_at IS NULL AND x.until > p.now), "
    /* The source's previous population base, and both in words ("Census
     * 2021": a base's description up to its first comma). */
    "b.previous_base, "
    "(SELECT split_part(d.description, ',', 1) FROM equality.population_base d "
    " WHERE d.name = g.population_base), "
    "(SELECT split_part(d.description, ',', 1) FROM equality.population_base d "
    " WHERE d.name = b.previous_base) "
    "FROM g CROSS JOIN p LEFT JOIN equality.alert_state s ON s.fingerprint = g.fp "
    "LEFT JOIN equality.figure_bases b ON b.source = p.source "
    "WHERE (g.value ";
static const char *eval_sql_tail = " p.threshold AND g.mc >= p.min_count) "
                                   "   OR s.status IN ('pending', 'firing') "
                                   "ORDER BY g.fp";

static const char *upsert_sql =
    "INSERT INTO equality.alert_state (fingerprint, rule, source, measure, area, role, stage, "
    "dimension, grp, window_days, status, pending_count, severity_level, severity, "
    "first_breached_at, last_value, last_window_end, resolved_window_end, last_notified_at, "
    "last_evaluated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
    "to_timestamp($15::float8 / 1e6), $16, $17::date, date '1970-01-01' + $18::integer, "
    "to_timestamp($19::float8 / 1e6), "
    "to_timestamp($20::float8 / 1e6)) "
    "ON CONFLICT (fingerprint) DO UPDATE SET status = EXCLUDED.status, "
    "pending_count = EXCLUDED.pending_count, severity_level = EXCLUDED.severity_level, "
    "severity = EXCLUDED.severity, first_breached_at = EXCLUDED.first_breached_at, "
    "last_value = EXCLUDED.last_value, last_window_end = EXCLUDED.last_window_end, "
    "resolved_window_end = EXCLUDED.resolved_window_end, "
    "last_notified_at = EXCLUDED.last_notified_at, last_evaluated_at = EXCLUDED.last_evaluated_at";

static const char *outbox_sql =
    "WITH u AS (SELECT gen_random_uuid() AS id), "
    "o AS (INSERT INTO equality.alert_outbox (alert_id, fingerprint, status, audience, payload, "
    "publish) SELECT u.id, $1, $2, $3, jsonb_set($4::jsonb, '{alert_id}', to_jsonb(u.id::text)), "
    "$5::boolean FROM u RETURNING alert_id) "
    "UPDATE equality.alert_state SET last_alert_id = (SELECT alert_id FROM o) "
    "WHERE fingerprint = $1 RETURNING last_alert_id";

static const char *col(const PGresult *res, int row, int c) {
    return PQgetisnull(res, row, c) ? NULL : PQgetvalue(res, row, c);
}

static void fmt_time(char out[64], int64_t us) {
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)((us % 1000000) / 1000));
}

static json_t *num_or_null(const char *s) {
    return s ? json_real(strtod(s, NULL)) : json_null();
}
static json_t *str_or_null(const char *s) {
    return s ? json_string(s) : json_null();
}

static enum eqm_alert_status status_parse(const char *s) {
    if (!s)
        return EQM_ALERT_INACTIVE;
    if (strcmp(s, "pending") == 0)
        return EQM_ALERT_PENDING;
    if (strcmp(s, "firing") == 0)
        return EQM_ALERT_FIRING;
    if (strcmp(s, "resolved") == 0)
        return EQM_ALERT_RESOLVED;
    return EQM_ALERT_INACTIVE;
}

/* The message for one transition (restated: a restatement, eqm/alert_eval.h);
 * NULL when out of memory. */
static json_t *payload_build(const struct eqm_alert_rule *rule, const PGresult *res, int row,
                             const struct eqm_alert_state *st, enum eqm_alert_transition t,
                             int restated, const struct eqm_alert_obs *obs, int significant,
                             int64_t now_us) {
    struct eqm_alert_figure fig;
    char summary[1024], first[64], eval[64];
    json_t *counts, *o;
    json_error_t jerr;

    memset(&fig, 0, sizeof(fig));
    fig.family = rule->family;
    fig.measure = col(res, row, C_MEASURE);
    fig.area_name = col(res, row, C_AREANAME);
    fig.role = col(res, row, C_ROLE);
    fig.stage = col(res, row, C_STAGE);
    fig.dimension = col(res, row, C_DIM);
    fig.grp = col(res, row, C_GRP);
    fig.reference_grp = col(res, row, C_REF);
    fig.window_days = atoi(PQgetvalue(res, row, C_WDAYS));
    fig.window_end = col(res, row, C_WEND);
    fig.has_value = obs->has_value;
    fig.value = obs->value;
    fig.has_ci = col(res, row, C_CILO) && col(res, row, C_CIHI);
    fig.ci_low = fig.has_ci ? strtod(col(res, row, C_CILO), NULL) : 0;
    fig.ci_high = fig.has_ci ? strtod(col(res, row, C_CIHI), NULL) : 0;
    fig.n = col(res, row, C_N) ? strtoll(col(res, row, C_N), NULL, 10) : 0;
    fig.base = col(res, row, C_BASE) ? llround(strtod(col(res, row, C_BASE), NULL)) : -1;
    if (restated) {
        const char *on = col(res, row, C_PBASE_WORDS), *from = col(res, row, C_PREVBASE_WORDS);
        fig.restated_on = on ? on : col(res, row, C_PBASE);
        fig.restated_from = from ? from : col(res, row, C_PREVBASE);
    }
    eqm_alert_summary(summary, sizeof(summary), &fig, t == EQM_ALERT_T_RESOLVED, rule->clear);
    fmt_time(first, st->first_breached_us ? st->first_breached_us : now_us);
    fmt_time(eval, now_us);

    counts = json_loads(PQgetvalue(res, row, C_COUNTS), 0, &jerr);
    if (!counts)
        return NULL;
    o = json_object();
    if (!o) {
        json_decref(counts);
        return NULL;
    }
    json_object_set_new(o, "schema_version", json_integer(1));
    /* Replaced by the uuid PostgreSQL draws in the same INSERT. */
    json_object_set_new(o, "alert_id", json_string("00000000-0000-0000-0000-000000000000"));
    json_object_set_new(o, "fingerprint", json_string(PQgetvalue(res, row, C_FP)));
    json_object_set_new(o, "status",
                        json_string(t == EQM_ALERT_T_RESOLVED ? "resolved" : "firing"));
    json_object_set_new(o, "transition",
                        json_string(restated ? "restated" : eqm_alert_transition_name(t)));
    json_object_set_new(o, "rule", json_string(rule->name));
    json_object_set_new(o, "source", json_string(rule->source));
    json_object_set_new(o, "measure", json_string(fig.measure));
    json_object_set_new(o, "area", str_or_null(col(res, row, C_AREA)));
    json_object_set_new(o, "area_name", str_or_null(fig.area_name));
    json_object_set_new(o, "role", str_or_null(fig.role));
    json_object_set_new(o, "stage", str_or_null(fig.stage));
    json_object_set_new(o, "dimension", json_string(fig.dimension));
    json_object_set_new(o, "group", json_string(fig.grp));
    json_object_set_new(o, "reference_group", str_or_null(fig.reference_grp));
    json_object_set_new(o, "window_days", json_integer(fig.window_days));
    json_object_set_new(o, "window_end", json_string(fig.window_end));
    json_object_set_new(o, "value", obs->has_value ? json_real(obs->value) : json_null());
    json_object_set_new(o, "value_field", json_string(rule->family->value_field));
    json_object_set_new(o, "ci_low", num_or_null(col(res, row, C_CILO)));
    json_object_set_new(o, "ci_high", num_or_null(col(res, row, C_CIHI)));
    json_object_set_new(o, "p_value", num_or_null(col(res, row, C_P)));
    json_object_set_new(o, "comparison", json_string(eqm_alert_cmp_name(rule->cmp)));
    json_object_set_new(o, "threshold", json_real(rule->threshold));
    json_object_set_new(o, "clear_threshold", json_real(rule->clear));
    json_object_set_new(o, "min_count", json_integer(rule->min_count));
    json_object_set_new(o, "require_significant", json_boolean(rule->require_significant));
    json_object_set_new(o, "significant", json_boolean(significant));
    json_object_set_new(o, "counts", counts);
    json_object_set_new(o, "audience", json_string(rule->audience));
    json_object_set_new(o, "severity",
                        json_string(eqm_alert_severity_name(rule, st->severity_level)));
    json_object_set_new(o, "first_breached_at", json_string(first));
    json_object_set_new(o, "evaluated_at", json_string(eval));
    json_object_set_new(o, "summary", json_string(summary));
    json_object_set_new(o, "population_base", str_or_null(col(res, row, C_PBASE)));
    json_object_set_new(o, "restated_from",
                        restated ? str_or_null(col(res, row, C_PREVBASE)) : json_null());
    return o;
}

static int pg_fail(PGconn *conn, PGresult *res, const char *what, char *errstr, size_t sz) {
    eqm_pg_error(conn, res, what, errstr, sz);
    PQclear(res);
    return -1;
}

static int same_state(const struct eqm_alert_state *a, const struct eqm_alert_state *b) {
    return a->status == b->status && a->pending_count == b->pending_count &&
           a->severity_level == b->severity_level && a->first_breached_us == b->first_breached_us &&
           a->last_notified_us == b->last_notified_us &&
           a->resolved_window_end == b->resolved_window_end;
}

/* A restatement: the state changed (t), the figure is on another base than
 * the source's previous one, and the same state judged on the value of the
 * same counts on the previous base (prev_value; none when that base had no
 * population for them) would not have changed. */
static int is_restatement(const struct eqm_alert_rule *rule, const PGresult *res, int row,
                          const struct eqm_alert_state *before, const struct eqm_alert_obs *obs,
                          enum eqm_alert_transition t, int64_t now_us) {
    const char *base = col(res, row, C_PBASE), *prev = col(res, row, C_PREVBASE),
               *prev_value = col(res, row, C_PREVVAL);
    struct eqm_alert_state sim = *before;
    struct eqm_alert_obs old = *obs;

    if (t != EQM_ALERT_T_FIRING && t != EQM_ALERT_T_SEVERITY_UP && t != EQM_ALERT_T_RESOLVED)
        return 0;
    if (!base || !prev || strcmp(base, prev) == 0)
        return 0;
    old.has_value = prev_value != NULL;
    old.value = prev_value ? strtod(prev_value, NULL) : 0;
    return eqm_alert_step(rule, &sim, &old, now_us) == EQM_ALERT_T_NONE;
}

/* Evaluates one rule; returns outbox rows written or -1. */
static int evaluate_rule(PGconn *conn, const struct eqm_alert_rule *rule, int64_t now_us,
                         char *errstr, size_t errstr_size) {
    static const char *const ops[] = {">=", ">", "<=", "<"};
    char sql[8192], measure[256], window[16], threshold[40], min_count[24], now[32], *groups = NULL;
    const char *params[10];
    int prefix = 0, written = 0;
    size_t ml = strlen(rule->measure);
    PGresult *res;

    /* "x.*" is a prefix match on "x.". */
    snprintf(measure, sizeof(measure), "%s", rule->measure);
    if (ml >= 2 && strcmp(rule->measure + ml - 2, ".*") == 0) {
        measure[ml - 1] = '\0';
        prefix = 1;
    }
    /* A family's sql is the service's: one too long for the frame is its
     * mistake, said as such, not a truncated statement. */
    if ((size_t)snprintf(sql, sizeof(sql), "%s%s%s%s%s", eval_sql_head, rule->family->sql,
                         eval_sql_mid, ops[rule->cmp], eval_sql_tail) >= sizeof(sql)) {
        snprintf(errstr, errstr_size, "alerts: rule %s: the sql of measure %s is too long",
                 rule->name, rule->family->measure);
        return -1;
    }
    snprintf(window, sizeof(window), "%d", rule->window_days);
    snprintf(threshold, sizeof(threshold), "%.17g", rule->threshold);
    snprintf(min_count, sizeof(min_count), "%lld", rule->min_count);
    snprintf(now, sizeof(now), "%lld", (long long)now_us);
    if (rule->n_groups > 0) {
        struct eqm_buf b = {0};
        if (eqm_pg_array_begin(&b) != 0)
            goto oom;
        for (size_t i = 0; i < rule->n_groups; i++)
            if (eqm_pg_array_text(&b, rule->groups[i], strlen(rule->groups[i])) != 0)
                goto oom_buf;
        if (eqm_pg_array_end(&b) != 0)
            goto oom_buf;
        groups = b.data;
        goto built;
    oom_buf:
        free(b.data);
    oom:
        snprintf(errstr, errstr_size, "alerts: out of memory");
        return -1;
    }
built:
    params[0] = rule->source;
    params[1] = measure;
    params[2] = prefix ? "true" : "false";
    params[3] = rule->dimension;
    params[4] = window;
    params[5] = groups;
    params[6] = threshold;
    params[7] = min_count;
    params[8] = rule->name;
    params[9] = now;
    res = PQexecParams(conn, sql, 10, NULL, params, NULL, NULL, 0);
    free(groups);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return pg_fail(conn, res, "evaluating alert rule", errstr, errstr_size);

    for (int row = 0; row < PQntuples(res); row++) {
        struct eqm_alert_state st, before;
        struct eqm_alert_obs obs;
        enum eqm_alert_transition t;
        const char *p = col(res, row, C_P), *lo = col(res, row, C_CILO),
                   *hi = col(res, row, C_CIHI);
        const char *lastval = col(res, row, C_LASTVAL), *lastwend = col(res, row, C_LASTWEND);
        int significant, restated;

        eqm_alert_state_init(&st);
        if (col(res, row, C_STATUS)) {
            st.status = status_parse(col(res, row, C_STATUS));
            st.pending_count = atoi(PQgetvalue(res, row, C_PENDING));
            st.severity_level = atoi(PQgetvalue(res, row, C_SEVLVL));
            if (col(res, row, C_FIRST))
                st.first_breached_us = strtoll(col(res, row, C_FIRST), NULL, 10);
            if (col(res, row, C_NOTIFIED))
                st.last_notified_us = strtoll(col(res, row, C_NOTIFIED), NULL, 10);
            if (col(res, row, C_RESOLVED))
                st.resolved_window_end = (int32_t)atoi(col(res, row, C_RESOLVED));
        }
        before = st;
        memset(&obs, 0, sizeof(obs));
        obs.has_value = col(res, row, C_VALUE) != NULL;
        obs.value = obs.has_value ? strtod(col(res, row, C_VALUE), NULL) : 0;
        obs.n = col(res, row, C_MC) ? strtoll(col(res, row, C_MC), NULL, 10) : 0;
        obs.window_end = (int32_t)atoi(PQgetvalue(res, row, C_WDAY));
        /* With a p-value (a family may give one), p < 0.05; otherwise the interval
         * must exclude 1. No interval: not significant. */
        if (p)
            significant = strtod(p, NULL) < 0.05;
        else
            significant = lo && hi && (strtod(lo, NULL) > 1.0 || strtod(hi, NULL) < 1.0);
        obs.significant = significant;
        t = eqm_alert_step(rule, &st, &obs, now_us);
        restated = is_restatement(rule, res, row, &before, &obs, t, now_us);

        /* Nothing changed, and the figure is the one already stored: no
         * write at all (a firing alert costs a read per evaluation). */
        if (t == EQM_ALERT_T_NONE && same_state(&st, &before) && col(res, row, C_STATUS) &&
            ((lastval && obs.has_value && strtod(lastval, NULL) == obs.value) ||
             (!lastval && !obs.has_value)) &&
            lastwend && strcmp(lastwend, PQgetvalue(res, row, C_WEND)) == 0)
            continue;
        {
            char pend[16], lvl[16], first[32], notified[32], resolved[16], value[40], ev[32];
            const char *up[20];
            PGresult *r2;
            snprintf(pend, sizeof(pend), "%d", st.pending_count);
            snprintf(lvl, sizeof(lvl), "%d", st.severity_level);
            snprintf(first, sizeof(first), "%lld", (long long)st.first_breached_us);
            snprintf(notified, sizeof(notified), "%lld", (long long)st.last_notified_us);
            snprintf(value, sizeof(value), "%.17g", obs.value);
            snprintf(ev, sizeof(ev), "%lld", (long long)now_us);
            snprintf(resolved, sizeof(resolved), "%d", (int)st.resolved_window_end);
            up[0] = PQgetvalue(res, row, C_FP);
            up[1] = rule->name;
            up[2] = rule->source;
            up[3] = PQgetvalue(res, row, C_MEASURE);
            up[4] = col(res, row, C_AREA);
            up[5] = col(res, row, C_ROLE);
            up[6] = col(res, row, C_STAGE);
            up[7] = PQgetvalue(res, row, C_DIM);
            up[8] = PQgetvalue(res, row, C_GRP);
            up[9] = PQgetvalue(res, row, C_WDAYS);
            up[10] = eqm_alert_status_name(st.status);
            up[11] = pend;
            up[12] = lvl;
            up[13] = eqm_alert_severity_name(rule, st.severity_level);
            up[14] = st.first_breached_us ? first : NULL;
            up[15] = obs.has_value ? value : NULL;
            up[16] = PQgetvalue(res, row, C_WEND);
            up[17] = NULL;
            up[18] = st.last_notified_us ? notified : NULL;
            up[19] = ev;
            up[17] = st.resolved_window_end != INT32_MIN ? resolved : NULL;
            r2 = PQexecParams(conn, upsert_sql, 20, NULL, up, NULL, NULL, 0);
            if (PQresultStatus(r2) != PGRES_COMMAND_OK) {
                PQclear(res);
                return pg_fail(conn, r2, "writing alert state", errstr, errstr_size);
            }
            PQclear(r2);
        }
        if (t != EQM_ALERT_T_NONE) {
            json_t *payload =
                payload_build(rule, res, row, &st, t, restated, &obs, significant, now_us);
            char *text =
                payload ? json_dumps(payload, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
            const char *op[5];
            PGresult *r3;
            int silenced = PQgetvalue(res, row, C_SILENCED)[0] == 't';
            json_decref(payload);
            if (!text) {
                PQclear(res);
                snprintf(errstr, errstr_size, "alerts: out of memory building the message");
                return -1;
            }
            op[0] = PQgetvalue(res, row, C_FP);
            op[1] = t == EQM_ALERT_T_RESOLVED ? "resolved" : "firing";
            op[2] = rule->audience;
            op[3] = text;
            op[4] = silenced ? "false" : "true";
            r3 = PQexecParams(conn, outbox_sql, 5, NULL, op, NULL, NULL, 0);
            free(text);
            if (PQresultStatus(r3) != PGRES_TUPLES_OK) {
                PQclear(res);
                return pg_fail(conn, r3, "writing alert outbox", errstr, errstr_size);
            }
            eqm_log_info("alert", "rule=%s fingerprint=%s transition=%s silenced=%d alert_id=%s",
                         rule->name, op[0], restated ? "restated" : eqm_alert_transition_name(t),
                         silenced, PQntuples(r3) ? PQgetvalue(r3, 0, 0) : "");
            PQclear(r3);
            written++;
        }
    }
    PQclear(res);
    return written;
}

int eqm_alerts_evaluate(PGconn *conn, const struct eqm_alert_rules *rules, const char *source,
                        int64_t now_us, char *errstr, size_t errstr_size) {
    const char *params[1] = {source};
    PGresult *res;
    int total = 0;

    for (int i = 0; rules && i < eqm_alert_rules_total(rules); i++) {
        const struct eqm_alert_rule *rule = eqm_alert_rules_get(rules, i);
        int n;
        if (source && strcmp(rule->source, source) != 0)
            continue;
        if ((n = evaluate_rule(conn, rule, now_us, errstr, errstr_size)) < 0)
            return -1;
        total += n;
    }
    /* Every rule has been judged on the new base: a later change is the
     * figures' own. */
    res = PQexecParams(conn,
                       "UPDATE equality.figure_bases SET previous_base = NULL"
                       " WHERE previous_base IS NOT NULL AND ($1::text IS NULL OR source = $1)",
                       1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return pg_fail(conn, res, "forgetting the previous population base", errstr, errstr_size);
    PQclear(res);
    return total;
}
