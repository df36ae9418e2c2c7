MERGE INTO TM_WEATHER t
USING (
    SELECT :farm_no AS FARM_NO,
           TO_DATE(:weather_date, 'YYYY-MM-DD') AS WEATHER_DATE,
           :point_id AS POINT_ID,
           :avg_ta AS AVG_TA,
           :min_ta AS MIN_TA,
           :max_ta AS MAX_TA,
           :avg_rhm AS AVG_RHM,
           :sum_rn AS SUM_RN,
           :thi AS THI,
           :source AS SOURCE,
           TO_DATE(:collected_at, 'YYYY-MM-DD HH24:MI:SS') AS COLLECTED_AT,
           :run_id AS RUN_ID
      FROM DUAL
) s
ON (t.FARM_NO = s.FARM_NO AND t.WEATHER_DATE = s.WEATHER_DATE)
WHEN MATCHED THEN UPDATE SET
    t.POINT_ID = s.POINT_ID,
    t.AVG_TA = s.AVG_TA,
    t.MIN_TA = s.MIN_TA,
    t.MAX_TA = s.MAX_TA,
    t.AVG_RHM = s.AVG_RHM,
    t.SUM_RN = s.SUM_RN,
    t.THI = s.THI,
    t.SOURCE = s.SOURCE,
    t.COLLECTED_AT = s.COLLECTED_AT,
    t.RUN_ID = s.RUN_ID
WHEN NOT MATCHED THEN INSERT (
    FARM_NO, WEATHER_DATE, POINT_ID, AVG_TA, MIN_TA, MAX_TA, AVG_RHM, SUM_RN, THI,
    SOURCE, COLLECTED_AT, RUN_ID
) VALUES (
    s.FARM_NO, s.WEATHER_DATE, s.POINT_ID, s.AVG_TA, s.MIN_TA, s.MAX_TA, s.AVG_RHM, s.SUM_RN, s.THI,
    s.SOURCE, s.COLLECTED_AT, s.RUN_ID
)
