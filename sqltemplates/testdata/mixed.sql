-- ==== filter: Continuous filter
-- Passes on the rows whose "amount" is above 0, each as it arrives.
-- Continuous filter: the rows whose "amount" is above 0, each as it arrives,
-- into DESTINATION_SQL_STREAM with all of the input's columns.
-- To change: the condition in WHERE (here "amount" > 0); the columns kept
-- (drop some from both the stream and the SELECT).
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "at" TIMESTAMP,
    "amount" DECIMAL(8,2),
    "customer" VARCHAR(8),
    "qty" BIGINT
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM "at", "amount", "customer", "qty"
    FROM "SOURCE_SQL_STREAM_001"
    WHERE "amount" > 0;

-- ==== tumbling: Tumbling window
-- The number of rows and the sum of "amount" per "customer" in 10-second
-- windows that do not overlap: one row per "customer" when each window
-- closes.
-- Tumbling window: the number of rows and the sum of "amount" per "customer"
-- in each 10-second window (aligned to the epoch, not overlapping), one row
-- per "customer" when the window closes, stamped (ROWTIME) with the window's
-- end.
-- To change: the window's length (INTERVAL '10' SECOND, e.g. '1' MINUTE); the
-- aggregates (COUNT, SUM, AVG, MIN, MAX); the GROUP BY key.
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "customer" VARCHAR(8),
    "RECORD_COUNT" BIGINT,
    "TOTAL" DOUBLE
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM "customer", COUNT(*) AS "RECORD_COUNT", SUM("amount") AS "TOTAL"
    FROM "SOURCE_SQL_STREAM_001"
    GROUP BY "customer", STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '10' SECOND);

-- ==== sliding: Sliding window
-- For every row, the average "amount" and the number of rows of the same
-- "customer" over the last minute.
-- Sliding window: for every row, the average "amount" and the number of rows
-- of the same "customer" in the minute up to it (itself included), emitted
-- with the row: a moving aggregate.
-- To change: the window's range (RANGE INTERVAL '1' MINUTE PRECEDING, or ROWS
-- 10 PRECEDING for the last rows); the aggregates; the PARTITION BY key.
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "customer" VARCHAR(8),
    "amount" DECIMAL(8,2),
    "MOVING_AVERAGE" DOUBLE,
    "RECORD_COUNT" BIGINT
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM "customer", "amount", AVG("amount") OVER W1 AS "MOVING_AVERAGE", COUNT(*) OVER W1 AS "RECORD_COUNT"
    FROM "SOURCE_SQL_STREAM_001"
    WINDOW W1 AS (PARTITION BY "customer" RANGE INTERVAL '1' MINUTE PRECEDING);

-- ==== anomaly: Anomaly detection
-- Scores every row with RANDOM_CUT_FOREST over "amount", "qty": the higher
-- ANOMALY_SCORE, the more unusual the row.
-- Anomaly detection: every row with an ANOMALY_SCORE from RANDOM_CUT_FOREST
-- over its numeric columns ("amount", "qty"); the higher, the more unusual.
-- Numeric columns in the CURSOR are scored, the others pass through.
-- Scores stay 0 for the first rows (subSampleSize) while the forest learns.
-- To change: the forest's parameters; keep only anomalies with WHERE
-- "ANOMALY_SCORE" > 2 (say) after the FROM TABLE(...).
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "customer" VARCHAR(8),
    "amount" DOUBLE,
    "qty" BIGINT,
    "ANOMALY_SCORE" DOUBLE
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM "customer", "amount", "qty", "ANOMALY_SCORE"
    FROM TABLE(RANDOM_CUT_FOREST(
        CURSOR(SELECT STREAM "customer", CAST("amount" AS DOUBLE) AS "amount", "qty" FROM "SOURCE_SQL_STREAM_001"),
        100,    -- numberOfTrees
        256,    -- subSampleSize: the first rows score 0 while the forest learns
        100000, -- timeDecay: how many recent rows the forest remembers
        1       -- shingleSize: > 1 scores runs of consecutive rows
    ));

-- ==== hotspots: Hotspots
-- Finds dense regions of ("amount", "qty") among the last 100 rows with
-- HOTSPOTS; every row passes with HOTSPOTS_RESULT, a JSON list of the
-- hotspots.
-- Hotspots: dense regions of ("amount", "qty") among the last 100 rows
-- (HOTSPOTS). Every row passes with HOTSPOTS_RESULT, JSON listing each
-- hotspot's bounds per column, densest first:
-- {"hotspots":[{"density":...,"minValues":[...],"maxValues":[...]}]}
-- To change: the columns (numeric ones make the points, others pass through);
-- scanRadius to the scale of your values; the window and minimum points.
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "customer" VARCHAR(8),
    "amount" DOUBLE,
    "qty" BIGINT,
    "HOTSPOTS_RESULT" VARCHAR(10000)
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM "customer", "amount", "qty", "HOTSPOTS_RESULT"
    FROM TABLE(HOTSPOTS(
        CURSOR(SELECT STREAM "customer", CAST("amount" AS DOUBLE) AS "amount", "qty" FROM "SOURCE_SQL_STREAM_001"),
        100, -- windowSize: the last rows looked at (100 to 1000)
        1,   -- scanRadius: how close neighbours in a hotspot are, in the columns' units
        5    -- minimumNumberOfPointsInAHotspot
    ));
