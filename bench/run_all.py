"""Run every benchmark script in bench/ in turn (`make bench`).

This machine's speed moves by half from hour to hour, so the run starts and ends with a fixed
piece of pure Python timed (`machine_reference_ms`): figures of two runs compare only beside it.
"""

import subprocess
import sys
import time
from pathlib import Path

from _common import report

HERE = Path(__file__).resolve().parent


def machine_reference_ms() -> float:
    """Ten million additions in a Python loop, best of three: the machine's speed of the moment."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> int:
    started = time.perf_counter()
    report("machine_reference_ms_before", machine_reference_ms(), "ms", "1e7 additions")
    failed = []
    for script in sorted(HERE.glob("*.py")):
        if script.name == "run_all.py" or script.name.startswith("_"):  # helpers, not benches
            continue
        print(f"# {script.name}", flush=True)
        script_started = time.perf_counter()
        if subprocess.run([sys.executable, str(script)], cwd=HERE.parent).returncode != 0:
            failed.append(script.name)
        report(f"bench_script_{script.stem}_s", time.perf_counter() - script_started, "s", "seeding included")
    report("machine_reference_ms_after", machine_reference_ms(), "ms", "1e7 additions")
    report("bench_total_s", time.perf_counter() - started, "s", "every script")
    if failed:
        print(f"# failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
