"""The load server's container lifecycle (``measure/load/server.py:started``) against hostile output.

A container that writes one line of tens of MiB before its ``ready`` line must neither grow
cprofiler's memory with it nor hold up the readiness it announces afterwards: the output is read
with the cold-start runs' byte cap per line.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from cprofiler.backends.run import LOG_TAIL_BYTES
from cprofiler.errors import CprofilerError
from cprofiler.images.build import build_image
from cprofiler.measure.load.server import started
from cprofiler.scenario.model import ImageSpec
from tests.conftest import static_context

pytestmark = pytest.mark.engine
MiB = 1 << 20
#: Bytes of the one line written before ``ready``: far over any buffer a reader would keep whole.
LONG_LINE_MIB = 32

#: Writes LONG_LINE_MIB MiB of ``x`` without a newline, then a ``ready`` line and waits, or with
#: ``THEN=exit`` a ``bye`` line and exits with 3.
LONG_LINE_C = r"""
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static void put(const char *p, size_t n) {
    while (n > 0) { ssize_t w = write(1, p, n); if (w <= 0) _exit(3); p += w; n -= (size_t)w; }
}
int main(void) {
    static char buf[65536];
    memset(buf, 'x', sizeof buf);
    for (long i = 0; i < %d * 16L; i++) put(buf, sizeof buf);
    const char *then = getenv("THEN");
    if (then && !strcmp(then, "exit")) { put("\nbye\n", 5); _exit(3); }
    put("\nready\n", 7);
    for (;;) pause();
}
"""


@pytest.fixture(scope="module")
def long_line_image(engine, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("longline")
    source = folder / "longline.c"
    source.write_text(LONG_LINE_C.replace("%d", str(LONG_LINE_MIB)), encoding="utf-8")
    ctx: Path = static_context(folder, source, "longline")
    spec = ImageSpec.model_validate({"dockerfile": ctx / "Dockerfile", "context": ctx, "ready": {"log": "^ready"}})
    return build_image(engine, "longline", spec, invocation="tests", offline=True).info.id


def test_one_huge_line_before_ready_keeps_memory_bounded_and_is_ready(engine, long_line_image):
    tracemalloc.start()
    try:
        t0 = time.monotonic()
        with started(engine, long_line_image, ready_timeout_s=60) as server:
            took = time.monotonic() - t0
            tail = server.log_tail()
            assert engine.state(server.container_id).running
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The reader keeps at most one capped line of the output at a time, never the whole line.
    assert peak < 8 * MiB, f"{peak / MiB:.0f} MiB allocated while reading a {LONG_LINE_MIB} MiB line"
    assert took < 60
    assert tail[-1].startswith("ready"), tail[-3:]
    assert sum(len(line.encode()) + 1 for line in tail) <= LOG_TAIL_BYTES


def test_one_huge_line_then_an_exit_fails_with_a_short_error(engine, long_line_image):
    with pytest.raises(CprofilerError, match="exited before it was ready") as failed:
        with started(engine, long_line_image, env={"THEN": "exit"}, ready_timeout_s=60):
            pytest.fail("a container that exits is never ready")
    message = str(failed.value)
    assert "bye" in message and len(message) < 16 * 1024, message[:300]
