"""Shared building blocks: column types, time and text helpers, audit log, notices, errors."""
