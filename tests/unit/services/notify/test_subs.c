/*
 * test_subs.c - eqm-notify's subscription file: every field read as
 * written, digest specs parsed, each kind of mistake refused as
 * `name:line: what is wrong`, who matches an alert (audience, minimum
 * severity, immediate only), and how a target is masked.
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

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "subs.h"

static const char good[] =
    "# comment line\n"
    "\n"
    "stop-search-scrutiny-group  chair  email  chair@force.example\n"
    "stop-search-scrutiny-group  panel  webhook https://hooks.example/x shape=teams min=critical "
    "secret=\"X-Api-Key: a b\\\"c\"\r\n"
    "edi-tactical-group weekly email edi@force.example mode=\"weekly Monday at 08:30\"  # note\n"
    "edi-tactical-group daily email edi@force.example mode=\"daily at 23:59\" min=warning\n"
    "edi-tactical-group monthly webhook http://127.0.0.1:8080/h mode=\"monthly 28 at 00:00\"\n"
    "stop-search-scrutiny-group  edi  email  x.y+z@sub.force.example\n"
    "edi-tactical-group chair email chair@force.example";

static void test_good_file(void **state) {
    struct eqm_subs s = {0};
    char err[256] = "";
    (void)state;

    assert_int_equal(0, eqm_subs_parse(&s, good, "subs", err, sizeof(err)));
    assert_int_equal(7, (int)s.n);
    assert_string_equal("stop-search-scrutiny-group", s.items[0].audience);
    assert_string_equal("chair", s.items[0].id);
    assert_int_equal(EQM_SUB_EMAIL, s.items[0].channel);
    assert_string_equal("chair@force.example", s.items[0].target);
    assert_int_equal(EQM_SEVERITY_INFO, s.items[0].min_severity);
    assert_int_equal(EQM_SUB_IMMEDIATE, s.items[0].mode);
    assert_int_equal(3, s.items[0].line);

    assert_int_equal(EQM_SUB_WEBHOOK, s.items[1].channel);
    assert_int_equal(EQM_SUB_SHAPE_TEAMS, s.items[1].shape);
    assert_int_equal(EQM_SEVERITY_CRITICAL, s.items[1].min_severity);
    assert_string_equal("X-Api-Key: a b\"c", s.items[1].secret_header);
    assert_string_equal("https://hooks.example/x", s.items[1].target);

    assert_int_equal(EQM_SUB_WEEKLY, s.items[2].mode);
    assert_int_equal(0, s.items[2].digest_day); /* Monday */
    assert_int_equal(8, s.items[2].digest_hour);
    assert_int_equal(30, s.items[2].digest_minute);
    assert_int_equal(EQM_SUB_DAILY, s.items[3].mode);
    assert_int_equal(23, s.items[3].digest_hour);
    assert_int_equal(59, s.items[3].digest_minute);
    assert_int_equal(EQM_SEVERITY_WARNING, s.items[3].min_severity);
    assert_int_equal(EQM_SUB_MONTHLY, s.items[4].mode);
    assert_int_equal(28, s.items[4].digest_day);
    assert_int_equal(EQM_SUB_SHAPE_GENERIC, s.items[4].shape);
    assert_null(s.items[4].secret_header);
    /* The same id in two audiences is two subscriptions. */
    assert_string_equal("chair", s.items[6].id);
    assert_int_equal(9, s.items[6].line);

    assert_non_null(eqm_subs_find(&s, "edi-tactical-group", "chair"));
    assert_ptr_equal(&s.items[0], eqm_subs_find(&s, "stop-search-scrutiny-group", "chair"));
    assert_null(eqm_subs_find(&s, "edi-tactical-group", "panel"));
    assert_int_equal(3, (int)eqm_subs_count(&s, "stop-search-scrutiny-group"));
    eqm_subs_free(&s);
    assert_null(s.items);
}

struct bad {
    const char *text;
    const char *error;
};

static const struct bad bad[] = {
    {"a b email x@y.org\nonly three fields\n",
     "f:2: expected AUDIENCE ID CHANNEL TARGET [key=value ...], found 3 fields"},
    {"a b fax 123\n", "f:1: channel \"fax\" must be email or webhook"},
    {"a b email not-an-address\n",
     "f:1: \"not-an-address\" is not an e-mail address (local@domain)"},
    {"a b email x@localhost\n", "f:1: \"x@localhost\" is not an e-mail address (local@domain)"},
    {"a b email <x@y.org>\n", "f:1: \"<x@y.org>\" is not an e-mail address (local@domain)"},
    {"a b webhook ftp://x/y\n", "f:1: webhook target must be an http:// or https:// URL"},
    {"a b webhook https://\n", "f:1: webhook target must be an http:// or https:// URL"},
    {"a/x b email x@y.org\n", "f:1: audience \"a/x\" must be letters, digits, '-', '_' or '.'"},
    {"a b! email x@y.org\n", "f:1: id \"b!\" must be letters, digits, '-', '_' or '.'"},
    {"a b email x@y.org min=urgent\n",
     "f:1: min=urgent: the severity must be info, warning or critical"},
    {"a b email x@y.org min=info min=warning\n", "f:1: min is given twice"},
    {"a b email x@y.org colour=red\n",
     "f:1: unknown key \"colour\" (min, mode, shape, secret, secret_file)"},
    {"a b email x@y.org nokey\n", "f:1: \"nokey\" must be key=value"},
    {"a b email x@y.org shape=teams\n", "f:1: shape applies to webhook subscribers only"},
    {"a b webhook https://h/x shape=discord\n",
     "f:1: shape=discord must be generic, teams or slack"},
    {"a b webhook https://h/x secret=nocolon\n",
     "f:1: secret must be one header line \"Name: value\""},
    {"a b email x@y.org mode=\"hourly at 08:00\"\n",
     "f:1: mode \"hourly at 08:00\" must be immediate, \"daily at HH:MM\", \"weekly WEEKDAY at "
     "HH:MM\" or \"monthly DAY at HH:MM\""},
    {"a b email x@y.org mode=\"daily at 24:00\"\n",
     "f:1: mode \"daily at 24:00\": the time must be HH:MM, 00:00 to 23:59"},
    {"a b email x@y.org mode=\"daily at 8:00\"\n",
     "f:1: mode \"daily at 8:00\": the time must be HH:MM, 00:00 to 23:59"},
    {"a b email x@y.org mode=\"weekly funday at 08:00\"\n",
     "f:1: mode \"weekly funday at 08:00\": \"funday\" is not a weekday (monday .. sunday)"},
    {"a b email x@y.org mode=\"monthly 31 at 08:00\"\n",
     "f:1: mode \"monthly 31 at 08:00\": the day must be 1 to 28 (every month has it)"},
    {"a b email x@y.org mode=\"daily at 08:00\n", "f:1: a double quote is not closed"},
    {"\n\na b email x@y.org\na b email z@y.org\n",
     "f:4: id \"b\" is already a subscriber of a (line 3)"},
};

static void test_bad_files(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct eqm_subs s = {(struct eqm_sub *)1, 99};
        char err[512] = "";
        int rc = eqm_subs_parse(&s, bad[i].text, "f", err, sizeof(err));
        if (rc != -1 || strcmp(err, bad[i].error) != 0)
            fail_msg("case %zu: rc %d, error \"%s\", want \"%s\"", i, rc, err, bad[i].error);
        /* Untouched on failure. */
        assert_ptr_equal((struct eqm_sub *)1, s.items);
        assert_int_equal(99, (int)s.n);
    }
}

static void test_secret_not_repeated(void **state) {
    struct eqm_subs s = {0};
    char err[256] = "";
    (void)state;
    assert_int_equal(
        -1, eqm_subs_parse(&s, "a b webhook https://h/x secret=hunter2\n", "f", err, sizeof(err)));
    assert_null(strstr(err, "hunter2"));
}

/* secret_file=PATH: the header from a file of mode 0600; readable by
 * others, or not one header line, it is refused, never repeated. */
static void test_secret_file(void **state) {
    struct eqm_subs s = {0};
    char path[64] = "/tmp/eqm-test-hook-XXXXXX", line[160], err[256] = "";
    const char header[] = "X-Api-Key: ab/cd@ef-42\n";
    int fd = mkstemp(path);
    (void)state;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, header, strlen(header)), (ssize_t)strlen(header));
    close(fd);
    assert_int_equal(chmod(path, 0600), 0);
    snprintf(line, sizeof(line), "a b webhook https://h/x secret_file=%s\n", path);
    assert_int_equal(0, eqm_subs_parse(&s, line, "f", err, sizeof(err)));
    assert_string_equal(s.items[0].secret_header, "X-Api-Key: ab/cd@ef-42");
    eqm_subs_free(&s);

    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(-1, eqm_subs_parse(&s, line, "f", err, sizeof(err)));
    assert_non_null(strstr(err, "f:1: secret_file: "));
    assert_non_null(strstr(err, "mode 0644, must not be readable by group or others"));
    assert_null(strstr(err, "cd@ef"));
    eqm_subs_free(&s);

    /* Both forms on one line. */
    assert_int_equal(chmod(path, 0600), 0);
    snprintf(line, sizeof(line), "a b webhook https://h/x secret=\"K: v\" secret_file=%s\n", path);
    assert_int_equal(-1, eqm_subs_parse(&s, line, "f", err, sizeof(err)));
    assert_non_null(strstr(err, "secret (or secret_file) is given twice"));
    eqm_subs_free(&s);

    /* Not a header line. */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "just-a-token/x@y", 16), 16);
    close(fd);
    snprintf(line, sizeof(line), "a b webhook https://h/x secret_file=%s\n", path);
    assert_int_equal(-1, eqm_subs_parse(&s, line, "f", err, sizeof(err)));
    assert_non_null(strstr(err, "must hold one header line"));
    assert_null(strstr(err, "token"));
    eqm_subs_free(&s);
    unlink(path);
}

static void test_load_file(void **state) {
    struct eqm_subs s = {0};
    char path[] = "/tmp/eqm-test-subs-XXXXXX", err[512] = "";
    int fd = mkstemp(path);
    FILE *f;
    (void)state;

    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    fputs("a b email x@y.org\n\na c email x@y\n", f);
    fclose(f);
    assert_int_equal(-1, eqm_subs_load(&s, path, err, sizeof(err)));
    {
        char want[600];
        snprintf(want, sizeof(want), "%s:3: \"x@y\" is not an e-mail address (local@domain)", path);
        assert_string_equal(want, err);
    }
    remove(path);
    assert_int_equal(-1, eqm_subs_load(&s, path, err, sizeof(err)));
    assert_non_null(strstr(err, "No such file"));
}

static const char minimums[] = "g all email a@b.org\n"
                               "g warn email a@b.org min=warning\n"
                               "g crit email a@b.org min=critical\n"
                               "g dig email a@b.org mode=\"daily at 08:00\"\n";

static void test_matches(void **state) {
    struct eqm_subs s = {0};
    char err[256];
    (void)state;
    assert_int_equal(0, eqm_subs_parse(&s, minimums, "f", err, sizeof(err)));
    assert_true(eqm_sub_matches(&s.items[0], "g", "info"));
    assert_true(eqm_sub_matches(&s.items[0], "g", "critical"));
    assert_false(eqm_sub_matches(&s.items[0], "other", "critical"));
    assert_false(eqm_sub_matches(&s.items[1], "g", "info"));
    assert_true(eqm_sub_matches(&s.items[1], "g", "warning"));
    assert_true(eqm_sub_matches(&s.items[1], "g", "critical"));
    assert_false(eqm_sub_matches(&s.items[2], "g", "warning"));
    assert_true(eqm_sub_matches(&s.items[2], "g", "critical"));
    /* A severity nobody knows counts as critical: sent, not dropped. */
    assert_true(eqm_sub_matches(&s.items[2], "g", "severe"));
    /* Digests are not delivered immediately. */
    assert_false(eqm_sub_matches(&s.items[3], "g", "critical"));
    eqm_subs_free(&s);
}

static void test_mask(void **state) {
    char out[128];
    (void)state;
    eqm_notify_mask("jane.smith@example.org", out, sizeof(out));
    assert_string_equal("j***@example.org", out);
    eqm_notify_mask("https://hooks.example/services/T000/B000/XXXX", out, sizeof(out));
    assert_string_equal("https://hooks.example/***", out);
    eqm_notify_mask("smtps://user:pw@mail.force.example:465", out, sizeof(out));
    assert_string_equal("smtps://mail.force.example:465/***", out);
    eqm_notify_mask("nonsense", out, sizeof(out));
    assert_string_equal("***", out);
}

EQM_UNIT_MAIN(test_good_file, test_bad_files, test_secret_not_repeated, test_secret_file,
              test_load_file, test_matches, test_mask)
