/*
 * prom.h - eqm-web's /metrics from PostgreSQL, in the Prometheus text
 * exposition format (README "Dashboard and packs"): the consumers' stored
 * offsets and totals (messages, events, duplicates, dead letters, batches,
 * the commit latency histogram of equality.consumer_stats), dead letters,
 * alerts, the relay's outbox and the deliveries. web.c adds what comes
 * from the brokers (the lag).
 */
#ifndef EQM_WEB_PROM_H
#define EQM_WEB_PROM_H

#include <stddef.h>
#include <stdio.h>

#include <libpq-fe.h>

/* One sample: name{labels[i]="vals[i]"...} value, label values escaped. */
void eqm_web_sample(FILE *fp, const char *name, const char *const *labels, const char *const *vals,
                    int n, const char *value);

/* Every family read from PostgreSQL, to fp. 0, or -1 with err. */
int eqm_web_pg_metrics(FILE *fp, PGconn *pg, char *err, size_t err_size);

#endif /* EQM_WEB_PROM_H */
