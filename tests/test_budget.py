"""The training time budget: whole epochs while the next one fits, at least one, at most fit's epochs."""

import keras
import numpy as np
import pytest

from prodimg_lib.course.budget import TimeBudget


class FakeClock:
    """Time that advances only when an epoch ends (by the epoch's given duration)."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _fit(budget, clock, epoch_seconds, epochs, initial_epoch=0):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    tick = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: setattr(clock, "now", clock.now + epoch_seconds))
    x = np.zeros((8, 3), "float32")
    history = model.fit(x, x[:, :1], batch_size=4, epochs=epochs, initial_epoch=initial_epoch, verbose=0,
                        callbacks=[tick, budget])
    return len(history.epoch)


@pytest.mark.parametrize("epoch_seconds, budget_s, expected", [
    (100.0, 480.0, 4),    # after 4 epochs (400 s) a fifth would end at 500 s
    (100.0, 1000.0, 6),   # every epoch fits: fit's epochs are the upper bound
    (900.0, 480.0, 1),    # one epoch longer than the whole budget still runs
])
def test_whole_epochs_while_the_next_fits(epoch_seconds, budget_s, expected):
    clock, lines = FakeClock(), []
    budget = TimeBudget(budget_s, log=lines.append, clock=clock)
    assert _fit(budget, clock, epoch_seconds, epochs=6) == expected
    assert budget.epochs_run == expected and budget.epochs_planned == 6 and budget.stopped == (expected < 6)
    assert lines == [budget.report] and budget.report.startswith(f"trained {expected} of 6 epoch(s) in ")
    assert ("overrun the" in budget.report) == (expected < 6)


def test_a_resumed_run_plans_only_its_remaining_epochs_and_none_is_no_limit():
    clock = FakeClock()
    budget = TimeBudget(None, log=None, clock=clock)
    assert _fit(budget, clock, 1000.0, epochs=5, initial_epoch=2) == 3
    assert budget.epochs_planned == 3 and not budget.stopped and "budget" not in budget.report


@pytest.mark.parametrize("bad", [0, -5, float("nan"), float("inf"), "60", True])
def test_a_bad_budget_is_refused(bad):
    with pytest.raises(ValueError, match="positive number of seconds or None"):
        TimeBudget(bad)


def test_a_share_of_the_budget_bounds_the_run():
    clock = FakeClock()
    budget = TimeBudget(480.0, share=0.25, log=None, clock=clock)  # 120 s of 480
    assert budget.budget == 120.0
    assert _fit(budget, clock, 50.0, epochs=6) == 2  # a third epoch would end at 150 s
    assert budget.report.endswith("overrun the 120 s budget")
    assert TimeBudget(None, share=0.5, log=None).budget is None


@pytest.mark.parametrize("bad", [0, -0.5, 1.5, float("nan"), "0.5", True])
def test_a_bad_share_is_refused(bad):
    with pytest.raises(ValueError, match=r"share of the time budget must be a number in \(0, 1\]"):
        TimeBudget(480.0, share=bad)
