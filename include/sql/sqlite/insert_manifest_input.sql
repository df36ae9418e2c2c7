INSERT INTO TS_INS_WEEK_INPUT (
    REPORT_WEEK, SOURCE, SERIES_ID, SERIES_NM, ITEM_ID, CATEGORY_ID, PERIOD_TYPE, PERIOD, REPORT_COLUMN,
    RUN_ID, CREATED_AT
) VALUES (
    :report_week, :source, :series_id, :series_nm, :item_id, :category_id, :period_type, :period,
    :report_column, :run_id, :created_at
)
