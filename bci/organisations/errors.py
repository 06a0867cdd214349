"""Refusals of the organisations app."""

from django.utils.translation import gettext_lazy as _

from bci.core.errors import InvalidInput


class NetworkImportError(InvalidInput):
    """The network CSV is refused; ``line`` and ``column`` say where (line 1 is the header)."""

    code = "network_csv_invalid"
    message = _("Line %(line)s, column %(column)s: %(problem)s")

    def __init__(self, *, line, column, problem):
        super().__init__(line=line, column=column, problem=problem)
        self.line = line
        self.column = column
        self.problem = problem
