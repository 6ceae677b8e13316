"""Chip catalog plugins, one module per vendor. Figures come from ``shared/reference`` with a source per
figure; estimates are flagged in ``estimate``; unknown figures are left out (None), never invented."""
