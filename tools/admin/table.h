/* table.h - eqm-admin's query results as aligned tables, as psql prints them. */
#ifndef EQM_ADMIN_TABLE_H
#define EQM_ADMIN_TABLE_H

#include <libpq-fe.h>

/*
 * Prints res (tuples) on stdout: a header line of the column names, one
 * line per row, the columns padded to their widest value and separated by
 * " | ", then "(N rows)"; every line starts with indent. At most 64
 * columns are shown.
 */
void eqm_admin_table_print(const PGresult *res, const char *indent);

#endif
