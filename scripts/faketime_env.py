"""Print the environment that moves a process tree's clock to the latest Monday at a given KST time, for
`make test-monday`: libfaketime's vendored build from PyPI, the monotonic clock left real."""

from __future__ import annotations

import datetime as dt
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from include.ins_report.model import clock
from tests.support.faketime import faketime_env, latest_monday_at

if __name__ == "__main__":
    at = dt.time.fromisoformat(sys.argv[1] if len(sys.argv) > 1 else "03:30")
    now = clock.now()
    target = latest_monday_at(now, at)
    print(f"# clock moved to {target.isoformat()} (KST)", file=sys.stderr)
    print(" ".join(f"{key}={shlex.quote(value)}" for key, value in faketime_env(target, now).items()))
