/*
 * produce.c - eqm-bench's producer (eqm_kafka_new()), the fresh topic of
 * each phase, and the loop that produces the events while a drain reads
 * them: never more than WINDOW_BYTES per partition ahead, since the
 * development broker keeps only about 5 MB per partition (see bench.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "eqm/kafka.h"

extern char **environ;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque) {
    struct bench *b = opaque;
    (void)rk;
    if (rkm->err) {
        if (b->failed++ < 5)
            bench_say("delivery failed: %s", rd_kafka_err2str(rkm->err));
    } else {
        b->delivered++;
    }
}

int bench_producer_new(struct bench *b) {
    static const char *const props[] = {"enable.idempotence",
                                        "true",
                                        "linger.ms",
                                        "5",
                                        "batch.size",
                                        "1000000",
                                        "queue.buffering.max.messages",
                                        "1000000",
                                        "queue.buffering.max.kbytes",
                                        "1048576",
                                        NULL};
    struct eqm_kafka_spec spec = {
        .type = RD_KAFKA_PRODUCER,
        .client_id = "eqm-bench",
        .brokers = b->brokers,
        .props = props,
        .opaque = b,
        .dr_msg_cb = dr_cb,
    };
    char err[512];

    b->rk = eqm_kafka_new(&spec, err, sizeof(err));
    if (!b->rk) {
        bench_say("producer: %s", err);
        return -1;
    }
    return 0;
}

int bench_topic_create(struct bench *b, const char *topic) {
    char parts[16];
    char *argv[] = {NULL, "ctl", (char *)b->control, "create-topic", (char *)topic, parts, NULL};
    char path[PATH_MAX];
    pid_t pid;
    int st;

    snprintf(parts, sizeof(parts), "%d", b->o.partitions);
    snprintf(path, sizeof(path), "%s/eqm-devbroker", b->o.bin_dir);
    argv[0] = path;
    if (posix_spawn(&pid, path, NULL, NULL, argv, environ) != 0) {
        bench_say("cannot run %s: %s", path, strerror(errno));
        return -1;
    }
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        bench_say("cannot create topic %s", topic);
        return -1;
    }
    return 0;
}

int64_t bench_consumed_pg(struct bench *b, struct bench_drain *d) {
    int64_t t = bench_pg_committed(b, d->group, d->topic, d->committed);
    if (t >= 0)
        d->consumed_total = t;
    return t;
}

int64_t bench_consumed_kcat(struct bench *b, struct bench_drain *d) {
    char buf[65536];
    (void)b;
    for (;;) {
        ssize_t n = read(d->fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (d->line_len < sizeof(d->line) - 1)
                    d->line[d->line_len++] = buf[i];
                continue;
            }
            d->line[d->line_len] = '\0';
            d->line_len = 0;
            int p = atoi(d->line);
            if (p >= 0 && p < MAX_PARTITIONS)
                d->committed[p]++;
            if (d->consumed_total++ == 0)
                d->first_us = now_us();
            d->last_us = now_us();
        }
    }
    return d->consumed_total;
}

int bench_produce(struct bench *b, const struct bench_gen *gen, const char *topic, uint64_t n,
                  double rate, struct bench_drain *d, struct bench_produce_stats *ps) {
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(b->rk, topic, NULL);
    int64_t produced_p[MAX_PARTITIONS] = {0};
    int64_t window = WINDOW_BYTES / BENCH_GEN_MAX_BYTES * 2; /* messages, events ~500 B */
    int64_t last_poll = 0, last_progress, last_lag = 0;
    char buf[BENCH_GEN_MAX_BYTES];

    memset(ps, 0, sizeof(*ps));
    ps->start_us = last_progress = now_us();
    for (uint64_t i = 0; i < n && !bench_stopping(); i++) {
        int area;
        size_t len = bench_gen_event(gen, i, buf, &area);
        int32_t part = area % b->o.partitions;
        const char *key = bench_gen_area(area);
        int64_t t;

        if (rate > 0) {
            /* Paced: event i leaves at start + i / rate. */
            int64_t due = ps->start_us + (int64_t)((double)i * 1e6 / rate);
            while ((t = now_us()) < due) {
                rd_kafka_poll(b->rk, 0);
                if (due - t > 200)
                    usleep((useconds_t)(due - t > 1000 ? 1000 : due - t));
            }
        }
        /* Flow control: never more than the window ahead, per partition. */
        while (produced_p[part] - d->committed[part] >= window) {
            if (d->fd < 0 && !d->group) {
                bench_say("%s: partition %d would hold more than the broker keeps", d->label, part);
                ps->broke = true;
                goto out;
            }
            t = now_us();
            if (t - last_poll >= 10000) {
                last_poll = t;
                if (d->consumed(b, d) < 0 || (d->pid > 0 && !bench_alive(d->pid)) ||
                    bench_stopping()) {
                    bench_say("%s: consumer gone or unreadable; stopping the producer", d->label);
                    ps->broke = true;
                    goto out;
                }
            } else {
                rd_kafka_poll(b->rk, 1);
            }
        }
        for (;;) {
            rd_kafka_resp_err_t err =
                rd_kafka_producev(b->rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(part),
                                  RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(buf, len),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
                break;
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                bench_say("produce: %s", rd_kafka_err2str(err));
                ps->broke = true;
                goto out;
            }
            rd_kafka_poll(b->rk, 10);
        }
        produced_p[part]++;
        ps->produced++;
        if ((i & 1023) == 0)
            rd_kafka_poll(b->rk, 0);
        t = now_us();
        if (t - last_poll >= 100000) {
            last_poll = t;
            if (d->consumed(b, d) < 0) {
                ps->broke = true;
                goto out;
            }
        }
        if (rate > 0 && t - last_lag >= 1000000) {
            /* Lag in seconds of production, sampled each second. */
            double lag = (double)((int64_t)ps->produced - d->consumed_total) / rate;
            last_lag = t;
            if (lag > ps->max_lag_s)
                ps->max_lag_s = lag;
        }
        if (t - last_progress >= 5000000) {
            last_progress = t;
            bench_say("%s: produced %" PRIu64 "/%" PRIu64 ", consumed %" PRId64
                      " (%.0f/s), load %.2f",
                      d->label, ps->produced, n, d->consumed_total,
                      (double)d->consumed_total * 1e6 / (double)(t - ps->start_us), bench_load1());
        }
    }
out:
    rd_kafka_flush(b->rk, 30000);
    ps->end_us = now_us();
    rd_kafka_topic_destroy(rkt);
    return ps->broke || bench_stopping() ? -1 : 0;
}
