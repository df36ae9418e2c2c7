-- A week's page: the EKAPE daily price of the week's PIG_PRICE_AVG cell over first_period..last_period
-- (YYYYMMDD, the 12 weeks up to the week). Index-backed: TA_STATS_DATA's primary key.
SELECT s.PERIOD, s.VALUE
  FROM TA_STATS_DATA s
 WHERE s.SOURCE = :source AND s.SERIES_ID = :series_id AND s.ITEM_ID = :item_id
   AND s.CATEGORY_ID = :category_id AND s.PERIOD_TYPE = :period_type
   AND s.PERIOD BETWEEN :first_period AND :last_period
   AND s.VALUE > 0
 ORDER BY s.PERIOD
