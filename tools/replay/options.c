/*
 * options.c - the shared option loop of eqm-replay's subcommands (see
 * options.h).
 */
#include "options.h"

#include <string.h>

/* The output options and help, after the subcommand's own. */
#define SHARED_SHORT "o:t:b:X:F:h"
static const struct option shared_long[] = {
    {"output", required_argument, NULL, 'o'},
    {"topic", required_argument, NULL, 't'},
    {"brokers", required_argument, NULL, 'b'},
    {"help", no_argument, NULL, 'h'},
};
#define N_SHARED  (sizeof(shared_long) / sizeof(shared_long[0]))
#define MAX_LONG  48
#define MAX_SHORT 64

int eqm_replay_options(const struct eqm_replay_cmdline *cl, int argc, char **argv,
                       struct eqm_output_opts *o, void *arg) {
    struct option longopts[MAX_LONG + N_SHARED + 1];
    char optstring[MAX_SHORT + sizeof(SHARED_SHORT) + 1];
    size_t nl = 0;
    int c, rc;

    /* ':' first: a missing value is ':' and an unknown option '?'. */
    if (strlen(cl->optstring) > MAX_SHORT) {
        fprintf(stderr, "%s: too many options\n", cl->cmd); /* a programming error */
        return -1;
    }
    snprintf(optstring, sizeof(optstring), ":%s" SHARED_SHORT, cl->optstring);
    for (; cl->longopts && cl->longopts[nl].name; nl++) {
        if (nl == MAX_LONG) {
            fprintf(stderr, "%s: too many options\n", cl->cmd);
            return -1;
        }
        longopts[nl] = cl->longopts[nl];
    }
    memcpy(longopts + nl, shared_long, sizeof(shared_long));
    memset(longopts + nl + N_SHARED, 0, sizeof(longopts[0]));

    /* Each subcommand parses its own argv (main's, shifted): start over,
     * and say what was wrong ourselves, with the subcommand's name. */
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        if (c == ':') {
            fprintf(stderr, "%s: %s needs a value\n", cl->cmd, argv[optind - 1]);
            return -1;
        }
        if (c == 'h') {
            cl->usage(stdout);
            return 1;
        }
        rc = c == '?' ? EQM_REPLAY_OPTION_UNKNOWN : eqm_output_option(o, c, optarg, cl->prog);
        if (rc == 0)
            rc = cl->take(arg, c, optarg, argv[optind - 1]);
        else if (rc == 1)
            rc = 0;
        if (rc == EQM_REPLAY_OPTION_UNKNOWN) {
            fprintf(stderr, "%s: unknown option %s (see --help)\n", cl->cmd, argv[optind - 1]);
            return -1;
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}
