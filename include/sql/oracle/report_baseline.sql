SELECT RUN_ID, TO_CHAR(ENDED_AT, 'YYYY-MM-DD HH24:MI:SS') AS ENDED_AT
  -- The latest report of the week this DAG built (a RUN_WEEKLY_REPORT outcome, or the COMPARE_REPORT row the
  -- report task writes after the procedure). None: the week's report rows came from elsewhere, the legacy
  -- job (the first DAG week after the cutover, or an older week it built).
  FROM TS_INS_JOB_LOG
 WHERE JOB_NM = :job_nm
   AND REPORT_WEEK = :report_week
   AND (STEP_NM = 'COMPARE_REPORT' OR (STEP_NM = 'RUN_WEEKLY_REPORT' AND STATUS IN ('SUCCESS', 'WARNING')))
 ORDER BY LOG_ID DESC
 FETCH FIRST 1 ROWS ONLY
