/*
 * csv.h - an RFC 4180 CSV reader over a FILE*.
 *
 * Reads one row at a time: fields separated by commas, rows ended by LF or
 * CRLF (a lone CR is data), fields optionally enclosed in double quotes,
 * inside which commas, CR and LF are data and "" is one quote. A UTF-8 byte
 * order mark at the very start of the input is skipped. Physical lines with
 * no bytes at all are skipped (a one-column file cannot hold a blank
 * value). A quote inside an unquoted field is taken as data, as most
 * writers expect.
 *
 * The fields of a row live in one buffer the reader owns and reuses, so a
 * row costs no allocation once the buffer has grown to fit the longest row.
 */
#ifndef EQM_CSV_H
#define EQM_CSV_H

#include <stddef.h>
#include <stdio.h>

/* A row longer than this (bytes, quotes and separators included) is malformed. */
#define EQM_CSV_MAX_ROW_BYTES (1u << 20)

struct eqm_csv_reader;

/*
 * Creates a reader of fp, which stays the caller's (not closed by the
 * reader, must outlive it, and should not be read by anyone else
 * meanwhile: the reader reads ahead). Returns 0 and sets *out, or -1 on a
 * NULL argument or out of memory, leaving *out untouched.
 */
int eqm_csv_reader_new(struct eqm_csv_reader **out, FILE *fp) __attribute__((warn_unused_result));

/*
 * Reads the next row. Returns 1 with *fields (nfields NUL-terminated
 * strings, nfields >= 1) valid until the next call or the free; 0 at end
 * of input (and on every later call); -1 for a row that cannot be read,
 * with eqm_csv_reader_error() saying why and eqm_csv_reader_line() where:
 *
 *  - an unterminated quoted field (the reader is then at end of input);
 *  - a character other than a comma or line end after a closing quote,
 *    a NUL byte, or a row over EQM_CSV_MAX_ROW_BYTES (the rest of the row
 *    is skipped: the next call reads the row after it);
 *  - a read error (the next call returns 0).
 *
 * *fields and *nfields are only written when 1 is returned.
 */
int eqm_csv_reader_next(struct eqm_csv_reader *r, const char *const **fields, size_t *nfields)
    __attribute__((warn_unused_result));

/* Why the last call returned -1 (a static "" before any error). Owned by r. */
const char *eqm_csv_reader_error(const struct eqm_csv_reader *r);

/*
 * The 1-based physical line (LF count + 1) where the row last returned (or
 * rejected) started; 0 before the first call. Lines inside quoted fields
 * count, so this is the number an editor shows.
 */
unsigned long eqm_csv_reader_line(const struct eqm_csv_reader *r);

/* Frees the reader (not its FILE*) and sets *r to NULL. NULL-safe. */
void eqm_csv_reader_free(struct eqm_csv_reader **r);

#endif /* EQM_CSV_H */
