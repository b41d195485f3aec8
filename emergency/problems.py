"""Problems found in submitted data: codes that the web layer, the API and imports translate."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One reason the data cannot be saved; the edge turns `code` into a message."""

    field: str
    code: str
    params: dict = field(default_factory=dict)


class ProblemsError(Exception):
    """Raised by a service when data is refused; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        self.problems = problems
