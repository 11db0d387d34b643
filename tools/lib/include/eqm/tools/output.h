/*
 * eqm/tools/output.h - where eqm-replay's events go: an idempotent Kafka
 * producer, or JSON lines in a file (--output). Shared by every subcommand
 * that produces events (police-uk, synth custody, synth recruitment), so
 * they take the same options (-o, -t, -b, -X, -F, env EQM_KAFKA_BROKERS),
 * configure the producer alike (eqm_kafka_new()) and count deliveries
 * alike.
 *
 * Signals are eqm/signals.h's: a program that installs them gets the
 * documented behaviour here, where the first SIGINT or SIGTERM stops
 * waiting on a full queue and gives up waiting for delivery reports (the
 * rest are purged); a second one ends the process at once.
 */
#ifndef EQM_OUTPUT_H
#define EQM_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define EQM_OUTPUT_MAX_PROPS 64

/* The output options; the strings are borrowed (argv, environment). */
struct eqm_output_opts {
    const char *topic;
    const char *brokers;
    const char *output; /* NULL: produce to Kafka */
    const char *prop_file;
    const char *props[EQM_OUTPUT_MAX_PROPS]; /* "name=value", from argv */
    int n_props;
};

/*
 * What became of the events sent with one tally: delivered (or written)
 * and failed (not accepted by the producer, or a failed delivery report).
 * name is a file the events come from, or NULL; it goes into messages.
 */
struct eqm_output_tally {
    const char *name;
    size_t delivered, failed;
};

struct eqm_output;

/* Zeroes *o, sets the default topic and brokers from EQM_KAFKA_BROKERS. */
void eqm_output_defaults(struct eqm_output_opts *o, const char *topic);

/*
 * Takes one getopt result if it is an output option (o, t, b, F, X) with
 * its argument. Returns 1 taken, 0 not an output option, -1 a bad -X
 * (reported on stderr, prefixed with prog).
 */
int eqm_output_option(struct eqm_output_opts *o, int opt, const char *arg, const char *prog)
    __attribute__((warn_unused_result));

/*
 * Opens the output: the --output file (- for stdout), or a producer made
 * by eqm_kafka_new() with the defaults (client.id client_id,
 * enable.idempotence, acks=all), then -F (errors as path:line: ...), then
 * -X. prog prefixes every message; quiet leaves out the notes that
 * further delivery failures are only counted and that an interrupt purges
 * what is undelivered. Returns 0 and *out, or -1 (reported) leaving *out
 * untouched. o must outlive the output.
 */
int eqm_output_new(struct eqm_output **out, const struct eqm_output_opts *o, const char *prog,
                   const char *client_id, bool quiet) __attribute__((warn_unused_result));

/* True when events go to a file (counted as written), not Kafka. */
bool eqm_output_is_file(const struct eqm_output *out);

/*
 * Writes or produces one event, keyed by key, counted in t (which must
 * live until eqm_output_finish). A producer's refusal is reported
 * (as name:line: when t has a name) and counted as failed. Returns 0, or
 * -1 on a fatal error (reported): out of memory, a failed write, a fatal
 * producer error.
 */
int eqm_output_send(struct eqm_output *out, const json_t *ev, const char *key,
                    struct eqm_output_tally *t, unsigned long line)
    __attribute__((warn_unused_result));

/* The same for an event already serialised (len bytes of JSON, no
 * newline), sent as it is: a generator that writes its own bytes. */
int eqm_output_send_bytes(struct eqm_output *out, const char *event, size_t len, const char *key,
                          struct eqm_output_tally *t, unsigned long line)
    __attribute__((warn_unused_result));

/*
 * Waits for every delivery report (or, after a signal, purges the rest),
 * then checks for a fatal producer error and flushes the file. Returns 0,
 * or -1 (reported).
 */
int eqm_output_finish(struct eqm_output *out) __attribute__((warn_unused_result));

/*
 * Destroys the producer or closes the file; NULL-safe, sets *outp to NULL.
 * Returns -1 if closing the file failed, reported unless fatal says an
 * error has already been reported; else 0.
 */
int eqm_output_free(struct eqm_output **outp, bool fatal) __attribute__((warn_unused_result));

#endif
