INSERT INTO TS_INS_REPORT_DIFF (
    REPORT_WEEK, RUN_ID, TRY_NO, FARM_NO, COL_NM, CHANGE_KIND, OLD_VALUE, NEW_VALUE, DELTA, CREATED_AT
) VALUES (
    :report_week, :run_id, :try_no, :farm_no, :col_nm, :change_kind, :old_value, :new_value, :delta,
    TO_DATE(:created_at, 'YYYY-MM-DD HH24:MI:SS')
)
