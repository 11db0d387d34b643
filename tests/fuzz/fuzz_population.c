/*
 * fuzz_population.c - any bytes as a Census population file, through the
 * loader's reading half (eqm_population_read(): the same checks and
 * messages as eqm-admin load-population, without PostgreSQL): an error
 * names the file (and a line when it is a row's); every row handed on is
 * one COPY line of six fields that PostgreSQL would take (valid UTF-8,
 * a whole-number population), and the rows add up to the stats.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/tools/population.h"
#include "eqm/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct tally {
    size_t rows;
    int64_t population;
};

static int row(void *arg, const char *line, size_t len, char *msg, size_t sz) {
    struct tally *t = arg;
    size_t tabs = 0, last = 0;
    (void)msg;
    (void)sz;
    if (len == 0 || line[len - 1] != '\n' || !eqm_utf8_valid(line, len))
        abort();
    for (size_t i = 0; i < len; i++)
        if (line[i] == '\t') {
            tabs++;
            last = i;
        }
    if (tabs != 5)
        abort();
    for (size_t i = last + 1; i < len - 1; i++)
        if (line[i] < '0' || line[i] > '9')
            abort();
    t->rows++;
    t->population += strtoll(line + last + 1, NULL, 10);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct eqm_population_load_stats st;
    struct tally t = {0, 0};
    char errstr[512];
    FILE *fp;

    if (size == 0 || !(fp = fmemopen((void *)data, size, "r")))
        return 0;
    if (eqm_population_read(fp, "pop.csv", row, &t, &st, errstr, sizeof(errstr)) == 0) {
        if (st.rows != t.rows || st.population != t.population || st.districts > st.rows)
            abort();
    } else if (strncmp(errstr, "pop.csv:", 8) != 0) {
        fprintf(stderr, "error without the file's name: %s\n", errstr);
        abort();
    }
    fclose(fp);
    return 0;
}
