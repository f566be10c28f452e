"""Shared machinery for the exercise checkers used in the notebooks.

Every notebook exercise ends with a call such as ``check_mse(my_mse)``. A checker
never raises on a wrong or missing answer (a notebook must run top to bottom even
before the learner has done the exercise); it returns a :class:`CheckResult` that
says whether the answer is right and, if not, what is wrong. The result shows
itself as one readable line in a notebook and is truthy only when correct, so
tests can simply ``assert check_mse(reference_mse)``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

__all__ = [
    "CheckResult",
    "passed",
    "failed",
    "not_answered",
    "is_unanswered",
    "compare_arrays",
    "run_candidate",
    "run_answer",
    "Case",
    "check_cases",
    "check_value",
]


@dataclass(frozen=True)
class CheckResult:
    """Outcome of an exercise check.

    Attributes:
        ok: True when the answer is correct.
        message: one or more sentences for the learner.
    """

    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        mark = "Correct" if self.ok else "Not yet"
        return f"{mark}: {self.message}"

    def _repr_markdown_(self) -> str:
        icon = "✅" if self.ok else "❌"
        return f"{icon} **{'Correct' if self.ok else 'Not yet'}**: {self.message}"


def passed(message: str = "well done.") -> CheckResult:
    return CheckResult(True, message)


def failed(message: str) -> CheckResult:
    return CheckResult(False, message)


def not_answered(what: str = "the answer") -> CheckResult:
    return CheckResult(False, f"{what} is still empty: replace the `...` or `None` with your code and run the cell again.")


def is_unanswered(answer: Any) -> bool:
    """True for the placeholders an exercise cell starts with (``None`` or ``...``)."""
    return answer is None or answer is Ellipsis


def compare_arrays(name: str, got: Any, expected: np.ndarray, *, rtol: float = 1e-5, atol: float = 1e-6) -> CheckResult:
    """Compare a learner's array (or number) with the reference, explaining shape and value errors."""
    if is_unanswered(got):
        return not_answered(name)
    try:
        got_arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return failed(f"{name} should be a number or an array of numbers, got {type(got).__name__}.")
    expected = np.asarray(expected, dtype=np.float64)
    if got_arr.shape != expected.shape:
        return failed(f"{name} has shape {got_arr.shape}, expected {expected.shape}.")
    if not np.all(np.isfinite(got_arr)):
        return failed(f"{name} contains NaN or infinite values.")
    if not np.allclose(got_arr, expected, rtol=rtol, atol=atol):
        err = float(np.max(np.abs(got_arr - expected)))
        if expected.ndim == 0:
            return failed(f"{name} = {float(got_arr):.6g}, expected {float(expected):.6g}.")
        return failed(f"{name} differs from the reference by up to {err:.3g}.")
    return passed(f"{name} matches the reference.")


def run_candidate(name: str, fn: Callable[..., Any] | None, *args: Any, **kwargs: Any) -> tuple[Any, CheckResult | None]:
    """Call a learner's function; return ``(value, None)`` or ``(None, failure)`` if it is missing or raises."""
    if is_unanswered(fn):
        return None, not_answered(name)
    if not callable(fn):
        return None, failed(f"{name} should be a function, got {type(fn).__name__}.")
    try:
        return fn(*args, **kwargs), None
    except NotImplementedError:
        return None, not_answered(name)
    except Exception as exc:  # the learner's code failed: report it, don't crash the notebook
        return None, failed(f"calling {name} raised {type(exc).__name__}: {exc}")


def run_answer(name: str, fn: Callable[..., Any] | None, *args: Any, **kwargs: Any) -> tuple[Any, CheckResult | None]:
    """:func:`run_candidate`, and a ``None`` result (the ``...`` body of an exercise cell) is not answered yet."""
    got, error = run_candidate(name, fn, *args, **kwargs)
    if error is None and got is None:
        return None, not_answered(name)
    return got, error


@dataclass(frozen=True)
class Case:
    """One fixed input for :func:`check_cases`.

    ``expected`` is an array-like, or a tuple of them when the function returns several
    values (named by ``output_names``). ``mistakes`` pairs the value a typical wrong
    answer would give with the explanation shown when the learner's value matches it.
    """

    args: tuple
    expected: Any
    label: str
    mistakes: tuple[tuple[Any, str], ...] = ()
    output_names: tuple[str, ...] | None = None
    nonfinite_hint: str = ""
    kwargs: dict = field(default_factory=dict)


def _flat(value: Any, multi: bool = False) -> np.ndarray | None:
    """A value as a float array (several outputs: concatenated flat), or None if not numeric."""
    try:
        if multi:
            if not isinstance(value, (tuple, list)) or not value:
                return None
            return np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in value])
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _hint(got: Any, mistakes: Iterable[tuple[Any, str]], multi: bool = False) -> str:
    """The explanation of the first known mistake whose value matches ``got``, else ``""``."""
    g = _flat(got, multi)
    if g is None:
        return ""
    for value, message in mistakes:
        v = _flat(value, multi)
        if v is not None and v.shape == g.shape and np.all(np.isfinite(v)) and np.allclose(g, v, rtol=1e-5, atol=1e-6):
            return " " + message
    return ""


def _compare_case(name: str, got: Any, case: Case) -> CheckResult:
    if case.output_names is None:
        return compare_arrays(name, got, np.asarray(case.expected, dtype=np.float64))
    names = case.output_names
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        return failed(f"{name} should return {len(names)} values ({', '.join(names)}), got {type(got).__name__}.")
    for part_name, part, expected in zip(names, got, case.expected):
        result = compare_arrays(part_name, part, np.asarray(expected, dtype=np.float64))
        if not result:
            return result
    return passed()


def check_cases(name: str, fn: Callable[..., Any] | None, cases: Iterable[Case]) -> CheckResult:
    """Run ``fn`` on every case; the first wrong answer gives a failure with a hint."""
    n = 0
    for case in cases:
        n += 1
        got, error = run_candidate(name, fn, *copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
        if error is not None:
            return error
        if got is None:
            return failed(f"{name} returned None: did you forget the `return` statement?")
        result = _compare_case(name, got, case)
        if not result:
            multi = case.output_names is not None
            hint = _hint(got, case.mistakes, multi)
            flat = _flat(got, multi)
            if not hint and case.nonfinite_hint and flat is not None and not np.all(np.isfinite(flat)):
                hint = " " + case.nonfinite_hint
            return failed(f"For {case.label}: {result.message}{hint}")
    return passed(f"{name} matches the reference on all {n} test inputs.")


def check_value(name: str, got: Any, expected: Any, hints: dict[float, str] | None = None, *, rtol: float = 1e-3, atol: float = 1e-4) -> CheckResult:
    """Check a number (or array) the learner computed by hand, e.g. ``check_value("MSE", answer, 1.3)``.

    The tolerance is loose (relative 1e-3) because hand computations are rounded.
    ``hints`` maps a typical wrong value to an explanation shown when it is given.
    """
    result = compare_arrays(name, got, expected, rtol=rtol, atol=atol)
    if result or not hints:
        return result
    g = _flat(got)
    for value, message in hints.items():
        if g is not None and g.shape == () and np.isclose(float(g), value, rtol=rtol, atol=atol):
            return failed(f"{result.message} {message}")
    return result
