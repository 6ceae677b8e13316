"""Test set-up: isolation from third-party plugins, and the base problem as a fixture."""

from __future__ import annotations

import os
from typing import Any

import pytest
from builders import base_problem

# Isolate the tests from third-party plugins that may be installed next to tokenplan.
os.environ.setdefault("TOKENPLAN_DISABLE_PLUGIN_AUTOLOAD", "1")
# The console is as wide as a pipe's (200 columns) unless a test says otherwise: an exported COLUMNS would set it.
os.environ.pop("COLUMNS", None)


@pytest.fixture
def problem() -> dict[str, Any]:
    return base_problem()
