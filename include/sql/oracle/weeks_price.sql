-- The INS weeks page: the national pig carcass price per week of first_week..last_week: the mean of the
-- EKAPE daily prices of the cells the week's manifest feeds into PIG_PRICE_AVG (auction days only).
-- Index-backed: the primary keys of TS_INS_WEEK_INPUT and TA_STATS_DATA.
SELECT m.REPORT_WEEK, AVG(s.VALUE) AS PRICE, COUNT(s.VALUE) AS DAYS
  FROM TS_INS_WEEK_INPUT m
  JOIN TA_STATS_DATA s
    ON s.SOURCE = m.SOURCE AND s.SERIES_ID = m.SERIES_ID AND s.ITEM_ID = m.ITEM_ID
   AND s.CATEGORY_ID = m.CATEGORY_ID AND s.PERIOD_TYPE = m.PERIOD_TYPE AND s.PERIOD = m.PERIOD
 WHERE m.REPORT_WEEK BETWEEN :first_week AND :last_week
   AND m.REPORT_COLUMN = :report_column
   AND s.VALUE > 0
 GROUP BY m.REPORT_WEEK
