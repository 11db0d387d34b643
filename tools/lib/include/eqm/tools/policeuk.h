/*
 * policeuk.h - police.uk stop-and-search CSV rows as stop_search events.
 *
 * The police.uk monthly archive writes one CSV per force and month:
 *
 *   Type,Date,Part of a policing operation,Policing operation,Latitude,
 *   Longitude,Gender,Age range,Self-defined ethnicity,
 *   Officer-defined ethnicity,Legislation,Object of search,Outcome,
 *   Outcome linked to object of search,
 *   Removal of more than just outer clothing
 *
 * Columns are found by header name (ASCII case and surrounding white space
 * ignored), so a reordered file reads the same; Type and Date are required,
 * every other column is optional (absent = null in every event), and
 * columns with other names are ignored.
 *
 * Each row becomes one event with the police.uk API field names (see
 * CONTRACT.md), every field present:
 *
 *   event_id, event_type "stop_search", occurred_at (Date, verbatim), area,
 *   type, gender, age_range, self_defined_ethnicity,
 *   officer_defined_ethnicity, legislation, object_of_search, outcome,
 *   outcome_linked_to_object_of_search, removal_of_more_than_outer_clothing,
 *   operation (true/false/null), operation_name, latitude, longitude
 *
 * Text values are trimmed of surrounding ASCII white space and a blank
 * value is null. Booleans are True/False in any case, or blank (null);
 * latitude and longitude are JSON numbers or null. A value that fits none
 * of these makes the row unusable rather than being dropped silently.
 */
#ifndef EQM_POLICEUK_H
#define EQM_POLICEUK_H

#include <stddef.h>

#include <jansson.h>

/* The known columns, in the police.uk header's order. */
enum eqm_policeuk_col {
    EQM_PU_TYPE = 0,
    EQM_PU_DATE,
    EQM_PU_OPERATION,
    EQM_PU_OPERATION_NAME,
    EQM_PU_LATITUDE,
    EQM_PU_LONGITUDE,
    EQM_PU_GENDER,
    EQM_PU_AGE_RANGE,
    EQM_PU_SELF_DEFINED_ETHNICITY,
    EQM_PU_OFFICER_DEFINED_ETHNICITY,
    EQM_PU_LEGISLATION,
    EQM_PU_OBJECT_OF_SEARCH,
    EQM_PU_OUTCOME,
    EQM_PU_OUTCOME_LINKED,
    EQM_PU_REMOVAL,
    EQM_PU__COUNT
};

/* Where each known column is in a file. */
struct eqm_policeuk_columns {
    long index[EQM_PU__COUNT]; /* field index, or -1 if the file lacks the column */
    size_t ncols;              /* fields in the header: every row must have as many */
};

/* "pu-" and 32 lowercase hex digits, and the NUL. */
#define EQM_POLICEUK_EVENT_ID_SIZE 36

/*
 * Dump flags for events: compact, and doubles printed with 15 significant
 * digits, which gives back the CSV's coordinates (52.662682, not
 * 52.662682000000006).
 */
#define EQM_POLICEUK_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* The header name of a known column (e.g. "Age range"); NULL if out of range. */
const char *eqm_policeuk_column_name(enum eqm_policeuk_col col);

/*
 * Locates the known columns in the header row fields[0..n). Returns 0 and
 * fills *cols, or -1 with errstr if Type or Date is missing or a known
 * column appears twice.
 */
int eqm_policeuk_header_check(const char *const *fields, size_t n,
                              struct eqm_policeuk_columns *cols, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/*
 * Converts one data row into a new stop_search event (see above) for
 * area (1-64 bytes) with the given event_id (1-128 bytes). The caller owns
 * the returned object (json_decref). Returns NULL with errstr (one line,
 * naming the column and the value) if the row is unusable: its field count
 * differs from the header's, Date is blank or not an RFC 3339 date-time
 * with an offset ("Z" or +hh:mm: a local time without one is refused, not
 * guessed), a boolean is not True/False/blank, a coordinate is not a
 * number in range; or if area or event_id is out of bounds, or on out of
 * memory.
 */
json_t *eqm_policeuk_row_to_event(const struct eqm_policeuk_columns *cols,
                                  const char *const *fields, size_t n, const char *area,
                                  const char *event_id, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/*
 * Writes the row's canonical content into out (at most size bytes, NUL
 * included, like snprintf) and returns its length, which may be >= size
 * (then call again with a larger buffer). The content is the known
 * columns' values in the order of enum eqm_policeuk_col, each trimmed of
 * surrounding ASCII white space (an absent column is empty), separated by
 * 0x1F. It is what the event carries, so it does not depend on the file's
 * column order, quoting, line endings or ignored columns.
 */
size_t eqm_policeuk_row_content(const struct eqm_policeuk_columns *cols, const char *const *fields,
                                size_t n, char *out, size_t size);

/*
 * The deterministic event id of the occurrence-th (1 for the first) row
 * with this content in one file of this area. Replaying a file, renamed or
 * not, gives the same ids, so consumers de-duplicate it; two identical
 * rows in one file (police.uk has them: two people searched together) stay
 * two events. The derivation is part of the contract: changing it would
 * make old and new replays count twice. With
 *
 *   input = area 0x1F content 0x1F decimal(occurrence)
 *   h1 = FNV-1a-64(input) with the standard offset basis
 *        0xcbf29ce484222325 and prime 0x100000001b3
 *   h2 = FNV-1a-64(input) with offset basis 0x84222325cbf29ce4 and the
 *        same prime, every byte xor 0x5c before it is mixed in
 *   id = "pu-" hex16(fmix64(h1)) hex16(fmix64(h2))
 *
 * where fmix64 is MurmurHash3's 64-bit finaliser. Writes
 * EQM_POLICEUK_EVENT_ID_SIZE bytes to out.
 */
void eqm_policeuk_event_id(const char *area, const char *content, size_t content_len,
                           unsigned occurrence, char out[EQM_POLICEUK_EVENT_ID_SIZE]);

#endif /* EQM_POLICEUK_H */
