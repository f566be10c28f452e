"""Shared machinery for the exercise checkers used in the notebooks.

Every notebook exercise ends with a call such as ``check_mse(my_mse)``. A checker
never raises on a wrong or missing answer (a notebook must run top to bottom even
before the learner has done the exercise); it returns a :class:`CheckResult` that
says whether the answer is right and, if not, what is wrong. The result shows
itself as one readable line in a notebook and is truthy only when correct, so
tests can simply ``assert check_mse(reference_mse)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = ["CheckResult", "passed", "failed", "not_answered", "compare_arrays", "run_candidate"]


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
