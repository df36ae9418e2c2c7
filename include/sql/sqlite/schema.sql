-- Reference schema of the embedded default (SQLite). The Oracle twin is ../oracle/schema.sql.
-- Dates are ISO text 'YYYY-MM-DD', timestamps 'YYYY-MM-DD HH:MM:SS' in KST.

-- Farm master data (read only). The customer's table has no unique key on FARM_NO: duplicates happen,
-- and the batch excludes them with a logged reason.
CREATE TABLE IF NOT EXISTS TA_FARM (
    FARM_NO   TEXT,
    FARM_NM   TEXT,
    LAT       REAL,
    LON       REAL,
    USE_YN    TEXT NOT NULL DEFAULT 'Y'
);

-- External statistics, one row per series, item, category and period (upserted).
CREATE TABLE IF NOT EXISTS TA_STATS_DATA (
    SOURCE        TEXT NOT NULL,
    SERIES_ID     TEXT NOT NULL,
    ITEM_ID       TEXT NOT NULL,
    ITEM_NM       TEXT,
    CATEGORY_ID   TEXT NOT NULL,
    CATEGORY_NM   TEXT,
    PERIOD_TYPE   TEXT NOT NULL,
    PERIOD        TEXT NOT NULL,
    VALUE         REAL,
    UNIT          TEXT,
    COLLECTED_AT  TEXT NOT NULL,
    RUN_ID        TEXT NOT NULL,
    PRIMARY KEY (SOURCE, SERIES_ID, ITEM_ID, CATEGORY_ID, PERIOD_TYPE, PERIOD)
);
-- The gate's and the weeks' reads by period (gate_stats.sql, stats_periods.sql): the key has the series'
-- items before the period, so without this a series' read goes through every period it ever had.
CREATE INDEX IF NOT EXISTS IX_TA_STATS_DATA_PERIOD ON TA_STATS_DATA (SOURCE, PERIOD_TYPE, PERIOD, SERIES_ID);

-- Daily weather per farm (upserted on farm + date), from the farm's observation point.
CREATE TABLE IF NOT EXISTS TM_WEATHER (
    FARM_NO       TEXT NOT NULL,
    WEATHER_DATE  TEXT NOT NULL,
    POINT_ID      TEXT NOT NULL,
    AVG_TA        REAL,
    MIN_TA        REAL,
    MAX_TA        REAL,
    AVG_RHM       REAL,
    SUM_RN        REAL,
    THI           REAL,
    SOURCE        TEXT NOT NULL,
    COLLECTED_AT  TEXT NOT NULL,
    RUN_ID        TEXT NOT NULL,
    PRIMARY KEY (FARM_NO, WEATHER_DATE)
);
-- The week's reads (gate_weather.sql, weather_days.sql) by date: the key starts with FARM_NO, so without this
-- every week query read all of the table's history (docs/performance.md, "History").
CREATE INDEX IF NOT EXISTS IX_TM_WEATHER_DATE ON TM_WEATHER (WEATHER_DATE, FARM_NO);

-- Job log read by the DB-side monitoring: appended, one row per step outcome.
CREATE TABLE IF NOT EXISTS TS_INS_JOB_LOG (
    LOG_ID       INTEGER PRIMARY KEY AUTOINCREMENT,
    JOB_NM       TEXT NOT NULL,
    RUN_ID       TEXT NOT NULL,
    REPORT_WEEK  TEXT NOT NULL,
    STEP_NM      TEXT NOT NULL,
    STATUS       TEXT NOT NULL,
    STARTED_AT   TEXT,
    ENDED_AT     TEXT,
    ROW_COUNT    INTEGER,
    MESSAGE      TEXT
);
CREATE INDEX IF NOT EXISTS IX_INS_JOB_LOG_RUN ON TS_INS_JOB_LOG (RUN_ID, STEP_NM);
-- The last weeks at a glance (job_log_last_weeks.sql: the digest), the INS weeks page (weeks_*.sql: a page of
-- report weeks and their rows) and a week's steps, without a full scan.
CREATE INDEX IF NOT EXISTS IX_INS_JOB_LOG_WEEK ON TS_INS_JOB_LOG (JOB_NM, REPORT_WEEK, STEP_NM);

-- The week's manifest (include/ins_report/model/manifest.py): the exact inputs the week's report reads, replaced
-- as a whole when the week's run plans again. Statistics: per series the cells and the one period each is
-- read for, and the report column it feeds (written by START_JOB). Farms: the week's farms and the ASOS
-- station the plan chose for each (written by PLAN_WEATHER_LOCATIONS). The gate checks exactly these, the
-- report procedure reads exactly these, the reconciliation compares the report with TS_INS_WEEK_FARM.
CREATE TABLE IF NOT EXISTS TS_INS_WEEK_INPUT (
    REPORT_WEEK    TEXT NOT NULL,
    SOURCE         TEXT NOT NULL,
    SERIES_ID      TEXT NOT NULL,
    SERIES_NM      TEXT,
    ITEM_ID        TEXT NOT NULL,
    CATEGORY_ID    TEXT NOT NULL,
    PERIOD_TYPE    TEXT NOT NULL,
    PERIOD         TEXT NOT NULL,
    REPORT_COLUMN  TEXT,
    RUN_ID         TEXT NOT NULL,
    CREATED_AT     TEXT NOT NULL,
    PRIMARY KEY (REPORT_WEEK, SOURCE, SERIES_ID, ITEM_ID, CATEGORY_ID, PERIOD_TYPE, PERIOD)
);

CREATE TABLE IF NOT EXISTS TS_INS_WEEK_FARM (
    REPORT_WEEK  TEXT NOT NULL,
    FARM_NO      TEXT NOT NULL,
    FARM_NM      TEXT,
    POINT_ID     TEXT NOT NULL,
    POINT_NM     TEXT,
    RUN_ID       TEXT NOT NULL,
    CREATED_AT   TEXT NOT NULL,
    PRIMARY KEY (REPORT_WEEK, FARM_NO)
);

-- The weekly insight report, one row per farm and week: the output of SP_INS_WEEK_MAIN.
CREATE TABLE IF NOT EXISTS TR_INS_WEEK_REPORT (
    REPORT_WEEK         TEXT NOT NULL,
    FARM_NO             TEXT NOT NULL,
    FARM_NM             TEXT,
    POINT_ID            TEXT,
    DAYS_OBSERVED       INTEGER NOT NULL,
    AVG_TA              REAL,
    MIN_TA              REAL,
    MAX_TA              REAL,
    AVG_RHM             REAL,
    SUM_RN              REAL,
    AVG_THI             REAL,
    MAX_THI             REAL,
    HEAT_STRESS_DAYS    INTEGER NOT NULL,
    NATIONAL_PIG_HEADS  REAL,
    PORK_CPI            REAL,
    -- The week's average national pig carcass price (원/kg, 탕박, 등외 and Jeju excluded, 암·거세), the mean
    -- of the EKAPE daily prices over the week's auction days; NULL without EKAPE data.
    PIG_PRICE_AVG       REAL,
    CREATED_AT          TEXT NOT NULL,
    PRIMARY KEY (REPORT_WEEK, FARM_NO)
);

-- What each replacement of a week's report changed (include/ins_report/model/report_diff.py): written by the
-- report step right after the procedure, when the week had report rows before it; one row per farm and
-- column changed (CHANGED), per farm added or removed (ADDED / REMOVED, COL_NM the key column). At most
-- INS_REPORT_DIFF_MAX_ROWS rows per comparison; the COMPARE_REPORT job-log row has the exact counts.
-- TRY_NO is the comparison's number in its run (2: the report task was cleared and ran again).
CREATE TABLE IF NOT EXISTS TS_INS_REPORT_DIFF (
    REPORT_WEEK  TEXT NOT NULL,
    RUN_ID       TEXT NOT NULL,
    TRY_NO       INTEGER NOT NULL,
    FARM_NO      TEXT NOT NULL,
    COL_NM       TEXT NOT NULL,
    CHANGE_KIND  TEXT NOT NULL,
    OLD_VALUE    TEXT,
    NEW_VALUE    TEXT,
    DELTA        REAL,
    CREATED_AT   TEXT NOT NULL,
    PRIMARY KEY (REPORT_WEEK, RUN_ID, TRY_NO, FARM_NO, COL_NM)
);
