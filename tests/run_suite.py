"""`make test`: the whole suite in three pytest processes side by side, on 2 cores.

The suite spends much of its time waiting: the fault suite (tests marked `faults`: a 3-node
Apache Kafka cluster, 30-second outages, kill -9) on timeouts and elections, the other long
tests (marked `slow`: the demo, kill -9 through the pipeline) on processes, and the stream
tests (`tests/streams/`, with the simulator's beside them) on brokers and consumer-group
joins. Each of those runs as a
pytest process of its own in the background (`LANES`) while the rest of the suite, which
mostly computes, runs in the foreground. The processes share nothing (each starts its own
brokers on free ports, each test has its own database). A background lane's output goes to
`var/test-LANE.log` and is printed after the rest. All must pass; pytest's exit 5 (no test
ran) is a failure.

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
SIDE = "faults or slow"
#: The streams lane: the stream tests, and the simulator's (a minute of pure CPU moved
#: from the foreground, which was the longest lane: 871 s against 639 s and 745 s).
STREAMS = ["tests/streams", "tests/simulator"]
#: Background lanes: name -> pytest arguments. Together with `FOREGROUND`, every test once.
LANES = {
    "slow": ["-m", SIDE, "-rfEX"],
    "streams": ["-m", f"not ({SIDE})", "-rfEX", *STREAMS],
}
FOREGROUND = ["-m", f"not ({SIDE})", *(f"--ignore={d}" for d in STREAMS), "tests"]


def verdict(name: str, rc: int) -> int:
    if rc == NO_TEST_RAN:
        print(f"make test: no test ran ({name})", file=sys.stderr)
        return 1
    return rc


def main(argv: list[str]) -> int:
    if argv:
        return verdict("pytest " + " ".join(argv), subprocess.call([*BASE, *argv], cwd=ROOT))
    logs = {name: ROOT / "var" / f"test-{name}.log" for name in LANES}
    (ROOT / "var").mkdir(exist_ok=True)
    background = {}
    for name, args in LANES.items():
        with logs[name].open("wb") as out:
            background[name] = subprocess.Popen(
                [*BASE, SLOWEST, *args], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )
        print(f"make test: lane {name} ({' '.join(args)}) beside the rest: {logs[name]}")
    sys.stdout.flush()
    try:
        codes = {
            "rest": verdict("the suite", subprocess.call([*BASE, SLOWEST, *FOREGROUND], cwd=ROOT))
        }
    except BaseException:  # Ctrl-C: the background lanes' brokers go too
        for proc in background.values():
            proc.terminate()
            proc.wait()
        raise
    for name, proc in background.items():
        codes[name] = verdict(f"lane {name}", proc.wait())
        print(f"\n==================== lane {name}: {' '.join(LANES[name])} ====================")
        print(logs[name].read_text(errors="replace"), end="", flush=True)
    failed = {name: rc for name, rc in codes.items() if rc}
    if failed:
        print(
            f"make test: failed ({', '.join(f'{n} exit {rc}' for n, rc in failed.items())})",
            file=sys.stderr,
        )
    return next(iter(failed.values()), 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
