-- ==== filter: Continuous filter
-- Passes on the rows whose "reading" is above 0, each as it arrives.
-- Continuous filter: the rows whose "reading" is above 0, each as it arrives,
-- into DESTINATION_SQL_STREAM with all of the input's columns.
-- To change: the condition in WHERE (here "reading" > 0); the columns kept
-- (drop some from both the stream and the SELECT).
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "reading" INTEGER
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM "reading"
    FROM "SOURCE_SQL_STREAM_001"
    WHERE "reading" > 0;

-- ==== tumbling: Tumbling window
-- The number of rows and the sum of "reading" in 10-second windows that do
-- not overlap: one row when each window closes.
-- Tumbling window: the number of rows and the sum of "reading" in each
-- 10-second window (aligned to the epoch, not overlapping), one row when the
-- window closes, stamped (ROWTIME) with the window's end.
-- To change: the window's length (INTERVAL '10' SECOND, e.g. '1' MINUTE); the
-- aggregates (COUNT, SUM, AVG, MIN, MAX); the GROUP BY key.
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "RECORD_COUNT" BIGINT,
    "TOTAL" BIGINT
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM COUNT(*) AS "RECORD_COUNT", SUM("reading") AS "TOTAL"
    FROM "SOURCE_SQL_STREAM_001"
    GROUP BY STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '10' SECOND);

-- ==== sliding: Sliding window
-- For every row, the average "reading" and the number of rows over the last
-- minute.
-- Sliding window: for every row, the average "reading" and the number of rows
-- in the minute up to it (itself included), emitted with the row: a moving
-- aggregate.
-- To change: the window's range (RANGE INTERVAL '1' MINUTE PRECEDING, or ROWS
-- 10 PRECEDING for the last rows); the aggregates; the PARTITION BY key.
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "reading" INTEGER,
    "MOVING_AVERAGE" DOUBLE,
    "RECORD_COUNT" BIGINT
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM "reading", AVG(CAST("reading" AS DOUBLE)) OVER W1 AS "MOVING_AVERAGE", COUNT(*) OVER W1 AS "RECORD_COUNT"
    FROM "SOURCE_SQL_STREAM_001"
    WINDOW W1 AS (RANGE INTERVAL '1' MINUTE PRECEDING);

-- ==== anomaly: Anomaly detection
-- Scores every row with RANDOM_CUT_FOREST over "reading": the higher
-- ANOMALY_SCORE, the more unusual the row.
-- Anomaly detection: every row with an ANOMALY_SCORE from RANDOM_CUT_FOREST
-- over its numeric columns ("reading"); the higher, the more unusual. Numeric
-- columns in the CURSOR are scored, the others pass through.
-- Scores stay 0 for the first rows (subSampleSize) while the forest learns.
-- To change: the forest's parameters; keep only anomalies with WHERE
-- "ANOMALY_SCORE" > 2 (say) after the FROM TABLE(...).
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "reading" INTEGER,
    "ANOMALY_SCORE" DOUBLE
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM "reading", "ANOMALY_SCORE"
    FROM TABLE(RANDOM_CUT_FOREST(
        CURSOR(SELECT STREAM "reading" FROM "SOURCE_SQL_STREAM_001"),
        100,    -- numberOfTrees
        256,    -- subSampleSize: the first rows score 0 while the forest learns
        100000, -- timeDecay: how many recent rows the forest remembers
        1       -- shingleSize: > 1 scores runs of consecutive rows
    ));

-- ==== hotspots: Hotspots
-- Finds dense regions of ("reading") among the last 100 rows with HOTSPOTS;
-- every row passes with HOTSPOTS_RESULT, a JSON list of the hotspots. The
-- input has only one numeric column, so a hotspot is a range of its values;
-- HOTSPOTS usually looks at two.
-- Hotspots: dense regions of ("reading") among the last 100 rows (HOTSPOTS).
-- Every row passes with HOTSPOTS_RESULT, JSON listing each hotspot's bounds
-- per column, densest first:
-- {"hotspots":[{"density":...,"minValues":[...],"maxValues":[...]}]}
-- The input has one numeric column: a hotspot is a range of its values.
-- To change: the columns (numeric ones make the points, others pass through);
-- scanRadius to the scale of your values; the window and minimum points.
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "reading" INTEGER,
    "HOTSPOTS_RESULT" VARCHAR(10000)
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM "reading", "HOTSPOTS_RESULT"
    FROM TABLE(HOTSPOTS(
        CURSOR(SELECT STREAM "reading" FROM "SOURCE_SQL_STREAM_001"),
        100, -- windowSize: the last rows looked at (100 to 1000)
        1,   -- scanRadius: how close neighbours in a hotspot are, in the columns' units
        5    -- minimumNumberOfPointsInAHotspot
    ));
