"""`make bench`: run the benchmarks and print each figure beside its same-run baseline.

Runs against a throw-away SQLite database in a temporary folder, with production
settings (DEBUG off), so nothing of the developer's own database is touched.
"""

import os
import sys
import tempfile
import traceback
from pathlib import Path

from . import setup_django


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-bench-"))
    setup_django(workdir / "bench.sqlite3")
    from . import http, importing

    print(f"Newsroom benchmarks ({os.cpu_count()} cores); work folder {workdir}")
    results = importing.run(workdir)
    status = 0
    try:
        results += http.run(workdir)  # over the database the import benchmark leaves
    except Exception as exc:
        traceback.print_exc()
        results.append(importing.Result("HTTP pages", f"failed: {type(exc).__name__}: {exc}"))
        status = 1
    print()
    width = max(len(r.name) for r in results)
    for r in results:
        verdict = "" if r.target is None else ("  ok" if r.met else "  BELOW TARGET")
        print(f"{r.name:<{width}}  {r.text}{verdict}")
    return status


if __name__ == "__main__":
    sys.exit(main())
