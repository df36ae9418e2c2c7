-- Migration 003 for an existing Oracle schema (the customer's): the indexes of the week's reads, so that
-- they cost the same in the third year as in the first (docs/performance.md, "History"; docs/production.md,
-- "Migrations"). The same DDL as ../schema.sql (tests/unit/test_oracle_sql.py checks they agree). Run once,
-- as the owner of the tables; not re-runnable (ORA-00955 on a second run; ORA-01408 where an index on the
-- same columns exists already, which then serves as well: skip that statement).
--
-- Each CREATE INDEX reads its whole table once and sorts the keys. Without ONLINE it holds a share lock on
-- the table meanwhile: inserts and updates of that table wait until the index is built, so run it outside
-- the batch's window (Monday 02:00 to 12:30 KST) and outside the DB-side jobs that write the job log. On
-- Enterprise Edition, appending ONLINE to a statement lets writes go on during the build.
--
-- TM_WEATHER: the gate (gate_weather.sql), weather_days.sql and the report's weekly aggregate read one
-- week by WEATHER_DATE; the key starts with FARM_NO.
CREATE INDEX IX_TM_WEATHER_DATE ON TM_WEATHER (WEATHER_DATE, FARM_NO);
-- TA_STATS_DATA: the gate's per-series read and stats_periods.sql read the week's periods of a source.
CREATE INDEX IX_TA_STATS_DATA_PERIOD ON TA_STATS_DATA (SOURCE, PERIOD_TYPE, PERIOD, SERIES_ID);
-- TS_INS_JOB_LOG: the last weeks at a glance (job_log_last_weeks.sql, the digest), the INS weeks page
-- (weeks_*.sql) and a week's steps.
CREATE INDEX IX_INS_JOB_LOG_WEEK ON TS_INS_JOB_LOG (JOB_NM, REPORT_WEEK, STEP_NM);
