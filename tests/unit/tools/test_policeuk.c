/*
 * test_policeuk.c - police.uk CSV rows as stop_search events.
 *
 * Every row of the real Cambridgeshire file must convert. The rows checked
 * field by field below were read from the file by hand (line numbers are
 * the file's), and the golden event ids were computed by a separate
 * implementation (Python) of the derivation documented in policeuk.h, not
 * taken from this code's output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/tools/csv.h"
#include "eqm/tools/policeuk.h"
#include "eqm/timeutil.h"

#define POLICE_CSV EQM_SHARED_DIR "/data/police-uk/2025-07-cambridgeshire-stop-and-search.csv"
#define AREA       "E07000008"

static const char *const header[] = {"Type",
                                     "Date",
                                     "Part of a policing operation",
                                     "Policing operation",
                                     "Latitude",
                                     "Longitude",
                                     "Gender",
                                     "Age range",
                                     "Self-defined ethnicity",
                                     "Officer-defined ethnicity",
                                     "Legislation",
                                     "Object of search",
                                     "Outcome",
                                     "Outcome linked to object of search",
                                     "Removal of more than just outer clothing"};
#define NCOLS (sizeof(header) / sizeof(header[0]))

/* The whole file in memory: rows[i] is line i + 1 (rows[0] the header). */
struct file {
    char ***rows;
    size_t *widths;
    size_t n;
};

static struct file file;

static int load_file(void **state) {
    struct eqm_csv_reader *r = NULL;
    const char *const *f;
    size_t n;
    FILE *fp = fopen(POLICE_CSV, "rb");

    assert_non_null(fp);
    assert_int_equal(eqm_csv_reader_new(&r, fp), 0);
    while (eqm_csv_reader_next(r, &f, &n) == 1) {
        file.rows = realloc(file.rows, (file.n + 1) * sizeof(*file.rows));
        file.widths = realloc(file.widths, (file.n + 1) * sizeof(*file.widths));
        assert_non_null(file.rows);
        assert_non_null(file.widths);
        file.rows[file.n] = calloc(n, sizeof(char *));
        assert_non_null(file.rows[file.n]);
        for (size_t i = 0; i < n; i++)
            file.rows[file.n][i] = strdup(f[i]);
        file.widths[file.n++] = n;
    }
    eqm_csv_reader_free(&r);
    fclose(fp);
    return 0;
}

static int free_file(void **state) {
    for (size_t i = 0; i < file.n; i++) {
        for (size_t j = 0; j < file.widths[i]; j++)
            free(file.rows[i][j]);
        free(file.rows[i]);
    }
    free(file.rows);
    free(file.widths);
    return 0;
}

static const char *const *line_fields(size_t line) {
    assert_true(line >= 1 && line <= file.n);
    return (const char *const *)file.rows[line - 1];
}

static void header_cols(struct eqm_policeuk_columns *cols) {
    char err[256];
    assert_int_equal(eqm_policeuk_header_check(header, NCOLS, cols, err, sizeof(err)), 0);
}

/* The id of a file line, as the replay tool makes it. */
static void line_id(const struct eqm_policeuk_columns *cols, size_t line, const char *area,
                    unsigned occ, char id[EQM_POLICEUK_EVENT_ID_SIZE]) {
    char content[2048];
    size_t len = eqm_policeuk_row_content(cols, line_fields(line), NCOLS, content, sizeof(content));
    assert_true(len < sizeof(content));
    eqm_policeuk_event_id(area, content, len, occ, id);
}

static json_t *convert_line(const struct eqm_policeuk_columns *cols, size_t line) {
    char err[256] = "";
    json_t *ev = eqm_policeuk_row_to_event(cols, line_fields(line), NCOLS, AREA, "test-id", err,
                                           sizeof(err));
    if (!ev)
        fail_msg("line %zu: %s", line, err);
    return ev;
}

static void expect_str(const json_t *ev, const char *key, const char *want) {
    const json_t *v = json_object_get(ev, key);
    if (!v)
        fail_msg("no field %s", key);
    if (!want) {
        if (!json_is_null(v))
            fail_msg("%s should be null", key);
        return;
    }
    if (!json_is_string(v))
        fail_msg("%s should be a string", key);
    assert_string_equal(json_string_value(v), want);
}

enum tri { NUL_, F_, T_ };

static void expect_bool(const json_t *ev, const char *key, enum tri want) {
    const json_t *v = json_object_get(ev, key);
    if (!v)
        fail_msg("no field %s", key);
    if (want == NUL_ ? !json_is_null(v) : want == T_ ? !json_is_true(v) : !json_is_false(v))
        fail_msg("%s is not %s", key, want == NUL_ ? "null" : want == T_ ? "true" : "false");
}

static void expect_num(const json_t *ev, const char *key, double want) {
    const json_t *v = json_object_get(ev, key);
    assert_non_null(v);
    assert_true(json_is_real(v));
    assert_true(json_real_value(v) == want);
}

/* ---- header ------------------------------------------------------------ */

static void test_header_real(void **state) {
    struct eqm_policeuk_columns cols;
    char err[256];

    assert_int_equal(file.widths[0], NCOLS);
    assert_int_equal(
        eqm_policeuk_header_check(line_fields(1), file.widths[0], &cols, err, sizeof(err)), 0);
    assert_int_equal(cols.ncols, 15);
    for (int k = 0; k < EQM_PU__COUNT; k++)
        assert_int_equal(cols.index[k], k);
    assert_string_equal(eqm_policeuk_column_name(EQM_PU_AGE_RANGE), "Age range");
}

static void test_header_variants(void **state) {
    struct eqm_policeuk_columns cols;
    char err[256];
    /* Reordered, other case and spacing, an extra column, optional ones missing. */
    const char *const h1[] = {" date ", "Extra", "TYPE", "Outcome", "Gender"};
    const char *const h2[] = {"Type", "Gender"};
    const char *const h3[] = {"Date", "Outcome"};
    const char *const h4[] = {"Type", "Date", "Gender", "gender"};

    assert_int_equal(eqm_policeuk_header_check(h1, 5, &cols, err, sizeof(err)), 0);
    assert_int_equal(cols.ncols, 5);
    assert_int_equal(cols.index[EQM_PU_DATE], 0);
    assert_int_equal(cols.index[EQM_PU_TYPE], 2);
    assert_int_equal(cols.index[EQM_PU_OUTCOME], 3);
    assert_int_equal(cols.index[EQM_PU_GENDER], 4);
    assert_int_equal(cols.index[EQM_PU_LATITUDE], -1);
    assert_int_equal(cols.index[EQM_PU_REMOVAL], -1);

    assert_int_equal(eqm_policeuk_header_check(h2, 2, &cols, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "Date"));
    assert_int_equal(eqm_policeuk_header_check(h3, 2, &cols, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "Type"));
    assert_int_equal(eqm_policeuk_header_check(h4, 4, &cols, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "twice"));
}

/* ---- the real file ---------------------------------------------------- */

static void test_every_row_converts(void **state) {
    struct eqm_policeuk_columns cols;
    size_t null_gender = 0, null_age = 0, vehicle = 0, linked_true = 0;

    header_cols(&cols);
    assert_int_equal(file.n, 219);
    for (size_t line = 2; line <= file.n; line++) {
        json_t *ev = convert_line(&cols, line);
        const char *at = json_string_value(json_object_get(ev, "occurred_at"));
        int64_t us;

        expect_str(ev, "event_type", "stop_search");
        expect_str(ev, "area", AREA);
        expect_str(ev, "event_id", "test-id");
        assert_non_null(at);
        assert_int_equal(eqm_time_parse_rfc3339(at, strlen(at), &us), 0);
        /* July 2025, UTC: 1751328000 .. 1754006400 seconds. */
        assert_true(us >= 1751328000LL * 1000000 && us < 1754006400LL * 1000000);
        assert_true(json_is_string(json_object_get(ev, "type")));
        null_gender += json_is_null(json_object_get(ev, "gender"));
        null_age += json_is_null(json_object_get(ev, "age_range"));
        vehicle += !strcmp(json_string_value(json_object_get(ev, "type")), "Vehicle search");
        linked_true += json_is_true(json_object_get(ev, "outcome_linked_to_object_of_search"));
        /* Every field is there, null or not. */
        assert_int_equal(json_object_size(ev), 18);
        json_decref(ev);
    }
    /* Counted with grep/awk over the file. */
    assert_int_equal(null_gender, 15);
    assert_int_equal(null_age, 23);
    assert_int_equal(vehicle, 13);
    assert_int_equal(linked_true, 92);
}

/* ---- rows read from the file by hand ---------------------------------- */

/* What one field of a converted line must be: a string (NULL: null), a
 * tri-state boolean, or a number. */
enum kind { STR, BOOL, NUM };
struct field_want {
    const char *key;
    enum kind kind;
    const char *str;
    enum tri b;
    double num;
};
#define S(k, v)                                                                                    \
    { k, STR, v, NUL_, 0 }
#define B(k, v)                                                                                    \
    { k, BOOL, NULL, v, 0 }
#define N(k, v)                                                                                    \
    { k, NUM, NULL, NUL_, v }

static const struct {
    size_t line;
    struct field_want want[16]; /* up to the first with key NULL */
} lines[] = {
    /* The first record, everything filled in but the operation. */
    {2,
     {S("occurred_at", "2025-07-01T03:40:00+00:00"), S("type", "Person search"),
      S("gender", "Male"), S("age_range", "18-24"),
      S("self_defined_ethnicity", "White - Any other White background"),
      S("officer_defined_ethnicity", "White"),
      S("legislation", "Misuse of Drugs Act 1971 (section 23)"),
      S("object_of_search", "Controlled drugs"), S("outcome", "A no further action disposal"),
      B("outcome_linked_to_object_of_search", T_), B("removal_of_more_than_outer_clothing", F_),
      B("operation", NUL_), S("operation_name", NULL), N("latitude", 52.662682),
      N("longitude", 0.161303)}},
    /* A vehicle search: no person, so blanks everywhere. */
    {6,
     {S("type", "Vehicle search"), S("occurred_at", "2025-07-01T04:00:00+00:00"), S("gender", NULL),
      S("age_range", NULL), S("self_defined_ethnicity", NULL), S("officer_defined_ethnicity", NULL),
      S("outcome", "Arrest"), B("outcome_linked_to_object_of_search", T_),
      B("removal_of_more_than_outer_clothing", NUL_)}},
    /* Part of an operation, ethnicity not stated, age blank. */
    {9,
     {S("occurred_at", "2025-07-01T14:34:00+00:00"), B("operation", T_), S("operation_name", NULL),
      S("age_range", NULL), S("self_defined_ethnicity", "Other ethnic group - Not stated"),
      S("officer_defined_ethnicity", "Black"),
      S("legislation", "Police and Criminal Evidence Act 1984 (section 1)"),
      S("object_of_search", "Offensive weapons"), B("outcome_linked_to_object_of_search", NUL_),
      N("latitude", 52.536061), N("longitude", -0.263298)}},
    /* Operation False. */
    {31,
     {B("operation", F_),
      S("self_defined_ethnicity", "White - English/Welsh/Scottish/Northern Irish/British")}},
    /* The one removal of more than outer clothing. */
    {131,
     {S("occurred_at", "2025-07-18T20:55:00+00:00"), B("removal_of_more_than_outer_clothing", T_),
      B("outcome_linked_to_object_of_search", T_)}},
    /* Person and vehicle. */
    {177,
     {S("type", "Person and Vehicle search"),
      S("self_defined_ethnicity",
        "Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background"),
      S("officer_defined_ethnicity", "Asian"), N("latitude", 52.453549), N("longitude", 0.060031)}},
    /* A summons. */
    {194, {S("outcome", "Summons / charged by post"), S("age_range", "over 34")}},
    /* Under 10. */
    {213, {S("age_range", "under 10")}},
};

static void test_lines(void **state) {
    struct eqm_policeuk_columns cols;

    header_cols(&cols);
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        json_t *ev = convert_line(&cols, lines[i].line);

        for (const struct field_want *w = lines[i].want; w->key; w++) {
            if (w->kind == STR)
                expect_str(ev, w->key, w->str);
            else if (w->kind == BOOL)
                expect_bool(ev, w->key, w->b);
            else
                expect_num(ev, w->key, w->num);
        }
        json_decref(ev);
    }
}

/* Coordinates come out of the dump as the CSV wrote them. */
static void test_dump_coordinates(void **state) {
    struct eqm_policeuk_columns cols;
    json_t *ev;
    char *s;

    header_cols(&cols);
    ev = convert_line(&cols, 8);
    s = json_dumps(ev, EQM_POLICEUK_JSON_FLAGS);
    assert_non_null(s);
    assert_non_null(strstr(s, "\"latitude\":52.536061,"));
    assert_non_null(strstr(s, "\"longitude\":-0.263298"));
    assert_null(strchr(s, '\n'));
    free(s);
    json_decref(ev);
}

/* ---- ids --------------------------------------------------------------- */

static void test_event_ids(void **state) {
    struct eqm_policeuk_columns cols;
    char a[EQM_POLICEUK_EVENT_ID_SIZE], b[EQM_POLICEUK_EVENT_ID_SIZE];

    header_cols(&cols);
    /* Golden values from the independent implementation. */
    line_id(&cols, 2, "E07000008", 1, a);
    assert_string_equal(a, "pu-9605b071ea429a7a98b516760fcc10be");
    line_id(&cols, 2, "cambridgeshire", 1, a);
    assert_string_equal(a, "pu-f53512711e6eca0fa28d52b5c4a1e23f");
    /* Lines 35 and 36 are identical: the second is occurrence 2. */
    line_id(&cols, 35, "E07000008", 1, a);
    assert_string_equal(a, "pu-03338a37ea8e0c913cb5e1197f302af9");
    line_id(&cols, 36, "E07000008", 2, b);
    assert_string_equal(b, "pu-84b266bc9f530201c00f74204d7ac170");

    /* Same row, same id. */
    line_id(&cols, 36, "E07000008", 1, b);
    assert_string_equal(a, b);
    /* Different rows (line 3 differs from line 2 in age, outcome and link). */
    line_id(&cols, 2, AREA, 1, a);
    line_id(&cols, 3, AREA, 1, b);
    assert_string_not_equal(a, b);
    /* Different area. */
    line_id(&cols, 2, "E07000009", 1, b);
    assert_string_not_equal(a, b);
    assert_int_equal(strlen(a), EQM_POLICEUK_EVENT_ID_SIZE - 1);
    assert_int_equal(strncmp(a, "pu-", 3), 0);
    assert_int_equal(strspn(a + 3, "0123456789abcdef"), 32);
}

/* The content is the same whatever the column order and spacing. */
static void test_content_canonical(void **state) {
    struct eqm_policeuk_columns c1, c2;
    char err[256], x[256], y[256];
    const char *const h1[] = {"Type", "Date", "Gender"};
    const char *const r1[] = {"Person search", "2025-07-01T00:00:00Z", "Male"};
    const char *const h2[] = {"Gender", "Ignored", "Date", "Type"};
    const char *const r2[] = {" Male", "anything", "2025-07-01T00:00:00Z ", "Person search"};
    size_t n1, n2;

    assert_int_equal(eqm_policeuk_header_check(h1, 3, &c1, err, sizeof(err)), 0);
    assert_int_equal(eqm_policeuk_header_check(h2, 4, &c2, err, sizeof(err)), 0);
    n1 = eqm_policeuk_row_content(&c1, r1, 3, x, sizeof(x));
    n2 = eqm_policeuk_row_content(&c2, r2, 4, y, sizeof(y));
    assert_int_equal(n1, n2);
    assert_string_equal(x, y);
    assert_memory_equal(x,
                        "Person search\x1f"
                        "2025-07-01T00:00:00Z\x1f\x1f\x1f\x1f\x1fMale",
                        43);
    /* snprintf-like when the buffer is short. */
    assert_int_equal(eqm_policeuk_row_content(&c1, r1, 3, x, 5), n1);
    assert_string_equal(x, "Pers");
}

/* Every row of the file gets its own id when occurrences are counted. */
static void test_ids_unique_in_file(void **state) {
    struct eqm_policeuk_columns cols;
    char(*ids)[EQM_POLICEUK_EVENT_ID_SIZE] = calloc(file.n, EQM_POLICEUK_EVENT_ID_SIZE);
    char(*firsts)[EQM_POLICEUK_EVENT_ID_SIZE] = calloc(file.n, EQM_POLICEUK_EVENT_ID_SIZE);
    size_t dup_rows = 0;

    assert_non_null(ids);
    assert_non_null(firsts);
    header_cols(&cols);
    for (size_t line = 2; line <= file.n; line++) {
        unsigned occ = 1;
        line_id(&cols, line, AREA, 1, firsts[line - 1]);
        for (size_t k = 2; k < line; k++)
            occ += !strcmp(firsts[k - 1], firsts[line - 1]);
        dup_rows += occ > 1;
        line_id(&cols, line, AREA, occ, ids[line - 1]);
        for (size_t k = 2; k < line; k++)
            assert_string_not_equal(ids[k - 1], ids[line - 1]);
    }
    /* Four pairs of identical rows: lines 35-36, 94-95 and two more. */
    assert_int_equal(dup_rows, 4);
    free(ids);
    free(firsts);
}

/* ---- unusable rows ---------------------------------------------------- */

struct bad_row {
    const char *field; /* header name of the field to change */
    const char *value;
    const char *reason; /* part of the error */
};

static const struct bad_row bad_rows[] = {
    {"Date", "", "blank"},
    {"Date", "   ", "blank"},
    {"Date", "2025-07-01T03:40:00", "no UTC offset"},
    {"Date", "2025-07-01 03:40:00", "no UTC offset"},
    {"Date", "2025-07-01", "not an RFC 3339"},
    {"Date", "01/07/2025 03:40", "not an RFC 3339"},
    {"Date", "2025-02-30T03:40:00+00:00", "not an RFC 3339"},
    {"Date", "2025-07-01T03:40:00+0000", "not an RFC 3339"},
    {"Outcome linked to object of search", "Yes", "not True, False or blank"},
    {"Removal of more than just outer clothing", "1", "not True, False or blank"},
    {"Part of a policing operation", "maybe", "not True, False or blank"},
    {"Latitude", "north", "Latitude"},
    {"Latitude", "91", "Latitude"},
    {"Longitude", "nan", "Longitude"},
    {"Longitude", "0x10", "Longitude"},
    {"Gender", "\xC3\x28", "UTF-8"},
};

static void test_bad_rows(void **state) {
    struct eqm_policeuk_columns cols;
    const char *row[NCOLS];
    char err[256];

    header_cols(&cols);
    for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
        size_t col = NCOLS;
        json_t *ev;

        memcpy(row, line_fields(2), sizeof(row));
        for (size_t k = 0; k < NCOLS; k++)
            if (!strcmp(header[k], bad_rows[i].field))
                col = k;
        assert_true(col < NCOLS);
        row[col] = bad_rows[i].value;
        err[0] = '\0';
        ev = eqm_policeuk_row_to_event(&cols, row, NCOLS, AREA, "x", err, sizeof(err));
        if (ev)
            fail_msg("%s \"%s\" was accepted", bad_rows[i].field, bad_rows[i].value);
        if (!strstr(err, bad_rows[i].reason))
            fail_msg("%s \"%s\": error \"%s\" lacks \"%s\"", bad_rows[i].field, bad_rows[i].value,
                     err, bad_rows[i].reason);
    }
}

static void test_good_variants(void **state) {
    struct eqm_policeuk_columns cols;
    const char *row[NCOLS];
    char err[256];
    json_t *ev;

    header_cols(&cols);
    memcpy(row, line_fields(2), sizeof(row));
    row[1] = "2025-07-01T03:40:00Z"; /* Z suffix */
    row[2] = "TRUE";                 /* any case */
    row[4] = "";                     /* blank coordinates */
    row[5] = " ";
    row[6] = "  ";      /* white space only: null */
    row[7] = " 18-24 "; /* trimmed */
    row[14] = "false";
    ev = eqm_policeuk_row_to_event(&cols, row, NCOLS, AREA, "id-1", err, sizeof(err));
    if (!ev)
        fail_msg("%s", err);
    expect_str(ev, "occurred_at", "2025-07-01T03:40:00Z");
    expect_bool(ev, "operation", T_);
    expect_str(ev, "latitude", NULL);
    expect_str(ev, "longitude", NULL);
    expect_str(ev, "gender", NULL);
    expect_str(ev, "age_range", "18-24");
    expect_bool(ev, "removal_of_more_than_outer_clothing", F_);
    json_decref(ev);

    row[1] = "2025-07-01T04:40:00+01:00"; /* another offset */
    ev = eqm_policeuk_row_to_event(&cols, row, NCOLS, AREA, "id-1", err, sizeof(err));
    assert_non_null(ev);
    json_decref(ev);
}

static void test_missing_columns_are_null(void **state) {
    struct eqm_policeuk_columns cols;
    const char *const h[] = {"Date", "Type", "Outcome"};
    const char *const r[] = {"2025-07-01T03:40:00+00:00", "Person search", "Arrest"};
    char err[256];
    json_t *ev;

    assert_int_equal(eqm_policeuk_header_check(h, 3, &cols, err, sizeof(err)), 0);
    ev = eqm_policeuk_row_to_event(&cols, r, 3, AREA, "id", err, sizeof(err));
    assert_non_null(ev);
    expect_str(ev, "type", "Person search");
    expect_str(ev, "outcome", "Arrest");
    expect_str(ev, "gender", NULL);
    expect_bool(ev, "removal_of_more_than_outer_clothing", NUL_);
    expect_str(ev, "latitude", NULL);
    assert_int_equal(json_object_size(ev), 18);
    json_decref(ev);
}

static void test_bad_shape(void **state) {
    struct eqm_policeuk_columns cols;
    char err[256], long_area[80], long_id[200];

    header_cols(&cols);
    assert_null(
        eqm_policeuk_row_to_event(&cols, line_fields(2), NCOLS - 1, AREA, "x", err, sizeof(err)));
    assert_non_null(strstr(err, "14 fields"));
    memset(long_area, 'a', sizeof(long_area) - 1);
    long_area[sizeof(long_area) - 1] = '\0';
    assert_null(
        eqm_policeuk_row_to_event(&cols, line_fields(2), NCOLS, long_area, "x", err, sizeof(err)));
    assert_null(eqm_policeuk_row_to_event(&cols, line_fields(2), NCOLS, "", "x", err, sizeof(err)));
    memset(long_id, 'i', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    assert_null(
        eqm_policeuk_row_to_event(&cols, line_fields(2), NCOLS, AREA, long_id, err, sizeof(err)));
    assert_non_null(strstr(err, "event_id"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_real),
        cmocka_unit_test(test_header_variants),
        cmocka_unit_test(test_every_row_converts),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_dump_coordinates),
        cmocka_unit_test(test_event_ids),
        cmocka_unit_test(test_content_canonical),
        cmocka_unit_test(test_ids_unique_in_file),
        cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_good_variants),
        cmocka_unit_test(test_missing_columns_are_null),
        cmocka_unit_test(test_bad_shape),
    };
    return cmocka_run_group_tests(tests, load_file, free_file);
}
