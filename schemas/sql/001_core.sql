-- Core schema shared by every service: Kafka offsets, de-duplication keys,
-- dead letters, stream watermarks, reference data and metric settings.
-- Applied once by eqm_migrate_run(); recorded in equality.schema_migrations.

CREATE SCHEMA IF NOT EXISTS equality;

-- Consumed Kafka positions, written in the same transaction as the counts
-- they produced. next_offset is the offset of the next message to read;
-- NULL means "nothing consumed yet, start at the beginning".
CREATE TABLE equality.kafka_offsets (
    consumer_group text        NOT NULL,
    topic          text        NOT NULL,
    partition      integer     NOT NULL,
    next_offset    bigint,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, partition)
);

-- De-duplication keys: one row per counted event. event_day (force time
-- zone) lets keys older than the horizon be expired.
CREATE TABLE equality.seen_events (
    source    text    NOT NULL,
    event_id  text    NOT NULL,
    event_day date    NOT NULL,
    PRIMARY KEY (source, event_id)
);
CREATE INDEX seen_events_expiry ON equality.seen_events (source, event_day);

-- Dead letters, counted exactly once (keyed by their Kafka position). The
-- payload itself is on the dead-letter topic, not here: no personal data
-- at rest.
CREATE TABLE equality.dead_letters (
    topic         text        NOT NULL,
    partition     integer     NOT NULL,
    kafka_offset  bigint      NOT NULL,
    source        text        NOT NULL,
    reason_code   text        NOT NULL,
    reason        text        NOT NULL,
    payload_bytes integer     NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition, kafka_offset)
);

-- The newest event time each source has seen: windows end here.
CREATE TABLE equality.watermarks (
    source          text        PRIMARY KEY,
    max_occurred_at timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Census 2021 usual residents by district and census category (TS021).
CREATE TABLE equality.population_district (
    area_code       text   NOT NULL,
    area_name       text   NOT NULL,
    census_category text   NOT NULL,
    broad_group     text   NOT NULL,
    population      bigint NOT NULL CHECK (population >= 0),
    PRIMARY KEY (area_code, census_category)
);

-- Named areas made of districts (e.g. a force area or a policing area).
CREATE TABLE equality.area_districts (
    area          text NOT NULL,
    district_code text NOT NULL,
    PRIMARY KEY (area, district_code)
);

-- Population per area and broad ethnic group. An area is either a named
-- set of districts or a district code itself. 'bme' is the sum of the
-- stated groups other than white.
CREATE VIEW equality.area_population AS
WITH per_area AS (
    SELECT a.area, p.broad_group AS grp, sum(p.population)::bigint AS population
      FROM equality.area_districts a
      JOIN equality.population_district p ON p.area_code = a.district_code
     GROUP BY a.area, p.broad_group
    UNION ALL
    SELECT p.area_code, p.broad_group, sum(p.population)::bigint
      FROM equality.population_district p
     WHERE NOT EXISTS (SELECT 1 FROM equality.area_districts a WHERE a.area = p.area_code)
     GROUP BY p.area_code, p.broad_group
)
SELECT area, grp, population FROM per_area
UNION ALL
SELECT area, 'bme', sum(population)::bigint FROM per_area
 WHERE grp IN ('asian', 'black', 'mixed', 'other')
 GROUP BY area;

-- Figures computed by the services (see README "Measures"). One row per
-- measure, area, dimension, group and window; recomputed in the same
-- transaction as the counts, at most every metrics.interval_ms.
CREATE TABLE equality.metrics (
    source        text        NOT NULL,
    measure       text        NOT NULL,
    area          text        NOT NULL,
    dimension     text        NOT NULL,
    grp           text        NOT NULL,
    reference_grp text        NOT NULL,
    window_days   integer     NOT NULL,
    window_end    date        NOT NULL,
    n             bigint      NOT NULL,
    base          bigint,
    ref_n         bigint,
    ref_base      bigint,
    rate          double precision,
    rate_ci_low   double precision,
    rate_ci_high  double precision,
    ref_rate      double precision,
    ratio         double precision,
    ci_low        double precision,
    ci_high       double precision,
    note          text,
    computed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (measure, area, dimension, grp, window_days)
);
CREATE INDEX metrics_source ON equality.metrics (source);

-- The analyst's view: every figure with the counts behind it.
CREATE VIEW equality.disparity AS
SELECT measure, area, dimension, grp, reference_grp, window_days, window_end,
       n, base, ref_n, ref_base, rate, ref_rate, ratio, ci_low, ci_high,
       rate_ci_low, rate_ci_high, note, computed_at
  FROM equality.metrics;

-- Dead letters per source, reason and day, for dashboards.
CREATE VIEW equality.dead_letter_summary AS
SELECT source, topic, reason_code, received_at::date AS day, count(*) AS messages
  FROM equality.dead_letters
 GROUP BY source, topic, reason_code, received_at::date;
