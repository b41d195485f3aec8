"""Online backup and verified restore of the database and the uploaded files."""
