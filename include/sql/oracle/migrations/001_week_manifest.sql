-- Migration 001 for an existing Oracle schema (the customer's): the week's manifest tables
-- (include/ins_report/model/manifest.py, docs/design.md "One manifest per week"). The same DDL as ../schema.sql
-- (tests/unit/test_oracle_sql.py checks they agree). Run once, as the batch's schema owner, before the first
-- run of a release that writes the manifest; it is not re-runnable (ORA-00955 on a second run).
-- The batch's user needs SELECT, INSERT, DELETE on both tables; a customer's SP_INS_WEEK_MAIN that follows
-- the manifest contract needs SELECT on both.
CREATE TABLE TS_INS_WEEK_INPUT (
    REPORT_WEEK    VARCHAR2(20) NOT NULL,
    SOURCE         VARCHAR2(20) NOT NULL,
    SERIES_ID      VARCHAR2(100) NOT NULL,
    SERIES_NM      VARCHAR2(200 CHAR),
    ITEM_ID        VARCHAR2(50) NOT NULL,
    CATEGORY_ID    VARCHAR2(200) NOT NULL,
    PERIOD_TYPE    VARCHAR2(10) NOT NULL,
    PERIOD         VARCHAR2(10) NOT NULL,
    REPORT_COLUMN  VARCHAR2(30),
    RUN_ID         VARCHAR2(250) NOT NULL,
    CREATED_AT     DATE NOT NULL,
    CONSTRAINT PK_TS_INS_WEEK_INPUT PRIMARY KEY (REPORT_WEEK, SOURCE, SERIES_ID, ITEM_ID, CATEGORY_ID, PERIOD_TYPE, PERIOD)
);

CREATE TABLE TS_INS_WEEK_FARM (
    REPORT_WEEK  VARCHAR2(20) NOT NULL,
    FARM_NO      VARCHAR2(20) NOT NULL,
    FARM_NM      VARCHAR2(200 CHAR),
    POINT_ID     VARCHAR2(20) NOT NULL,
    POINT_NM     VARCHAR2(100 CHAR),
    RUN_ID       VARCHAR2(250) NOT NULL,
    CREATED_AT   DATE NOT NULL,
    CONSTRAINT PK_TS_INS_WEEK_FARM PRIMARY KEY (REPORT_WEEK, FARM_NO)
);
