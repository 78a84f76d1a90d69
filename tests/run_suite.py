"""`make test`: the whole suite in two pytest processes side by side, on 2 cores.

The fault suite (tests marked `faults`: a 3-node Apache Kafka cluster, 30-second outages,
kill -9) spends most of its time waiting on timeouts and elections, and the other long tests
(marked `slow`: the demo, kill -9 through the pipeline) wait on processes; they run as one
pytest process while the rest of the suite runs in the foreground. The two share nothing
(each starts its own brokers on free ports, each test has its own database). The side
process's output goes to `var/test-slow.log` and is printed after the rest. Both must pass;
pytest's exit 5 (no test ran) is a failure.

With arguments (`make test PYTEST_ARGS=...`) it runs one pytest with exactly those.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
#: Each process names its slowest tests, so the suite's time can be kept in view.
SLOWEST = "--durations=15"
NO_TEST_RAN = 5
SIDE = "faults or slow"  # run beside the rest


def verdict(name: str, rc: int) -> int:
    if rc == NO_TEST_RAN:
        print(f"make test: no test ran ({name})", file=sys.stderr)
        return 1
    return rc


def main(argv: list[str]) -> int:
    if argv:
        return verdict("pytest " + " ".join(argv), subprocess.call([*BASE, *argv], cwd=ROOT))
    log = ROOT / "var" / "test-slow.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("wb") as out:
        faults = subprocess.Popen(
            [*BASE, SLOWEST, "-m", SIDE, "-rfEX"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
        print(f"make test: fault suite and slow tests beside the rest (output: {log})", flush=True)
        try:
            rest = verdict(
                "the suite", subprocess.call([*BASE, SLOWEST, "-m", f"not ({SIDE})"], cwd=ROOT)
            )
        except BaseException:  # Ctrl-C: the fault suite's brokers go too
            faults.terminate()
            faults.wait()
            raise
        fault_rc = verdict("the fault suite and slow tests", faults.wait())
    print(f"\n==================== side process: tests marked {SIDE} ====================")
    print(log.read_text(errors="replace"), end="", flush=True)
    if rest or fault_rc:
        print(
            f"make test: failed (suite exit {rest}, fault suite exit {fault_rc})", file=sys.stderr
        )
    return rest or fault_rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
