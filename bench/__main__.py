"""Run the benchmarks and write ``bench/RESULTS.md``.

Usage (repo root): ``python -m bench`` runs every registered benchmark;
``python -m bench calllog_client`` runs only the named ones; ``python -m bench --append sizing``
adds the run as a section at the end of ``RESULTS.md`` instead of replacing the file. Exit status
1 if any row fails its target, so CI or ``make bench`` can gate on it.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

from bench import Result

#: Benchmark modules (inside ``bench``), each with ``run() -> list[Result]``. Add new ones here.
BENCHMARKS: list[str] = [
    "calllog_client",
    "pdf_bench",
    "calllog_fragment",
    "fragment_load",
    "platform_calls",
    "bytes_shipped",
    "fragment_cpu",
    "http_load",
    "first_content",
    "sizing",
    "edr_latency",
    "memory",
    "scaling",
]

RESULTS_PATH = Path(__file__).with_name("RESULTS.md")


def machine_info() -> str:
    """One line describing where the numbers were taken (they only compare within one machine)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def load_average() -> str:
    """The 1-minute load average (other work on the CPUs skews the tails), or "?"."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def render(
    results: list[Result], machine: str, when: datetime, load: str = "", title: str = "# Benchmark results"
) -> str:
    """RESULTS.md as markdown (``title`` is the heading; notes go one level below it)."""
    level = len(title) - len(title.lstrip("#"))
    lines = [
        title,
        "",
        f"- date: {when:%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine}",
        *([f"- load average (1 min) at start / end: {load}"] if load else []),
        "- all traffic over loopback HTTP; see bench/README.md for what each row measures",
        "",
        "| benchmark | n | p50 ms | p99 ms | target | verdict |",
        "|---|---:|---:|---:|---|---|",
    ]
    for r in results:
        lines.append(f"| {r.name} | {r.n} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.target} | {r.verdict} |")
    notes = [f"- **{r.name}**: {r.note}" for r in results if r.note]
    if notes:
        lines += ["", "#" * (level + 1) + " Notes", "", *notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Run the selected (default: all) benchmarks, print and write (or with --append: add) the table."""
    append = "--append" in argv
    selected = [a for a in argv if a != "--append"] or BENCHMARKS
    unknown = set(selected) - set(BENCHMARKS)
    if unknown:
        print(f"unknown benchmarks: {', '.join(sorted(unknown))}; known: {', '.join(BENCHMARKS)}")
        return 2
    load_at_start = load_average()
    results: list[Result] = []
    for name in selected:
        print(f"running {name} ...", flush=True)
        module = importlib.import_module(f"bench.{name}")
        results.extend(module.run())
    load = f"{load_at_start} / {load_average()} ({os.cpu_count()} CPUs)"
    when = datetime.now(timezone.utc)
    if append and RESULTS_PATH.exists():
        title = f"## Added run: {', '.join(selected)} ({when:%Y-%m-%d %H:%M} UTC)"
        text = render(results, machine_info(), when, load, title)
        previous = RESULTS_PATH.read_text(encoding="utf-8").rstrip("\n")
        RESULTS_PATH.write_text(previous + "\n\n" + text, encoding="utf-8")
    else:
        text = render(results, machine_info(), when, load)
        RESULTS_PATH.write_text(text, encoding="utf-8")
    print(text)
    return 1 if any(r.verdict == "FAIL" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
