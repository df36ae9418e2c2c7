SELECT SID, SERIAL# AS SERIAL_NO, STATUS, LAST_CALL_ET, MODULE, ACTION, CLIENT_IDENTIFIER, SQL_ID
  FROM V$SESSION  -- needs GRANT SELECT ON V_$SESSION TO the batch user (docs/operations.md)
 WHERE USERNAME = USER
   -- the call's session is tagged by include/ins_report/steps/report_call.py (MODULE, CLIENT_IDENTIFIER prefix)
   AND (MODULE = :module OR INSTR(CLIENT_IDENTIFIER, :client_prefix) = 1)
   AND SID <> TO_NUMBER(SYS_CONTEXT('USERENV', 'SID'))  -- not this session
 ORDER BY SID
