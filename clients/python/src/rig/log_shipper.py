"""Ships the output of func services to rigd as service_logs events: line-buffered per
stream, batched, through a bounded queue. Writing never blocks and never raises; when
rigd cannot keep up, lines beyond the bound are dropped and the drop is reported."""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable

from rig.v1 import event_pb2

#: Sends one batch of one service's lines; a failure loses that batch, nothing more.
PostLogs = Callable[[str, list[event_pb2.ServiceLog]], None]

QUEUE_SIZE = 10_000
BATCH_SIZE = 500
FLUSH_DELAY = 0.05
MAX_LINE_LENGTH = 64 * 1024


class LogShipper:
    """Line-buffered, batched, bounded forwarding of the output of func services."""

    def __init__(self, post: PostLogs) -> None:
        self._post = post
        self._queue: queue.Queue[tuple[str, event_pb2.ServiceLog] | None] = queue.Queue(QUEUE_SIZE)
        self._lock = threading.Lock()
        self._pending = 0  # lines queued or being sent
        self._sent = threading.Condition(self._lock)
        self._dropped = 0
        self._closed = False
        self._writers: list[StreamWriter] = []
        self._thread = threading.Thread(target=self._run, name="rig-log-shipper", daemon=True)
        self._thread.start()

    def writer(self, service: str, stream: event_pb2.LogStream.ValueType) -> StreamWriter:
        """A text stream for one output stream of one service."""
        w = StreamWriter(self, service, stream)
        with self._lock:
            self._writers.append(w)
        return w

    def enqueue(self, service: str, stream: event_pb2.LogStream.ValueType, line: str) -> None:
        """Queues one complete line; drops it when the queue is full."""
        with self._lock:
            if self._closed:
                return
            try:
                self._queue.put_nowait((service, event_pb2.ServiceLog(stream=stream, line=line)))
                self._pending += 1
            except queue.Full:
                self._dropped += 1

    def flush(self, timeout: float = 5.0) -> None:
        """Sends partial lines and everything queued; returns once sent (or lost) or
        after ``timeout`` seconds."""
        with self._lock:
            writers = list(self._writers)
        for w in writers:
            w.flush()
        with self._sent:
            self._sent.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Flushes, then stops; later writes are ignored."""
        self.flush(timeout)
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return  # the shipper is stuck posting; it is a daemon thread
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < BATCH_SIZE:
                try:
                    item = self._queue.get(timeout=FLUSH_DELAY)
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._send(batch)
            with self._sent:
                self._pending -= len(batch)
                self._sent.notify_all()
            if stop:
                return

    def _send(self, batch: list[tuple[str, event_pb2.ServiceLog]]) -> None:
        by_service: dict[str, list[event_pb2.ServiceLog]] = {}
        for service, line in batch:
            by_service.setdefault(service, []).append(line)
        with self._lock:
            dropped, self._dropped = self._dropped, 0
        if dropped:
            first = next(iter(by_service))
            by_service[first].append(
                event_pb2.ServiceLog(
                    stream=event_pb2.LOG_STREAM_STDERR,
                    line=f"[rig] {dropped} log line(s) dropped: output faster than rigd accepts it",
                )
            )
        for service, lines in by_service.items():
            try:
                self._post(service, lines)
            except Exception:  # noqa: BLE001 - a lost batch is not worth failing the service for
                pass


class StreamWriter(io.TextIOBase):
    """One output stream of one service, cut into lines."""

    def __init__(self, shipper: LogShipper, service: str, stream: event_pb2.LogStream.ValueType) -> None:
        super().__init__()
        self._shipper = shipper
        self._service = service
        self._stream = stream
        self._partial = ""
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            pending = self._partial + text
            *lines, rest = pending.split("\n")
            for line in lines:
                self._shipper.enqueue(self._service, self._stream, line.removesuffix("\r"))
            while len(rest) > MAX_LINE_LENGTH:
                self._shipper.enqueue(self._service, self._stream, rest[:MAX_LINE_LENGTH])
                rest = rest[MAX_LINE_LENGTH:]
            self._partial = rest
        return len(text)

    def flush(self) -> None:
        """Sends a partial line as it is."""
        with self._lock:
            if self._partial:
                self._shipper.enqueue(self._service, self._stream, self._partial)
                self._partial = ""
