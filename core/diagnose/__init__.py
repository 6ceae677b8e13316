"""Diagnostics in domain words (design section 7).

- :func:`precheck` (:mod:`.checks`): before solving, impossibility visible without a solve, by cause and
  with its numbers;
- :func:`elastic` (:mod:`.relaxed`): after an infeasible solve, re-solves with penalised slacks on every
  family with an elastic role; which families and places must give, and by how much;
- :class:`Cause` (:mod:`.causes`): one reason, in the JSON ``diagnosis`` as ``causes``.
"""

from tokenplan.diagnose.causes import Cause, diagnosis
from tokenplan.diagnose.checks import precheck
from tokenplan.diagnose.relaxed import elastic

__all__ = ["Cause", "diagnosis", "elastic", "precheck"]
