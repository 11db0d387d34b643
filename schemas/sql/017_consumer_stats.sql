-- What each consumer process has done, for eqm-web's /metrics (README
-- "Dashboard and packs"): one row per process (member: host, process id and
-- start time), so that members of one group never wait for each other's
-- row. Each batch adds its own numbers in the same transaction as its
-- counts, so these totals never run ahead of what is committed: messages
-- read, events counted for the first time, duplicates, dead letters and
-- batches. A batch's commit latency (BEGIN sent to COMMIT acknowledged) is
-- known only after it commits: it is added with the next batch, or on its
-- own when the consumer is idle or stops.
--
-- commit_buckets holds how many commits took at most each of the bounds in
-- seconds of commit_bounds (0.005 ... 10), one more for any longer: counts
-- per bucket, not cumulative. Counters only grow; a sum over the rows of a
-- group is that group's total since the first start.
CREATE TABLE equality.consumer_stats (
    consumer_group      text             NOT NULL,
    topic               text             NOT NULL,
    member              text             NOT NULL,
    source              text             NOT NULL,
    messages            bigint           NOT NULL DEFAULT 0,
    events              bigint           NOT NULL DEFAULT 0,
    duplicates          bigint           NOT NULL DEFAULT 0,
    dead_letters        bigint           NOT NULL DEFAULT 0,
    batches             bigint           NOT NULL DEFAULT 0,
    commit_seconds_sum  double precision NOT NULL DEFAULT 0,
    commit_count        bigint           NOT NULL DEFAULT 0,
    commit_buckets      bigint[]         NOT NULL,
    started_at          timestamptz      NOT NULL DEFAULT now(),
    updated_at          timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, member)
);

-- The bounds of commit_buckets, in seconds (Prometheus's default buckets).
CREATE VIEW equality.consumer_commit_bounds AS
SELECT ARRAY[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]::double precision[]
       AS commit_bounds;
