INSERT INTO TA_STATS_DATA (
    SOURCE, SERIES_ID, ITEM_ID, ITEM_NM, CATEGORY_ID, CATEGORY_NM, PERIOD_TYPE, PERIOD,
    VALUE, UNIT, COLLECTED_AT, RUN_ID
) VALUES (
    :source, :series_id, :item_id, :item_nm, :category_id, :category_nm, :period_type, :period,
    :value, :unit, :collected_at, :run_id
)
ON CONFLICT (SOURCE, SERIES_ID, ITEM_ID, CATEGORY_ID, PERIOD_TYPE, PERIOD) DO UPDATE SET
    ITEM_NM = excluded.ITEM_NM,
    CATEGORY_NM = excluded.CATEGORY_NM,
    VALUE = excluded.VALUE,
    UNIT = excluded.UNIT,
    COLLECTED_AT = excluded.COLLECTED_AT,
    RUN_ID = excluded.RUN_ID
