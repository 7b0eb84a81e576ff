"""Timing shared by the PyTorch references: the median step after warm-up, as engram's bench takes it (this
machine's speed varies from moment to moment, and a median is steadier than a mean)."""
import time


def median_step_seconds(step, warmup, steps):
    for _ in range(warmup):
        step()
    seconds = []
    for _ in range(steps):
        started = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - started)
    return sorted(seconds)[len(seconds) // 2]
