SELECT COALESCE(MAX(TRY_NO), 0)
  -- The highest comparison number a run has stored for the week (0: none yet).
  FROM TS_INS_REPORT_DIFF
 WHERE REPORT_WEEK = :report_week
   AND RUN_ID = :run_id
