"""A time budget for training: whole epochs while they fit in it, so a slow machine waits as long as a fast one.

A profile's ``epochs`` say how long a model trains on the machine the course was sized on; on a
CPU three times slower the same epochs take three times as long. :class:`TimeBudget` is a Keras
callback that ends ``fit`` after the epoch past which the next one would overrun the budget
(the next epoch's time estimated by the mean so far). It always lets one epoch run, never
more than ``fit``'s ``epochs``, and says how many epochs ran and how fast, so a learner on a
slower machine sees why the result differs::

    budget = TimeBudget(profile.train_budget_s)
    model.fit(data, epochs=profile.epochs, callbacks=[budget])
    # trained 3 of 8 epochs in 452 s (151 s per epoch, 3.1 steps/s): the next would overrun the 480 s budget

A notebook that trains several models gives each a share of its budget:
``TimeBudget(profile.train_budget_s, share=0.25)``.

Stopping early ends ``fit`` where it is: a learning rate that decays over the planned epochs
(the cosine of :func:`prodimg_lib.enhancement.fit.fit_supervised`) has not reached its end, so a
run the budget cut short is a little weaker than one planned for that many epochs.
"""

from __future__ import annotations

import math
import time

import keras

__all__ = ["TimeBudget"]


class TimeBudget(keras.callbacks.Callback):
    """Stop ``fit`` before an epoch that would end past ``seconds`` of training; at least one epoch runs.

    Args:
        seconds: the budget in seconds (> 0), or None for no budget (the callback then only
            reports what ran).
        share: the fraction of ``seconds`` this run may use, in (0, 1] (default all of it).
        log: called with one line at the end of training (default ``print``); None says nothing.
        clock: the time source in seconds (tests pass a fake one).

    Attributes, after ``fit``: ``epochs_run``, ``epochs_planned`` (this call's), ``seconds``
    (of training), ``stopped`` (True when the budget ended the run early), ``report`` (the line).
    """

    def __init__(self, seconds: float | None, *, share: float = 1.0, log=print, clock=time.perf_counter):
        super().__init__()
        if seconds is not None and not (_is_number(seconds) and math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"the time budget must be a positive number of seconds or None, got {seconds!r}")
        if not (_is_number(share) and 0 < share <= 1):
            raise ValueError(f"the share of the time budget must be a number in (0, 1], got {share!r}")
        self.budget = None if seconds is None else float(seconds) * float(share)
        self.log, self.clock = log, clock
        self.epochs_run = self.epochs_planned = 0
        self.seconds = 0.0
        self.stopped = False
        self.report = ""

    def on_train_begin(self, logs=None):
        self._start = self.clock()
        self._first_epoch = None
        self.epochs_run, self.stopped, self.report = 0, False, ""
        self._steps = 0

    def on_epoch_begin(self, epoch, logs=None):
        if self._first_epoch is None:
            self._first_epoch = epoch
            self.epochs_planned = int(self.params.get("epochs") or epoch + 1) - epoch

    def on_train_batch_end(self, batch, logs=None):
        self._steps += 1

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_run += 1
        elapsed = self.clock() - self._start
        per_epoch = elapsed / self.epochs_run
        if self.budget is not None and self.epochs_run < self.epochs_planned and elapsed + per_epoch > self.budget:
            self.stopped = True
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.seconds = self.clock() - self._start
        if not self.epochs_run:
            self.report = "no epoch was trained"
        else:
            per_epoch = self.seconds / self.epochs_run
            speed = f"{self._steps / self.seconds:.1f} steps/s" if self.seconds > 0 else "instant"
            self.report = (f"trained {self.epochs_run} of {self.epochs_planned} epoch(s) in {self.seconds:.0f} s "
                           f"({per_epoch:.0f} s per epoch, {speed})")
            if self.stopped:
                self.report += f": the next would overrun the {self.budget:.0f} s budget"
            elif self.budget is not None:
                self.report += f", within the {self.budget:.0f} s budget"
        if self.log is not None:
            self.log(self.report)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
