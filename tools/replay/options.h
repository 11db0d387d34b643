/*
 * options.h - the command line of every eqm-replay subcommand that
 * produces events: getopt_long() with the output options (-o, -t, -b, -F,
 * -X; eqm/tools/output.h) and help taken for it, so every such subcommand
 * spells them alike, and the same messages for a missing value or an
 * unknown option.
 */
#ifndef EQM_REPLAY_OPTIONS_H
#define EQM_REPLAY_OPTIONS_H

#include <getopt.h>
#include <stdio.h>

#include "eqm/tools/output.h"

/*
 * Takes one of the subcommand's own options: opt is getopt_long()'s value,
 * value its argument (or NULL), as_typed the last word it read
 * (argv[optind - 1]). Returns 0 to go on, 1 to stop and exit 0
 * (--print-config), -1 (reported) to exit 1, or EQM_REPLAY_OPTION_UNKNOWN
 * for an option it does not take (reported as unknown).
 */
typedef int (*eqm_replay_option_fn)(void *arg, int opt, const char *value, const char *as_typed);
#define EQM_REPLAY_OPTION_UNKNOWN 2

/* What a subcommand's command line is made of, besides the output options. */
struct eqm_replay_cmdline {
    const char *cmd;  /* "eqm-replay police-uk": prefixes getopt's errors */
    const char *prog; /* prefixes the output options' errors */
    /* The subcommand's own options, without the output ones and help:
     * short ones with ':' after those taking a value, long ones ending
     * with a NULL name (at most 48). */
    const char *optstring;
    const struct option *longopts;
    void (*usage)(FILE *out); /* for -h and --help: to stdout, exit 0 */
    eqm_replay_option_fn take;
};

/*
 * Reads argv's options from argv[1] on: the output options (-o/--output,
 * -t/--topic, -b/--brokers, -F, -X) go to *o (a bad one reported with
 * prog), -h/--help prints the usage, the others go to take(arg, ...). A
 * missing value or an unknown option is reported as "cmd: --x needs a
 * value" / "cmd: unknown option --x (see --help)". Returns 0 with optind at
 * the first operand, 1 to exit 0, or -1 (reported) to exit 1.
 */
int eqm_replay_options(const struct eqm_replay_cmdline *cl, int argc, char **argv,
                       struct eqm_output_opts *o, void *arg) __attribute__((warn_unused_result));

#endif
