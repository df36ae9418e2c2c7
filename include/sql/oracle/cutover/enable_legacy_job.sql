-- Cutover rollback: give the weekly report back to the Oracle scheduler job.
--
-- First pause the Airflow DAG ins_weekly_report (UI toggle, or `airflow dags pause ins_weekly_report`), so
-- the two never both build the report. Then run as the job's owner in SQL*Plus or SQLcl, e.g.
--     sql OWNER@//dbhost:1521/SERVICE @include/sql/oracle/cutover/enable_legacy_job.sql
-- The job resumes its own schedule (Monday 02:00 KST) and calls SP_INS_WEEK_MAIN('WEEK', NULL) again.
-- While the job is enabled, a DAG run that reaches run_weekly_report fails before the procedure call
-- (INS_LEGACY_JOB_GUARD=fail), with a message naming this job.
WHENEVER SQLERROR EXIT SQL.SQLCODE
BEGIN
    DBMS_SCHEDULER.ENABLE(name => 'JOB_INS_WEEKLY_REPORT');
END;
/
SELECT JOB_NAME, ENABLED, STATE
  FROM USER_SCHEDULER_JOBS
 WHERE JOB_NAME = 'JOB_INS_WEEKLY_REPORT';
