-- INS-REFERENCE-STAND-IN: reference SP_INS_WEEK_MAIN for a development Oracle. NOT the customer's procedure.
--
-- In production the batch calls the customer's own SP_INS_WEEK_MAIN; never install this file there (it
-- would replace it). tests/oracle refuses to run against a schema whose SP_INS_WEEK_MAIN lacks the
-- marker (repeated inside the body, where USER_SOURCE keeps it).
--
-- The PL/SQL twin of ../sqlite/sp_ins_week_main.sql: builds the per-farm weekly summary of
-- the week starting p_week (YYYYMMDD, a Monday: INS_REPORT_WEEK_FORMAT's default) from TM_WEATHER and
-- TA_STATS_DATA into TR_INS_WEEK_REPORT, reading the week's manifest (TS_INS_WEEK_FARM, TS_INS_WEEK_INPUT). Idempotent: the week's rows are replaced. Like the legacy
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
    v_farms    NUMBER := 0;
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

    DELETE FROM TR_INS_WEEK_REPORT
     WHERE REPORT_WEEK = p_week;

    -- The week's manifest only (include/ins_report/model/manifest.py): the farms and their planned stations in
    -- TS_INS_WEEK_FARM, each statistics cell at its exact period in TS_INS_WEEK_INPUT (never "the latest
    -- period <= the week"), so the week's report depends on its own manifest whatever ran since.
    SELECT COUNT(*) INTO v_farms FROM TS_INS_WEEK_FARM WHERE REPORT_WEEK = p_week;
    IF v_farms = 0 THEN
        RAISE_APPLICATION_ERROR(-20005, 'SP_INS_WEEK_MAIN: week ' || p_week || ' has no manifest '
            || '(TS_INS_WEEK_FARM is empty for it): run the batch''s plan for the week first');
    END IF;

    INSERT INTO TR_INS_WEEK_REPORT (
        REPORT_WEEK, FARM_NO, FARM_NM, POINT_ID, DAYS_OBSERVED, AVG_TA, MIN_TA, MAX_TA, AVG_RHM, SUM_RN,
        AVG_THI, MAX_THI, HEAT_STRESS_DAYS, NATIONAL_PIG_HEADS, PORK_CPI, PIG_PRICE_AVG, CREATED_AT
    )
    SELECT p_week, wk.FARM_NO, p.FARM_NM, p.POINT_ID, wk.DAYS_OBSERVED, wk.AVG_TA, wk.MIN_TA, wk.MAX_TA,
           wk.AVG_RHM, wk.SUM_RN, wk.AVG_THI, wk.MAX_THI, wk.HEAT_STRESS_DAYS,
           st.NATIONAL_PIG_HEADS, st.PORK_CPI, st.PIG_PRICE_AVG,
           CAST(SYSTIMESTAMP AT TIME ZONE 'Asia/Seoul' AS DATE)
      FROM (SELECT w.FARM_NO,
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
              JOIN TS_INS_WEEK_FARM m
                ON m.REPORT_WEEK = p_week AND m.FARM_NO = w.FARM_NO AND m.POINT_ID = w.POINT_ID
             WHERE w.WEATHER_DATE BETWEEN v_start AND v_end
             GROUP BY w.FARM_NO) wk
      JOIN TS_INS_WEEK_FARM p
        ON p.REPORT_WEEK = p_week AND p.FARM_NO = wk.FARM_NO
     CROSS JOIN (
            SELECT MAX(CASE WHEN m.REPORT_COLUMN = 'NATIONAL_PIG_HEADS' THEN s.VALUE END) AS NATIONAL_PIG_HEADS,
                   MAX(CASE WHEN m.REPORT_COLUMN = 'PORK_CPI' THEN s.VALUE END) AS PORK_CPI,
                   -- EKAPE's daily price exists on auction days only: the mean over the auction days.
                   ROUND(AVG(CASE WHEN m.REPORT_COLUMN = 'PIG_PRICE_AVG' AND s.VALUE > 0 THEN s.VALUE END), 1)
                       AS PIG_PRICE_AVG
              FROM TS_INS_WEEK_INPUT m
              JOIN TA_STATS_DATA s
                ON s.SOURCE = m.SOURCE AND s.SERIES_ID = m.SERIES_ID AND s.ITEM_ID = m.ITEM_ID
               AND s.CATEGORY_ID = m.CATEGORY_ID AND s.PERIOD_TYPE = m.PERIOD_TYPE AND s.PERIOD = m.PERIOD
             WHERE m.REPORT_WEEK = p_week
               AND m.REPORT_COLUMN IS NOT NULL) st;
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
