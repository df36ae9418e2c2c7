-- The INS weeks page: the report's headline figures per week of first_week..last_week, as the farms read
-- them (TR_INS_WEEK_REPORT, built from TM_WEATHER): rows, mean temperature, heat-stress days (THI >= 74)
-- and rain, each averaged over the week's farms. Index-backed: the primary key (REPORT_WEEK, FARM_NO).
SELECT REPORT_WEEK,
       COUNT(*) AS REPORT_ROWS,
       AVG(AVG_TA) AS MEAN_TA,
       AVG(HEAT_STRESS_DAYS) AS HEAT_STRESS_DAYS,
       AVG(SUM_RN) AS MEAN_RAIN
  FROM TR_INS_WEEK_REPORT
 WHERE REPORT_WEEK BETWEEN :first_week AND :last_week
 GROUP BY REPORT_WEEK
