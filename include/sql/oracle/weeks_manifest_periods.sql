-- The INS weeks page: per week of first_week..last_week and statistics source, the periods the manifest
-- reads (first, last, how many cells). Index-backed: the primary key of TS_INS_WEEK_INPUT.
SELECT REPORT_WEEK, SOURCE, MIN(PERIOD) AS FIRST_PERIOD, MAX(PERIOD) AS LAST_PERIOD, COUNT(*) AS CELLS
  FROM TS_INS_WEEK_INPUT
 WHERE REPORT_WEEK BETWEEN :first_week AND :last_week
 GROUP BY REPORT_WEEK, SOURCE
