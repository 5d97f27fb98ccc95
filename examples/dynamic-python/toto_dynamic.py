#!/usr/bin/env python3
"""toto_dynamic.py - a Python host of libtoto.so, the example thread-unsafe
library, calling it from a thread pool through libshimpool_dynamic: a pool of
private instances of the library opened at run time, with nothing generated
or compiled.

  python3 toto_dynamic.py --dynamic LIBSHIMPOOL_DYNAMIC --library LIBTOTO
      every call through a dynamic pool: exact results, the wait returns
  python3 toto_dynamic.py --library LIBTOTO --direct
      the library called directly through ctypes: wrong results
  python3 toto_dynamic.py --library LIBTOTO --direct --serialize
      directly, every call behind one lock: exact, but the wait deadlocks

ctypes releases the GIL during a foreign call, so calls from a
ThreadPoolExecutor really run in the library at the same time.

Exit status: 0 when every result was exact, the wait was signalled and (with
the pool) the session kept its state; 1 otherwise; 2 for bad options.

Standard library only. The Pool and Function classes below are a small, complete
ctypes binding of shimpool/dynamic.h, to copy into other programs.
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


# ---- A ctypes binding of shimpool/dynamic.h ------------------------------------


class Value(ctypes.Union):
    """union shimpool_value: one argument or result, in the member of its type."""
    _fields_ = [("i8", ctypes.c_int8), ("u8", ctypes.c_uint8), ("i16", ctypes.c_int16),
                ("u16", ctypes.c_uint16), ("i32", ctypes.c_int32), ("u32", ctypes.c_uint32),
                ("i64", ctypes.c_int64), ("u64", ctypes.c_uint64), ("l", ctypes.c_long),
                ("ul", ctypes.c_ulong), ("size", ctypes.c_size_t), ("f32", ctypes.c_float),
                ("f64", ctypes.c_double), ("ptr", ctypes.c_void_p), ("str", ctypes.c_char_p),
                ("wstr", ctypes.c_wchar_p)]


# The union member each signature type is passed in.
MEMBER = {"bool": "u8", "i8": "i8", "u8": "u8", "i16": "i16", "u16": "u16", "i32": "i32",
          "int": "i32", "u32": "u32", "uint": "u32", "i64": "i64", "u64": "u64", "long": "l",
          "ulong": "ul", "size": "size", "f32": "f32", "float": "f32", "f64": "f64",
          "double": "f64", "ptr": "ptr", "str": "str", "wstr": "wstr"}


class Options(ctypes.Structure):
    """struct shimpool_pool_options. Zero is every field's default."""
    _fields_ = [("size", ctypes.c_size_t), ("name", ctypes.c_char_p),
                ("max_instances", ctypes.c_uint), ("min_instances", ctypes.c_uint),
                ("idle_timeout_ms", ctypes.c_uint), ("acquire_timeout_ms", ctypes.c_uint),
                ("strategy", ctypes.c_char_p), ("temp_directory", ctypes.c_char_p),
                ("init_functions", ctypes.c_char_p)]


class Stats(ctypes.Structure):
    """struct shimpool_stats (shimpool/types.h)."""
    _fields_ = [(name, ctypes.c_uint64) for name in (
        "live_instances", "idle_instances", "max_instances", "calls", "waits", "wait_ns",
        "creations", "creation_failures", "evictions", "acquire_timeouts", "sessions_open")]


class DynamicApi:
    """The entry points of libshimpool_dynamic.so, typed once."""

    def __init__(self, path):
        lib = ctypes.CDLL(path)  # CDLL: the GIL is released during every call
        p, c, sz, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int

        def declare(name, restype, *argtypes):
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = restype, list(argtypes)
            return fn

        self.open = declare("shimpool_pool_open", p, c, ctypes.POINTER(Options), c, sz)
        self.function = declare("shimpool_pool_function", p, p, c, c, c, c, sz)
        self.call = declare("shimpool_pool_call", i, p, p, ctypes.POINTER(Value),
                            ctypes.POINTER(Value), c, sz)
        self.session_open = declare("shimpool_pool_session_open", p, p, c, sz)
        self.session_call = declare("shimpool_pool_session_call", i, p, p, p,
                                    ctypes.POINTER(Value), ctypes.POINTER(Value), c, sz)
        self.session_close = declare("shimpool_pool_session_close", None, p, p)
        self.stats = declare("shimpool_pool_stats", i, p, ctypes.POINTER(Stats), sz)
        self.close = declare("shimpool_pool_close", i, p, c, sz)


class PoolError(RuntimeError):
    pass


def error_buffer():
    return ctypes.create_string_buffer(1024)


class Function:
    """A described function: call it like a Python function; session= runs it
    on a session's instance."""

    def __init__(self, pool, handle, signature):
        self._pool, self._handle = pool, handle
        result, _, params = signature.replace(" ", "").partition("(")
        params = params.rstrip(")")
        self._result = None if result == "void" else MEMBER[result]
        self._params = [MEMBER[t] for t in params.split(",") if t and t != "void"]

    def __call__(self, *args, session=None):
        if len(args) != len(self._params):
            raise TypeError(f"expected {len(self._params)} arguments, got {len(args)}")
        values = (Value * max(1, len(args)))()
        for value, member, arg in zip(values, self._params, args):
            if member == "str" and isinstance(arg, str):
                arg = arg.encode()
            elif member == "ptr" and not isinstance(arg, (int, type(None))):
                arg = ctypes.cast(arg, ctypes.c_void_p).value  # a ctypes buffer or pointer
            setattr(value, member, arg)  # the union keeps strings alive for the call
        result, error = Value(), error_buffer()
        api = self._pool.api
        if session is None:
            status = api.call(self._pool.handle, self._handle, result, values, error, len(error))
        else:
            status = api.session_call(self._pool.handle, session, self._handle, result, values,
                                      error, len(error))
        if status != 0:
            raise PoolError(error.value.decode())
        return getattr(result, self._result) if self._result else None


class Pool:
    """A pool of private instances of one library (shimpool_pool_open)."""

    def __init__(self, api, library, **options):
        self.api = api
        o = Options(size=ctypes.sizeof(Options))
        for key, value in options.items():
            setattr(o, key, value.encode() if isinstance(value, str) else value)
        error = error_buffer()
        self.handle = api.open(library.encode(), ctypes.byref(o), error, len(error))
        if not self.handle:
            raise PoolError(error.value.decode())

    def function(self, name, signature, policy=None):
        error = error_buffer()
        handle = self.api.function(self.handle, name.encode(), signature.encode(),
                                   policy.encode() if policy else None, error, len(error))
        if not handle:
            raise PoolError(error.value.decode())
        return Function(self, handle, signature)

    @contextlib.contextmanager
    def session(self):
        """A handle-form session: one instance reserved, calls from any thread."""
        error = error_buffer()
        session = self.api.session_open(self.handle, error, len(error))
        if not session:
            raise PoolError(error.value.decode())
        try:
            yield session
        finally:
            self.api.session_close(self.handle, session)

    def stats(self):
        stats = Stats()
        self.api.stats(self.handle, ctypes.byref(stats), ctypes.sizeof(stats))
        return stats

    def close(self):
        error = error_buffer()
        if self.api.close(self.handle, error, len(error)) != 0:
            raise PoolError(error.value.decode())


# ---- The toto workloads -----------------------------------------------------------


class Toto:
    """toto's functions, through a pool or straight from the library."""

    def __init__(self, library, pool=None, lock=None):
        self.pool, self.lock = pool, lock
        if pool:
            self.foo = pool.function("toto_foo", "i32(i32,i32)")
            self.bar = pool.function("toto_bar", "void(ptr)")
            self.wait_event = pool.function("toto_wait_event", "i32(str,i32)")
            self.signal_event = pool.function("toto_signal_event", "void(str)")
            self.counter_add = pool.function("toto_counter_add", "i32(i32)")
            self.instance_id = pool.function("toto_instance_id", "ptr()")
            return
        lib = ctypes.CDLL(library)
        for name, restype, argtypes in (
                ("foo", ctypes.c_int, [ctypes.c_int, ctypes.c_int]),
                ("bar", None, [ctypes.c_char_p]),
                ("wait_event", ctypes.c_int, [ctypes.c_char_p, ctypes.c_int]),
                ("signal_event", None, [ctypes.c_char_p])):
            fn = getattr(lib, "toto_" + name)
            fn.restype, fn.argtypes = restype, argtypes
            setattr(self, name, fn)

    def call(self, fn, *args):
        if self.lock is None:
            return fn(*args)
        with self.lock:
            return fn(*args)


def worker_text(worker):
    return f"worker-{worker}-" + chr(ord("a") + worker % 26) * (10 + worker % 37)


def run_concurrent_calls(toto, executor, workers, calls):
    start = threading.Barrier(workers)

    def job(worker):
        text = worker_text(worker).encode()
        expected = text.upper()
        start.wait()  # every worker calls at once
        wrong = 0
        for i in range(calls):
            a = worker * 1000000 + i
            if toto.call(toto.foo, a, worker) != a + worker:
                wrong += 1
            buffer = ctypes.create_string_buffer(text)
            toto.call(toto.bar, buffer)
            if buffer.value != expected:
                wrong += 1
        return wrong

    wrong = sum(executor.map(job, range(workers)))
    print(f"concurrent calls: {2 * workers * calls}, wrong results: {wrong}")
    return wrong


def run_wait_signal(toto, executor, timeout_ms):
    """One pool thread waits for an event that another sets 100 ms later."""
    directory = tempfile.mkdtemp(prefix="toto-dynamic-")
    event = os.path.join(directory, "event").encode()
    waiter_ready = threading.Event()
    try:
        def wait():
            with (toto.lock if toto.lock else contextlib.nullcontext()):
                waiter_ready.set()
                begin = time.monotonic()
                signalled = toto.wait_event(event, timeout_ms)
                return signalled, (time.monotonic() - begin) * 1000

        def signal():
            waiter_ready.wait()
            time.sleep(0.1)
            toto.call(toto.signal_event, event)

        waited = executor.submit(wait)
        signalled_future = executor.submit(signal)
        signalled, waited_ms = waited.result()
        signalled_future.result()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if signalled == 1:
        print(f"wait/signal: signalled after {waited_ms:.0f} ms")
    else:
        reason = ("the wait held the lock the signal needed: deadlock" if toto.lock
                  else "the signal never arrived")
        print(f"wait/signal: timed out after {waited_ms:.0f} ms ({reason})")
    return signalled == 1


def run_session(toto, executor, workers):
    """One session used from every pool thread while other calls keep other
    instances busy: its counter must see exactly its own additions."""
    if toto.pool is None:
        print("sessions: unavailable (the library is called directly)")
        return None
    adds_per_worker = 4
    with toto.pool.session() as session:
        base = toto.counter_add(0, session=session)
        start = threading.Barrier(workers)

        def job(_):
            start.wait()
            values, ids = [], set()
            for _ in range(adds_per_worker):
                values.append(toto.counter_add(1, session=session))
                ids.add(toto.instance_id(session=session))
                toto.counter_add(1000)  # not in the session: another instance
            return values, ids, threading.get_ident()

        results = list(executor.map(job, range(workers)))
        final = toto.counter_add(0, session=session)
    values = sorted(v for result in results for v in result[0])
    ids = set().union(*(result[1] for result in results))
    threads = len({result[2] for result in results})
    in_sequence = values == list(range(base + 1, base + len(values) + 1))
    ok = in_sequence and final == base + len(values) and len(ids) == 1
    print(f"sessions: {len(values)} toto_counter_add(+1) calls on one session from {threads} pool "
          f"threads took the counter from {base} to {final}"
          + (", one step each" if in_sequence else ", NOT in sequence")
          + f"; {len(ids)} instance(s) served the session"
          + (": state kept on one instance" if ok else ": FAILED"))
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", required=True, help="the original libtoto.so")
    parser.add_argument("--dynamic", help="libshimpool_dynamic.so (needed unless --direct)")
    parser.add_argument("--direct", action="store_true", help="call the library directly")
    parser.add_argument("--serialize", action="store_true",
                        help="with --direct: one lock around every call")
    parser.add_argument("--workers", type=int, default=8, help="pool threads (default 8)")
    parser.add_argument("--calls", type=int, default=2000, help="calls per worker (default 2000)")
    parser.add_argument("--timeout-ms", type=int, default=2000,
                        help="how long the wait waits for the signal (default 2000)")
    options = parser.parse_args()
    if options.workers < 2 or options.calls < 1 or options.timeout_ms < 1:
        parser.error("--workers needs at least 2, --calls and --timeout-ms at least 1")
    if not options.direct and not options.dynamic:
        parser.error("give --dynamic LIBSHIMPOOL_DYNAMIC, or --direct")

    pool = None
    if options.direct:
        print(f"library: {os.path.basename(options.library)} called directly")
        toto = Toto(options.library, lock=threading.Lock() if options.serialize else None)
    else:
        pool = Pool(DynamicApi(options.dynamic), options.library, max_instances=options.workers)
        print(f"library: {os.path.basename(options.library)} through a dynamic pool "
              f"({os.path.basename(options.dynamic)})")
        toto = Toto(options.library, pool=pool)
    print(f"host: Python {sys.version.split()[0]}, ctypes, {options.workers} pool threads x "
          f"{options.calls} calls" + (", every call behind one lock" if options.serialize else ""))

    with ThreadPoolExecutor(max_workers=options.workers) as executor:
        wrong = run_concurrent_calls(toto, executor, options.workers, options.calls)
        signalled = run_wait_signal(toto, executor, options.timeout_ms)
        session_ok = run_session(toto, executor, options.workers)
    if pool:
        s = pool.stats()
        print(f"pool statistics: instances live {s.live_instances}, idle {s.idle_instances}, "
              f"max {s.max_instances}; calls {s.calls}; waits {s.waits}; creations {s.creations}, "
              f"creation failures {s.creation_failures}; sessions open {s.sessions_open}")
        pool.close()

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
