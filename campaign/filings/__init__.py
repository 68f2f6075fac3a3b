"""Commune reports on a deadline ("báo cáo định kỳ"): report periods set by the province, each commune's
report for a period (figures from the records, the plans' text sections), drafts, submission, return."""
