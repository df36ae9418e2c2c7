SELECT LOG_ID, STEP_NM, STATUS, STARTED_AT, ENDED_AT, ROW_COUNT, MESSAGE
  -- A run's rows by RUN_ID: without statistics SQLite would rate JOB_NM (one value in the whole log) on
  -- IX_INS_JOB_LOG_WEEK as selective as RUN_ID, and read the whole log; INDEXED BY also fails loudly
  -- if the index is gone.
  FROM TS_INS_JOB_LOG INDEXED BY IX_INS_JOB_LOG_RUN
 WHERE JOB_NM = :job_nm
   AND RUN_ID = :run_id
 ORDER BY LOG_ID
