-- Reference stand-in for the customer's SP_INS_WEEK_MAIN(p_type, p_week) on the embedded default.
-- Builds the per-farm weekly summary for the week starting :p_week (YYYYMMDD, a Monday) from TM_WEATHER
-- and TA_STATS_DATA. Idempotent: the week's rows are replaced. Run in one transaction.
DELETE FROM TR_INS_WEEK_REPORT
 WHERE REPORT_WEEK = :p_week;

WITH bounds AS (
    SELECT d_start,
           date(d_start, '+6 days') AS d_end,
           replace(d_start, '-', '') AS d_period_start,
           replace(date(d_start, '+6 days'), '-', '') AS d_period_end,
           strftime('%Y', d_start) || '0' || ((CAST(strftime('%m', d_start) AS INTEGER) + 2) / 3) AS q_period,
           strftime('%Y%m', d_start) AS m_period
      FROM (SELECT date(substr(:p_week, 1, 4) || '-' || substr(:p_week, 5, 2) || '-' || substr(:p_week, 7, 2))
                   AS d_start)
),
-- The farm rule (README "Where the data lands", include/ins_report/farms.py), as the batch applies it:
-- USE_YN = 'Y' exactly, FARM_NO as stored and without surrounding spaces, one such row per FARM_NO,
-- coordinates inside LAT 32.9..38.7, LON 124.5..132.0.
farm_names AS (
    SELECT FARM_NO, MIN(FARM_NM) AS FARM_NM
      FROM TA_FARM
     WHERE USE_YN = 'Y'
       AND FARM_NO IS NOT NULL
       AND LENGTH(FARM_NO) > 0
       AND FARM_NO = TRIM(FARM_NO)
     GROUP BY FARM_NO
    HAVING COUNT(*) = 1
       AND MIN(LAT) BETWEEN 32.9 AND 38.7
       AND MIN(LON) BETWEEN 124.5 AND 132.0
),
weekly AS (
    SELECT w.FARM_NO,
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
      JOIN bounds b ON w.WEATHER_DATE BETWEEN b.d_start AND b.d_end
     GROUP BY w.FARM_NO
)
INSERT INTO TR_INS_WEEK_REPORT (
    REPORT_WEEK, FARM_NO, FARM_NM, POINT_ID, DAYS_OBSERVED, AVG_TA, MIN_TA, MAX_TA, AVG_RHM, SUM_RN,
    AVG_THI, MAX_THI, HEAT_STRESS_DAYS, NATIONAL_PIG_HEADS, PORK_CPI, PIG_PRICE_AVG, CREATED_AT
)
SELECT :p_week, wk.FARM_NO, f.FARM_NM, wk.POINT_ID, wk.DAYS_OBSERVED, wk.AVG_TA, wk.MIN_TA, wk.MAX_TA,
       wk.AVG_RHM, wk.SUM_RN, wk.AVG_THI, wk.MAX_THI, wk.HEAT_STRESS_DAYS,
       (SELECT s.VALUE
          FROM TA_STATS_DATA s
         WHERE s.SERIES_ID = '101/DT_1EO311' AND s.ITEM_ID = 'T002' AND s.CATEGORY_ID = '00/00'
           AND s.PERIOD_TYPE = 'Q' AND s.PERIOD <= b.q_period
         ORDER BY s.PERIOD DESC
         LIMIT 1),
       (SELECT s.VALUE
          FROM TA_STATS_DATA s
         WHERE s.SERIES_ID = '101/DT_1J22003' AND s.ITEM_ID = 'T' AND s.CATEGORY_ID = 'A01114'
           AND s.PERIOD_TYPE = 'M' AND s.PERIOD <= b.m_period
         ORDER BY s.PERIOD DESC
         LIMIT 1),
       -- EKAPE (include/ins_report/sources/ekape.py): the daily 등외제외 price exists on auction days only
       -- ("no auction" days have AUCTION_HELD 0 and no price), so this is the mean over the auction days,
       -- NULL when the week has none or EKAPE is not collected.
       (SELECT ROUND(AVG(s.VALUE), 1)
          FROM TA_STATS_DATA s
         WHERE s.SOURCE = 'EKAPE' AND s.SERIES_ID = 'EKAPE/PIG_TANGBAK' AND s.ITEM_ID = 'PRICE'
           AND s.CATEGORY_ID = 'EXCL_OUT/NAT_EXJ' AND s.PERIOD_TYPE = 'D'
           AND s.PERIOD BETWEEN b.d_period_start AND b.d_period_end
           AND s.VALUE > 0),
       strftime('%Y-%m-%d %H:%M:%S', 'now', '+9 hours')
  FROM weekly wk
  JOIN farm_names f ON f.FARM_NO = wk.FARM_NO
 CROSS JOIN bounds b;
