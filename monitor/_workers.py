"""Worker processes for `monitor.worker.prepare`, fed from the event loop without helper threads.

The public surface is `Workers`: start, prepare(html, url) -> Prepared, close, and its CPU and
memory figures. Everything else here is plumbing: the pipes, the fork server, the restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import gc
import multiprocessing
import os
import pickle
import signal
import struct
from collections import deque
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from monitor.domain import Rejected
from monitor.worker import Prepared, prepare

_TASK = struct.Struct("!IQ?")  # URL bytes, page bytes, measure memory
_RESULT = struct.Struct("!Q")  # pickled Prepared bytes
_DEPTH = 2  # pages handed to a worker at once: the next one waits in its pipe, not in the main process
_PIPE_BYTES = 1 << 20  # a page of up to a megabyte goes into the pipe in one write (Linux default: 64 KB)


def _read(fd: int, size: int) -> bytes:
    """Exactly `size` bytes from a blocking file descriptor; EOFError if the other end closed."""
    chunks, left = [], size
    while left:
        chunk = os.read(fd, left)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _serve(tasks: Connection, results: Connection) -> None:
    """A worker process: pages in, `Prepared` out, in order, until the main process closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process decides when to stop
    gc.freeze()  # what the fork server loaded is frozen already; this covers the worker's own start-up
    tasks_fd, results_fd = tasks.fileno(), results.fileno()
    while True:
        try:
            url_size, page_size, measure = _TASK.unpack(_read(tasks_fd, _TASK.size))
            body = _read(tasks_fd, url_size + page_size)
        except EOFError:
            return
        prepared = prepare(body[url_size:], body[:url_size].decode(), measure)
        answer = pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL)
        _write(results_fd, _RESULT.pack(len(answer)) + answer)


def _widen(fd: int) -> None:
    # Not on Linux, or over the system's limit: more, smaller writes.
    with contextlib.suppress(AttributeError, OSError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


class _Worker:
    """One worker process as the event loop sees it: two non-blocking pipes and the pages it holds."""

    def __init__(self, process: BaseProcess, tasks: Connection, results: Connection) -> None:
        self.process, self._tasks, self._results = process, tasks, results
        self.tasks, self.results = tasks.fileno(), results.fileno()
        os.set_blocking(self.tasks, False)
        os.set_blocking(self.results, False)
        _widen(self.tasks)
        self.held: deque[tuple[str, asyncio.Future[Prepared]]] = deque()  # sent, in order
        self.outbox = memoryview(b"")  # what is still to be written of the tasks
        self.inbox = bytearray()  # what has come of the results
        self.alive = True

    def close(self) -> None:
        self._tasks.close()  # the worker reads the end of its pipe and exits
        self._results.close()


class Workers:
    """Worker processes fed from the event loop, without helper threads: the main process shares
    the cores with them, and each wake-up of it preempts a worker (why not ProcessPoolExecutor:
    docs/performance.md). A page goes into a worker's widened pipe in one write and comes back in
    one read; each worker holds up to two pages, so it never waits for the main process."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.cpu_seconds = 0.0  # CPU time spent on pages in the workers
        self.peak_rss_mb = 0.0  # the largest worker's peak memory
        self._process_cpu: dict[int, float] = {}
        self._pages = 0
        # forkserver: workers do not inherit the event loop, sockets or database handles. The
        # fork server loads and warms trafilatura once (`monitor.preload`),
        # and every worker starts with them loaded.
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["monitor.preload"])
        self._running: list[_Worker] = []
        self._waiting: deque[tuple[bytes, str, asyncio.Future[Prepared]]] = deque()  # (task, url, answer)
        self._launching: asyncio.Future[list[_Worker]] | None = None
        self._closed = False

    @property
    def process_cpu_seconds(self) -> float:
        """All the workers' CPU time, start-up and hand-over included."""
        return sum(self._process_cpu.values())

    async def prepare(self, html: bytes, url: str) -> Prepared:
        self._pages += 1
        encoded = url.encode()
        task = _TASK.pack(len(encoded), len(html), self._pages % 16 == 1) + encoded + html
        answer: asyncio.Future[Prepared] = asyncio.get_running_loop().create_future()
        self._waiting.append((task, url, answer))
        self.start()
        self._dispatch()
        result = await answer
        if result.worker:
            self.cpu_seconds += result.cpu_seconds
            self.peak_rss_mb = max(self.peak_rss_mb, result.peak_rss_mb)
            self._process_cpu[result.worker] = max(self._process_cpu.get(result.worker, 0.0), result.worker_cpu_seconds)
        return result

    def start(self) -> None:
        """Have the workers start now, while the caller gets on with fetching; idempotent."""
        missing = self.workers - len(self._running)
        if missing > 0 and self._launching is None and not self._closed:
            # Starting a process waits for the fork server, which first loads trafilatura: a second
            # or so that the event loop spends fetching instead.
            loop = asyncio.get_running_loop()
            self._launching = loop.run_in_executor(None, self._launch, missing)
            self._launching.add_done_callback(self._launched)

    async def warm(self) -> None:
        """Start every worker, so that the first article waits for none."""
        self.start()
        if self._launching is not None:
            await asyncio.shield(self._launching)

    def _launch(self, count: int) -> list[_Worker]:  # in a thread: Process.start() blocks
        started = []
        for _ in range(count):
            task_reader, task_writer = self._context.Pipe(duplex=False)
            result_reader, result_writer = self._context.Pipe(duplex=False)
            process = self._context.Process(target=_serve, args=(task_reader, result_writer), daemon=True)
            process.start()
            task_reader.close()  # the worker's ends: a write to a dead worker fails, a read sees the end
            result_writer.close()
            started.append(_Worker(process, task_writer, result_reader))
        return started

    def _launched(self, launching: asyncio.Future[list[_Worker]]) -> None:
        self._launching = None
        if launching.cancelled():
            return
        error = launching.exception()
        if error is not None:
            self._fail_waiting(f"extraction failed: the workers could not start: {error}")
            return
        loop = asyncio.get_running_loop()
        for worker in launching.result():
            if self._closed:
                worker.close()
                continue
            loop.add_reader(worker.results, self._receive, worker)
            self._running.append(worker)
        self._dispatch()

    def _dispatch(self) -> None:
        while self._waiting:
            free = [w for w in self._running if w.alive and len(w.held) < _DEPTH]
            if not free:
                return
            worker = min(free, key=lambda w: len(w.held))
            task, url, answer = self._waiting.popleft()
            if answer.done():  # the caller gave up (cancelled)
                continue
            worker.held.append((url, answer))
            worker.outbox = memoryview(bytes(worker.outbox) + task) if worker.outbox else memoryview(task)
            self._send(worker)

    def _send(self, worker: _Worker) -> None:
        loop = asyncio.get_running_loop()
        try:
            while worker.outbox:
                worker.outbox = worker.outbox[os.write(worker.tasks, worker.outbox) :]
        except BlockingIOError:  # the pipe is full: go on when the worker has read some
            loop.add_writer(worker.tasks, self._send, worker)
            return
        except OSError:  # the worker is gone; _receive sees the end of its results pipe
            worker.outbox = memoryview(b"")
        loop.remove_writer(worker.tasks)

    def _receive(self, worker: _Worker) -> None:
        try:
            while True:
                chunk = os.read(worker.results, _PIPE_BYTES)
                if not chunk:
                    self._lost(worker)
                    return
                worker.inbox += chunk
        except BlockingIOError:
            pass
        while len(worker.inbox) >= _RESULT.size:
            (size,) = _RESULT.unpack_from(worker.inbox)
            if len(worker.inbox) < _RESULT.size + size:
                break
            prepared = pickle.loads(worker.inbox[_RESULT.size : _RESULT.size + size])
            del worker.inbox[: _RESULT.size + size]
            _, answer = worker.held.popleft()
            if not answer.done():
                answer.set_result(prepared)
        self._dispatch()

    def _lost(self, worker: _Worker) -> None:
        """A worker died (killed for memory, or a page crashed the parser): the pages it held are
        lost and recorded as rejected (sent again, a page that kills a worker would kill the next);
        a new worker takes its place."""
        loop = asyncio.get_running_loop()
        worker.alive = False
        loop.remove_reader(worker.results)
        loop.remove_writer(worker.tasks)
        self._running.remove(worker)
        for url, answer in worker.held:
            if not answer.done():
                answer.set_result(Prepared(Rejected(url=url, reason="extraction failed: the worker process died")))
        worker.held.clear()
        worker.close()
        worker.process.join(timeout=1)
        self.start()

    def _fail_waiting(self, reason: str) -> None:
        while self._waiting:
            _, url, answer = self._waiting.popleft()
            if not answer.done():
                answer.set_result(Prepared(Rejected(url=url, reason=reason)))

    def close(self) -> None:
        """Stop the workers once they have finished the page in hand; idempotent."""
        self._closed = True
        for worker in self._running:
            try:
                loop = asyncio.get_running_loop()
                loop.remove_reader(worker.results)
                loop.remove_writer(worker.tasks)
            except RuntimeError:  # no loop running any more
                pass
            for _, answer in worker.held:
                answer.cancel()
            worker.close()
        for worker in self._running:
            worker.process.join(timeout=10)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        self._running = []
        for _, _, answer in self._waiting:
            answer.cancel()
        self._waiting.clear()
