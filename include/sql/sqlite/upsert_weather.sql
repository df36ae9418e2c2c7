INSERT INTO TM_WEATHER (
    FARM_NO, WEATHER_DATE, POINT_ID, AVG_TA, MIN_TA, MAX_TA, AVG_RHM, SUM_RN, THI,
    SOURCE, COLLECTED_AT, RUN_ID
) VALUES (
    :farm_no, :weather_date, :point_id, :avg_ta, :min_ta, :max_ta, :avg_rhm, :sum_rn, :thi,
    :source, :collected_at, :run_id
)
ON CONFLICT (FARM_NO, WEATHER_DATE) DO UPDATE SET
    POINT_ID = excluded.POINT_ID,
    AVG_TA = excluded.AVG_TA,
    MIN_TA = excluded.MIN_TA,
    MAX_TA = excluded.MAX_TA,
    AVG_RHM = excluded.AVG_RHM,
    SUM_RN = excluded.SUM_RN,
    THI = excluded.THI,
    SOURCE = excluded.SOURCE,
    COLLECTED_AT = excluded.COLLECTED_AT,
    RUN_ID = excluded.RUN_ID
