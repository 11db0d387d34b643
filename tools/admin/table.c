/* table.c - see table.h. */
#include "table.h"

#include <stdio.h>
#include <string.h>

#define MAX_COLUMNS 64

void eqm_admin_table_print(const PGresult *res, const char *indent) {
    int nf = PQnfields(res), nt = PQntuples(res), width[MAX_COLUMNS] = {0};

    if (nf > MAX_COLUMNS)
        nf = MAX_COLUMNS;
    for (int f = 0; f < nf; f++) {
        width[f] = (int)strlen(PQfname(res, f));
        for (int t = 0; t < nt; t++)
            if (PQgetlength(res, t, f) > width[f])
                width[f] = PQgetlength(res, t, f);
    }
    for (int f = 0; f < nf; f++)
        printf("%s%-*s", f ? " | " : indent, width[f], PQfname(res, f));
    printf("\n");
    for (int t = 0; t < nt; t++) {
        for (int f = 0; f < nf; f++)
            printf("%s%-*s", f ? " | " : indent, width[f], PQgetvalue(res, t, f));
        printf("\n");
    }
    printf("%s(%d row%s)\n", indent, nt, nt == 1 ? "" : "s");
}
