#include "eqm/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

static int check_stat(const char *path, const struct stat *st, char *errstr, size_t sz) {
    if (!S_ISREG(st->st_mode)) {
        snprintf(errstr, sz, "%s: not a regular file", path);
        return -1;
    }
    if (st->st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(errstr, sz,
                 "%s: mode %04o, must not be readable by group or others (chmod 600 %s)", path,
                 (unsigned)(st->st_mode & 07777), path);
        return -1;
    }
    return 0;
}

int eqm_secret_file_check(const char *path, char *errstr, size_t sz) {
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(errstr, sz, "%s: %s", path, strerror(errno));
        return -1;
    }
    return check_stat(path, &st, errstr, sz);
}

int eqm_secret_file_read(const char *path, char **out, char *errstr, size_t sz) {
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    ssize_t r;
    int fd, ret = -1;

    /* The mode is checked on the file opened, not on the name (no race
     * with a rename in between). */
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
        snprintf(errstr, sz, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        snprintf(errstr, sz, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (check_stat(path, &st, errstr, sz) != 0)
        goto out;
    if (!(buf = malloc(EQM_SECRET_MAX + 2))) {
        snprintf(errstr, sz, "%s: out of memory", path);
        goto out;
    }
    while (n < EQM_SECRET_MAX + 1 && (r = read(fd, buf + n, EQM_SECRET_MAX + 1 - n)) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            snprintf(errstr, sz, "%s: %s", path, strerror(errno));
            goto out;
        }
        n += (size_t)r;
    }
    /* One trailing newline (echo > file) is not part of the secret. */
    if (n && buf[n - 1] == '\n')
        n--;
    if (n && buf[n - 1] == '\r')
        n--;
    if (n > EQM_SECRET_MAX) {
        snprintf(errstr, sz, "%s: longer than %d bytes", path, EQM_SECRET_MAX);
        goto out;
    }
    if (n == 0) {
        snprintf(errstr, sz, "%s: empty", path);
        goto out;
    }
    if (memchr(buf, '\0', n)) {
        snprintf(errstr, sz, "%s: holds a NUL byte", path);
        goto out;
    }
    buf[n] = '\0';
    *out = buf;
    buf = NULL;
    ret = 0;
out:
    if (buf) {
        memset(buf, 0, EQM_SECRET_MAX + 2);
        free(buf);
    }
    close(fd);
    return ret;
}

void eqm_secret_redact(char *s, size_t size, const char *secret) {
    const size_t keep = sizeof(EQM_SECRET_REDACTED) - 1;
    size_t n = secret ? strlen(secret) : 0;
    char *from = s, *at;

    if (!s || !size || n < 2)
        return;
    s[size - 1] = '\0';
    /* The search goes on after each mark, so a secret that is part of the
     * mark cannot loop. */
    while ((at = strstr(from, secret)) != NULL) {
        size_t pos = (size_t)(at - s), tail = strlen(at + n);

        if (pos + keep >= size) {
            *at = '\0';
            return;
        }
        if (pos + keep + tail >= size)
            tail = size - 1 - pos - keep;
        memmove(at + keep, at + n, tail);
        memcpy(at, EQM_SECRET_REDACTED, keep);
        at[keep + tail] = '\0';
        from = at + keep;
    }
}

static bool is_uri(const char *v) {
    return !strncmp(v, "postgresql://", 13) || !strncmp(v, "postgres://", 11);
}

/* The URI's user information: [*start, *at), *at the last '@' before the
 * query; false if there is none. */
static bool uri_userinfo(const char *v, const char **start, const char **at) {
    const char *s, *end, *last = NULL;
    if (!is_uri(v))
        return false;
    s = strstr(v, "://") + 3;
    end = s + strcspn(s, "?");
    for (const char *c = s; c < end; c++)
        if (*c == '@')
            last = c;
    if (!last)
        return false;
    *start = s;
    *at = last;
    return true;
}

int eqm_secret_uri_check(const char *url, char *errstr, size_t sz) {
    const char *start, *at;
    if (!url || !uri_userinfo(url, &start, &at))
        return 0;
    for (const char *c = start; c < at; c++)
        if (*c == '/' || *c == '@') {
            if (errstr && sz)
                snprintf(errstr, sz,
                         "the URI's user information (before its last '@') holds '%c' unescaped: "
                         "write '/' as %%2F and '@' as %%40, or give the password in a file "
                         "(pg.password.file)",
                         *c);
            return -1;
        }
    return 0;
}

/* Writes opts back as key='value' pairs into out (size sz, always a
 * string): password-like values EQM_SECRET_REDACTED if redact, else
 * password (when not NULL) replaces the password. Returns the length, or
 * (size_t)-1 if it did not fit. */
static size_t write_opts(const PQconninfoOption *opts, bool uri_password, bool redact,
                         const char *password, char *out, size_t sz) {
    size_t o = 0;
    bool fits = true;

    out[0] = '\0';
    for (const PQconninfoOption *opt = opts; opt->keyword; opt++) {
        const char *val = opt->val;
        bool pw = strcmp(opt->keyword, "password") == 0;
        /* The URI's password was cut out; it is shown at libpq's own
         * place for it, so the printed conninfo prints back the same. */
        if (!val && pw && (uri_password || password))
            val = "";
        if (!val)
            continue;
        if (redact && strstr(opt->keyword, "password"))
            val = EQM_SECRET_REDACTED;
        else if (pw && password)
            val = password;
        if (o + strlen(opt->keyword) + 4 >= sz) {
            fits = false;
            break;
        }
        o += (size_t)snprintf(out + o, sz - o, "%s%s='", o ? " " : "", opt->keyword);
        /* Quoted as libpq reads it back: ' and \ escaped with \. */
        for (const char *c = val; *c; c++) {
            if (o + 3 >= sz) {
                fits = false;
                break;
            }
            if (*c == '\'' || *c == '\\')
                out[o++] = '\\';
            out[o++] = *c;
        }
        if (!fits || o + 2 >= sz) {
            fits = false;
            break;
        }
        out[o++] = '\'';
        out[o] = '\0';
    }
    out[o < sz ? o : sz - 1] = '\0';
    return fits ? o : (size_t)-1;
}

/* Parses v as libpq does, a URI's user information cut down to the user
 * name first (*uri_password: it had a password). NULL if unparsable. */
static PQconninfoOption *parse(const char *v, bool *uri_password) {
    const char *start, *at;
    char *cut = NULL;
    PQconninfoOption *opts;

    *uri_password = false;
    /* A URI's password may hold '/' or '@' unescaped: libpq then reads
     * pieces of it as host or database names, which would be printed. So
     * the user information (up to the last '@') is cut out first, the user
     * name kept, the password never looked at. */
    if (uri_userinfo(v, &start, &at)) {
        size_t user = strcspn(start, ":@");
        if (start + user > at)
            user = (size_t)(at - start);
        *uri_password = start + user < at;
        if (!(cut = malloc(strlen(v) + 1)))
            return NULL;
        snprintf(cut, strlen(v) + 1, "%.*s%.*s%s", (int)(start - v), v, (int)user, start, at);
        v = cut;
    }
    opts = PQconninfoParse(v, NULL);
    free(cut);
    return opts;
}

void eqm_secret_conninfo_redact(const char *v, char *out, size_t sz) {
    PQconninfoOption *opts;
    bool uri_password;

    if (!sz)
        return;
    out[0] = '\0';
    if (!v || !*v)
        return;
    if (!(opts = parse(v, &uri_password))) {
        snprintf(out, sz, "(unparsable connection string, not shown)");
        return;
    }
    write_opts(opts, uri_password, true, NULL, out, sz);
    PQconninfoFree(opts);
}

char *eqm_secret_conninfo_with_password(const char *v, const char *password) {
    PQconninfoOption *opts;
    bool uri_password;
    size_t sz;
    char *out;

    if (!v || !password || eqm_secret_uri_check(v, NULL, 0) != 0)
        return NULL;
    /* The URI's own password goes: the given one replaces it. */
    if (!(opts = parse(v, &uri_password)))
        return NULL;
    sz = 2 * (strlen(v) + strlen(password)) + 4096;
    if ((out = malloc(sz)) && write_opts(opts, false, false, password, out, sz) == (size_t)-1) {
        free(out);
        out = NULL;
    }
    PQconninfoFree(opts);
    return out;
}
