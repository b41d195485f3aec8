"""Spreadsheet imports: templates, streaming readers, per-row checks, dry run and apply.

Flow: a file (XLSX or CSV) is read row by row (readers), each row is turned into the same plain
data the web forms produce and checked with the same services (units, plans, drills), and the
result is a report (report). A dry run writes nothing; applying writes every accepted row in one
transaction, so a failure leaves the database as it was.
"""
