"""Units: the organisations that must hold emergency plans."""
