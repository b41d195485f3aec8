"""Demonstration data for the 黑河市 emergency office: `flask demo load`."""
