/* alerts_cmd.h - eqm-admin alerts | silence | unsilence (see alerts_cmd.c). */
#ifndef EQM_ADMIN_ALERTS_CMD_H
#define EQM_ADMIN_ALERTS_CMD_H

#include <libpq-fe.h>

/* argv[1] is the command. Returns the exit status (0, 1 failure, 2 usage). */
int eqm_admin_alerts(PGconn *conn, int argc, char **argv);

#endif
