"""Campaigns of a province and their indicators (chỉ tiêu), overall and per commune."""
