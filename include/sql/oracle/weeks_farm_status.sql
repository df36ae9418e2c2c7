-- A week's page: every TA_FARM row with its coordinates, the station the week's plan chose (NULL: not in
-- the plan, i.e. inactive or excluded) and the days TM_WEATHER holds for it from that station.
-- Index-backed: TS_INS_WEEK_FARM's and TM_WEATHER's primary keys per farm.
SELECT f.FARM_NO, f.FARM_NM, f.LAT, f.LON, f.USE_YN, m.POINT_ID,
       (SELECT COUNT(*)
          FROM TM_WEATHER w
         WHERE w.FARM_NO = m.FARM_NO AND w.POINT_ID = m.POINT_ID
           AND w.WEATHER_DATE BETWEEN TO_DATE(:week_start, 'YYYY-MM-DD') AND TO_DATE(:week_end, 'YYYY-MM-DD')) AS DAYS
  FROM TA_FARM f
  LEFT JOIN TS_INS_WEEK_FARM m ON m.REPORT_WEEK = :report_week AND m.FARM_NO = f.FARM_NO
