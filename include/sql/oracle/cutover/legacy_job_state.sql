-- Cutover check: is the legacy Oracle scheduler job enabled, and when did it last run?
-- The same question the DAG asks before it calls the procedure (../legacy_job_state.sql, with binds).
-- Run in SQL*Plus or SQLcl as the job's owner or as the Airflow connection's user, e.g.
--     sql OWNER@//dbhost:1521/SERVICE @include/sql/oracle/cutover/legacy_job_state.sql
-- ENABLED = 'FALSE' (or no row at all) means the cutover is done. No row while you expect one: the user
-- cannot see the job (ALL_SCHEDULER_JOBS lists only jobs the user owns or has privileges on).
SET LINESIZE 200
SELECT OWNER, JOB_NAME, ENABLED, STATE, LAST_START_DATE, NEXT_RUN_DATE
  FROM ALL_SCHEDULER_JOBS
 WHERE JOB_NAME = 'JOB_INS_WEEKLY_REPORT';
-- The job's last runs (after the cutover, no new row should appear).
SELECT LOG_DATE, OWNER, JOB_NAME, STATUS
  FROM ALL_SCHEDULER_JOB_RUN_DETAILS
 WHERE JOB_NAME = 'JOB_INS_WEEKLY_REPORT'
 ORDER BY LOG_DATE DESC
 FETCH FIRST 5 ROWS ONLY;
