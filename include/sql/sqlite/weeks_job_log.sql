-- The INS weeks page: every job-log row of the report weeks first_week..last_week (YYYYMMDD), oldest first.
-- Index-backed: IX_INS_JOB_LOG_WEEK (JOB_NM, REPORT_WEEK).
SELECT LOG_ID, RUN_ID, REPORT_WEEK, STEP_NM, STATUS, STARTED_AT, ENDED_AT, ROW_COUNT, MESSAGE
  FROM TS_INS_JOB_LOG
 WHERE JOB_NM = :job_nm
   AND REPORT_WEEK BETWEEN :first_week AND :last_week
 ORDER BY LOG_ID
