"""Drills (应急演练): annual drill plans, held drills with evidence, corrective actions, calendars."""
