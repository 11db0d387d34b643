/*
 * test_csv.c - the RFC 4180 reader.
 *
 * Most cases are one table: an input and the transcript the reader must
 * give for it, one line per call until end of input: "LINE:[f1][f2]..."
 * for a row (LINE being where it started) and "LINE:!" for a rejected
 * one, whose error must contain the case's err text. Then the cases a
 * table cannot hold: input-block boundaries, long rows, read errors, the
 * API's ownership rules, and the two real files of ../shared/data.
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

#include "eqm/tools/csv.h"

#define CENSUS_CSV EQM_SHARED_DIR "/data/census-2021/ethnic-group-by-district.csv"
#define POLICE_CSV EQM_SHARED_DIR "/data/police-uk/2025-07-cambridgeshire-stop-and-search.csv"

struct csv_case {
    const char *name;
    const char *input;
    size_t len; /* 0: strlen(input) */
    const char *transcript;
    const char *err; /* part of the error of the rejected rows */
};

static const struct csv_case cases[] = {
    {"plain", "a,b,c\n1,2,3\n", 0, "1:[a][b][c]\n2:[1][2][3]\n", NULL},
    {"no final newline", "a,b\n1,2", 0, "1:[a][b]\n2:[1][2]\n", NULL},
    {"CRLF", "a,b\r\n1,2\r\n", 0, "1:[a][b]\n2:[1][2]\n", NULL},
    {"BOM skipped",
     "\xEF\xBB\xBF"
     "a,b\n1,2\n",
     0, "1:[a][b]\n2:[1][2]\n", NULL},
    {"BOM with CRLF",
     "\xEF\xBB\xBF"
     "Type,Date\r\nx,y\r\n",
     0, "1:[Type][Date]\n2:[x][y]\n", NULL},
    {"BOM only at the start", "a\n\xEF\xBB\xBF\n", 0, "1:[a]\n2:[\xEF\xBB\xBF]\n", NULL},
    {"partial BOM is data",
     "\xEF\xBB"
     "a\n",
     0,
     "1:[\xEF\xBB"
     "a]\n",
     NULL},
    {"quoted comma", "\"a,b\",c\n", 0, "1:[a,b][c]\n", NULL},
    {"doubled quotes", "\"say \"\"hi\"\"\",x\n", 0, "1:[say \"hi\"][x]\n", NULL},
    {"only a doubled quote", "\"\"\"\"\n", 0, "1:[\"]\n", NULL},
    {"embedded LF", "\"line1\nline2\",x\nnext,y\n", 0, "1:[line1\nline2][x]\n3:[next][y]\n", NULL},
    {"embedded CRLF kept", "\"a\r\nb\",c\r\nd,e\r\n", 0, "1:[a\r\nb][c]\n3:[d][e]\n", NULL},
    {"two embedded newlines", "\"1\n2\n3\"\nz\n", 0, "1:[1\n2\n3]\n4:[z]\n", NULL},
    {"empty fields", ",,\n", 0, "1:[][][]\n", NULL},
    {"trailing empty field", "a,\nb,\r\n", 0, "1:[a][]\n2:[b][]\n", NULL},
    {"empty quoted field", "\"\",x\n", 0, "1:[][x]\n", NULL},
    {"blank lines skipped, counted", "a\n\nb\r\n\r\nc\n", 0, "1:[a]\n3:[b]\n5:[c]\n", NULL},
    {"leading blank lines", "\n\na\n", 0, "3:[a]\n", NULL},
    {"lone CR is data", "a\rb,c\n", 0, "1:[a\rb][c]\n", NULL},
    {"quote inside unquoted field", "ab\"c,d\n", 0, "1:[ab\"c][d]\n", NULL},
    {"spaces kept", " a , b \n", 0, "1:[ a ][ b ]\n", NULL},
    {"quoted at EOF", "\"a\"", 0, "1:[a]\n", NULL},
    {"empty quoted at EOF", "a,\"\"", 0, "1:[a][]\n", NULL},
    {"comma at EOF", "a,", 0, "1:[a][]\n", NULL},
    {"UTF-8 kept", "Ynys M\xC3\xB4n,1\n", 0, "1:[Ynys M\xC3\xB4n][1]\n", NULL},
    {"empty input", "", 0, "", NULL},
    {"only a BOM", "\xEF\xBB\xBF", 0, "", NULL},
    {"only newlines", "\n\r\n\n", 0, "", NULL},
    {"unterminated quote", "a,b\nc,\"open\nmore\n", 0, "1:[a][b]\n2:!\n", "unterminated"},
    {"unterminated on line 4", "h\n\"x\ny\"\n\"z\n", 0, "1:[h]\n2:[x\ny]\n4:!\n", "unterminated"},
    {"junk after closing quote", "\"a\"b,c\nd,e\n", 0, "1:!\n2:[d][e]\n", "closing quote"},
    {"junk after quote in a later field", "x,\"a\" ,c\r\nd\r\n", 0, "1:!\n2:[d]\n",
     "closing quote"},
    {"NUL byte", "a\0b,c\nd\n", 8, "1:!\n2:[d]\n", "NUL"},
};

static FILE *file_of(const char *data, size_t len) {
    FILE *fp = tmpfile();

    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    rewind(fp);
    return fp;
}

/* The next row: it must start on line (0: any) and have nfields fields. */
static const char *const *next_row(struct eqm_csv_reader *r, unsigned long line, size_t nfields) {
    const char *const *f;
    size_t n;

    assert_int_equal(eqm_csv_reader_next(r, &f, &n), 1);
    if (line)
        assert_int_equal(eqm_csv_reader_line(r), line);
    assert_int_equal(n, nfields);
    return f;
}

/* End of input must come next; then the reader is freed and fp closed. */
static void expect_end(struct eqm_csv_reader **r, FILE *fp) {
    const char *const *f;
    size_t n;

    assert_int_equal(eqm_csv_reader_next(*r, &f, &n), 0);
    eqm_csv_reader_free(r);
    assert_null(*r);
    fclose(fp);
}

/* Reads everything, writing the transcript into out. */
static void transcribe(FILE *fp, char *out, size_t size, const char *err) {
    struct eqm_csv_reader *r = NULL;
    const char *const *f;
    size_t n, pos = 0;
    int rc;

    assert_int_equal(eqm_csv_reader_new(&r, fp), 0);
    out[0] = '\0';
    while ((rc = eqm_csv_reader_next(r, &f, &n)) != 0) {
        pos += (size_t)snprintf(out + pos, size - pos, "%lu:", eqm_csv_reader_line(r));
        assert_true(pos < size);
        if (rc < 0) {
            assert_int_equal(rc, -1);
            assert_non_null(err);
            if (!strstr(eqm_csv_reader_error(r), err))
                fail_msg("error \"%s\" does not mention \"%s\"", eqm_csv_reader_error(r), err);
            pos += (size_t)snprintf(out + pos, size - pos, "!\n");
            continue;
        }
        assert_true(n >= 1);
        for (size_t i = 0; i < n; i++)
            pos += (size_t)snprintf(out + pos, size - pos, "[%s]", f[i]);
        pos += (size_t)snprintf(out + pos, size - pos, "\n");
        assert_true(pos < size);
    }
    /* End of input stays the end. */
    assert_int_equal(eqm_csv_reader_next(r, &f, &n), 0);
    eqm_csv_reader_free(&r);
    assert_null(r);
}

static void test_cases(void **state) {
    char out[1024];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct csv_case *c = &cases[i];
        FILE *fp = file_of(c->input, c->len ? c->len : strlen(c->input));

        transcribe(fp, out, sizeof(out), c->err);
        fclose(fp);
        if (strcmp(out, c->transcript) != 0)
            fail_msg("case \"%s\":\n got      \"%s\"\n expected \"%s\"", c->name, out,
                     c->transcript);
    }
}

/*
 * The reader looks ahead one byte across its 64 KiB input blocks: put a
 * CRLF, a doubled quote and the BOM test's neighbour right on a boundary.
 */
static void test_block_boundaries(void **state) {
    const size_t block = 65536;
    struct eqm_csv_reader *r = NULL;
    const char *const *f;
    size_t len = 0;
    char *data = malloc(3 * block);
    FILE *fp;

    assert_non_null(data);
    /* Row 1: 65535 x, then CR at offset 65535 and LF at 65536. */
    memset(data, 'x', block - 1);
    len = block - 1;
    memcpy(data + len, "\r\n", 2);
    len += 2;
    /* Row 2: a quoted field whose "" straddles the next boundary. */
    size_t quote_at = 2 * block - 1; /* first quote of the pair */
    data[len++] = '"';
    size_t fill = quote_at - len;
    memset(data + len, 'y', fill);
    len += fill;
    memcpy(data + len, "\"\"\"\r\nlast,row", 13);
    len += 13;

    fp = file_of(data, len);
    assert_int_equal(eqm_csv_reader_new(&r, fp), 0);

    f = next_row(r, 1, 1);
    assert_int_equal(strlen(f[0]), block - 1);
    assert_int_equal(strspn(f[0], "x"), block - 1);

    f = next_row(r, 2, 1);
    assert_int_equal(strlen(f[0]), fill + 1);
    assert_int_equal(strspn(f[0], "y"), fill);
    assert_int_equal(f[0][fill], '"');

    f = next_row(r, 3, 2);
    assert_string_equal(f[0], "last");
    assert_string_equal(f[1], "row");
    expect_end(&r, fp);
    free(data);
}

/* Many fields, a field far longer than the first buffer: all intact. */
static void test_growth(void **state) {
    struct eqm_csv_reader *r = NULL;
    const char *const *f;
    size_t len = 0;
    const size_t nfields = 5000, big = 300000;
    char *data = malloc(nfields * 8 + big + 64);
    FILE *fp;

    assert_non_null(data);
    for (size_t i = 0; i < nfields; i++)
        len += (size_t)sprintf(data + len, "%s%zu", i ? "," : "", i);
    data[len++] = '\n';
    data[len++] = '"';
    memset(data + len, 'z', big);
    len += big;
    memcpy(data + len, "\",end\n", 6);
    len += 6;

    fp = file_of(data, len);
    assert_int_equal(eqm_csv_reader_new(&r, fp), 0);
    f = next_row(r, 1, nfields);
    for (size_t i = 0; i < nfields; i++) {
        char want[16];
        snprintf(want, sizeof(want), "%zu", i);
        assert_string_equal(f[i], want);
    }
    f = next_row(r, 2, 2);
    assert_int_equal(strlen(f[0]), big);
    assert_string_equal(f[1], "end");
    expect_end(&r, fp);
    free(data);
}

/* A row over the limit is rejected and the next row still read. */
static void test_row_too_long(void **state) {
    struct eqm_csv_reader *r = NULL;
    const char *const *f;
    size_t n, len = EQM_CSV_MAX_ROW_BYTES + 100;
    char *data = malloc(len + 16);
    FILE *fp;

    assert_non_null(data);
    data[0] = '"';
    memset(data + 1, 'q', len - 1);
    /* A newline inside the quotes: the row does not end there. */
    data[len / 2] = '\n';
    memcpy(data + len, "\"\nok\n", 5);
    fp = file_of(data, len + 5);
    assert_int_equal(eqm_csv_reader_new(&r, fp), 0);
    assert_int_equal(eqm_csv_reader_next(r, &f, &n), -1);
    assert_int_equal(eqm_csv_reader_line(r), 1);
    assert_non_null(strstr(eqm_csv_reader_error(r), "longer than"));
    f = next_row(r, 3, 1);
    assert_string_equal(f[0], "ok");
    expect_end(&r, fp);
    free(data);
}

/* A directory opens as a FILE* on Linux but every read fails (EISDIR). */
static void test_read_error(void **state) {
    struct eqm_csv_reader *r = NULL;
    const char *const *f = NULL;
    size_t n = 7;
    FILE *fp = fopen("/", "r");

    if (!fp)
        skip();
    assert_int_equal(eqm_csv_reader_new(&r, fp), 0);
    assert_int_equal(eqm_csv_reader_next(r, &f, &n), -1);
    assert_non_null(strstr(eqm_csv_reader_error(r), "read error"));
    assert_null(f);
    assert_int_equal(n, 7);
    assert_int_equal(eqm_csv_reader_next(r, &f, &n), 0);
    eqm_csv_reader_free(&r);
    fclose(fp);
}

static void test_api(void **state) {
    struct eqm_csv_reader *r = (struct eqm_csv_reader *)&r; /* a sentinel, never used */
    struct eqm_csv_reader *none = NULL;
    const char *const *f;
    size_t n;
    FILE *fp;

    /* Failure leaves *out untouched. */
    assert_int_equal(eqm_csv_reader_new(&r, NULL), -1);
    assert_ptr_equal(r, (struct eqm_csv_reader *)&r);
    assert_int_equal(eqm_csv_reader_new(NULL, stdin), -1);

    eqm_csv_reader_free(NULL);
    eqm_csv_reader_free(&none);
    assert_null(none);

    fp = file_of("a\n", 2);
    r = NULL;
    assert_int_equal(eqm_csv_reader_new(&r, fp), 0);
    assert_non_null(r);
    assert_int_equal(eqm_csv_reader_line(r), 0);
    assert_string_equal(eqm_csv_reader_error(r), "");
    assert_int_equal(eqm_csv_reader_next(r, &f, &n), 1);
    assert_int_equal(eqm_csv_reader_line(r), 1);
    eqm_csv_reader_free(&r);
    assert_null(r);
    /* The FILE* is still the caller's, and still open. */
    assert_int_equal(fclose(fp), 0);
}

/* A value a real file must hold: field col of the row on line. */
struct cell {
    unsigned long line;
    size_t col;
    const char *value;
};

/* The two real files: every row on its own line with nfields fields, rows
 * data rows after the header, and a few values read by hand. */
static const struct {
    const char *path;
    size_t nfields, rows;
    struct cell cells[8]; /* up to the first with a NULL value */
} real_files[] = {
    /* police.uk: 218 rows of 15 fields after the header. */
    {POLICE_CSV,
     15,
     218,
     {{1, 0, "Type"},
      {1, 8, "Self-defined ethnicity"},
      {1, 14, "Removal of more than just outer clothing"},
      {5, 1, "2025-07-01T04:00:00+00:00"},
      {5, 7, "25-34"},
      {5, 12, "Arrest"},
      {5, 13, ""}}},
    /* The Census file quotes its categories, which contain commas. */
    {CENSUS_CSV,
     4,
     331 * 19,
     {{1, 3, "population"},
      {2, 0, "E06000001"},
      {2, 1, "Hartlepool"},
      {2, 2, "Asian, Asian British or Asian Welsh: Bangladeshi"},
      {2, 3, "278"}}},
};

static void test_real_files(void **state) {
    for (size_t i = 0; i < sizeof(real_files) / sizeof(real_files[0]); i++) {
        struct eqm_csv_reader *r = NULL;
        const char *const *f;
        size_t n, lines = 0;
        FILE *fp = fopen(real_files[i].path, "rb");
        int rc;

        assert_non_null(fp);
        assert_int_equal(eqm_csv_reader_new(&r, fp), 0);
        while ((rc = eqm_csv_reader_next(r, &f, &n)) == 1) {
            lines++;
            assert_int_equal(n, real_files[i].nfields);
            assert_int_equal(eqm_csv_reader_line(r), lines);
            for (const struct cell *c = real_files[i].cells; c->value; c++)
                if (c->line == lines)
                    assert_string_equal(f[c->col], c->value);
        }
        assert_int_equal(rc, 0);
        assert_int_equal(lines, real_files[i].rows + 1);
        eqm_csv_reader_free(&r);
        fclose(fp);
    }
}

EQM_UNIT_MAIN(test_cases, test_block_boundaries, test_growth, test_row_too_long, test_read_error,
              test_api, test_real_files)
