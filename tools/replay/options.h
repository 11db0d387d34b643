/*
 * options.h - the command line of every eqm-replay subcommand that
 * produces events: getopt_long() with the output options (-o, -t, -b, -F,
 * -X; eqm/tools/output.h) taken for it, and the same messages for a
 * missing value or an unknown option.
 */
#ifndef EQM_REPLAY_OPTIONS_H
#define EQM_REPLAY_OPTIONS_H

#include <getopt.h>

#include "eqm/tools/output.h"

/*
 * Takes one of the subcommand's own options: opt is getopt_long()'s value,
 * value its argument (or NULL), as_typed the last word it read
 * (argv[optind - 1]). Returns 0 to go on, 1 to stop and exit 0 (--help,
 * --print-config), -1 (reported) to exit 1, or EQM_REPLAY_OPTION_UNKNOWN
 * for an option it does not take (reported as unknown).
 */
#define EQM_REPLAY_OPTION_UNKNOWN 2
typedef int (*eqm_replay_option_fn)(void *arg, int opt, const char *value, const char *as_typed);

/*
 * Reads argv's options from argv[1] on, with optstring and longopts
 * (which must list the output options with their usual letters): output
 * options go to *o (a bad one reported with prog), the others to take.
 * A missing value or an unknown option is reported as "cmd: --x needs a
 * value" / "cmd: unknown option --x (see --help)". Returns 0 with optind at
 * the first operand, 1 to exit 0, or -1 (reported) to exit 1.
 */
int eqm_replay_options(int argc, char **argv, const char *optstring, const struct option *longopts,
                       struct eqm_output_opts *o, const char *cmd, const char *prog,
                       eqm_replay_option_fn take, void *arg) __attribute__((warn_unused_result));

#endif
