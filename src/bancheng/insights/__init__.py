"""Insights: rates, assessment, daily summary, Excel export/import, rollups (issue 8)."""
