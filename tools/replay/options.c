/*
 * options.c - the shared option loop of eqm-replay's subcommands (see
 * options.h).
 */
#include "options.h"

#include <stdio.h>

int eqm_replay_options(int argc, char **argv, const char *optstring, const struct option *longopts,
                       struct eqm_output_opts *o, const char *cmd, const char *prog,
                       eqm_replay_option_fn take, void *arg) {
    int c, rc;

    /* Each subcommand parses its own argv (main's, shifted): start over,
     * and say what was wrong ourselves, with the subcommand's name. */
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        if (c == ':') {
            fprintf(stderr, "%s: %s needs a value\n", cmd, argv[optind - 1]);
            return -1;
        }
        /* -o, -t, -b, -F and -X: where the events go (eqm/tools/output.h). */
        rc = c == '?' ? EQM_REPLAY_OPTION_UNKNOWN : eqm_output_option(o, c, optarg, prog);
        if (rc == 0)
            rc = take(arg, c, optarg, argv[optind - 1]);
        else if (rc == 1)
            rc = 0;
        if (rc == EQM_REPLAY_OPTION_UNKNOWN) {
            fprintf(stderr, "%s: unknown option %s (see --help)\n", cmd, argv[optind - 1]);
            return -1;
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}
