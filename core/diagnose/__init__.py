"""Diagnostics in domain words (design section 7).

- :func:`precheck` (:mod:`.checks`): before solving, impossibility visible without a solve, by cause and
  with its numbers;
- :func:`elastic` (:mod:`.relaxed`): after an infeasible solve, re-solves with penalised slacks on every
  family with an elastic role; which families and places must give, and by how much;
- :func:`iis` (:mod:`.conflict`): HiGHS's irreducible infeasible subset mapped to families, a second opinion;
- :class:`Cause` (:mod:`.causes`): one reason, in the JSON ``diagnosis`` as ``causes``.
"""

from tokenplan.diagnose.causes import Cause, diagnosis
from tokenplan.diagnose.checks import precheck
from tokenplan.diagnose.conflict import iis
from tokenplan.diagnose.relaxed import elastic

__all__ = ["Cause", "diagnosis", "elastic", "iis", "precheck"]
