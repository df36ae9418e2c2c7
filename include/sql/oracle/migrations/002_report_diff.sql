-- Migration 002 for an existing Oracle schema (the customer's): the report diff table
-- (include/ins_report/model/report_diff.py, docs/data-contract.md "TS_INS_REPORT_DIFF"). The same DDL as
-- ../schema.sql (tests/unit/test_oracle_sql.py checks they agree). Run once, as the batch's schema owner,
-- before the first run of a release that diffs the report (INS_REPORT_DIFF=on, the default); it is not
-- re-runnable (ORA-00955 on a second run). The batch's user needs SELECT and INSERT on it; the INS weeks
-- page reads it. Without it, the report step writes its COMPARE_REPORT row as a WARNING and the report is
-- built as before.
CREATE TABLE TS_INS_REPORT_DIFF (
    REPORT_WEEK  VARCHAR2(20) NOT NULL,
    RUN_ID       VARCHAR2(250) NOT NULL,
    TRY_NO       NUMBER(6) NOT NULL,
    FARM_NO      VARCHAR2(100) NOT NULL,
    COL_NM       VARCHAR2(128) NOT NULL,
    CHANGE_KIND  VARCHAR2(10) NOT NULL,
    OLD_VALUE    VARCHAR2(1000 CHAR),
    NEW_VALUE    VARCHAR2(1000 CHAR),
    DELTA        NUMBER,
    CREATED_AT   DATE NOT NULL,
    CONSTRAINT PK_TS_INS_REPORT_DIFF PRIMARY KEY (REPORT_WEEK, RUN_ID, TRY_NO, FARM_NO, COL_NM)
);
