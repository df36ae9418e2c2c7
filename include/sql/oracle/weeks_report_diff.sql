-- A week's page: the report diff of the week's latest run (TS_INS_REPORT_DIFF), newest comparison first,
-- at most :row_limit rows. Index-backed: the primary key (REPORT_WEEK, RUN_ID, TRY_NO, FARM_NO, COL_NM).
SELECT TRY_NO, FARM_NO, COL_NM, CHANGE_KIND, OLD_VALUE, NEW_VALUE, DELTA
  FROM TS_INS_REPORT_DIFF
 WHERE REPORT_WEEK = :report_week
   AND RUN_ID = :run_id
 ORDER BY TRY_NO DESC, FARM_NO, COL_NM
 FETCH FIRST :row_limit ROWS ONLY
