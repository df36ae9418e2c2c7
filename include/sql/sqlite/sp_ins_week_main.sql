-- Reference stand-in for the customer's SP_INS_WEEK_MAIN(p_type, p_week) on the embedded default.
-- Builds the per-farm weekly summary for the week starting :p_week (YYYYMMDD, a Monday) from TM_WEATHER
-- and TA_STATS_DATA. Idempotent: the week's rows are replaced. Run in one transaction.
--
-- It reads the week's manifest only (include/ins_report/model/manifest.py, docs/design.md "One manifest per
-- week"): the farms and their planned stations in TS_INS_WEEK_FARM, the statistics cells and the exact
-- period of each in TS_INS_WEEK_INPUT. Never "the latest period <= the week": the week's report then
-- depends on its own manifest, whatever other weeks ran since.
DELETE FROM TR_INS_WEEK_REPORT
 WHERE REPORT_WEEK = :p_week;

WITH bounds AS (
    SELECT d_start, date(d_start, '+6 days') AS d_end
      FROM (SELECT date(substr(:p_week, 1, 4) || '-' || substr(:p_week, 5, 2) || '-' || substr(:p_week, 7, 2))
                   AS d_start)
),
-- The week's farms and the station the plan chose for each (the batch's farm rule, applied once).
planned AS (
    SELECT FARM_NO, FARM_NM, POINT_ID
      FROM TS_INS_WEEK_FARM
     WHERE REPORT_WEEK = :p_week
),
-- The statistics the week reads: each report column's cells at their manifest period.
stats AS (
    SELECT MAX(CASE WHEN m.REPORT_COLUMN = 'NATIONAL_PIG_HEADS' THEN s.VALUE END) AS NATIONAL_PIG_HEADS,
           MAX(CASE WHEN m.REPORT_COLUMN = 'PORK_CPI' THEN s.VALUE END) AS PORK_CPI,
           -- EKAPE's daily price exists on auction days only: the mean over the week's auction days.
           ROUND(AVG(CASE WHEN m.REPORT_COLUMN = 'PIG_PRICE_AVG' AND s.VALUE > 0 THEN s.VALUE END), 1)
               AS PIG_PRICE_AVG
      FROM TS_INS_WEEK_INPUT m
      JOIN TA_STATS_DATA s
        ON s.SOURCE = m.SOURCE AND s.SERIES_ID = m.SERIES_ID AND s.ITEM_ID = m.ITEM_ID
       AND s.CATEGORY_ID = m.CATEGORY_ID AND s.PERIOD_TYPE = m.PERIOD_TYPE AND s.PERIOD = m.PERIOD
     WHERE m.REPORT_WEEK = :p_week
       AND m.REPORT_COLUMN IS NOT NULL
),
weekly AS (
    SELECT w.FARM_NO,
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
      JOIN planned p ON p.FARM_NO = w.FARM_NO AND p.POINT_ID = w.POINT_ID
      JOIN bounds b ON w.WEATHER_DATE BETWEEN b.d_start AND b.d_end
     GROUP BY w.FARM_NO
)
INSERT INTO TR_INS_WEEK_REPORT (
    REPORT_WEEK, FARM_NO, FARM_NM, POINT_ID, DAYS_OBSERVED, AVG_TA, MIN_TA, MAX_TA, AVG_RHM, SUM_RN,
    AVG_THI, MAX_THI, HEAT_STRESS_DAYS, NATIONAL_PIG_HEADS, PORK_CPI, PIG_PRICE_AVG, CREATED_AT
)
SELECT :p_week, wk.FARM_NO, p.FARM_NM, p.POINT_ID, wk.DAYS_OBSERVED, wk.AVG_TA, wk.MIN_TA, wk.MAX_TA,
       wk.AVG_RHM, wk.SUM_RN, wk.AVG_THI, wk.MAX_THI, wk.HEAT_STRESS_DAYS,
       st.NATIONAL_PIG_HEADS, st.PORK_CPI, st.PIG_PRICE_AVG,
       strftime('%Y-%m-%d %H:%M:%S', 'now', '+9 hours')
  FROM weekly wk
  JOIN planned p ON p.FARM_NO = wk.FARM_NO
 CROSS JOIN stats st;
