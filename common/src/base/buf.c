#include "eqm/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int eqm_buf_reserve(struct eqm_buf *b, size_t extra) {
    size_t need = b->len + extra + 1;
    size_t cap;
    char *p;

    if (b->failed)
        return -1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int eqm_buf_append(struct eqm_buf *b, const void *s, size_t n) {
    if (eqm_buf_reserve(b, n) != 0)
        return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int eqm_buf_printf(struct eqm_buf *b, const char *fmt, ...) {
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return -1;
    }
    if (eqm_buf_reserve(b, (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

bool eqm_buf_ok(const struct eqm_buf *b) {
    return !b->failed;
}

void eqm_buf_reset(struct eqm_buf *b) {
    b->len = 0;
    b->failed = false;
    if (b->data)
        b->data[0] = '\0';
}

void eqm_buf_free(struct eqm_buf *b) {
    if (!b)
        return;
    free(b->data);
    memset(b, 0, sizeof(*b));
}
