-- Development stand-in of the legacy Oracle scheduler job, for rehearsing the cutover on the compose Oracle.
-- Created DISABLED, as after the cutover: the DAG's report step runs. To see the guard stop it, enable the
-- job (include/sql/oracle/cutover/enable_legacy_job.sql) and trigger a run; disable it again with
-- include/sql/oracle/cutover/disable_legacy_job.sql. Never install this on a customer database.
BEGIN
    DBMS_SCHEDULER.CREATE_JOB(
        job_name => 'JOB_INS_WEEKLY_REPORT',
        job_type => 'PLSQL_BLOCK',
        job_action => 'BEGIN SP_INS_WEEK_MAIN(''WEEK'', NULL); END;',
        start_date => TO_TIMESTAMP_TZ('2026-01-05 02:00:00 Asia/Seoul', 'YYYY-MM-DD HH24:MI:SS TZR'),
        repeat_interval => 'FREQ=WEEKLY;BYDAY=MON;BYHOUR=2;BYMINUTE=0;BYSECOND=0',
        enabled => FALSE,
        comments => 'INS development stand-in of the legacy weekly report job (docker/oracle)'
    );
END;
/
SELECT JOB_NAME, ENABLED, STATE
  FROM USER_SCHEDULER_JOBS
 WHERE JOB_NAME = 'JOB_INS_WEEKLY_REPORT';
