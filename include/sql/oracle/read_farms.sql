SELECT FARM_NO, FARM_NM, LAT, LON, USE_YN
  -- Every TA_FARM row as stored (no TRIM, no UPPER): include/ins_report/model/farms.py applies the farm rule
  -- (USE_YN = 'Y' exactly, FARM_NO without surrounding spaces and on one active row, coordinates inside
  -- Korea) and gives each row it cannot use its reason; the reference SP_INS_WEEK_MAIN applies the same rule.
  FROM TA_FARM
