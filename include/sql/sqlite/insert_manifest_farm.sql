INSERT INTO TS_INS_WEEK_FARM (REPORT_WEEK, FARM_NO, FARM_NM, POINT_ID, POINT_NM, RUN_ID, CREATED_AT)
VALUES (:report_week, :farm_no, :farm_nm, :point_id, :point_nm, :run_id, :created_at)
