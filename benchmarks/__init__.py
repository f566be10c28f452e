"""Speed and quality benchmarks of the course's models, outside the teaching path: ``python -m benchmarks gan|enhance|backends``."""
