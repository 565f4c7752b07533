"""Shared plumbing: column types, errors, time, durations, identifiers."""
