/*
 * buf.h - a growing byte buffer, always NUL-terminated.
 *
 * The error is sticky: once an append fails (out of memory) the buffer is
 * marked failed, later appends do nothing and return -1, and whoever
 * finishes the buffer (eqm_buf_ok(), or a builder's _end()) sees it. So a
 * caller that builds a text in many steps checks once, at the end, and a
 * failure in the middle can never go unnoticed.
 *
 * A zeroed struct is an empty buffer; eqm_buf_free() returns it to that.
 */
#ifndef EQM_BUF_H
#define EQM_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct eqm_buf {
    char *data; /* NULL until the first append */
    size_t len; /* bytes, not counting the NUL */
    size_t cap;
    bool failed; /* an append failed since the last reset */
};

/* Append n bytes of s / formatted text. 0, or -1 (and failed set). */
int eqm_buf_append(struct eqm_buf *b, const void *s, size_t n);
int eqm_buf_printf(struct eqm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Makes room for n more bytes (and the NUL); 0 or -1 (and failed set). */
int eqm_buf_reserve(struct eqm_buf *b, size_t n);

/* True when no append failed since the last reset. */
bool eqm_buf_ok(const struct eqm_buf *b) __attribute__((warn_unused_result));

/* Empties the buffer (keeps its memory) and clears the failure. */
void eqm_buf_reset(struct eqm_buf *b);

/* Frees the memory; the buffer is empty again. NULL-safe. */
void eqm_buf_free(struct eqm_buf *b);

#endif /* EQM_BUF_H */
