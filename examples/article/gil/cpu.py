"""A CPU-bound batch job for the GIL claim: the same total work split over threads or processes.

MODE=threads|processes, WORKERS=N (default 1), WORK=total loop iterations (default 12,000,000).
Each worker runs WORK/N iterations of pure-Python integer arithmetic, which holds the GIL the
whole time (no I/O, no C call that releases it). The job exits 0 when every worker is done, so an
exit probe times it: threads that cannot run Python in parallel take as long as one thread;
processes, each with its own interpreter and GIL, can use as many CPUs as the container has.
"""

import os
import sys
import threading
from multiprocessing import Process


def spin(iterations: int) -> None:
    total = 0
    for i in range(iterations):
        total += i * i % 7
    if total < 0:  # never true; keeps the loop's result live
        print(total)


def main() -> None:
    mode = os.environ.get("MODE", "threads")
    workers = int(os.environ.get("WORKERS", "1"))
    share = int(os.environ.get("WORK", "12000000")) // workers
    if mode == "threads":
        runners = [threading.Thread(target=spin, args=(share,)) for _ in range(workers)]
    elif mode == "processes":
        runners = [Process(target=spin, args=(share,)) for _ in range(workers)]
    else:
        sys.exit(f"MODE must be threads or processes, not {mode!r}")
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    if mode == "processes" and any(p.exitcode for p in runners):  # type: ignore[attr-defined]
        sys.exit("a worker process failed")


if __name__ == "__main__":
    main()
