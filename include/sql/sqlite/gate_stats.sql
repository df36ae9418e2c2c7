SELECT ITEM_ID, CATEGORY_ID, PERIOD, VALUE
  -- The completeness gate (include/ins_report/steps/gate.py): one configured series' rows for the periods the
  -- report reads; the gate matches them with the series' items and categories and checks the values.
  FROM TA_STATS_DATA
 WHERE SOURCE = :source
   AND SERIES_ID = :series_id
   AND PERIOD_TYPE = :period_type
   AND PERIOD BETWEEN :first_period AND :last_period
