MERGE INTO TA_STATS_DATA t
USING (
    SELECT :source AS SOURCE,
           :series_id AS SERIES_ID,
           :item_id AS ITEM_ID,
           :item_nm AS ITEM_NM,
           :category_id AS CATEGORY_ID,
           :category_nm AS CATEGORY_NM,
           :period_type AS PERIOD_TYPE,
           :period AS PERIOD,
           :value AS VALUE,
           :unit AS UNIT,
           TO_DATE(:collected_at, 'YYYY-MM-DD HH24:MI:SS') AS COLLECTED_AT,
           :run_id AS RUN_ID
      FROM DUAL
) s
ON (
    t.SOURCE = s.SOURCE
    AND t.SERIES_ID = s.SERIES_ID
    AND t.ITEM_ID = s.ITEM_ID
    AND t.CATEGORY_ID = s.CATEGORY_ID
    AND t.PERIOD_TYPE = s.PERIOD_TYPE
    AND t.PERIOD = s.PERIOD
)
WHEN MATCHED THEN UPDATE SET
    t.ITEM_NM = s.ITEM_NM,
    t.CATEGORY_NM = s.CATEGORY_NM,
    t.VALUE = s.VALUE,
    t.UNIT = s.UNIT,
    t.COLLECTED_AT = s.COLLECTED_AT,
    t.RUN_ID = s.RUN_ID
WHEN NOT MATCHED THEN INSERT (
    SOURCE, SERIES_ID, ITEM_ID, ITEM_NM, CATEGORY_ID, CATEGORY_NM, PERIOD_TYPE, PERIOD,
    VALUE, UNIT, COLLECTED_AT, RUN_ID
) VALUES (
    s.SOURCE, s.SERIES_ID, s.ITEM_ID, s.ITEM_NM, s.CATEGORY_ID, s.CATEGORY_NM, s.PERIOD_TYPE, s.PERIOD,
    s.VALUE, s.UNIT, s.COLLECTED_AT, s.RUN_ID
)
