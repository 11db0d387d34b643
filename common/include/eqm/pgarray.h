/*
 * pgarray.h - PostgreSQL array parameters, built in an eqm_buf.
 *
 * Text form ("{a,b,NULL}"), for statements that take a few arrays of
 * mixed types, and PostgreSQL's binary form (array_recv: one dimension,
 * no NULLs, big-endian), for the engine's bulk statements, which then
 * need no number formatting here and no array parsing in the server.
 *
 * Both are built element by element; a failed append is sticky (see
 * eqm/buf.h), so the _end() call, which must be checked, says whether
 * the whole array was built.
 */
#ifndef EQM_PGARRAY_H
#define EQM_PGARRAY_H

#include <stddef.h>
#include <stdint.h>

#include "eqm/buf.h"

/* ---- text form --------------------------------------------------------- */

/* Starts an array literal: resets b, then "{". */
int eqm_pg_array_begin(struct eqm_buf *b);
/* Appends one text element (quoted, escaped); s == NULL appends NULL. */
int eqm_pg_array_text(struct eqm_buf *b, const char *s, size_t n);
/* Appends one integer element. */
int eqm_pg_array_int(struct eqm_buf *b, long long v);
/* Appends a count, NULL when negative ("not available"). */
int eqm_pg_array_count(struct eqm_buf *b, int64_t v);
/* Appends a float8 in full precision ("%.17g"), or NULL when !has. */
int eqm_pg_array_double(struct eqm_buf *b, int has, double v);
/* Closes the array ("}"). 0, or -1 if any step since begin failed. */
int eqm_pg_array_end(struct eqm_buf *b) __attribute__((warn_unused_result));

/* ---- binary form ------------------------------------------------------- */

#define EQM_PG_OID_INT4 23
#define EQM_PG_OID_INT8 20
#define EQM_PG_OID_TEXT 25
#define EQM_PG_OID_DATE 1082
#define EQM_PG_OID_UUID 2950

/* Days from 1970-01-01 (eqm/timeutil.h) to PostgreSQL's 2000-01-01. */
#define EQM_PG_DATE_EPOCH_DAYS 10957

/* Starts a one-dimensional array of elem_oid: resets b. */
int eqm_pgbin_begin(struct eqm_buf *b, uint32_t elem_oid);
/* One element of n bytes. */
int eqm_pgbin_bytes(struct eqm_buf *b, const void *p, uint32_t n);
/* One int8, int4, or date (days since 1970-01-01) element. */
int eqm_pgbin_int8(struct eqm_buf *b, int64_t v);
int eqm_pgbin_int4(struct eqm_buf *b, int32_t v);
int eqm_pgbin_date(struct eqm_buf *b, int32_t day);
/* Writes the element count into the header. 0, or -1 if any step failed. */
int eqm_pgbin_end(struct eqm_buf *b, uint32_t count) __attribute__((warn_unused_result));

#endif /* EQM_PGARRAY_H */
