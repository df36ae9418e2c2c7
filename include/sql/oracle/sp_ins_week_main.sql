-- INS-REFERENCE-STAND-IN: reference SP_INS_WEEK_MAIN for a development Oracle. NOT the customer's procedure.
--
-- In production the batch calls the customer's own SP_INS_WEEK_MAIN; never install this file there (it
-- would replace it). tests/oracle refuses to run against a schema whose SP_INS_WEEK_MAIN lacks the
-- marker (repeated inside the body, where USER_SOURCE keeps it).
--
-- The PL/SQL twin of ../sqlite/sp_ins_week_main.sql: builds the per-farm weekly summary of
-- the week starting p_week (YYYYMMDD, a Monday: INS_REPORT_WEEK_FORMAT's default) from TM_WEATHER and
-- TA_STATS_DATA into TR_INS_WEEK_REPORT. Idempotent: the week's rows are replaced. Like the legacy
-- procedure it appends its outcome to TS_INS_JOB_LOG (STEP_NM 'SP_INS_WEEK_MAIN', RUN_ID 'PROC:' || p_week),
-- SUCCESS with the row count, or FAILED with the error, which it then raises again.
--
-- p_week NULL raises ORA-20001: the legacy job's call SP_INS_WEEK_MAIN('WEEK', NULL) meant "the current
-- week", which is wrong for backfills and late runs; the week is always passed explicitly.
--
-- Install: SQL*Plus / SQLcl run this file as is (the '/' line ends the block); python-oracledb executes
-- the text without that last line (see tests/oracle/conftest.py). Then check USER_ERRORS.
CREATE OR REPLACE PROCEDURE SP_INS_WEEK_MAIN (
    p_type IN VARCHAR2,
    p_week IN VARCHAR2
) AS
    -- INS-REFERENCE-STAND-IN (kept in USER_SOURCE: tests/oracle checks it before replacing the procedure)
    c_job_nm   CONSTANT VARCHAR2(50) := 'INS_WEEKLY_REPORT';
    c_step_nm  CONSTANT VARCHAR2(100) := 'SP_INS_WEEK_MAIN';
    v_run_id   VARCHAR2(250) := SUBSTR('PROC:' || p_week, 1, 250);
    v_week     VARCHAR2(20) := NVL(SUBSTR(p_week, 1, 20), '-');
    v_started  DATE := CAST(SYSTIMESTAMP AT TIME ZONE 'Asia/Seoul' AS DATE);
    v_start    DATE;
    v_end      DATE;
    v_q_period VARCHAR2(6);
    v_m_period VARCHAR2(6);
    v_rows     NUMBER := 0;
    v_message  VARCHAR2(4000);
BEGIN
    IF p_week IS NULL THEN
        RAISE_APPLICATION_ERROR(-20001, 'SP_INS_WEEK_MAIN: p_week is NULL; pass the report week explicitly '
            || '(YYYYMMDD, the Monday), e.g. SP_INS_WEEK_MAIN(''WEEK'', ''20261116'')');
    END IF;
    IF p_type IS NULL OR p_type <> 'WEEK' THEN
        RAISE_APPLICATION_ERROR(-20002, 'SP_INS_WEEK_MAIN: the reference procedure supports p_type ''WEEK'' '
            || 'only, not ''' || p_type || '''');
    END IF;
    BEGIN
        v_start := TO_DATE(p_week, 'FXYYYYMMDD');
    EXCEPTION
        WHEN OTHERS THEN
            RAISE_APPLICATION_ERROR(-20003, 'SP_INS_WEEK_MAIN: p_week ''' || p_week
                || ''' is not a date in the format YYYYMMDD');
    END;
    IF v_start <> TRUNC(v_start, 'IW') THEN
        RAISE_APPLICATION_ERROR(-20004, 'SP_INS_WEEK_MAIN: p_week ' || p_week
            || ' is not a Monday; pass the Monday that starts the report week');
    END IF;
    v_end := v_start + 6;
    v_q_period := TO_CHAR(v_start, 'YYYY') || '0' || TO_CHAR(v_start, 'Q');
    v_m_period := TO_CHAR(v_start, 'YYYYMM');

    DELETE FROM TR_INS_WEEK_REPORT
     WHERE REPORT_WEEK = p_week;

    INSERT INTO TR_INS_WEEK_REPORT (
        REPORT_WEEK, FARM_NO, FARM_NM, POINT_ID, DAYS_OBSERVED, AVG_TA, MIN_TA, MAX_TA, AVG_RHM, SUM_RN,
        AVG_THI, MAX_THI, HEAT_STRESS_DAYS, NATIONAL_PIG_HEADS, PORK_CPI, PIG_PRICE_AVG, CREATED_AT
    )
    SELECT p_week, wk.FARM_NO, f.FARM_NM, wk.POINT_ID, wk.DAYS_OBSERVED, wk.AVG_TA, wk.MIN_TA, wk.MAX_TA,
           wk.AVG_RHM, wk.SUM_RN, wk.AVG_THI, wk.MAX_THI, wk.HEAT_STRESS_DAYS,
           (SELECT MAX(s.VALUE) KEEP (DENSE_RANK LAST ORDER BY s.PERIOD)
              FROM TA_STATS_DATA s
             WHERE s.SERIES_ID = '101/DT_1EO311' AND s.ITEM_ID = 'T002' AND s.CATEGORY_ID = '00/00'
               AND s.PERIOD_TYPE = 'Q' AND s.PERIOD <= v_q_period),
           (SELECT MAX(s.VALUE) KEEP (DENSE_RANK LAST ORDER BY s.PERIOD)
              FROM TA_STATS_DATA s
             WHERE s.SERIES_ID = '101/DT_1J22003' AND s.ITEM_ID = 'T' AND s.CATEGORY_ID = 'A01114'
               AND s.PERIOD_TYPE = 'M' AND s.PERIOD <= v_m_period),
           -- EKAPE: the daily 등외제외 price exists on auction days only, so this is the mean over the
           -- week's auction days; NULL when there is none or EKAPE is not collected.
           (SELECT ROUND(AVG(s.VALUE), 1)
              FROM TA_STATS_DATA s
             WHERE s.SOURCE = 'EKAPE' AND s.SERIES_ID = 'EKAPE/PIG_TANGBAK' AND s.ITEM_ID = 'PRICE'
               AND s.CATEGORY_ID = 'EXCL_OUT/NAT_EXJ' AND s.PERIOD_TYPE = 'D'
               AND s.PERIOD BETWEEN TO_CHAR(v_start, 'YYYYMMDD') AND TO_CHAR(v_end, 'YYYYMMDD')
               AND s.VALUE > 0),
           CAST(SYSTIMESTAMP AT TIME ZONE 'Asia/Seoul' AS DATE)
      FROM (SELECT w.FARM_NO,
                   MAX(w.POINT_ID) AS POINT_ID,
                   COUNT(*) AS DAYS_OBSERVED,
                   ROUND(AVG(w.AVG_TA), 2) AS AVG_TA,
                   MIN(w.MIN_TA) AS MIN_TA,
                   MAX(w.MAX_TA) AS MAX_TA,
                   ROUND(AVG(w.AVG_RHM), 2) AS AVG_RHM,
                   ROUND(SUM(w.SUM_RN), 1) AS SUM_RN,
                   ROUND(AVG(w.THI), 2) AS AVG_THI,
                   MAX(w.THI) AS MAX_THI,
                   SUM(CASE WHEN w.THI >= 74 THEN 1 ELSE 0 END) AS HEAT_STRESS_DAYS
              FROM TM_WEATHER w
             WHERE w.WEATHER_DATE BETWEEN v_start AND v_end
             GROUP BY w.FARM_NO) wk
      -- The farm rule (README "Where the data lands", include/ins_report/farms.py), as the batch applies
      -- it: USE_YN = 'Y' exactly, FARM_NO as stored and without surrounding spaces (NULL and '' fail the
      -- comparison), one such row per FARM_NO, coordinates inside LAT 32.9..38.7, LON 124.5..132.0.
      JOIN (SELECT FARM_NO, MIN(FARM_NM) AS FARM_NM
              FROM TA_FARM
             WHERE USE_YN = 'Y'
               AND FARM_NO = TRIM(FARM_NO)
             GROUP BY FARM_NO
            HAVING COUNT(*) = 1
               AND MIN(LAT) BETWEEN 32.9 AND 38.7
               AND MIN(LON) BETWEEN 124.5 AND 132.0) f
        ON f.FARM_NO = wk.FARM_NO;
    v_rows := SQL%ROWCOUNT;

    INSERT INTO TS_INS_JOB_LOG (
        JOB_NM, RUN_ID, REPORT_WEEK, STEP_NM, STATUS, STARTED_AT, ENDED_AT, ROW_COUNT, MESSAGE
    ) VALUES (
        c_job_nm, v_run_id, v_week, c_step_nm, 'SUCCESS', v_started,
        CAST(SYSTIMESTAMP AT TIME ZONE 'Asia/Seoul' AS DATE), v_rows,
        p_type || ' ' || p_week || ': ' || v_rows || ' farms (reference procedure)'
    );
    COMMIT;
EXCEPTION
    WHEN OTHERS THEN
        v_message := SUBSTR(SQLERRM, 1, 3900);
        ROLLBACK;
        INSERT INTO TS_INS_JOB_LOG (
            JOB_NM, RUN_ID, REPORT_WEEK, STEP_NM, STATUS, STARTED_AT, ENDED_AT, ROW_COUNT, MESSAGE
        ) VALUES (
            c_job_nm, v_run_id, v_week, c_step_nm, 'FAILED', v_started,
            CAST(SYSTIMESTAMP AT TIME ZONE 'Asia/Seoul' AS DATE), NULL, v_message
        );
        COMMIT;
        RAISE;
END SP_INS_WEEK_MAIN;
/
