/*
 * fixture_walk.h - the shared body of tests/unit/<area>/test_fixtures.c:
 * every file under tests/fixtures/{valid,invalid}/<topic> goes through the
 * consumer's own path, eqm_message_parse() on the file's bytes, then the
 * service's handler.
 *
 *   valid/    must be accepted; the service's check_valid() then checks
 *             the rows (after the row count, when rows_area is set);
 *   invalid/  must be refused with a reason code and words, and add no
 *             rows. A file named "<code>__<what>.<ext>" must be refused
 *             with exactly that code.
 *
 * Not named test_*.c: tests/CMakeLists.txt links it into the test_fixtures
 * programs only.
 */
#ifndef EQM_TESTS_FIXTURE_WALK_H
#define EQM_TESTS_FIXTURE_WALK_H

#include <stddef.h>

#include "eqm/envelope.h"
#include "eqm/sink.h"

/* The whole-force area name the handlers are given. */
#define FIXTURE_FORCE "force"

struct fixture_service {
    const struct eqm_service *svc;
    const char *topic; /* directory under tests/fixtures/{valid,invalid} */
    size_t min_valid;  /* fewer files than these fail the test */
    size_t min_invalid;
    /* Rows a valid file must add when its area is not / is the force;
     * rows_area 0: no count check here (check_valid does its own). */
    size_t rows_area;
    size_t rows_force;
    /* The service's own checks of an accepted valid file's rows: name is
     * the file name, bytes/len its contents, area its envelope's area,
     * want the row count checked (0 when rows_area is 0). */
    void (*check_valid)(const char *name, const char *bytes, size_t len,
                        const struct eqm_sink *sink, const char *area, size_t want);
};

/* A test_fixtures program's main(): both tests, in the time zone the
 * fixtures' days are in (Europe/London). Returns the exit code. */
int fixture_run(const struct fixture_service *fs);

#endif /* EQM_TESTS_FIXTURE_WALK_H */
