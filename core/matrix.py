"""Compile a Pyomo model to the column-wise arrays HiGHS takes (one row per constraint).

It uses Pyomo's linear standard-form compiler (rows kept in their senses, ``mixed_form``), with a small
numpy-only sparse container in place of scipy's: through Pyomo's deferred-import hooks, the first use of
scipy imports ``scipy.stats`` too, which costs about 1.3 s per process. If Pyomo's internals change, the
public compiler (with scipy) is used instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyomo.core as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

try:  # pragma: no branch - depends on the installed Pyomo
    from pyomo.repn.plugins.standard_form import _LinearStandardFormCompiler_impl as _Impl
except ImportError:  # pragma: no cover
    _Impl = None


class _Compressed:
    """The subset of scipy's compressed sparse arrays that Pyomo's compiler uses (CSC or CSR)."""

    def __init__(self, arg: tuple[Any, Any, Any], shape: Any, *, csc: bool = True) -> None:
        data, indices, indptr = arg
        self.data = np.asarray(data, dtype=float)
        self.indices = np.asarray(indices, dtype=np.int32)
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.shape = (int(shape[0]), int(shape[1]))
        self.csc = csc

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1]) if len(self.indptr) else 0

    def _triplets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        counts = np.diff(self.indptr)
        major = np.repeat(np.arange(len(counts)), counts)
        return (self.indices, major, self.data) if self.csc else (major, self.indices, self.data)

    @classmethod
    def from_triplets(cls, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, shape: tuple[int, int],
                      csc: bool = True) -> _Compressed:
        major, minor = (cols, rows) if csc else (rows, cols)
        n_major = shape[1] if csc else shape[0]
        order = np.lexsort((minor, major))
        major, minor, vals = major[order], minor[order], vals[order]
        indptr = np.zeros(n_major + 1, dtype=np.int64)
        np.add.at(indptr, major + 1, 1)
        return cls((vals, minor, np.cumsum(indptr)), shape, csc=csc)

    def tocsc(self) -> _Compressed:
        if self.csc:
            return self
        r, c, v = self._triplets()
        return _Compressed.from_triplets(r, c, v, self.shape, csc=True)

    def tocsr(self) -> _Compressed:
        if not self.csc:
            return self
        r, c, v = self._triplets()
        return _Compressed.from_triplets(r, c, v, self.shape, csc=False)

    def sum_duplicates(self) -> None:
        r, c, v = self._triplets()
        if len(v) == 0:
            return
        n_minor = self.shape[0] if self.csc else self.shape[1]
        major, minor = (c, r) if self.csc else (r, c)
        keys = major.astype(np.int64) * n_minor + minor
        unique, inverse = np.unique(keys, return_inverse=True)
        if len(unique) == len(keys):
            return
        sums = np.zeros(len(unique))
        np.add.at(sums, inverse, v)
        major_u, minor_u = unique // n_minor, unique % n_minor
        rows, cols = (minor_u, major_u) if self.csc else (major_u, minor_u)
        new = _Compressed.from_triplets(rows, cols, sums, self.shape, csc=self.csc)
        self.data, self.indices, self.indptr = new.data, new.indices, new.indptr

    def eliminate_zeros(self) -> None:
        r, c, v = self._triplets()
        keep = v != 0
        if keep.all():
            return
        new = _Compressed.from_triplets(r[keep], c[keep], v[keep], self.shape, csc=self.csc)
        self.data, self.indices, self.indptr = new.data, new.indices, new.indptr

    def toarray(self) -> np.ndarray:
        out = np.zeros(self.shape)
        r, c, v = self._triplets()
        np.add.at(out, (r, c), v)
        return out

    def __getitem__(self, key: Any) -> _Compressed:
        rows, cols = key
        dense = self.toarray()[rows][:, cols] if not isinstance(rows, slice) else self.toarray()[:, cols]
        r, c = np.nonzero(dense)
        return _Compressed.from_triplets(r, c, dense[r, c], dense.shape, csc=self.csc)

    def __matmul__(self, x: Any) -> np.ndarray:
        return self.toarray() @ np.asarray(x, dtype=float)


if _Impl is not None:
    class _NumpyImpl(_Impl):  # type: ignore[misc, valid-type]
        _to_vector = np.fromiter
        _csc_matrix = _Compressed

        @staticmethod
        def _csr_matrix(arg: Any, shape: Any) -> _Compressed:
            return _Compressed(arg, shape, csc=False)

        def __init__(self, config: Any) -> None:  # skip the base class's scipy set-up
            self.config = config


def standard_form(model: pyo.ConcreteModel, **options: Any) -> Any:
    """Pyomo's ``LinearStandardFormInfo`` for ``model`` (sparse arrays without scipy when possible)."""
    if _Impl is None:  # pragma: no cover
        return LinearStandardFormCompiler().write(model, **options)
    config = LinearStandardFormCompiler.CONFIG(options)
    with PauseGC():
        return _NumpyImpl(config).write(model)


@dataclass
class Matrix:
    """The model as HiGHS sees it, with the Pyomo objects of its columns and rows."""

    lp: dict[str, Any]
    columns: list[Any]
    rows: list[Any]
    binary_cols: list[int]
    #: row and column positions by object, and the entries of each row (:func:`patch_rows`, built on first use)
    positions: dict[str, Any] = field(default_factory=dict, repr=False)


#: What HiGHS takes (its options ``small_matrix_value``, ``large_matrix_value``, ``infinite_cost`` and
#: ``infinite_bound``): smaller coefficients are dropped, larger ones refuse the model.
SMALL_MATRIX_VALUE = 1e-9
LARGE_MATRIX_VALUE = 1e15
INFINITE = 1e20


@dataclass
class LimitViolation:
    """A number in the model that HiGHS cannot take: where (row and/or column), what, the value, the limit."""

    what: str
    value: float
    limit: str
    row: Any = None
    column: Any = None

    def where(self) -> str:
        parts = [f"row {self.row.name}" if self.row is not None else "",
                 f"column {self.column.name}" if self.column is not None else ""]
        return " and ".join(p for p in parts if p)

    def __str__(self) -> str:
        return f"{self.what} {self.value:.3g} at {self.where()} {self.limit}"


def limit_violation(matrix: Matrix) -> LimitViolation | None:
    """The first number of the model that HiGHS would refuse, drop or misread (NaN, a coefficient outside
    [1e-9, 1e15], a finite bound or cost beyond 1e20), or None."""
    lp = matrix.lp
    values, index = lp["a_value"], lp["a_index"]
    column_of = np.repeat(np.arange(lp["n_col"]), np.diff(lp["a_start"]))
    checks = (
        ("coefficient", ~np.isfinite(values) | (np.abs(values) > LARGE_MATRIX_VALUE),
         f"(HiGHS takes coefficients up to {LARGE_MATRIX_VALUE:.0e})"),
        ("coefficient", (values != 0) & (np.abs(values) < SMALL_MATRIX_VALUE),
         f"(HiGHS drops coefficients below {SMALL_MATRIX_VALUE:.0e})"),
    )
    for what, bad, limit in checks:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            return LimitViolation(what, float(values[i]), limit, matrix.rows[int(index[i])],
                                  matrix.columns[int(column_of[i])])
    cost = lp["col_cost"]
    bad = np.isnan(cost) | (np.abs(cost) >= INFINITE)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        return LimitViolation("cost", float(cost[i]), f"(HiGHS reads costs from {INFINITE:.0e} as infinite)",
                              column=matrix.columns[i])
    for name, lower, upper, objects in (("row", lp["row_lower"], lp["row_upper"], matrix.rows),
                                        ("column", lp["col_lower"], lp["col_upper"], matrix.columns)):
        for side, bound, bad in (("lower bound", lower, np.isnan(lower) | (lower >= INFINITE)),
                                 ("upper bound", upper, np.isnan(upper) | (upper <= -INFINITE))):
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                where = {"row": objects[i]} if name == "row" else {"column": objects[i]}
                return LimitViolation(side, float(bound[i]), f"(HiGHS reads bounds from {INFINITE:.0e} "
                                      "as infinite)", **where)
    return None


def compile_matrix(model: pyo.ConcreteModel) -> Matrix:
    """Pyomo model -> HiGHS column-wise arrays (one row per constraint, ranged rows merged)."""
    columns = list(model.component_data_objects(pyo.Var, active=True, descend_into=True, sort=False))
    info = standard_form(model, mixed_form=True, column_order=columns)
    rows: list[Any] = []
    lower: list[float] = []
    upper: list[float] = []
    picks: list[int] = []
    where: dict[int, int] = {}
    for i, (con, sense) in enumerate(info.rows):
        j = where.get(id(con))
        if j is None:
            where[id(con)] = j = len(rows)
            rows.append(con)
            lower.append(-math.inf)
            upper.append(math.inf)
            picks.append(i)
        rhs = float(info.rhs[i])
        if sense <= 0:
            lower[j] = rhs
        if sense >= 0:
            upper[j] = rhs
    cols = info.columns
    A = info.A.tocsc()
    if len(picks) != len(info.rows):  # ranged constraints came as two rows: keep the first of each
        keep = np.zeros(len(info.rows), dtype=bool)
        keep[picks] = True
        r, c, v = _triplets_csc(A)
        new_index = np.cumsum(keep) - 1
        mask = keep[r]
        A = _Compressed.from_triplets(new_index[r[mask]], c[mask], v[mask], (len(rows), len(cols)))
    col_lower = np.array([-math.inf if v.lb is None else float(v.lb) for v in cols])
    col_upper = np.array([math.inf if v.ub is None else float(v.ub) for v in cols])
    integrality = np.array([0 if v.is_continuous() else 1 for v in cols], dtype=np.int8)
    binary = [i for i, v in enumerate(cols) if v.is_binary()]
    cost = np.asarray(info.c.toarray()).ravel() if info.c.shape[0] else np.zeros(len(cols))
    offset = float(np.asarray(info.c_offset).ravel()[0]) if np.asarray(info.c_offset).size else 0.0
    lp = {
        "n_col": len(cols), "n_row": len(rows), "col_cost": cost, "offset": offset,
        "col_lower": col_lower, "col_upper": col_upper,
        "row_lower": np.array(lower, dtype=float), "row_upper": np.array(upper, dtype=float),
        "a_start": np.asarray(A.indptr, dtype=np.int32), "a_index": np.asarray(A.indices, dtype=np.int32),
        "a_value": np.asarray(A.data, dtype=float), "integrality": integrality,
    }
    return Matrix(lp, list(cols), rows, binary)


def column_names(matrix: Matrix) -> list[str]:
    """The columns' Pyomo names, computed once per matrix (a Pyomo name is slow to make: MIP starts and
    plans are keyed by them)."""
    names = matrix.positions.get("names")
    if names is None:
        names = matrix.positions["names"] = [v.name for v in matrix.columns]
    return names


def patch_rows(matrix: Matrix, constraints: list[Any]) -> bool:
    """Recompile ``constraints`` (rows of ``matrix`` remade in place, same columns) into its arrays: their
    coefficients and bounds. False, with ``matrix`` unchanged, when a row's columns are not those it had
    (then the model must be compiled again)."""
    from pyomo.repn.standard_repn import generate_standard_repn

    lp = matrix.lp
    cache = _row_positions(matrix)
    if "order" not in cache:
        order = np.argsort(lp["a_index"], kind="stable")
        cache["order"] = order
        cache["starts"] = np.searchsorted(lp["a_index"][order], np.arange(lp["n_row"] + 1))
        cache["col_of"] = np.repeat(np.arange(lp["n_col"]), np.diff(lp["a_start"]))
    changes = []
    for con in constraints:
        i = cache["row"].get(id(con))
        if i is None:
            return False
        repn = generate_standard_repn(con.body, compute_values=True, quadratic=False)
        if repn.nonlinear_expr is not None:
            return False
        cols = [cache["col"].get(id(v)) for v in repn.linear_vars]
        if any(j is None for j in cols):
            return False
        positions = cache["order"][cache["starts"][i]:cache["starts"][i + 1]]
        by_col = {int(cache["col_of"][k]): int(k) for k in positions}
        coefs = {j: float(c) for j, c in zip(cols, repn.linear_coefs) if c != 0}
        if set(coefs) != set(by_col):
            return False
        constant = float(pyo.value(repn.constant))
        lower = -math.inf if con.lower is None else float(pyo.value(con.lower)) - constant
        upper = math.inf if con.upper is None else float(pyo.value(con.upper)) - constant
        changes.append((i, [(by_col[j], c) for j, c in coefs.items()], lower, upper))
    for i, entries, lower, upper in changes:
        for k, c in entries:
            lp["a_value"][k] = c
        lp["row_lower"][i], lp["row_upper"][i] = lower, upper
    return True


def patch_bounds(matrix: Matrix, changed: list[tuple[Any, float]]) -> bool:
    """Take new bounds of rows (constraint data of ``matrix`` whose lower or upper bound was set in place, each
    with that bound before) into its arrays; coefficients unchanged. False, with ``matrix`` unchanged, when a
    row is not one of its rows."""
    lp = matrix.lp
    row = _row_positions(matrix)["row"]
    changes = []
    for con, before in changed:
        i = row.get(id(con))
        if i is None:
            return False
        for side, bound in (("row_lower", con.lb), ("row_upper", con.ub)):
            if bound is not None and math.isfinite(lp[side][i]):
                # the matrix holds the bound less the body's constant (0 for a family's rows: exact)
                constant = before - lp[side][i]
                changes.append((side, i, float(bound) - constant))
    for side, i, value in changes:
        lp[side][i] = value
    return True


def _row_positions(matrix: Matrix) -> dict[str, Any]:
    """The matrix's cache of row and column positions by the id of their Pyomo objects."""
    cache = matrix.positions
    if "row" not in cache:
        cache["row"] = {id(con): i for i, con in enumerate(matrix.rows)}
        cache["col"] = {id(var): j for j, var in enumerate(matrix.columns)}
    return cache


def patch_columns(matrix: Matrix, variables: list[Any]) -> None:
    """Take the bounds of ``variables`` (columns of ``matrix``, bounds changed in the model) into its arrays."""
    if not variables:
        return
    lp = matrix.lp
    col = matrix.positions.get("col")
    if col is None:
        col = matrix.positions["col"] = {id(var): j for j, var in enumerate(matrix.columns)}
    for var in variables:
        j = col[id(var)]
        lp["col_lower"][j] = -math.inf if var.lb is None else float(var.lb)
        lp["col_upper"][j] = math.inf if var.ub is None else float(var.ub)


def _triplets_csc(A: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    counts = np.diff(A.indptr)
    cols = np.repeat(np.arange(len(counts)), counts)
    return np.asarray(A.indices), cols, np.asarray(A.data)
