SELECT FARM_NO
  -- The farms of the week's report (reconciled with the week's farms after SP_INS_WEEK_MAIN, unless
  -- INS_RECONCILE_REPORT=off for a customer whose report table differs from the reference one).
  FROM TR_INS_WEEK_REPORT
 WHERE REPORT_WEEK = :p_week
