#include "eqm/pgarray.h"

#include <stdio.h>
#include <string.h>

int eqm_pg_array_begin(struct eqm_buf *b) {
    eqm_buf_reset(b);
    return eqm_buf_append(b, "{", 1);
}

static int array_sep(struct eqm_buf *b) {
    if (b->len > 1)
        return eqm_buf_append(b, ",", 1);
    return b->failed ? -1 : 0;
}

int eqm_pg_array_text(struct eqm_buf *b, const char *s, size_t n) {
    if (array_sep(b) != 0)
        return -1;
    if (!s)
        return eqm_buf_append(b, "NULL", 4);
    /* Worst case every byte is escaped, plus the two quotes. */
    if (eqm_buf_reserve(b, 2 * n + 2) != 0)
        return -1;
    b->data[b->len++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            b->data[b->len++] = '\\';
        b->data[b->len++] = s[i];
    }
    b->data[b->len++] = '"';
    b->data[b->len] = '\0';
    return 0;
}

int eqm_pg_array_int(struct eqm_buf *b, long long v) {
    if (array_sep(b) != 0)
        return -1;
    return eqm_buf_printf(b, "%lld", v);
}

int eqm_pg_array_count(struct eqm_buf *b, int64_t v) {
    if (v < 0)
        return eqm_pg_array_text(b, NULL, 0);
    return eqm_pg_array_int(b, (long long)v);
}

int eqm_pg_array_double(struct eqm_buf *b, int has, double v) {
    char num[40];
    if (!has)
        return eqm_pg_array_text(b, NULL, 0);
    snprintf(num, sizeof(num), "%.17g", v);
    return eqm_pg_array_text(b, num, strlen(num));
}

int eqm_pg_array_end(struct eqm_buf *b) {
    eqm_buf_append(b, "}", 1);
    return eqm_buf_ok(b) ? 0 : -1;
}

static int be32(struct eqm_buf *b, uint32_t v) {
    unsigned char be[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 8), (unsigned char)v};
    return eqm_buf_append(b, be, sizeof(be));
}

int eqm_pgbin_begin(struct eqm_buf *b, uint32_t elem_oid) {
    eqm_buf_reset(b);
    /* ndim, has-nulls flag, element type, then one (size, lower bound). */
    be32(b, 1);
    be32(b, 0);
    be32(b, elem_oid);
    be32(b, 0);
    return be32(b, 1);
}

int eqm_pgbin_bytes(struct eqm_buf *b, const void *p, uint32_t n) {
    be32(b, n);
    return eqm_buf_append(b, p, n);
}

int eqm_pgbin_int8(struct eqm_buf *b, int64_t v) {
    uint64_t u = (uint64_t)v;
    be32(b, 8);
    be32(b, (uint32_t)(u >> 32));
    return be32(b, (uint32_t)u);
}

int eqm_pgbin_int4(struct eqm_buf *b, int32_t v) {
    be32(b, 4);
    return be32(b, (uint32_t)v);
}

int eqm_pgbin_date(struct eqm_buf *b, int32_t day) {
    return eqm_pgbin_int4(b, day - EQM_PG_DATE_EPOCH_DAYS);
}

int eqm_pgbin_end(struct eqm_buf *b, uint32_t count) {
    unsigned char *d;
    if (!eqm_buf_ok(b) || b->len < 20)
        return -1;
    d = (unsigned char *)b->data + 12;
    d[0] = (unsigned char)(count >> 24);
    d[1] = (unsigned char)(count >> 16);
    d[2] = (unsigned char)(count >> 8);
    d[3] = (unsigned char)count;
    return 0;
}
