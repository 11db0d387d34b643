/*
 * test_config.c - settings: precedence (defaults < file < EQM_* environment
 * < command line), file errors as path:line, ranges, windows, librdkafka
 * passthrough, secrets, --help and --print-config.
 *
 * Each test starts from an environment with no EQM_* variable, writes its
 * config file to a fresh temporary file, and reads --help / --print-config
 * output through open_memstream().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eqm/config.h"
#include "eqm/engine.h"

extern char **environ;

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The program defaults a service would pass. */
static const struct eqm_config_default svc_defaults[] = {
    {"topic", "stop-search.events"},
    {"group.id", "eqm-stop-search"},
    {NULL, NULL},
};

struct fixture {
    char path[64];
    struct eqm_config cfg;
    struct eqm_engine_config ecfg; /* a consumer's settings, besides the common ones */
    char err[512];
    char *out;
    size_t out_len;
    FILE *fp;
};

/* Removes every EQM_* variable, whatever the caller's environment holds. */
static void clear_eqm_env(void) {
    for (;;) {
        char name[256];
        const char *eq;
        char **e;
        for (e = environ; *e; e++)
            if (!strncmp(*e, "EQM_", 4))
                break;
        if (!*e)
            return;
        eq = strchr(*e, '=');
        snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - *e) : (int)strlen(*e), *e);
        unsetenv(name);
    }
}

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    clear_eqm_env();
    f->fp = open_memstream(&f->out, &f->out_len);
    if (!f->fp)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    eqm_config_free(&f->cfg);
    if (f->fp)
        fclose(f->fp);
    free(f->out);
    if (f->path[0])
        unlink(f->path);
    clear_eqm_env();
    free(f);
    return 0;
}

/* Writes text to a new temporary file; its name is in f->path. */
static const char *write_file(struct fixture *f, const char *text) {
    int fd;
    snprintf(f->path, sizeof(f->path), "/tmp/eqm-test-config-XXXXXX");
    fd = mkstemp(f->path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return f->path;
}

static enum eqm_config_result load(struct fixture *f, int argc, char **argv) {
    eqm_config_free(&f->cfg);
    f->err[0] = '\0';
    memset(&f->ecfg, 0, sizeof(f->ecfg));
    struct eqm_settings engine = eqm_engine_settings(&f->ecfg);
    return eqm_config_load(&f->cfg, &engine, 1, "eqm-test", "[options]", svc_defaults, argc, argv,
                           f->fp, f->err, sizeof(f->err));
}

/* Output written to the memstream so far, as a string. */
static const char *output(struct fixture *f) {
    fflush(f->fp);
    return f->out ? f->out : "";
}

/* Loads a file holding text and expects an error naming path:line. */
static void expect_file_error(struct fixture *f, const char *text, int line, const char *what) {
    char want[128];
    char *argv[] = {"eqm-test", "--config", NULL};
    argv[2] = (char *)write_file(f, text);
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
    snprintf(want, sizeof(want), "%s:%d: ", f->path, line);
    if (strncmp(f->err, want, strlen(want)) != 0)
        fail_msg("error \"%s\" does not start with \"%s\"", f->err, want);
    if (what && !strstr(f->err, what))
        fail_msg("error \"%s\" does not mention \"%s\"", f->err, what);
    unlink(f->path);
    f->path[0] = '\0';
}

/* ---- precedence -------------------------------------------------------- */

static void test_defaults(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"eqm-test"};
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
    /* The table's defaults (config.c cf_table) ... */
    assert_string_equal(f->cfg.pg_url, "");
    assert_string_equal(f->cfg.kafka_brokers, "127.0.0.1:9092");
    assert_string_equal(f->ecfg.dead_letter_topic, "equality.dead-letter");
    assert_string_equal(f->ecfg.timezone, "Europe/London");
    assert_string_equal(f->ecfg.force_area, "force");
    assert_string_equal(f->cfg.log_level, "info");
    assert_int_equal(f->ecfg.n_windows, 3);
    assert_int_equal(f->ecfg.window_days[0], 28);
    assert_int_equal(f->ecfg.window_days[1], 91);
    assert_int_equal(f->ecfg.window_days[2], 365);
    assert_int_equal(f->ecfg.batch_max_messages, 50000);
    assert_int_equal(f->ecfg.batch_max_ms, 200);
    assert_int_equal(f->ecfg.max_message_bytes, 1000000);
    assert_int_equal(f->ecfg.dedup_horizon_days, 730);
    assert_int_equal(f->ecfg.max_future_skew_s, 86400);
    assert_int_equal(f->ecfg.metrics_interval_ms, 1000);
    assert_true(f->ecfg.exit_when_idle == 0.0);
    assert_false(f->ecfg.naive);
    assert_int_equal(f->cfg.n_props, 0);
    assert_null(f->cfg.config_file);
    /* ... and the program's own, which replace the table's "". */
    assert_string_equal(f->ecfg.topic, "stop-search.events");
    assert_string_equal(f->ecfg.group_id, "eqm-stop-search");
}

static void test_precedence(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"eqm-test", "--config", NULL, "--batch-max-ms", "500", "--log-level=warn"};
    argv[2] = (char *)write_file(f, "# every layer sets something\n"
                                    "group.id = file-group\n"
                                    "topic = file-topic\n"
                                    "batch.max.ms = 300\n"
                                    "batch.max.messages = 10\n"
                                    "log.level = debug\n"
                                    "windows = 7, 14\n"
                                    "timezone = UTC\n");
    setenv("EQM_TOPIC", "env-topic", 1);
    setenv("EQM_BATCH_MAX_MS", "400", 1);
    setenv("EQM_LOG_LEVEL", "error", 1);
    setenv("EQM_TIMEZONE", "Europe/Dublin", 1);
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
    assert_string_equal(f->cfg.config_file, f->path);
    /* file over the program default */
    assert_string_equal(f->ecfg.group_id, "file-group");
    /* file over the table default, nothing later */
    assert_int_equal(f->ecfg.batch_max_messages, 10);
    assert_int_equal(f->ecfg.n_windows, 2);
    assert_int_equal(f->ecfg.window_days[0], 7);
    assert_int_equal(f->ecfg.window_days[1], 14);
    /* environment over file */
    assert_string_equal(f->ecfg.topic, "env-topic");
    assert_string_equal(f->ecfg.timezone, "Europe/Dublin");
    /* command line over environment over file */
    assert_int_equal(f->ecfg.batch_max_ms, 500);
    assert_string_equal(f->cfg.log_level, "warn");
    /* untouched by every layer */
    assert_string_equal(f->ecfg.dead_letter_topic, "equality.dead-letter");
}

static void test_config_path_sources(void **state) {
    struct fixture *f = *state;
    char other[64] = "/tmp/eqm-test-config-other-XXXXXX";
    int fd = mkstemp(other);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "topic = from-other\n", 19), 19);
    close(fd);
    write_file(f, "topic = from-env-file\n");

    /* EQM_CONFIG names the file when the command line does not ... */
    setenv("EQM_CONFIG", f->path, 1);
    {
        char *argv[] = {"eqm-test"};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
        assert_string_equal(f->ecfg.topic, "from-env-file");
    }
    /* ... and -c, --config FILE and --config=FILE override it. */
    {
        char *argv[] = {"eqm-test", "-c", other};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
        assert_string_equal(f->ecfg.topic, "from-other");
    }
    {
        char *argv[] = {"eqm-test", "--config", other};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
        assert_string_equal(f->ecfg.topic, "from-other");
    }
    {
        char arg[96];
        char *argv[] = {"eqm-test", arg};
        snprintf(arg, sizeof(arg), "--config=%s", other);
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
        assert_string_equal(f->ecfg.topic, "from-other");
    }
    /* The file is applied before the command line wherever --config is. */
    {
        char *argv[] = {"eqm-test", "--topic", "from-argv", "-c", other};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
        assert_string_equal(f->ecfg.topic, "from-argv");
    }
    /* A missing file is an error that names it. */
    {
        char *argv[] = {"eqm-test", "-c", "/nonexistent/eqm.conf"};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
        assert_non_null(strstr(f->err, "/nonexistent/eqm.conf"));
    }
    {
        char *argv[] = {"eqm-test", "-c"};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
        assert_true(f->err[0] != '\0');
    }
    unlink(other);
}

static void test_command_line_forms(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"eqm-test",
                    "-b",
                    "k1:9092,k2:9092",
                    "-t",
                    "t1",
                    "-g",
                    "g1",
                    "--force-area=cambs",
                    "--naive",
                    "--exit-when-idle",
                    "2.5",
                    "--dead-letter-topic",
                    "dl"};
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
    assert_string_equal(f->cfg.kafka_brokers, "k1:9092,k2:9092");
    assert_string_equal(f->ecfg.topic, "t1");
    assert_string_equal(f->ecfg.group_id, "g1");
    assert_string_equal(f->ecfg.force_area, "cambs");
    assert_true(f->ecfg.naive);
    assert_true(f->ecfg.exit_when_idle == 2.5);
    assert_string_equal(f->ecfg.dead_letter_topic, "dl");
}

static void test_command_line_errors(void **state) {
    struct fixture *f = *state;
    {
        char *argv[] = {"eqm-test", "--no-such-option", "1"};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
        assert_non_null(strstr(f->err, "--no-such-option"));
    }
    {
        char *argv[] = {"eqm-test", "stray"};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
        assert_non_null(strstr(f->err, "stray"));
    }
    {
        char *argv[] = {"eqm-test", "--topic"};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
        assert_non_null(strstr(f->err, "--topic"));
    }
    {
        char *argv[] = {"eqm-test", "-t"};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
    }
    {
        char *argv[] = {"eqm-test", "--max-message-bytes", "63"};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
        assert_non_null(strstr(f->err, "max.message.bytes"));
    }
    /* A Kafka secret on the command line is refused, naming the file's key,
     * never repeating the value. */
    {
        static const char *const secrets[] = {"sasl.password",
                                              "ssl.key.password",
                                              "ssl.keystore.password",
                                              "ssl.key.pem",
                                              "sasl.oauthbearer.client.secret",
                                              "sasl.oauthbearer.config"};
        for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
            char prop[128];
            char *argv[] = {"eqm-test", "-X", prop};
            snprintf(prop, sizeof(prop), "%s=hunter2", secrets[i]);
            assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
            assert_non_null(strstr(f->err, secrets[i]));
            assert_non_null(strstr(f->err, "config file"));
            assert_null(strstr(f->err, "hunter2"));
        }
    }
    /* A file's location, a mechanism or a user name is not a secret. */
    {
        char *argv[] = {"eqm-test",
                        "-X",
                        "ssl.key.location=/run/secrets/client.key",
                        "-X",
                        "sasl.mechanism=SCRAM-SHA-512",
                        "-X",
                        "sasl.username=eqm-stop-search"};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
        assert_int_equal(f->cfg.n_props, 3);
        assert_string_equal(f->cfg.prop_values[0], "/run/secrets/client.key");
        assert_false(eqm_config_secret_prop("ssl.ca.location"));
        assert_false(eqm_config_secret_prop("security.protocol"));
        assert_true(eqm_config_secret_prop("ssl_key"));
    }
}

static void test_environment_errors(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"eqm-test"};
    setenv("EQM_BATCH_MAX_MESSAGES", "0", 1);
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
    assert_non_null(strstr(f->err, "EQM_BATCH_MAX_MESSAGES"));
    unsetenv("EQM_BATCH_MAX_MESSAGES");
    setenv("EQM_WINDOWS", "28,x", 1);
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
    assert_non_null(strstr(f->err, "EQM_WINDOWS"));
    unsetenv("EQM_WINDOWS");
    setenv("EQM_NAIVE", "perhaps", 1);
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
    assert_non_null(strstr(f->err, "EQM_NAIVE"));
    unsetenv("EQM_NAIVE");
    /* Dots become underscores and letters capitals: max.future.skew.s. */
    setenv("EQM_MAX_FUTURE_SKEW_S", "60", 1);
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
    assert_int_equal(f->ecfg.max_future_skew_s, 60);
}

/* ---- the file ------------------------------------------------------------ */

static void test_file_syntax(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"eqm-test", "-c", NULL};
    /* Comments, blank lines, blanks around names and values, CRLF, a value
     * holding '=' and a last line without a newline are all fine. */
    argv[2] = (char *)write_file(f, "# comment\n"
                                    "\n"
                                    "   \t\n"
                                    "  topic\t=  spaced topic  \r\n"
                                    "   # indented comment\n"
                                    "kafka.sasl.jaas.config = a=b c=d\n"
                                    "group.id=g");
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
    assert_string_equal(f->ecfg.topic, "spaced topic");
    assert_string_equal(f->ecfg.group_id, "g");
    assert_int_equal(f->cfg.n_props, 1);
    assert_string_equal(f->cfg.prop_names[0], "sasl.jaas.config");
    assert_string_equal(f->cfg.prop_values[0], "a=b c=d");
}

static void test_file_errors(void **state) {
    struct fixture *f = *state;
    /* Line numbers count comments and blank lines. */
    expect_file_error(f, "# c\n\ntopic = x\nthis line has no equals sign\n", 4,
                      "expected name = value");
    expect_file_error(f, "topic = x\nbogus.setting = 1\n", 2, "unknown setting \"bogus.setting\"");
    expect_file_error(f, "kafka. = 1\n", 1, "unknown setting");
    expect_file_error(f, "batch.max.messages = 0\n", 1, "batch.max.messages");
    expect_file_error(f, "batch.max.messages = 1000001\n", 1, "1000000");
    expect_file_error(f, "batch.max.ms = 12abc\n", 1, "batch.max.ms");
    expect_file_error(f, "batch.max.ms =\n", 1, "batch.max.ms");
    expect_file_error(f, "max.message.bytes = 63\n", 1, "max.message.bytes");
    expect_file_error(f, "dedup.horizon.days = -1\n", 1, "dedup.horizon.days");
    expect_file_error(f, "metrics.interval.ms = 99999999999999999999999\n", 1,
                      "metrics.interval.ms");
    expect_file_error(f, "exit.when.idle = -0.5\n", 1, "exit.when.idle");
    expect_file_error(f, "exit.when.idle = 1e10\n", 1, "exit.when.idle");
    expect_file_error(f, "exit.when.idle = nan\n", 1, "exit.when.idle");
    expect_file_error(f, "naive = maybe\n", 1, "naive");
    expect_file_error(f, "log.level = verbose\n", 1, "log.level");
    expect_file_error(f, "\n\n\nwindows = 28,,91\n", 4, "windows");
    expect_file_error(f, "= value\n", 1, NULL);
}

static void test_ranges_accept_bounds(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"eqm-test", "-c", NULL};
    argv[2] = (char *)write_file(f, "batch.max.messages = 1000000\n"
                                    "batch.max.ms = 1\n"
                                    "max.message.bytes = 64\n"
                                    "dedup.horizon.days = 0\n"
                                    "metrics.interval.ms = 3600000\n"
                                    "exit.when.idle = 1e9\n"
                                    "naive = yes\n");
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
    assert_int_equal(f->ecfg.batch_max_messages, 1000000);
    assert_int_equal(f->ecfg.batch_max_ms, 1);
    assert_int_equal(f->ecfg.max_message_bytes, 64);
    assert_int_equal(f->ecfg.dedup_horizon_days, 0);
    assert_int_equal(f->ecfg.metrics_interval_ms, 3600000);
    assert_true(f->ecfg.exit_when_idle == 1e9);
    assert_true(f->ecfg.naive);
}

/* ---- windows ------------------------------------------------------------ */

static void test_windows(void **state) {
    struct fixture *f = *state;
    static const char *const bad[] = {
        "",  "   ",  "0",     "3661", "-7",  "28;91", "28,,91",
        "a", "28,x", "28,28", "7 14", "1.5", ",28",   "1,2,3,4,5,6,7,8,9",
    };
    char *argv[] = {"eqm-test"};

    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
    assert_int_equal(eqm_config_set(&f->cfg, "windows", " 7 , 30,365 ", f->err, sizeof(f->err)), 0);
    assert_int_equal(f->ecfg.n_windows, 3);
    assert_int_equal(f->ecfg.window_days[0], 7);
    assert_int_equal(f->ecfg.window_days[1], 30);
    assert_int_equal(f->ecfg.window_days[2], 365);
    assert_string_equal(f->ecfg.windows, " 7 , 30,365 ");

    assert_int_equal(eqm_config_set(&f->cfg, "windows", "1,3660", f->err, sizeof(f->err)), 0);
    assert_int_equal(f->ecfg.n_windows, 2);
    assert_int_equal(f->ecfg.window_days[1], 3660);

    assert_int_equal(eqm_config_set(&f->cfg, "windows", "1,2,3,4,5,6,7,8", f->err, sizeof(f->err)),
                     0);
    assert_int_equal(f->ecfg.n_windows, EQM_MAX_WINDOWS);
    assert_int_equal(f->ecfg.window_days[7], 8);

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        f->err[0] = '\0';
        if (eqm_config_set(&f->cfg, "windows", bad[i], f->err, sizeof(f->err)) != -1)
            fail_msg("windows \"%s\" should be refused", bad[i]);
        assert_non_null(strstr(f->err, "windows"));
        /* A refused value leaves the text setting as it was. */
        assert_string_equal(f->ecfg.windows, "1,2,3,4,5,6,7,8");
    }
}

/* ---- librdkafka passthrough --------------------------------------------- */

static const char *prop(const struct eqm_config *cfg, const char *name) {
    const char *v = NULL;
    int seen = 0;
    for (int i = 0; i < cfg->n_props; i++)
        if (!strcmp(cfg->prop_names[i], name)) {
            v = cfg->prop_values[i];
            seen++;
        }
    assert_true(seen <= 1); /* a property is kept once, the last value wins */
    return v;
}

static void test_kafka_passthrough(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"eqm-test",
                    "-c",
                    NULL,
                    "-X",
                    "client.id=from-argv",
                    "-X",
                    "security.protocol=SASL_SSL",
                    "-X",
                    "sasl.jaas.config=x=y",
                    "-X",
                    "statistics.interval.ms="};
    argv[2] = (char *)write_file(f, "kafka.client.id = from-file\n"
                                    "kafka.fetch.wait.max.ms = 50\n"
                                    "kafka.brokers = b1:9092\n");
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
    /* kafka.brokers is our own setting, not a passthrough property. */
    assert_string_equal(f->cfg.kafka_brokers, "b1:9092");
    assert_null(prop(&f->cfg, "brokers"));
    assert_string_equal(prop(&f->cfg, "fetch.wait.max.ms"), "50");
    assert_string_equal(prop(&f->cfg, "client.id"), "from-argv");
    assert_string_equal(prop(&f->cfg, "security.protocol"), "SASL_SSL");
    assert_string_equal(prop(&f->cfg, "sasl.jaas.config"), "x=y");
    assert_string_equal(prop(&f->cfg, "statistics.interval.ms"), "");
    assert_int_equal(f->cfg.n_props, 5);
}

static void test_kafka_passthrough_errors(void **state) {
    struct fixture *f = *state;
    {
        char *argv[] = {"eqm-test", "-X", "no-equals"};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
        assert_non_null(strstr(f->err, "no-equals"));
    }
    {
        char *argv[] = {"eqm-test", "-X", "=value"};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
    }
    {
        char *argv[] = {"eqm-test", "-X"};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
    }
    {
        /* At most EQM_CONFIG_MAX_PROPS distinct properties. */
        char *argv[2 + 2 * (EQM_CONFIG_MAX_PROPS + 1)];
        char buf[EQM_CONFIG_MAX_PROPS + 1][32];
        int argc = 1;
        argv[0] = "eqm-test";
        for (int i = 0; i <= EQM_CONFIG_MAX_PROPS; i++) {
            snprintf(buf[i], sizeof(buf[i]), "p%d=v", i);
            argv[argc++] = "-X";
            argv[argc++] = buf[i];
        }
        assert_int_equal(load(f, argc, argv), EQM_CONFIG_ERROR);
        assert_non_null(strstr(f->err, "Kafka properties"));
        assert_int_equal(f->cfg.n_props, EQM_CONFIG_MAX_PROPS);
    }
}

/* ---- secrets -------------------------------------------------------------- */

static void test_pg_url_refused_on_command_line(void **state) {
    struct fixture *f = *state;
    {
        char *argv[] = {"eqm-test", "--pg-url", "postgresql://u:pw@db/eqm"};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
        assert_non_null(strstr(f->err, "EQM_PG_URL"));
        assert_null(strstr(f->err, "pw@db")); /* the refusal does not echo it */
    }
    {
        char *argv[] = {"eqm-test", "--pg-url=host=db password=pw"};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
        assert_non_null(strstr(f->err, "EQM_PG_URL"));
        assert_null(strstr(f->err, "password=pw"));
    }
    /* The file and the environment may set it; the environment wins. */
    {
        char *argv[] = {"eqm-test", "-c", NULL};
        argv[2] = (char *)write_file(f, "pg.url = host=file dbname=eqm\n");
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
        assert_string_equal(f->cfg.pg_url, "host=file dbname=eqm");
        setenv("EQM_PG_URL", "postgresql://env/eqm", 1);
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
        assert_string_equal(f->cfg.pg_url, "postgresql://env/eqm");
    }
}

/* A program's own EQM_<PROGRAM>_PG_URL (its role's login) comes before the
 * shared EQM_PG_URL, and another program's is not read. */
static void test_pg_url_of_the_program_first(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"eqm-test"};
    setenv("EQM_PG_URL", "postgresql://shared@db/eqm", 1);
    setenv("EQM_OTHER_PG_URL", "postgresql://other@db/eqm", 1);
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
    assert_string_equal(f->cfg.pg_url, "postgresql://shared@db/eqm");
    setenv("EQM_TEST_PG_URL", "postgresql://own@db/eqm", 1);
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
    assert_string_equal(f->cfg.pg_url, "postgresql://own@db/eqm");
    unsetenv("EQM_PG_URL");
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
    assert_string_equal(f->cfg.pg_url, "postgresql://own@db/eqm");
}

/* Runs --print-config with pg.url = url and returns the output. */
static const char *print_with_url(struct fixture *f, const char *url) {
    char *argv[] = {"eqm-test", "--print-config", "-c", NULL};
    /* Kafka secrets come from the file (refused as -X). */
    argv[3] = (char *)write_file(f, "kafka.sasl.password = kafka-pw\n"
                                    "kafka.ssl.key.password = key-pw\n");
    setenv("EQM_PG_URL", url, 1);
    /* A fresh stream per call, so each output stands alone. */
    fclose(f->fp);
    free(f->out);
    f->out = NULL;
    f->fp = open_memstream(&f->out, &f->out_len);
    assert_non_null(f->fp);
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_EXIT);
    unlink(f->path);
    return output(f);
}

static void test_print_config(void **state) {
    struct fixture *f = *state;
    const char *o;

    o = print_with_url(f, "postgresql://eqm:s3cret@db.example:5432/eqm?sslmode=require");
    /* Printed as libpq reads it: each keyword='value', the password masked. */
    assert_non_null(strstr(o, "pg.url = "));
    assert_non_null(strstr(o, "user='eqm'"));
    assert_non_null(strstr(o, "password='[redacted]'"));
    assert_non_null(strstr(o, "host='db.example'"));
    assert_non_null(strstr(o, "port='5432'"));
    assert_non_null(strstr(o, "sslmode='require'"));
    assert_null(strstr(o, "s3cret"));
    /* Every setting is printed with its effective value. */
    assert_non_null(strstr(o, "topic = stop-search.events\n"));
    assert_non_null(strstr(o, "group.id = eqm-stop-search\n"));
    assert_non_null(strstr(o, "windows = 28,91,365\n"));
    assert_non_null(strstr(o, "batch.max.messages = 50000\n"));
    assert_non_null(strstr(o, "pipeline = true\n"));
    assert_non_null(strstr(o, "naive = false\n"));
    assert_non_null(strstr(o, "timezone = Europe/London\n"));
    /* Kafka secrets are masked too. */
    assert_non_null(strstr(o, "kafka.sasl.password = [redacted]\n"));
    assert_non_null(strstr(o, "kafka.ssl.key.password = [redacted]\n"));
    assert_null(strstr(o, "kafka-pw"));
    assert_null(strstr(o, "key-pw"));

    o = print_with_url(f, "host=db.example user=eqm password=s3cret dbname=eqm");
    assert_non_null(strstr(o, "host='db.example'"));
    assert_non_null(strstr(o, "password='[redacted]'"));
    assert_non_null(strstr(o, "dbname='eqm'"));
    assert_null(strstr(o, "s3cret"));

    o = print_with_url(f, "postgresql://db.example/eqm?user=eqm&password=s3cret");
    assert_null(strstr(o, "s3cret"));

    /* Nothing to mask: printed as is. */
    o = print_with_url(f, "postgresql://eqm@db.example:5432/eqm");
    assert_non_null(strstr(o, "user='eqm'"));
    assert_null(strstr(o, "password='"));
    o = print_with_url(f, "host=/var/run/postgresql dbname=eqm");
    assert_non_null(strstr(o, "host='/var/run/postgresql'"));
    /* Not a connection string libpq can read: not echoed at all. */
    o = print_with_url(f, "host=db password='unterminated");
    assert_null(strstr(o, "unterminated"));
}

/* Conninfo strings libpq accepts that --print-config must not leak. */
/* A URI password with '/' or '@' in it, unescaped: libpq would read its
 * pieces as the host and the database (and repeat them in its errors), so
 * it is refused, and the error holds no piece of it. Percent-encoded, it
 * is read and never printed. */
static void test_uri_password_with_slash_and_at(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"eqm-test"};
    const char *o;

    setenv("EQM_PG_URL", "postgresql://eqm:pa/ss@w0rd@db.example:5432/eqm", 1);
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
    assert_non_null(strstr(f->err, "%2F"));
    assert_non_null(strstr(f->err, "environment EQM_PG_URL: pg.url: "));
    assert_null(strstr(f->err, "pa/ss"));
    assert_null(strstr(f->err, "w0rd"));
    assert_null(strstr(f->err, "db.example"));

    o = print_with_url(f, "postgresql://eqm:pa%2Fss%40w0rd@db.example:5432/eqm");
    assert_null(strstr(o, "pa%2Fss"));
    assert_null(strstr(o, "pa/ss"));
    assert_null(strstr(o, "w0rd"));
    assert_non_null(strstr(o, "user='eqm'"));
    assert_non_null(strstr(o, "host='db.example'"));
    assert_non_null(strstr(o, "dbname='eqm'"));
    assert_non_null(strstr(o, "password='[redacted]'"));
}

/* Writes secret to a new file of the given mode; its name into path. */
static void secret_file(char *path, size_t sz, const char *secret, mode_t mode) {
    int fd;
    snprintf(path, sz, "/tmp/eqm-test-secret-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, secret, strlen(secret)), (ssize_t)strlen(secret));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

/* Every secret from a file of mode 0600: pg.password (merged into the
 * conninfo libpq gets), a Kafka SASL password (-X, the file and the
 * environment), and none of them printed by --print-config. */
static void test_secrets_from_files(void **state) {
    struct fixture *f = *state;
    char pg[64], sasl[64], sasl2[64], conf[256], xarg[128];
    const char *o;

    secret_file(pg, sizeof(pg), "pg/Se@cret'1\n", 0600);
    secret_file(sasl, sizeof(sasl), "ka/fk@pw-one", 0400);
    secret_file(sasl2, sizeof(sasl2), "ka/fk@pw-two\n", 0600);
    snprintf(conf, sizeof(conf), "kafka.ssl.key.password.file = %s\n", sasl2);
    snprintf(xarg, sizeof(xarg), "sasl.password.file=%s", sasl);
    {
        char *argv[] = {"eqm-test", "--config", (char *)write_file(f, conf), "-X", xarg};
        setenv("EQM_PG_URL", "postgresql://svc@db.example:5432/eqm?sslmode=verify-full", 1);
        setenv("EQM_PG_PASSWORD_FILE", pg, 1);
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
    }
    /* One trailing newline dropped; the quote escaped as libpq reads it. */
    assert_string_equal(f->cfg.pg_password, "pg/Se@cret'1");
    assert_non_null(strstr(f->cfg.pg_url, "password='pg/Se@cret\\'1'"));
    assert_non_null(strstr(f->cfg.pg_url, "user='svc'"));
    assert_non_null(strstr(f->cfg.pg_url, "host='db.example'"));
    assert_non_null(strstr(f->cfg.pg_url, "sslmode='verify-full'"));
    assert_int_equal(f->cfg.n_props, 2);
    assert_string_equal(f->cfg.prop_names[0], "ssl.key.password");
    assert_string_equal(f->cfg.prop_values[0], "ka/fk@pw-two");
    assert_string_equal(f->cfg.prop_names[1], "sasl.password");
    assert_string_equal(f->cfg.prop_values[1], "ka/fk@pw-one");

    /* The environment's form for Kafka, and --print-config. */
    unsetenv("EQM_PG_PASSWORD_FILE");
    setenv("EQM_PG_PASSWORD", "pg/Se@cret'1", 1);
    setenv("EQM_KAFKA_SASL_PASSWORD_FILE", sasl2, 1);
    {
        char *argv[] = {"eqm-test", "--print-config"};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_EXIT);
        assert_string_equal(f->cfg.prop_values[0], "ka/fk@pw-two");
    }
    o = output(f);
    assert_non_null(strstr(o, "pg.password = [redacted]\n"));
    assert_non_null(strstr(o, "password='[redacted]'"));
    assert_non_null(strstr(o, "kafka.sasl.password = [redacted]\n"));
    assert_null(strstr(o, "Se@cret"));
    assert_null(strstr(o, "fk@pw"));

    /* Both the value and its file: refused. */
    setenv("EQM_PG_PASSWORD_FILE", pg, 1);
    {
        char *argv[] = {"eqm-test"};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
        assert_non_null(strstr(f->err, "set EQM_PG_PASSWORD or EQM_PG_PASSWORD_FILE, not both"));
    }
    /* The whole URL from a file. */
    unsetenv("EQM_PG_PASSWORD_FILE");
    unsetenv("EQM_PG_PASSWORD");
    unsetenv("EQM_PG_URL");
    unlink(pg);
    secret_file(pg, sizeof(pg), "host=db.example dbname=eqm password=x/y@z\n", 0600);
    setenv("EQM_PG_URL_FILE", pg, 1);
    {
        char *argv[] = {"eqm-test"};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
        assert_string_equal(f->cfg.pg_url, "host=db.example dbname=eqm password=x/y@z");
    }
    unsetenv("EQM_PG_URL_FILE");
    unlink(pg);
    unlink(sasl);
    unlink(sasl2);
}

/* A secret file its group or others may read is refused, naming the file
 * and its mode, never its contents. */
static void test_secret_file_refused_when_readable(void **state) {
    struct fixture *f = *state;
    char pg[64], want[256], xarg[128];

    secret_file(pg, sizeof(pg), "leaky-secret", 0644);
    setenv("EQM_PG_URL", "host=db dbname=eqm", 1);
    setenv("EQM_PG_PASSWORD_FILE", pg, 1);
    {
        char *argv[] = {"eqm-test"};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
    }
    snprintf(want, sizeof(want),
             "environment EQM_PG_PASSWORD_FILE: pg.password.file: %s: mode 0644, "
             "must not be readable by group or others",
             pg);
    if (!strstr(f->err, want))
        fail_msg("error \"%s\" does not say \"%s\"", f->err, want);
    assert_null(strstr(f->err, "leaky"));
    unsetenv("EQM_PG_PASSWORD_FILE");

    /* 0640 (the group may read) too, through -X. */
    assert_int_equal(chmod(pg, 0640), 0);
    snprintf(xarg, sizeof(xarg), "sasl.password.file=%s", pg);
    {
        char *argv[] = {"eqm-test", "-X", xarg};
        assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
    }
    assert_non_null(strstr(f->err, "mode 0640"));
    assert_null(strstr(f->err, "leaky"));
    unlink(pg);
}

/* libpq's passfile (PGPASSFILE or passfile in pg.url) is held to the same
 * mode: libpq itself would only warn and go on without it. */
static void test_passfile_mode(void **state) {
    struct fixture *f = *state;
    char pass[64];
    char *argv[] = {"eqm-test"};

    secret_file(pass, sizeof(pass), "*:*:*:*:pw\n", 0604);
    setenv("PGPASSFILE", pass, 1);
    setenv("EQM_PG_URL", "host=db dbname=eqm", 1);
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
    assert_non_null(strstr(f->err, "PostgreSQL password file"));
    assert_non_null(strstr(f->err, "mode 0604"));
    assert_int_equal(chmod(pass, 0600), 0);
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
    unsetenv("PGPASSFILE");
    assert_int_equal(chmod(pass, 0660), 0);
    {
        char url[128];
        snprintf(url, sizeof(url), "host=db dbname=eqm passfile=%s", pass);
        setenv("EQM_PG_URL", url, 1);
    }
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_ERROR);
    assert_non_null(strstr(f->err, "mode 0660"));
    unlink(pass);
}

static void test_print_config_masks_password_after_sslpassword(void **state) {
    struct fixture *f = *state;
    /* sslpassword (libpq >= 13) comes first and hides the real password. */
    const char *o = print_with_url(f, "host=db sslpassword=keypass password=s3cret dbname=eqm");
    assert_null(strstr(o, "s3cret"));
    assert_null(strstr(o, "keypass"));
}

static void test_print_config_masks_password_with_blanks_around_equals(void **state) {
    struct fixture *f = *state;
    /* "keyword = value": blanks around '=' are allowed in a conninfo. */
    const char *o = print_with_url(f, "host=db password = s3cret dbname=eqm");
    assert_null(strstr(o, "s3cret"));
}

static void test_print_config_masks_quoted_password(void **state) {
    struct fixture *f = *state;
    /* A single-quoted password may hold blanks. */
    const char *o = print_with_url(f, "host=db password='s3 cret' dbname=eqm");
    assert_null(strstr(o, "cret"));
}

/* A value holding ' or \ is printed escaped, so that the printed
 * conninfo reads back (libpq) to the same values (found by fuzz-config:
 * tests/fuzz/regressions/config/pg-url-quote-in-value.conf). */
static void test_print_config_escapes_quotes_in_values(void **state) {
    struct fixture *f = *state;
    const char *o = print_with_url(f, "host= xpas'sword=a dbname='e\\\\q'");
    assert_non_null(strstr(o, "host='xpas\\'sword=a'"));
    assert_non_null(strstr(o, "dbname='e\\\\q'"));
}

/* Copies the value of the "pg.url = " line of o into line. */
static void pg_url_line(const char *o, char *line, size_t sz) {
    const char *p = strstr(o, "pg.url = ");
    assert_non_null(p);
    p += strlen("pg.url = ");
    snprintf(line, sz, "%.*s", (int)strcspn(p, "\n"), p);
}

/* A URI's password is printed where libpq puts it among the keywords, so
 * the printed form, read back, prints the same (found by fuzz-config: the
 * masked password came last, then second on the reprint). */
static void test_print_config_uri_password_prints_back_the_same(void **state) {
    struct fixture *f = *state;
    char first[512], second[512];
    pg_url_line(print_with_url(f, "postgresql://u:s3%2Fc%40et@db.example/eqm"), first,
                sizeof(first));
    /* Independently: libpq's keyword order is user, password, ..., host. */
    assert_string_equal(first, "user='u' password='[redacted]' dbname='eqm' host='db.example'");
    pg_url_line(print_with_url(f, first), second, sizeof(second));
    assert_string_equal(first, second);
}

static void test_help(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"eqm-test", "--topic", "x", "--help"};
    const char *o;
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_EXIT);
    o = output(f);
    assert_non_null(strstr(o, "Usage: eqm-test [options]"));
    /* Every setting is listed with its option and its environment name,
     * and the secret one as environment/file only. */
    assert_non_null(strstr(o, "--group-id"));
    assert_non_null(strstr(o, "--max-future-skew-s"));
    assert_non_null(strstr(o, "--print-config"));
    assert_non_null(strstr(o, "EQM_PG_URL"));
    assert_null(strstr(o, "--pg-url"));

    /* -h too, and before a broken file is even read. */
    {
        char *argv2[] = {"eqm-test", "-c", "/nonexistent/eqm.conf", "-h"};
        assert_int_equal(load(f, ARGC(argv2), argv2), EQM_CONFIG_EXIT);
    }
}

/* A program's own default (a batch.max.messages of 500, say) is the one
 * its --help shows, numbers included. */
static void test_help_program_default(void **state) {
    static const struct eqm_config_default own_defaults[] = {{"batch.max.messages", "500"},
                                                             {NULL, NULL}};
    struct fixture *f = *state;
    char *argv[] = {"eqm-test", "--help"};
    struct eqm_settings engine = eqm_engine_settings(&f->ecfg);
    const char *o;
    eqm_config_free(&f->cfg);
    assert_int_equal(eqm_config_load(&f->cfg, &engine, 1, "eqm-test", "[options]", own_defaults,
                                     ARGC(argv), argv, f->fp, f->err, sizeof(f->err)),
                     EQM_CONFIG_EXIT);
    o = output(f);
    assert_non_null(
        strstr(o, "[file: batch.max.messages; env: EQM_BATCH_MAX_MESSAGES; default: \"500\"]"));
    assert_non_null(strstr(o, "[file: batch.max.ms; env: EQM_BATCH_MAX_MS; default: \"200\"]"));
}

/* A program reads only the tables it binds: another program's settings
 * are not in its --help, not accepted on its command line or in its file,
 * and its environment variables are left alone. */
struct own_config {
    long rounds;
    char *name;
};
static const struct eqm_setting own_settings[] = {
    {"own.rounds", EQM_SETTING_LONG, offsetof(struct own_config, rounds), "3", 1, 9, 0, "rounds",
     NULL},
    {"own.name", EQM_SETTING_STRING, offsetof(struct own_config, name), "x", 0, 0, 0, "a name",
     NULL},
};

static void test_program_reads_its_own_tables(void **state) {
    struct fixture *f = *state;
    struct own_config own = {0};
    struct eqm_settings t = {own_settings, 2, &own};
    char *help[] = {"eqm-own", "--help"};
    char *engine_opt[] = {"eqm-own", "--batch-max-ms", "5"};
    char *short_topic[] = {"eqm-own", "-t", "x"};
    char *ok[] = {"eqm-own", "--own-rounds", "7"};
    const char *o;

    eqm_config_free(&f->cfg);
    assert_int_equal(eqm_config_load(&f->cfg, &t, 1, "eqm-own", "[options]", NULL, 2, help, f->fp,
                                     f->err, sizeof(f->err)),
                     EQM_CONFIG_EXIT);
    o = output(f);
    assert_non_null(strstr(o, "--own-rounds=VALUE"));
    assert_non_null(strstr(o, "--log-level=VALUE")); /* the common table */
    assert_null(strstr(o, "batch.max.ms"));
    assert_null(strstr(o, "-t TOPIC"));
    eqm_config_free(&f->cfg);
    assert_null(own.name); /* freed with the config */

    assert_int_equal(eqm_config_load(&f->cfg, &t, 1, "eqm-own", "[options]", NULL, 3, engine_opt,
                                     f->fp, f->err, sizeof(f->err)),
                     EQM_CONFIG_ERROR);
    assert_non_null(strstr(f->err, "--batch-max-ms"));
    eqm_config_free(&f->cfg);
    assert_int_equal(eqm_config_load(&f->cfg, &t, 1, "eqm-own", "[options]", NULL, 3, short_topic,
                                     f->fp, f->err, sizeof(f->err)),
                     EQM_CONFIG_ERROR);
    eqm_config_free(&f->cfg);

    setenv("EQM_BATCH_MAX_MS", "not a number", 1); /* not this program's: ignored */
    setenv("EQM_OWN_NAME", "from-env", 1);
    assert_int_equal(eqm_config_load(&f->cfg, &t, 1, "eqm-own", "[options]", NULL, 3, ok, f->fp,
                                     f->err, sizeof(f->err)),
                     EQM_CONFIG_OK);
    assert_int_equal(own.rounds, 7);
    assert_string_equal(own.name, "from-env");
    eqm_config_free(&f->cfg);

    write_file(f, "batch.max.ms = 5\n");
    {
        char *file[] = {"eqm-own", "--config", f->path};
        assert_int_equal(eqm_config_load(&f->cfg, &t, 1, "eqm-own", "[options]", NULL, 3, file,
                                         f->fp, f->err, sizeof(f->err)),
                         EQM_CONFIG_ERROR);
        assert_non_null(strstr(f->err, ":1: unknown setting \"batch.max.ms\""));
    }
}

static void test_set_unknown(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"eqm-test"};
    assert_int_equal(load(f, ARGC(argv), argv), EQM_CONFIG_OK);
    assert_int_equal(eqm_config_set(&f->cfg, "no.such", "1", f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "no.such"));
    assert_int_equal(eqm_config_set(&f->cfg, "kafka.linger.ms", "5", f->err, sizeof(f->err)), 0);
    assert_string_equal(prop(&f->cfg, "linger.ms"), "5");
    eqm_config_free(&f->cfg);
    /* free zeroes the struct, so a second free is harmless. */
    assert_null(f->ecfg.topic);
    assert_int_equal(f->cfg.n_props, 0);
}

EQM_UNIT_MAIN_FIXTURE(test_defaults, test_precedence, test_config_path_sources,
                      test_command_line_forms, test_command_line_errors, test_environment_errors,
                      test_file_syntax, test_file_errors, test_ranges_accept_bounds, test_windows,
                      test_kafka_passthrough, test_kafka_passthrough_errors,
                      test_pg_url_refused_on_command_line, test_pg_url_of_the_program_first,
                      test_print_config, test_uri_password_with_slash_and_at,
                      test_secrets_from_files, test_secret_file_refused_when_readable,
                      test_passfile_mode, test_print_config_masks_password_after_sslpassword,
                      test_print_config_masks_password_with_blanks_around_equals,
                      test_print_config_masks_quoted_password,
                      test_print_config_escapes_quotes_in_values,
                      test_print_config_uri_password_prints_back_the_same, test_help,
                      test_help_program_default, test_program_reads_its_own_tables,
                      test_set_unknown)
