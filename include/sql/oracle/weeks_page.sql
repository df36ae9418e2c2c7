-- The INS weeks page (include/ins_report/weeks/): the report weeks of one page, newest first.
-- Index-backed: IX_INS_JOB_LOG_WEEK (JOB_NM, REPORT_WEEK), read in index order.
SELECT DISTINCT REPORT_WEEK
  FROM TS_INS_JOB_LOG
 WHERE JOB_NM = :job_nm
 ORDER BY REPORT_WEEK DESC
OFFSET :page_offset ROWS FETCH NEXT :page_size ROWS ONLY
