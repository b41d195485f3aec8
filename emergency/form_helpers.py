"""Small helpers shared by the forms of every feature."""

from wtforms import SelectChoice


def choices(pairs) -> list[SelectChoice]:
    """Turn (value, label) pairs into SelectChoice objects (WTForms 3.3 deprecates tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]
