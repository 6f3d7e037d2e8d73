"""Output of func services is cut into lines, batched and never blocks the writer."""

from __future__ import annotations

import threading
import time

from rig.log_shipper import BATCH_SIZE, QUEUE_SIZE, LogShipper
from rig.v1 import event_pb2


class Recorder:
    def __init__(self, block: threading.Event | None = None) -> None:
        self.lines: list[str] = []
        self.block = block

    def post(self, service: str, lines: list[event_pb2.ServiceLog]) -> None:
        if self.block is not None:
            self.block.wait()
        for line in lines:
            stream = "stderr" if line.stream == event_pb2.LOG_STREAM_STDERR else "stdout"
            self.lines.append(f"{service}/{stream}:{line.line}")


def test_lines_are_cut_and_shipped_in_order() -> None:
    recorder = Recorder()
    shipper = LogShipper(recorder.post)
    out = shipper.writer("fn", event_pb2.LOG_STREAM_STDOUT)
    err = shipper.writer("fn", event_pb2.LOG_STREAM_STDERR)
    out.write("one\ntw")
    out.write("o\r\nthree")
    err.write("oops\n")
    shipper.close()
    out.write("after close\n")
    assert recorder.lines == ["fn/stdout:one", "fn/stdout:two", "fn/stderr:oops", "fn/stdout:three"]


def test_writing_never_blocks_and_drops_are_reported() -> None:
    release = threading.Event()
    recorder = Recorder(release)
    shipper = LogShipper(recorder.post)
    out = shipper.writer("fn", event_pb2.LOG_STREAM_STDOUT)
    started = time.monotonic()
    for i in range(QUEUE_SIZE + BATCH_SIZE + 100):
        out.write(f"line {i}\n")
    assert time.monotonic() - started < 30, "writing blocked while rigd was slow"
    release.set()
    shipper.close()
    assert any("log line(s) dropped" in line for line in recorder.lines)
