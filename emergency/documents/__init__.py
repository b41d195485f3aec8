"""Uploaded documents: content sniffing, safe names and blob storage."""
