"""Benchmarks of the self-care widget; run all with ``python -m bench`` from the repo root.

Each benchmark is a module with ``run() -> list[Result]`` registered in
:data:`bench.__main__.BENCHMARKS`. Helpers here keep timing and reporting uniform.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """One measured benchmark row of RESULTS.md.

    ``target_ms`` is the p99 bound the design sets; ``None`` means "reported, no bar".
    Rows whose target is not a latency (e.g. "0 platform calls") describe it in ``target_text``
    and give the outcome in ``ok``; both override the p99 bound.
    """

    name: str
    n: int
    p50_ms: float
    p99_ms: float
    target_ms: float | None = None
    note: str = ""
    target_text: str = ""
    ok: bool | None = None

    @property
    def target(self) -> str:
        if self.target_text:
            return self.target_text
        return f"p99 < {self.target_ms:g} ms" if self.target_ms is not None else "—"

    @property
    def verdict(self) -> str:
        if self.ok is not None:
            return "PASS" if self.ok else "FAIL"
        if self.target_ms is None:
            return "info"
        return "PASS" if self.p99_ms < self.target_ms else "FAIL"


def percentile(samples: Iterable[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: the value is one that was really measured)."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def time_calls(calls: Iterable[Callable[[], object]]) -> list[float]:
    """Run each call once and return its wall time in milliseconds."""
    samples = []
    for call in calls:
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summarize(name: str, samples_ms: list[float], target_ms: float | None = None, note: str = "") -> Result:
    """A :class:`Result` from raw samples."""
    return Result(
        name=name,
        n=len(samples_ms),
        p50_ms=percentile(samples_ms, 50),
        p99_ms=percentile(samples_ms, 99),
        target_ms=target_ms,
        note=note,
    )
