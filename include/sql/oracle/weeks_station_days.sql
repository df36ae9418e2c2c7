-- A week's page: each planned station's daily values (mean temperature, THI, rain), read from the rows of
-- its first farm (every farm of a station gets the station's values). Index-backed: the primary keys.
WITH STATIONS AS (
    SELECT POINT_ID, MIN(POINT_NM) AS POINT_NM, MIN(FARM_NO) AS FARM_NO, COUNT(*) AS FARMS
      FROM TS_INS_WEEK_FARM
     WHERE REPORT_WEEK = :report_week
     GROUP BY POINT_ID
)
SELECT s.POINT_ID, s.POINT_NM, s.FARMS, TO_CHAR(w.WEATHER_DATE, 'YYYY-MM-DD') AS WEATHER_DATE, w.AVG_TA, w.THI, w.SUM_RN
  FROM STATIONS s
  JOIN TM_WEATHER w
    ON w.FARM_NO = s.FARM_NO AND w.POINT_ID = s.POINT_ID
   AND w.WEATHER_DATE BETWEEN TO_DATE(:week_start, 'YYYY-MM-DD') AND TO_DATE(:week_end, 'YYYY-MM-DD')
 ORDER BY s.POINT_ID, w.WEATHER_DATE
