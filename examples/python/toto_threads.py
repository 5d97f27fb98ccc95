#!/usr/bin/env python3
"""toto_threads.py - a Python host of libtoto.so, the example thread-unsafe
library, calling it through ctypes from a thread pool.

ctypes releases the GIL during a foreign call, so calls from a
ThreadPoolExecutor really run in the library at the same time: the situation
shimpool exists for.

The same program runs against the original library or against its shimpool
shim: it loads "libtoto.so" by name and LD_LIBRARY_PATH picks which one.

  LD_LIBRARY_PATH=<original dir> python3 toto_threads.py              wrong results
  LD_LIBRARY_PATH=<original dir> python3 toto_threads.py --serialize  exact, but the wait times out
  LD_LIBRARY_PATH=<shim dir>     python3 toto_threads.py              exact, the wait returns

--serialize is the usual workaround for a thread-unsafe library: one lock
around every call. It makes results exact, and deadlocks a wait whose signal
needs the lock the wait holds.

Exit status: 0 when every result was exact, the wait was signalled and (with
the shim) the session kept its state; 1 otherwise; 2 for bad options.

Standard library only.
"""

import argparse
import contextlib
import ctypes
import os
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def load_toto():
    try:
        return ctypes.CDLL("libtoto.so")
    except OSError as error:
        sys.exit(f"cannot load libtoto.so ({error}): set LD_LIBRARY_PATH to the directory of "
                 "the original library or of its shim")


lib = load_toto()


def declare(name, restype, *argtypes):
    fn = getattr(lib, name)  # AttributeError when the library lacks the name
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


toto_foo = declare("toto_foo", ctypes.c_int, ctypes.c_int, ctypes.c_int)
toto_bar = declare("toto_bar", None, ctypes.c_char_p)
toto_wait_event = declare("toto_wait_event", ctypes.c_int, ctypes.c_char_p, ctypes.c_int)
toto_signal_event = declare("toto_signal_event", None, ctypes.c_char_p)
toto_counter_add = declare("toto_counter_add", ctypes.c_int, ctypes.c_int)


class ShimpoolStats(ctypes.Structure):
    """struct shimpool_stats (shimpool/types.h). Fields are only ever added at
    the end; the size passed tells the shim how many this program knows."""
    _fields_ = [(name, ctypes.c_uint64) for name in (
        "live_instances",     # instances loaded now
        "idle_instances",     # loaded and not leased
        "max_instances",      # configured upper bound
        "calls",              # calls that took a lease
        "waits",              # calls that found no idle instance and waited
        "wait_ns",            # total time spent waiting
        "creations",          # instances loaded
        "creation_failures",
        "evictions",
        "acquire_timeouts",
        "sessions_open",      # handle-form sessions open now
    )]


class ShimApi:
    """The shim's own API: statistics and handle-form sessions. The original
    library does not export these names."""

    def __init__(self):
        session = ctypes.c_void_p  # shimpool_session *, opaque
        self.stats = declare("shimpool_toto_stats", ctypes.c_int,
                             ctypes.POINTER(ShimpoolStats), ctypes.c_size_t)
        self.session_open = declare("shimpool_toto_session_open", session)
        self.session_close = declare("shimpool_toto_session_close", None, session)
        self.counter_add_session = declare("toto_counter_add_session", ctypes.c_int,
                                           session, ctypes.c_int)
        self.instance_id_session = declare("toto_instance_id_session", ctypes.c_void_p, session)


try:
    shim = ShimApi()
except AttributeError:
    shim = None

# --serialize: one lock around every library call.
library_lock = None


def call(fn, *args):
    if library_lock is None:
        return fn(*args)
    with library_lock:
        return fn(*args)


# ---- Workload 1: concurrent calls whose results must be exact ---------------


def worker_text(worker):
    """A lowercase text no other worker uses, so a mixed-up result shows."""
    return f"worker-{worker}-" + chr(ord("a") + worker % 26) * (10 + worker % 37)


def call_and_check(worker, calls):
    """One worker's share: alternately toto_foo and toto_bar, each checked."""
    text = worker_text(worker).encode()
    expected = text.upper()
    foo_wrong = bar_wrong = 0
    for i in range(calls):
        if i % 2 == 0:
            a = worker * 1000000 + i  # distinct between workers
            if call(toto_foo, a, worker) != a + worker:
                foo_wrong += 1
        else:
            buffer = ctypes.create_string_buffer(text)
            call(toto_bar, buffer)
            if buffer.value != expected:
                bar_wrong += 1
    return calls - calls // 2, foo_wrong, calls // 2, bar_wrong


def run_concurrent_calls(pool, workers, calls):
    start = threading.Barrier(workers)

    def job(worker):
        start.wait()  # every worker calls at once
        return call_and_check(worker, calls)

    tallies = list(pool.map(job, range(workers)))
    foo_calls, foo_wrong, bar_calls, bar_wrong = (sum(column) for column in zip(*tallies))
    wrong = foo_wrong + bar_wrong
    print(f"concurrent calls: {foo_calls + bar_calls}, wrong results: {wrong}")
    print(f"  toto_foo: {foo_calls} calls, {foo_wrong} wrong; "
          f"toto_bar: {bar_calls} calls, {bar_wrong} wrong")
    return wrong


# ---- Workload 2: wait/signal from two pool threads ----------------------------


def run_wait_signal(pool, timeout_ms):
    """One pool thread waits for an event that another sets 100 ms later."""
    directory = tempfile.mkdtemp(prefix="toto-python-")
    event = os.path.join(directory, "event").encode()
    waiter_ready = threading.Event()
    try:
        def wait():
            with (library_lock if library_lock else contextlib.nullcontext()):
                waiter_ready.set()
                begin = time.monotonic()
                signalled = toto_wait_event(event, timeout_ms)
                return signalled, (time.monotonic() - begin) * 1000

        def signal():
            waiter_ready.wait()
            time.sleep(0.1)
            call(toto_signal_event, event)

        waited = pool.submit(wait)
        signalled_future = pool.submit(signal)
        signalled, waited_ms = waited.result()
        signalled_future.result()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if signalled == 1:
        print(f"wait/signal: signalled after {waited_ms:.0f} ms")
    else:
        reason = ("the wait held the lock the signal needed: deadlock" if library_lock
                  else "the signal never arrived")
        print(f"wait/signal: timed out after {waited_ms:.0f} ms ({reason})")
    return signalled == 1


# ---- Workload 3: a session from many pool threads -----------------------------


def run_session(pool, workers):
    """Sends a handle-form session calls from every pool thread while unrelated
    toto_counter_add calls keep the other instances busy. The session's counter
    must see exactly its own additions, in sequence, on one instance. Returns
    True, False, or None (no sessions)."""
    if shim is None:
        print("sessions: unavailable (this libtoto.so has no shimpool_toto_session_open: "
              "it is the original library)")
        return None
    adds_per_worker = 4
    session = shim.session_open()
    try:
        base = call(shim.counter_add_session, session, 0)
        start = threading.Barrier(workers)

        def job(worker):
            start.wait()
            values, ids = [], set()
            for _ in range(adds_per_worker):
                values.append(call(shim.counter_add_session, session, 1))
                ids.add(call(shim.instance_id_session, session))
                call(toto_counter_add, 1000)  # not in the session: another instance
            return values, ids, threading.get_ident()

        results = list(pool.map(job, range(workers)))
        final = call(shim.counter_add_session, session, 0)
    finally:
        shim.session_close(session)
    values = sorted(v for result in results for v in result[0])
    ids = set().union(*(result[1] for result in results))
    threads = len({result[2] for result in results})
    calls = len(values)
    in_sequence = values == list(range(base + 1, base + calls + 1))
    ok = in_sequence and final == base + calls and len(ids) == 1
    print(f"sessions: {calls} toto_counter_add_session(+1) calls from {threads} pool threads took "
          f"the counter from {base} to {final}"
          + (", one step each" if in_sequence else ", NOT in sequence")
          + f"; {len(ids)} instance(s) served the session"
          + (": state kept on one instance" if ok else ": FAILED"))
    return ok


def print_stats():
    if shim is None:
        print("shim statistics: unavailable (not the shim)")
        return
    stats = ShimpoolStats()
    if shim.stats(ctypes.byref(stats), ctypes.sizeof(stats)) != 0:
        print("shim statistics: unavailable (shimpool_toto_stats failed)")
        return
    print(f"shim statistics: instances live {stats.live_instances}, idle {stats.idle_instances}, "
          f"max {stats.max_instances}; calls {stats.calls}; waits {stats.waits} "
          f"({stats.wait_ns / 1e6:.3f} ms); creations {stats.creations}, creation failures "
          f"{stats.creation_failures}; sessions open {stats.sessions_open}")


def main():
    global library_lock
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serialize", action="store_true",
                        help="wrap every library call in one global lock")
    parser.add_argument("--workers", type=int, default=8,
                        help="pool threads calling the library (default 8)")
    parser.add_argument("--calls", type=int, default=2000,
                        help="library calls per worker (default 2000)")
    parser.add_argument("--timeout-ms", type=int, default=2000,
                        help="how long the wait waits for the signal (default 2000)")
    options = parser.parse_args()
    if options.workers < 2 or options.calls < 1 or options.timeout_ms < 1:
        parser.error("--workers needs at least 2, --calls and --timeout-ms at least 1")
    if options.serialize:
        library_lock = threading.Lock()

    print("library: " + ("shimpool shim of libtoto.so" if shim else "original libtoto.so"))
    print(f"host: Python {sys.version.split()[0]}, ctypes, {options.workers} pool threads x "
          f"{options.calls} calls" + (", every call behind one lock" if options.serialize else ""))

    with ThreadPoolExecutor(max_workers=options.workers) as pool:
        wrong = run_concurrent_calls(pool, options.workers, options.calls)
        signalled = run_wait_signal(pool, options.timeout_ms)
        session_ok = run_session(pool, options.workers)
    print_stats()

    reasons = []
    if wrong:
        reasons.append("concurrent calls corrupted the library's globals")
    if not signalled:
        reasons.append("the global lock deadlocked the wait (it timed out)" if options.serialize
                       else "the wait timed out")
    if session_ok is False:
        reasons.append("the session did not keep its state on one instance")
    if not reasons:
        print("verdict: PASS, every result exact and the wait was signalled")
        return 0
    print("verdict: FAIL, " + "; ".join(reasons))
    return 1


if __name__ == "__main__":
    sys.exit(main())
