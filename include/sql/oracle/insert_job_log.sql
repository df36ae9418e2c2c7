INSERT INTO TS_INS_JOB_LOG (
    JOB_NM, RUN_ID, REPORT_WEEK, STEP_NM, STATUS, STARTED_AT, ENDED_AT, ROW_COUNT, MESSAGE
) VALUES (
    :job_nm, :run_id, :report_week, :step_nm, :status,
    TO_DATE(:started_at, 'YYYY-MM-DD HH24:MI:SS'),
    TO_DATE(:ended_at, 'YYYY-MM-DD HH24:MI:SS'),
    :row_count, :message
)
