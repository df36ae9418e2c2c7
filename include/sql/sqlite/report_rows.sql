SELECT {key}, {columns}
  -- The week's report rows as the report diff compares them (include/ins_report/model/report_diff.py), in key
  -- order. A template: {key} and {columns} are INS_REPORT_DIFF_KEY and INS_REPORT_DIFF_COLUMNS, plain column
  -- names checked by the settings' rule and again when pasted (FarmDatabase.report_rows).
  FROM TR_INS_WEEK_REPORT
 WHERE REPORT_WEEK = :p_week
 ORDER BY {key}
