-- ==== filter: Continuous filter
-- Passes on the rows whose "browseraction" is not empty, each as it arrives.
-- Continuous filter: the rows whose "browseraction" is not empty, each as it
-- arrives, into DESTINATION_SQL_STREAM with all of the input's columns.
-- To change: the condition in WHERE, e.g. "browseraction" = 'a value'; the
-- columns kept (drop some from both the stream and the SELECT).
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "browseraction" VARCHAR(16),
    "site" VARCHAR(64)
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM "browseraction", "site"
    FROM "SOURCE_SQL_STREAM_001"
    WHERE "browseraction" <> '';

-- ==== tumbling: Tumbling window
-- The number of rows per "browseraction" in 10-second windows that do not
-- overlap: one row per "browseraction" when each window closes.
-- Tumbling window: the number of rows per "browseraction" in each 10-second
-- window (aligned to the epoch, not overlapping), one row per "browseraction"
-- when the window closes, stamped (ROWTIME) with the window's end.
-- To change: the window's length (INTERVAL '10' SECOND, e.g. '1' MINUTE); the
-- aggregates (COUNT, SUM, AVG, MIN, MAX); the GROUP BY key.
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "browseraction" VARCHAR(16),
    "RECORD_COUNT" BIGINT
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM "browseraction", COUNT(*) AS "RECORD_COUNT"
    FROM "SOURCE_SQL_STREAM_001"
    GROUP BY "browseraction", STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '10' SECOND);

-- ==== sliding: Sliding window
-- For every row, the number of rows of the same "browseraction" over the last
-- minute.
-- Sliding window: for every row, the number of rows of the same
-- "browseraction" in the minute up to it (itself included), emitted with the
-- row: a moving aggregate.
-- To change: the window's range (RANGE INTERVAL '1' MINUTE PRECEDING, or ROWS
-- 10 PRECEDING for the last rows); the aggregates; the PARTITION BY key.
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "browseraction" VARCHAR(16),
    "RECORD_COUNT" BIGINT
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM "browseraction", COUNT(*) OVER W1 AS "RECORD_COUNT"
    FROM "SOURCE_SQL_STREAM_001"
    WINDOW W1 AS (PARTITION BY "browseraction" RANGE INTERVAL '1' MINUTE PRECEDING);

-- ==== anomaly: Anomaly detection
-- The input has no numeric column, so RANDOM_CUT_FOREST scores the number of
-- rows per "browseraction" in each 10-second window: the higher
-- ANOMALY_SCORE, the more unusual the count.
-- Anomaly detection: the input has no numeric column, so this counts the rows
-- per "browseraction" in each 10-second window (COUNT_STREAM) and scores each
-- count with RANDOM_CUT_FOREST: the higher ANOMALY_SCORE, the more unusual
-- the count.
-- Scores stay 0 for the first rows (subSampleSize) while the forest learns.
-- To change: the forest's parameters; keep only anomalies with WHERE
-- "ANOMALY_SCORE" > 2 (say) after the FROM TABLE(...).
CREATE OR REPLACE STREAM "COUNT_STREAM" (
    "browseraction" VARCHAR(16),
    "RECORD_COUNT" DOUBLE
);

CREATE OR REPLACE PUMP "COUNT_PUMP" AS
    INSERT INTO "COUNT_STREAM"
    SELECT STREAM "browseraction", COUNT(*) AS "RECORD_COUNT"
    FROM "SOURCE_SQL_STREAM_001"
    GROUP BY "browseraction", STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '10' SECOND);

CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "browseraction" VARCHAR(16),
    "RECORD_COUNT" DOUBLE,
    "ANOMALY_SCORE" DOUBLE
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM "browseraction", "RECORD_COUNT", "ANOMALY_SCORE"
    FROM TABLE(RANDOM_CUT_FOREST(
        CURSOR(SELECT STREAM * FROM "COUNT_STREAM"),
        100,    -- numberOfTrees
        256,    -- subSampleSize: the first rows score 0 while the forest learns
        100000, -- timeDecay: how many recent rows the forest remembers
        1       -- shingleSize: > 1 scores runs of consecutive rows
    ));
