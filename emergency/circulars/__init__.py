"""The monthly circular (月度通报): units with overdue items by county and town, and the change
since the end of the previous month, as an editable draft, a DOCX file and a printable page."""
