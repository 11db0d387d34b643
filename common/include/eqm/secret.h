/*
 * secret.h - secrets kept out of sight: read from files only their owner
 * can read, and cut out of whatever is printed or logged (README
 * "Security").
 *
 * A secret file holds the secret alone (one trailing newline is dropped).
 * It must be a regular file that neither its group nor others may read or
 * write (mode 0600 or 0400): libpq's own rule for a passfile, here an
 * error instead of a warning, so a secret left readable stops the program
 * at start rather than working on.
 */
#ifndef EQM_SECRET_H
#define EQM_SECRET_H

#include <stddef.h>

/* What every redacted secret is printed as. */
#define EQM_SECRET_REDACTED "[redacted]"

/* Longest secret a file may hold, in bytes. */
#define EQM_SECRET_MAX 4096

/*
 * Checks that path is a regular file with no group or other access.
 * Returns 0, or -1 with errstr ("PATH: mode 0644, must not be readable by
 * group or others (chmod 600 PATH)"; the file's contents are never read).
 */
int eqm_secret_file_check(const char *path, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/*
 * Reads the secret in path (checked as eqm_secret_file_check() does) into
 * *out, a new string the caller frees (and should wipe). An empty file, a
 * NUL byte or more than EQM_SECRET_MAX bytes is an error; errstr never
 * holds any of the file's contents. *out is untouched on failure.
 */
int eqm_secret_file_read(const char *path, char **out, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/*
 * Replaces every occurrence of secret in the string s (a buffer of size
 * bytes) with EQM_SECRET_REDACTED, cutting what no longer fits (a secret
 * where the mark does not fit is cut off). Nothing happens if secret is
 * NULL or shorter than 2 bytes.
 */
void eqm_secret_redact(char *s, size_t size, const char *secret);

/*
 * A PostgreSQL conninfo or URI as it may be printed: libpq parses it and
 * it is written back as key='value' pairs, every password-like value
 * (password, sslpassword) EQM_SECRET_REDACTED. A URI's user information
 * is cut out before libpq sees it, so a password holding '/' or '@'
 * unescaped is never read as a host or database name and printed.
 * out always ends up a string.
 */
void eqm_secret_conninfo_redact(const char *conninfo, char *out, size_t out_size);

/*
 * conninfo (a key = value string or a URI) with its password replaced by
 * password, as a new key='value' conninfo the caller frees; NULL if libpq
 * cannot parse it, eqm_secret_uri_check() refuses it, or out of memory.
 */
char *eqm_secret_conninfo_with_password(const char *conninfo, const char *password);

/*
 * Refuses a URI whose user information (before its last '@') holds '/'
 * or '@' unescaped: libpq would read pieces of the password as a host,
 * port or database and repeat them in its errors. Returns 0 (also for a
 * key = value conninfo), or -1 with errstr saying how to write it (never
 * repeating the URI).
 */
int eqm_secret_uri_check(const char *url, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

#endif /* EQM_SECRET_H */
