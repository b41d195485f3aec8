"""Compliance rules, the pure date engine and the obligation scan."""
