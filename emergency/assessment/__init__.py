"""Dashboards and (later) the year-end assessment."""
