/*
 * test_secret.c - secrets from files (the mode check, what is read) and
 * their redaction from text and from PostgreSQL connection strings.
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

#include "eqm/secret.h"

/* A new file holding n bytes of text, of the given mode, name in path. */
static void make_file(char *path, size_t sz, const char *text, size_t n, mode_t mode) {
    int fd;
    snprintf(path, sz, "/tmp/eqm-test-secret-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

/* Every mode with a group or other bit is refused, naming the mode;
 * 0600 and 0400 are read. */
static void test_file_modes(void **state) {
    static const mode_t refused[] = {0644, 0640, 0604, 0620, 0602,
                                     0610, 0601, 0660, 0666, 0700 | 0004};
    char path[64], err[256], want[128];
    char *out = NULL;
    (void)state;

    make_file(path, sizeof(path), "s3/cr@t\n", 8, 0600);
    assert_int_equal(eqm_secret_file_check(path, err, sizeof(err)), 0);
    assert_int_equal(eqm_secret_file_read(path, &out, err, sizeof(err)), 0);
    assert_string_equal(out, "s3/cr@t");
    free(out);
    out = NULL;
    assert_int_equal(chmod(path, 0400), 0);
    assert_int_equal(eqm_secret_file_read(path, &out, err, sizeof(err)), 0);
    free(out);
    out = NULL;
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_int_equal(chmod(path, refused[i]), 0);
        snprintf(want, sizeof(want), "%s: mode %04o, must not be readable by group or others", path,
                 (unsigned)refused[i]);
        assert_int_equal(eqm_secret_file_check(path, err, sizeof(err)), -1);
        assert_non_null(strstr(err, want));
        assert_int_equal(eqm_secret_file_read(path, &out, err, sizeof(err)), -1);
        assert_non_null(strstr(err, want));
        assert_null(out);
        assert_null(strstr(err, "cr@t"));
    }
    unlink(path);
    /* Missing, or a directory. */
    assert_int_equal(eqm_secret_file_read("/nonexistent/secret", &out, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/secret: No such file"));
    assert_int_equal(eqm_secret_file_check("/tmp", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a regular file"));
}

/* Empty, NUL, too long: refused; CRLF and one newline dropped, a second
 * newline kept. */
static void test_file_contents(void **state) {
    char path[64], err[256], *out = NULL, *big;
    (void)state;

    make_file(path, sizeof(path), "\n", 1, 0600);
    assert_int_equal(eqm_secret_file_read(path, &out, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ": empty"));
    unlink(path);
    make_file(path, sizeof(path), "ab\0cd", 5, 0600);
    assert_int_equal(eqm_secret_file_read(path, &out, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "NUL"));
    unlink(path);
    make_file(path, sizeof(path), "pw\r\n", 4, 0600);
    assert_int_equal(eqm_secret_file_read(path, &out, err, sizeof(err)), 0);
    assert_string_equal(out, "pw");
    free(out);
    unlink(path);
    make_file(path, sizeof(path), "pw\n\n", 4, 0600);
    assert_int_equal(eqm_secret_file_read(path, &out, err, sizeof(err)), 0);
    assert_string_equal(out, "pw\n");
    free(out);
    unlink(path);
    big = malloc(EQM_SECRET_MAX + 1);
    assert_non_null(big);
    memset(big, 'x', EQM_SECRET_MAX + 1);
    make_file(path, sizeof(path), big, EQM_SECRET_MAX, 0600);
    assert_int_equal(eqm_secret_file_read(path, &out, err, sizeof(err)), 0);
    assert_int_equal(strlen(out), EQM_SECRET_MAX);
    free(out);
    unlink(path);
    make_file(path, sizeof(path), big, EQM_SECRET_MAX + 1, 0600);
    out = NULL;
    assert_int_equal(eqm_secret_file_read(path, &out, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "longer than 4096 bytes"));
    assert_null(out);
    unlink(path);
    free(big);
}

static void test_redact(void **state) {
    char s[64];
    (void)state;

    snprintf(s, sizeof(s), "auth failed for pw/x@y and pw/x@y again");
    eqm_secret_redact(s, sizeof(s), "pw/x@y");
    assert_string_equal(s, "auth failed for [redacted] and [redacted] again");
    /* Cut at the buffer's end, never past it. */
    snprintf(s, 16, "abc pw/x@y");
    eqm_secret_redact(s, 16, "pw/x@y");
    assert_string_equal(s, "abc [redacted]");
    snprintf(s, 12, "abcdefg pw");
    eqm_secret_redact(s, 12, "pw ");
    assert_string_equal(s, "abcdefg pw");
    snprintf(s, 12, "abcdef pwd1");
    eqm_secret_redact(s, 12, "pwd1");
    assert_string_equal(s, "abcdef ");
    /* A secret that is part of the mark cannot loop. */
    snprintf(s, sizeof(s), "x dacted y");
    eqm_secret_redact(s, sizeof(s), "dacted");
    assert_string_equal(s, "x [redacted] y");
    /* One byte, or none: nothing. */
    snprintf(s, sizeof(s), "a b ab");
    eqm_secret_redact(s, sizeof(s), "a");
    eqm_secret_redact(s, sizeof(s), NULL);
    assert_string_equal(s, "a b ab");
}

static void test_conninfo_redact(void **state) {
    char out[512];
    (void)state;

    eqm_secret_conninfo_redact("postgresql://u:s3%2Fc%40et@db.example:5433/eqm?sslmode=verify-full",
                               out, sizeof(out));
    /* libpq's keyword order: user, password, ..., dbname, host, port, ..., sslmode. */
    assert_string_equal(out, "user='u' password='[redacted]' dbname='eqm' host='db.example' "
                             "port='5433' sslmode='verify-full'");
    /* Unescaped '/' and '@': the user information is cut at the last '@'. */
    eqm_secret_conninfo_redact("postgresql://u:s3/c@et@db.example/eqm", out, sizeof(out));
    assert_string_equal(out, "user='u' password='[redacted]' dbname='eqm' host='db.example'");
    eqm_secret_conninfo_redact("host=db sslpassword=k3y password='a b' dbname=eqm", out,
                               sizeof(out));
    assert_null(strstr(out, "k3y"));
    assert_null(strstr(out, "a b"));
    assert_non_null(strstr(out, "sslpassword='[redacted]'"));
    eqm_secret_conninfo_redact("host=db password='unterminated", out, sizeof(out));
    assert_string_equal(out, "(unparsable connection string, not shown)");
    /* A small buffer: cut, still a string, no password. */
    eqm_secret_conninfo_redact("user=abcdefgh password=s3cret host=db", out, 24);
    assert_true(strlen(out) < 24);
    assert_null(strstr(out, "s3cret"));
}

static void test_uri_check(void **state) {
    char err[300];
    (void)state;

    assert_int_equal(eqm_secret_uri_check("postgresql://u:a%2Fb%40c@h/db", err, sizeof(err)), 0);
    assert_int_equal(
        eqm_secret_uri_check("postgresql://u@h/db?sslrootcert=/x@y/ca.crt", err, sizeof(err)), 0);
    assert_int_equal(eqm_secret_uri_check("host=h password=a/b@c", err, sizeof(err)), 0);
    assert_int_equal(eqm_secret_uri_check("postgresql:///db?host=/run/pg", err, sizeof(err)), 0);
    assert_int_equal(eqm_secret_uri_check("postgresql://u:a/b@h/db", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'/' unescaped"));
    assert_non_null(strstr(err, "%2F"));
    assert_null(strstr(err, "a/b"));
    assert_int_equal(eqm_secret_uri_check("postgres://u:a@b@h/db", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'@' unescaped"));
}

static void test_conninfo_with_password(void **state) {
    char *c;
    (void)state;

    c = eqm_secret_conninfo_with_password("postgresql://u:old@h:5433/db?sslmode=verify-full",
                                          "n'e\\w/@");
    assert_non_null(c);
    assert_string_equal(c, "user='u' password='n\\'e\\\\w/@' dbname='db' host='h' port='5433' "
                           "sslmode='verify-full'");
    free(c);
    c = eqm_secret_conninfo_with_password("host=h dbname=db", "pw");
    assert_string_equal(c, "password='pw' dbname='db' host='h'");
    free(c);
    assert_null(eqm_secret_conninfo_with_password("postgresql://u:a/b@h/db", "pw"));
    assert_null(eqm_secret_conninfo_with_password("host='x", "pw"));
}

EQM_UNIT_MAIN(test_file_modes, test_file_contents, test_redact, test_conninfo_redact,
              test_uri_check, test_conninfo_with_password)
