-- ==== filter: Continuous filter
-- Passes on the rows whose "CHANGE" is above 0, each as it arrives. Written
-- for the demo stock-ticker stream (TICKER_SYMBOL, SECTOR, CHANGE, PRICE), as
-- this application has no input yet: rename the columns to your input's.
-- Continuous filter: the rows whose "CHANGE" is above 0, each as it arrives,
-- into DESTINATION_SQL_STREAM with all of the input's columns.
-- To change: the condition in WHERE (here "CHANGE" > 0); the columns kept
-- (drop some from both the stream and the SELECT).
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "TICKER_SYMBOL" VARCHAR(4),
    "SECTOR" VARCHAR(16),
    "CHANGE" REAL,
    "PRICE" REAL
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM "TICKER_SYMBOL", "SECTOR", "CHANGE", "PRICE"
    FROM "SOURCE_SQL_STREAM_001"
    WHERE "CHANGE" > 0;

-- ==== tumbling: Tumbling window
-- The number of rows and the sum of "CHANGE" per "TICKER_SYMBOL" in 10-second
-- windows that do not overlap: one row per "TICKER_SYMBOL" when each window
-- closes. Written for the demo stock-ticker stream (TICKER_SYMBOL, SECTOR,
-- CHANGE, PRICE), as this application has no input yet: rename the columns to
-- your input's.
-- Tumbling window: the number of rows and the sum of "CHANGE" per
-- "TICKER_SYMBOL" in each 10-second window (aligned to the epoch, not
-- overlapping), one row per "TICKER_SYMBOL" when the window closes, stamped
-- (ROWTIME) with the window's end.
-- To change: the window's length (INTERVAL '10' SECOND, e.g. '1' MINUTE); the
-- aggregates (COUNT, SUM, AVG, MIN, MAX); the GROUP BY key.
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "TICKER_SYMBOL" VARCHAR(4),
    "RECORD_COUNT" BIGINT,
    "TOTAL" DOUBLE
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM "TICKER_SYMBOL", COUNT(*) AS "RECORD_COUNT", SUM("CHANGE") AS "TOTAL"
    FROM "SOURCE_SQL_STREAM_001"
    GROUP BY "TICKER_SYMBOL", STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '10' SECOND);

-- ==== sliding: Sliding window
-- For every row, the average "CHANGE" and the number of rows of the same
-- "TICKER_SYMBOL" over the last minute. Written for the demo stock-ticker
-- stream (TICKER_SYMBOL, SECTOR, CHANGE, PRICE), as this application has no
-- input yet: rename the columns to your input's.
-- Sliding window: for every row, the average "CHANGE" and the number of rows
-- of the same "TICKER_SYMBOL" in the minute up to it (itself included),
-- emitted with the row: a moving aggregate.
-- To change: the window's range (RANGE INTERVAL '1' MINUTE PRECEDING, or ROWS
-- 10 PRECEDING for the last rows); the aggregates; the PARTITION BY key.
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "TICKER_SYMBOL" VARCHAR(4),
    "CHANGE" REAL,
    "MOVING_AVERAGE" DOUBLE,
    "RECORD_COUNT" BIGINT
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM "TICKER_SYMBOL", "CHANGE", AVG("CHANGE") OVER W1 AS "MOVING_AVERAGE", COUNT(*) OVER W1 AS "RECORD_COUNT"
    FROM "SOURCE_SQL_STREAM_001"
    WINDOW W1 AS (PARTITION BY "TICKER_SYMBOL" RANGE INTERVAL '1' MINUTE PRECEDING);

-- ==== anomaly: Anomaly detection
-- Scores every row with RANDOM_CUT_FOREST over "CHANGE", "PRICE": the higher
-- ANOMALY_SCORE, the more unusual the row. Written for the demo stock-ticker
-- stream (TICKER_SYMBOL, SECTOR, CHANGE, PRICE), as this application has no
-- input yet: rename the columns to your input's.
-- Anomaly detection: every row with an ANOMALY_SCORE from RANDOM_CUT_FOREST
-- over its numeric columns ("CHANGE", "PRICE"); the higher, the more unusual.
-- Numeric columns in the CURSOR are scored, the others pass through.
-- Scores stay 0 for the first rows (subSampleSize) while the forest learns.
-- To change: the forest's parameters; keep only anomalies with WHERE
-- "ANOMALY_SCORE" > 2 (say) after the FROM TABLE(...).
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "TICKER_SYMBOL" VARCHAR(4),
    "CHANGE" REAL,
    "PRICE" REAL,
    "ANOMALY_SCORE" DOUBLE
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM "TICKER_SYMBOL", "CHANGE", "PRICE", "ANOMALY_SCORE"
    FROM TABLE(RANDOM_CUT_FOREST(
        CURSOR(SELECT STREAM "TICKER_SYMBOL", "CHANGE", "PRICE" FROM "SOURCE_SQL_STREAM_001"),
        100,    -- numberOfTrees
        256,    -- subSampleSize: the first rows score 0 while the forest learns
        100000, -- timeDecay: how many recent rows the forest remembers
        1       -- shingleSize: > 1 scores runs of consecutive rows
    ));

-- ==== hotspots: Hotspots
-- Finds dense regions of ("CHANGE", "PRICE") among the last 100 rows with
-- HOTSPOTS; every row passes with HOTSPOTS_RESULT, a JSON list of the
-- hotspots. Written for the demo stock-ticker stream (TICKER_SYMBOL, SECTOR,
-- CHANGE, PRICE), as this application has no input yet: rename the columns to
-- your input's.
-- Hotspots: dense regions of ("CHANGE", "PRICE") among the last 100 rows
-- (HOTSPOTS). Every row passes with HOTSPOTS_RESULT, JSON listing each
-- hotspot's bounds per column, densest first:
-- {"hotspots":[{"density":...,"minValues":[...],"maxValues":[...]}]}
-- To change: the columns (numeric ones make the points, others pass through);
-- scanRadius to the scale of your values; the window and minimum points.
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "TICKER_SYMBOL" VARCHAR(4),
    "CHANGE" REAL,
    "PRICE" REAL,
    "HOTSPOTS_RESULT" VARCHAR(10000)
);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM "TICKER_SYMBOL", "CHANGE", "PRICE", "HOTSPOTS_RESULT"
    FROM TABLE(HOTSPOTS(
        CURSOR(SELECT STREAM "TICKER_SYMBOL", "CHANGE", "PRICE" FROM "SOURCE_SQL_STREAM_001"),
        100, -- windowSize: the last rows looked at (100 to 1000)
        1,   -- scanRadius: how close neighbours in a hotspot are, in the columns' units
        5    -- minimumNumberOfPointsInAHotspot
    ));
