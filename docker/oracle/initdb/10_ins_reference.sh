#!/bin/bash
# Development Oracle of docker-compose.yaml: the INS reference objects in the APP_USER schema of FREEPDB1.
#
# gvenzl/oracle-free runs the files of /container-entrypoint-initdb.d once, on the first start with an empty
# data volume (this folder is mounted there). This script installs, as APP_USER:
#   1. include/sql/oracle/schema.sql           the reference tables (mounted at /opt/ins/sql)
#   2. docker/oracle/seed/sample_farms.sql     the sample farms (mounted at /opt/ins/seed)
#   3. include/sql/oracle/sp_ins_week_main.sql the reference SP_INS_WEEK_MAIN, checked to be VALID
#   4. docker/oracle/seed/legacy_job_standin.sql  a DISABLED stand-in of JOB_INS_WEEKLY_REPORT (optional:
#      a failure here is only reported)
# and then writes the marker file that the compose healthcheck waits for. On a failure of steps 1-3 it
# prints the error and writes no marker: the service stays unhealthy, the Airflow worker does not start.
# Fix the cause, then `docker compose down -v` (drops the database volume) and `docker compose up` again.
#
# Works whether the entrypoint executes or sources it (no `exit`, no `set -e` at the top level).

ins_sqlplus() {
    # $1: what, then the SQL*Plus script on stdin; returns SQL*Plus's status.
    echo "INS: $1"
    sqlplus -s -L "${APP_USER}/${APP_USER_PASSWORD}@//localhost:1521/${INS_ORACLE_PDB:-FREEPDB1}"
}

ins_reference_install() {
    local sql_dir="${INS_SQL_DIR:-/opt/ins/sql}"
    local seed_dir="${INS_SEED_DIR:-/opt/ins/seed}"
    local marker="${INS_READY_MARKER:-/opt/oracle/oradata/ins_reference_ready}"
    # The seed holds Korean farm names in UTF-8: SQL*Plus must send them as such.
    export NLS_LANG=AMERICAN_AMERICA.AL32UTF8
    if [[ -z "${APP_USER:-}" || -z "${APP_USER_PASSWORD:-}" ]]; then
        echo "INS: ERROR: APP_USER and APP_USER_PASSWORD must be set (docker-compose.yaml sets them)" >&2
        return 1
    fi
    if ! ins_sqlplus "schema, sample farms and SP_INS_WEEK_MAIN into ${APP_USER}" <<SQL
WHENEVER SQLERROR EXIT FAILURE
WHENEVER OSERROR EXIT FAILURE
SET DEFINE OFF
SET SQLBLANKLINES ON
SET FEEDBACK OFF
@${sql_dir}/schema.sql
@${seed_dir}/sample_farms.sql
@${sql_dir}/sp_ins_week_main.sql
SHOW ERRORS PROCEDURE SP_INS_WEEK_MAIN
DECLARE
    v_status USER_OBJECTS.STATUS%TYPE;
BEGIN
    SELECT STATUS INTO v_status
      FROM USER_OBJECTS
     WHERE OBJECT_NAME = 'SP_INS_WEEK_MAIN' AND OBJECT_TYPE = 'PROCEDURE';
    IF v_status <> 'VALID' THEN
        RAISE_APPLICATION_ERROR(-20000, 'SP_INS_WEEK_MAIN is ' || v_status || ': see SHOW ERRORS above');
    END IF;
END;
/
SELECT COUNT(*) AS SAMPLE_FARMS FROM TA_FARM;
EXIT SUCCESS
SQL
    then
        echo "INS: ERROR: the reference install failed (see above); no ready marker written" >&2
        return 1
    fi
    if ! ins_sqlplus "disabled stand-in of the legacy job JOB_INS_WEEKLY_REPORT" <<SQL
WHENEVER SQLERROR EXIT FAILURE
SET DEFINE OFF
@${seed_dir}/legacy_job_standin.sql
EXIT SUCCESS
SQL
    then
        echo "INS: WARNING: the legacy job stand-in was not created (cutover rehearsal unavailable)" >&2
    fi
    touch "${marker}" && echo "INS: reference objects ready (${marker})"
}

ins_reference_install || echo "INS: the development Oracle is NOT ready" >&2
