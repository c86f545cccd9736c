"""`make bench`: run the benchmarks and print each figure beside its same-run baseline.

Runs against a throw-away SQLite database in a temporary folder, with production
settings (DEBUG off), so nothing of the developer's own database is touched. The folder
(a 100,000-article database, some hundreds of megabytes) is deleted at the end unless
NEWSROOM_BENCH_KEEP=1, e.g. to measure again with `python -m bench.http FOLDER`.
"""

import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

from . import setup_django


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-bench-"))
    try:
        return run(workdir)
    finally:
        if os.environ.get("NEWSROOM_BENCH_KEEP") == "1":
            print(f"Kept the work folder {workdir} (NEWSROOM_BENCH_KEEP=1).")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            print(
                f"Deleted the work folder {workdir}; set NEWSROOM_BENCH_KEEP=1 to keep it "
                "(to measure again with `python -m bench.http FOLDER`)."
            )


def run(workdir: Path) -> int:
    setup_django(workdir / "bench.sqlite3")
    from . import desk, http, importing, load

    print(f"Newsroom benchmarks ({os.cpu_count()} cores); work folder {workdir}")
    results = importing.run(workdir)
    status = 0
    try:
        results += http.run(workdir)  # over the database the import benchmark leaves
    except Exception as exc:
        traceback.print_exc()
        results.append(importing.Result("HTTP pages", f"failed: {type(exc).__name__}: {exc}"))
        status = 1
    results += desk.run(workdir)  # the admin changelist over the same 100,000 articles
    results += load.run(workdir)  # readers, an editor and an import at once, on each backend
    print()
    width = max(len(r.name) for r in results)
    for r in results:
        verdict = "" if r.target is None else ("  ok" if r.met else "  BELOW TARGET")
        print(f"{r.name:<{width}}  {r.text}{verdict}")
    return status


if __name__ == "__main__":
    sys.exit(main())
