-- Cutover, step 1: disable the Oracle scheduler job that the Airflow DAG ins_weekly_report replaces.
--
-- JOB_INS_WEEKLY_REPORT calls SP_INS_WEEK_MAIN('WEEK', NULL) every Monday 02:00 KST. While it is enabled,
-- the DAG's run_weekly_report step refuses to call the procedure (INS_LEGACY_JOB_GUARD=fail, the default),
-- so that the report is never built twice or by both systems at once.
--
-- Run as the job's owner in SQL*Plus or SQLcl, e.g.
--     sql OWNER@//dbhost:1521/SERVICE @include/sql/oracle/cutover/disable_legacy_job.sql
-- A job of another schema: use 'OWNER.JOB_INS_WEEKLY_REPORT' below (needs ALTER on the job or CREATE ANY
-- JOB). If the job is named differently, change the name here and set INS_LEGACY_JOB_NAME for Airflow.
-- Per Oracle's DBMS_SCHEDULER documentation, DISABLE fails while an instance of the job is running:
-- wait for it to end and run this script again. The job is kept (not dropped): enable_legacy_job.sql
-- rolls the cutover back.
WHENEVER SQLERROR EXIT SQL.SQLCODE
BEGIN
    DBMS_SCHEDULER.DISABLE(name => 'JOB_INS_WEEKLY_REPORT');
END;
/
SELECT JOB_NAME, ENABLED, STATE
  FROM USER_SCHEDULER_JOBS
 WHERE JOB_NAME = 'JOB_INS_WEEKLY_REPORT';
