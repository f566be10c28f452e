"""The checkers of the notebooks' exercises, one module per notebook (:mod:`.checking` is the machinery they share).

Only the notebooks' exercise cells (and the solutions) import these; the library itself never does.
"""
