/*
 * csv.c - RFC 4180 reader.
 *
 * The reader keeps its own input block (fread, not getc) so that it can
 * look one byte ahead across block boundaries (CRLF, "" and the BOM) with
 * no ungetc limits. Field bytes go into one growing buffer, each field
 * NUL-terminated; only offsets are recorded while a row is read, because
 * the buffer may move as it grows, and pointers are made once the row is
 * complete.
 *
 * A malformed row is parsed to its end all the same (storing nothing more)
 * so that the next call starts at the next row, not in the middle of one.
 */
#include "eqm/tools/csv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define IN_BLOCK 65536

struct eqm_csv_reader {
    FILE *fp;
    size_t in_pos, in_len;
    bool in_eof;  /* fread found no more bytes */
    int in_errno; /* nonzero after a read error */
    bool started; /* BOM checked */
    bool done;    /* every later call returns 0 */

    char *buf; /* field bytes of the current row, each NUL-terminated */
    size_t len, cap;
    size_t *offs; /* start of each field in buf */
    const char **fields;
    size_t nf, fcap;

    unsigned long line;     /* physical line of the next byte */
    unsigned long row_line; /* where the current row started */
    size_t row_bytes;       /* input bytes of the current row */
    bool bad;               /* current row is malformed: err says why */
    char err[128];

    unsigned char in[IN_BLOCK];
};

enum state { FIELD_START, UNQUOTED, QUOTED, AFTER_QUOTE };

static int refill(struct eqm_csv_reader *r) {
    if (r->in_eof)
        return -1;
    r->in_pos = 0;
    r->in_len = fread(r->in, 1, sizeof(r->in), r->fp);
    if (r->in_len == 0) {
        r->in_eof = true;
        if (ferror(r->fp))
            r->in_errno = errno ? errno : EIO;
        return -1;
    }
    return 0;
}

static inline int peek(struct eqm_csv_reader *r) {
    if (r->in_pos == r->in_len && refill(r) != 0)
        return EOF;
    return r->in[r->in_pos];
}

static inline int get(struct eqm_csv_reader *r) {
    int c = peek(r);
    if (c != EOF) {
        r->in_pos++;
        r->row_bytes++;
    }
    return c;
}

/* Marks the row malformed; the first reason wins. */
static void mark_bad(struct eqm_csv_reader *r, const char *why) {
    if (!r->bad) {
        r->bad = true;
        snprintf(r->err, sizeof(r->err), "%s", why);
    }
}

static int grow(struct eqm_csv_reader *r) {
    size_t cap = r->cap ? r->cap * 2 : 1024;
    char *p = realloc(r->buf, cap);

    if (!p)
        return -1;
    r->buf = p;
    r->cap = cap;
    return 0;
}

/* Once a row is malformed nothing more of it is stored (see above). */
static int put(struct eqm_csv_reader *r, int c) {
    if (c == '\0')
        mark_bad(r, "NUL byte in a field");
    if (r->bad)
        return 0;
    if (r->len == r->cap && grow(r) != 0)
        return -1;
    r->buf[r->len++] = (char)c;
    return 0;
}

static int field_begin(struct eqm_csv_reader *r) {
    if (r->bad)
        return 0;
    if (r->nf == r->fcap) {
        size_t cap = r->fcap ? r->fcap * 2 : 32;
        size_t *o = realloc(r->offs, cap * sizeof(*o));
        if (!o)
            return -1;
        r->offs = o;
        const char **f = realloc(r->fields, cap * sizeof(*f));
        if (!f)
            return -1;
        r->fields = f;
        r->fcap = cap;
    }
    r->offs[r->nf++] = r->len;
    return 0;
}

/* Terminates the current field. */
static int field_end(struct eqm_csv_reader *r) {
    if (r->bad)
        return 0;
    if (r->len == r->cap && grow(r) != 0)
        return -1;
    r->buf[r->len++] = '\0';
    return 0;
}

/* True (and the LF consumed) if c, just read, ends the line. */
static bool line_end(struct eqm_csv_reader *r, int c) {
    if (c == '\n') {
        r->line++;
        return true;
    }
    if (c == '\r' && peek(r) == '\n') {
        get(r);
        r->line++;
        return true;
    }
    return false;
}

static int fail(struct eqm_csv_reader *r, const char *why) {
    snprintf(r->err, sizeof(r->err), "%s", why);
    return -1;
}

/* Out of memory mid-row: the position is lost, so stop for good. */
static int nomem(struct eqm_csv_reader *r) {
    r->done = true;
    return fail(r, "out of memory");
}

int eqm_csv_reader_new(struct eqm_csv_reader **out, FILE *fp) {
    struct eqm_csv_reader *r;

    if (!out || !fp)
        return -1;
    r = calloc(1, sizeof(*r));
    if (!r)
        return -1;
    r->fp = fp;
    r->line = 1;
    *out = r;
    return 0;
}

int eqm_csv_reader_next(struct eqm_csv_reader *r, const char *const **fields, size_t *nfields) {
    enum state st;
    int c;

    if (r->done)
        return 0;
    if (!r->started) {
        r->started = true;
        /* A full first block (or the whole short file) is in memory here. */
        if (peek(r) == 0xEF && r->in_len >= 3 && r->in[1] == 0xBB && r->in[2] == 0xBF)
            r->in_pos = 3;
    }

next_row:
    r->len = 0;
    r->nf = 0;
    r->row_bytes = 0;
    r->bad = false;
    r->row_line = r->line;
    if (field_begin(r) != 0)
        return nomem(r);
    st = FIELD_START;

    for (;;) {
        c = get(r);
        if (c == EOF) {
            if (r->in_errno) {
                char why[96];
                r->done = true;
                snprintf(why, sizeof(why), "read error: %s", strerror(r->in_errno));
                return fail(r, why);
            }
            if (st == QUOTED) {
                r->done = true;
                return fail(r, "unterminated quoted field (end of file inside quotes)");
            }
            if (st == FIELD_START && r->nf == 1 && r->row_bytes == 0) {
                r->done = true;
                return 0;
            }
            break;
        }
        if (r->row_bytes > EQM_CSV_MAX_ROW_BYTES && !r->bad) {
            char why[64];
            snprintf(why, sizeof(why), "row longer than %u bytes", (unsigned)EQM_CSV_MAX_ROW_BYTES);
            mark_bad(r, why);
        }
        switch (st) {
        case FIELD_START:
        case UNQUOTED:
        case AFTER_QUOTE:
            if (c == ',') {
                if (field_end(r) != 0 || field_begin(r) != 0)
                    return nomem(r);
                st = FIELD_START;
                continue;
            }
            if (line_end(r, c)) {
                /* A physical line with no bytes is no row. */
                if (st == FIELD_START && r->nf == 1 && r->row_bytes <= 2 && !r->bad)
                    goto next_row;
                goto row_done;
            }
            if (st == AFTER_QUOTE) {
                mark_bad(r, "unexpected character after a closing quote");
                st = UNQUOTED;
                continue;
            }
            if (st == FIELD_START && c == '"') {
                st = QUOTED;
                continue;
            }
            st = UNQUOTED;
            if (put(r, c) != 0)
                return nomem(r);
            continue;
        case QUOTED:
            if (c == '"') {
                if (peek(r) == '"') {
                    get(r);
                } else {
                    st = AFTER_QUOTE;
                    continue;
                }
            } else if (c == '\n') {
                r->line++;
            }
            if (put(r, c) != 0)
                return nomem(r);
            continue;
        }
    }

row_done:
    if (field_end(r) != 0)
        return nomem(r);
    if (r->bad)
        return -1;
    for (size_t i = 0; i < r->nf; i++)
        r->fields[i] = r->buf + r->offs[i];
    *fields = r->fields;
    *nfields = r->nf;
    return 1;
}

const char *eqm_csv_reader_error(const struct eqm_csv_reader *r) {
    return r->err;
}

unsigned long eqm_csv_reader_line(const struct eqm_csv_reader *r) {
    return r->started ? r->row_line : 0;
}

void eqm_csv_reader_free(struct eqm_csv_reader **r) {
    if (!r || !*r)
        return;
    free((*r)->buf);
    free((*r)->offs);
    free((*r)->fields);
    free(*r);
    *r = NULL;
}
