-- The INS weeks page: how many report weeks the job log holds (for the pager); index only.
SELECT COUNT(DISTINCT REPORT_WEEK)
  FROM TS_INS_JOB_LOG
 WHERE JOB_NM = :job_nm
