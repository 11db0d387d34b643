/*
 * eqm-admin: schema migrations, reference data and inspection.
 *
 *   eqm-admin migrate
 *   eqm-admin load-population [--base NAME] FILE.csv
 *   eqm-admin population-bases
 *   eqm-admin define-area NAME CODE[,CODE...]
 *   eqm-admin areas
 *   eqm-admin status
 *   eqm-admin alerts [list] [--all]
 *   eqm-admin silence FINGERPRINT --until DATE --reason TEXT [--by NAME]
 *   eqm-admin unsilence FINGERPRINT [--by NAME]
 *   eqm-admin alerts ack FINGERPRINT [--by NAME] [--note TEXT]
 *   eqm-admin alerts respond FINGERPRINT --text TEXT [--by NAME]
 *   eqm-admin alerts history FINGERPRINT
 *   eqm-admin notifications [--state STATE] [--alert PREFIX] [--limit N] [--digests]
 *
 * Connects with EQM_PG_URL (or pg.url in the file named by EQM_CONFIG).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/config.h"
#include "eqm/log.h"
#include "eqm/migrate.h"
#include "eqm/pg.h"
#include "eqm/tools/population.h"

#include "alerts_cmd.h"
#include "notify_cmd.h"
#include "table.h"

static void usage(FILE *out) {
    fprintf(out,
            "Usage: eqm-admin COMMAND [ARGS]\n\n"
            "Commands:\n"
            "  migrate                       apply pending schema migrations\n"
            "  load-population [--base NAME] FILE.csv\n"
            "                                load a population base (default census-2021) by\n"
            "                                district and ethnic group (area_code,area_name,\n"
            "                                census_category,population; Census 2011 KS201EW or\n"
            "                                2021 TS021 categories); replaces the base's\n"
            "                                districts in the file\n"
            "  define-area NAME CODES        define an area as a set of district codes,\n"
            "                                comma-separated; its population is their sum\n"
            "  areas                         list areas with population by broad group\n"
            "  population-bases              the bases loaded, and which one each period uses\n"
            "  status                        offsets, watermarks, counts, dead letters and\n"
            "                                offsets found beyond the end of the log\n"
            "  alerts [list] [--all]         firing and pending alerts (--all: every state)\n"
            "  silence FP --until DATE --reason TEXT [--by NAME]\n"
            "                                a panel has reviewed alert FP (fingerprint or a\n"
            "                                unique prefix): still evaluated, not published\n"
            "  unsilence FP [--by NAME]      publish its alerts again\n"
            "  alerts ack FP [--by NAME] [--note TEXT]\n"
            "                                the panel has seen alert FP (its current episode)\n"
            "  alerts respond FP --text TEXT [--by NAME]\n"
            "                                the force's explanation or action for alert FP\n"
            "  alerts history FP             every state change, silence, acknowledgement and\n"
            "                                response of alert FP, oldest first\n"
            "  notifications [--state pending|delivered|failed] [--alert PREFIX] [--limit N]\n"
            "  notifications --digests [--state pending|delivered|failed] [--limit N]\n"
            "                                eqm-notify's deliveries: alert, recipient (masked),\n"
            "                                channel, state, attempts, last error, times\n"
            "                                (--digests: the digests, newest period first)\n\n"
            "Connection: EQM_PG_URL (libpq conninfo or URI), or pg.url in the file named by\n"
            "EQM_CONFIG. Figures are recomputed by the services on their next batch or when\n"
            "they next start.\n");
}

/* Prints a query's result under its title, as psql would. */
static int print_query(PGconn *conn, const char *title, const char *sql) {
    PGresult *res = PQexec(conn, sql);
    char errstr[512];

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        eqm_pg_error(conn, res, title, errstr, sizeof(errstr));
        fprintf(stderr, "eqm-admin: %s\n", errstr);
        PQclear(res);
        return -1;
    }
    printf("%s\n", title);
    eqm_admin_table_print(res, "  ");
    printf("\n");
    PQclear(res);
    return 0;
}

static int cmd_define_area(PGconn *conn, const char *name, const char *list) {
    char *copy = strdup(list), *save = NULL, *tok;
    const char *codes[512];
    size_t n = 0;
    char errstr[1024];
    int rc;

    if (!copy)
        return 1;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (!*tok)
            continue;
        if (n == sizeof(codes) / sizeof(codes[0])) {
            fprintf(stderr, "eqm-admin: too many districts (at most 512)\n");
            free(copy);
            return 2;
        }
        codes[n++] = tok;
    }
    rc = eqm_population_define_area(conn, name, codes, n, errstr, sizeof(errstr));
    free(copy);
    if (rc != 0) {
        fprintf(stderr, "eqm-admin: define-area %s: %s\n", name, errstr);
        return 1;
    }
    printf("area %s defined as %zu district%s\n", name, n, n == 1 ? "" : "s");
    return 0;
}

static int cmd_load_population(PGconn *conn, const char *base, const char *path) {
    struct eqm_population_load_stats st;
    char errstr[1024];
    FILE *fp = fopen(path, "r");
    int rc;

    if (!fp) {
        fprintf(stderr, "eqm-admin: %s: %s\n", path, strerror(errno));
        return 1;
    }
    memset(&st, 0, sizeof(st));
    rc = eqm_population_load_base(conn, fp, path, base, &st, errstr, sizeof(errstr));
    fclose(fp);
    if (rc != 0) {
        fprintf(stderr, "eqm-admin: %s\n", errstr);
        return 1;
    }
    printf("loaded %s into base %s (%s): %zu rows, %zu districts, %lld people\n", path, base,
           eqm_census_layout_name(st.layout), (size_t)st.rows, (size_t)st.districts,
           (long long)st.population);
    return 0;
}

/* The bases loaded, and the rule that picks one for a period. */
static int cmd_population_bases(PGconn *conn) {
    if (print_query(conn, "Population bases",
                    "SELECT b.name, b.reference_date, b.description, count(p.*) AS rows, "
                    "count(DISTINCT p.area_code) AS areas FROM equality.population_base b "
                    "LEFT JOIN equality.population_district p ON p.base = b.name "
                    "GROUP BY b.name, b.reference_date, b.description ORDER BY b.reference_date"))
        return 1;
    return print_query(conn, "Base used for a period (equality.population_base_rule)",
                       "SELECT period_from, period_to, base FROM equality.population_base_rule "
                       "ORDER BY period_from")
               ? 1
               : 0;
}

int main(int argc, char **argv) {
    struct eqm_config cfg;
    char errstr[1024];
    char *noargs[] = {argv[0], NULL};
    PGconn *conn = NULL;
    const char *cmd, *pop_base = EQM_POPULATION_DEFAULT_BASE, *pop_file = NULL;
    int rc = 0;

    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return argc < 2 ? 2 : 0;
    }
    cmd = argv[1];
    /* Settings from the environment and EQM_CONFIG only: the command line
     * carries the command, and secrets never go there. */
    if (eqm_config_load(&cfg, NULL, 0, "eqm-admin", "COMMAND", NULL, 1, noargs, stdout, errstr,
                        sizeof(errstr)) != EQM_CONFIG_OK) {
        fprintf(stderr, "eqm-admin: %s\n", errstr);
        eqm_config_free(&cfg);
        return 2;
    }
    eqm_log_init("admin", EQM_LOG_INFO);

    if (strcmp(cmd, "migrate") && strcmp(cmd, "load-population") && strcmp(cmd, "define-area") &&
        strcmp(cmd, "areas") && strcmp(cmd, "status") && strcmp(cmd, "alerts") &&
        strcmp(cmd, "silence") && strcmp(cmd, "unsilence") && strcmp(cmd, "notifications") &&
        strcmp(cmd, "population-bases")) {
        fprintf(stderr, "eqm-admin: unknown command \"%s\"\n\n", cmd);
        usage(stderr);
        rc = 2;
        goto out;
    }
    if (!strcmp(cmd, "load-population")) {
        /* load-population [--base NAME] FILE, the option before or after. */
        if (argc == 3 && strncmp(argv[2], "--", 2) != 0) {
            pop_file = argv[2];
        } else if (argc == 5 && !strcmp(argv[2], "--base")) {
            pop_base = argv[3];
            pop_file = argv[4];
        } else if (argc == 5 && !strcmp(argv[3], "--base")) {
            pop_file = argv[2];
            pop_base = argv[4];
        }
    }
    if ((!strcmp(cmd, "load-population") && !pop_file) ||
        (!strcmp(cmd, "define-area") && argc != 4)) {
        fprintf(stderr, "eqm-admin: %s: wrong number of arguments\n\n", cmd);
        usage(stderr);
        rc = 2;
        goto out;
    }
    conn = eqm_pg_connect(cfg.pg_url, "eqm-admin", errstr, sizeof(errstr));
    if (!conn) {
        fprintf(stderr, "eqm-admin: %s\n", errstr);
        rc = 1;
        goto out;
    }
    /* Every command needs the schema; migrating is idempotent. */
    rc = eqm_migrate_run(conn, errstr, sizeof(errstr));
    if (rc < 0) {
        fprintf(stderr, "eqm-admin: %s\n", errstr);
        rc = 1;
        goto out;
    }
    /* The owner migrates; everything else is the administrator's. */
    if (strcmp(cmd, "migrate") != 0)
        (void)eqm_pg_check_role(conn, "eqm-admin", "eqm_admin");
    if (!strcmp(cmd, "migrate")) {
        printf("schema is current (%d migration%s applied now, %zu known)\n", rc,
               rc == 1 ? "" : "s", eqm_migrations_count);
        rc = 0;
    } else if (!strcmp(cmd, "load-population")) {
        rc = cmd_load_population(conn, pop_base, pop_file);
    } else if (!strcmp(cmd, "define-area")) {
        rc = cmd_define_area(conn, argv[2], argv[3]);
    } else if (!strcmp(cmd, "alerts") || !strcmp(cmd, "silence") || !strcmp(cmd, "unsilence")) {
        rc = eqm_admin_alerts(conn, argc, argv);
    } else if (!strcmp(cmd, "notifications")) {
        rc = eqm_admin_notifications(conn, argc, argv);
    } else if (!strcmp(cmd, "population-bases")) {
        rc = cmd_population_bases(conn);
    } else if (!strcmp(cmd, "areas")) {
        rc = print_query(conn, "Population by area and broad group (the base for today)",
                         "SELECT area, sum(population) FILTER (WHERE grp <> 'bme') AS total, "
                         "sum(population) FILTER (WHERE grp = 'white') AS white, "
                         "sum(population) FILTER (WHERE grp = 'asian') AS asian, "
                         "sum(population) FILTER (WHERE grp = 'black') AS black, "
                         "sum(population) FILTER (WHERE grp = 'mixed') AS mixed, "
                         "sum(population) FILTER (WHERE grp = 'other') AS other "
                         "FROM equality.area_population "
                         "WHERE area IN (SELECT area FROM equality.area_districts) "
                         "GROUP BY area ORDER BY area")
                 ? 1
                 : 0;
    } else {
        rc =
            print_query(conn, "Stored Kafka offsets",
                        "SELECT consumer_group, topic, count(*) AS partitions, "
                        "sum(coalesce(next_offset, 0)) AS messages_consumed, "
                        "max(updated_at)::timestamp(0) AS last_commit "
                        "FROM equality.kafka_offsets GROUP BY 1, 2 ORDER BY 1, 2") ||
                    print_query(conn, "Newest event time per source",
                                "SELECT source, max_occurred_at, updated_at::timestamp(0) "
                                "FROM equality.watermarks ORDER BY source") ||
                    print_query(conn, "Events counted (de-duplication keys held)",
                                "SELECT source, count(*) AS events, min(event_day), max(event_day) "
                                "FROM equality.event_keys GROUP BY source ORDER BY source") ||
                    print_query(conn, "Dead letters",
                                "SELECT source, reason_code, count(*) AS messages "
                                "FROM equality.dead_letters GROUP BY 1, 2 ORDER BY 1, 2") ||
                    print_query(conn, "Stored offsets found beyond the end of the log",
                                "SELECT consumer_group, topic, action, count(*) AS partitions, "
                                "max(found_at)::timestamp(0) AS last_found "
                                "FROM equality.offset_events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
                ? 1
                : 0;
    }
out:
    if (conn)
        PQfinish(conn);
    eqm_config_free(&cfg);
    return rc;
}
