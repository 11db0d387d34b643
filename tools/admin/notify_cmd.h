/* notify_cmd.h - eqm-admin notifications (see notify_cmd.c). */
#ifndef EQM_ADMIN_NOTIFY_CMD_H
#define EQM_ADMIN_NOTIFY_CMD_H

#include <libpq-fe.h>

/* argv[1] is "notifications". Returns the exit status (0, 1 failure, 2 usage). */
int eqm_admin_notifications(PGconn *conn, int argc, char **argv);

#endif
