"""Dashboards and reports: progress against the campaign indicators, per commune; spreadsheets in and out."""
