SELECT FARM_NO, WEATHER_DATE, POINT_ID, AVG_TA, MIN_TA, MAX_TA, AVG_RHM, SUM_RN
  -- The completeness gate (include/ins_report/steps/gate.py): every TM_WEATHER row of the week with the values it
  -- checks, streamed. The checks (planned station, core values, include/ins_report/model/plausible.py) are Python.
  FROM TM_WEATHER
 WHERE WEATHER_DATE BETWEEN :week_start AND :week_end
