"""The one exception ingestion raises for bad input."""

from __future__ import annotations


class DeliveryError(Exception):
    """A delivery file (or the delivery as a whole) cannot be ingested.

    `str()` is one line, `<file name>: <problem>`, ready for the operator.
    """

    def __init__(self, file: str, problem: str) -> None:
        self.file = file
        self.problem = " ".join(problem.split())  # one line, whatever the cause said
        super().__init__(f"{file}: {self.problem}")
