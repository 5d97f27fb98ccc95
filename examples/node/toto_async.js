#!/usr/bin/env node
// toto_async.js - a Node.js host of libtoto.so, the example thread-unsafe
// library, calling it through koffi's asynchronous calls (func.async), which
// run on libuv's worker threads: the situation shimpool exists for.
//
// The same program runs against the original library or against its shimpool
// shim: it loads "libtoto.so" by name and LD_LIBRARY_PATH picks which one.
//
//   LD_LIBRARY_PATH=<original dir> node toto_async.js              wrong results
//   LD_LIBRARY_PATH=<original dir> node toto_async.js --serialize  exact, but the wait times out
//   LD_LIBRARY_PATH=<shim dir>     node toto_async.js              exact, the wait returns
//
// --serialize is the usual workaround for a thread-unsafe library: every call
// goes through one promise queue, so only one runs at a time. It makes results
// exact, and deadlocks a wait whose signal is queued behind it.
//
// Exit status: 0 when every result was exact, the wait was signalled and (with
// the shim) the session kept its state; 1 otherwise; 2 for bad options.
'use strict';

// libuv starts its thread pool (4 threads by default) on the first async call:
// set the size before that, so enough calls run at once.
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '8';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { promisify } = require('util');
const koffi = require('koffi');

function usage(error) {
  const text =
    'usage: node toto_async.js [--serialize] [--calls N] [--in-flight N] [--timeout-ms N]\n' +
    '  --serialize      queue every library call behind the previous one (one at a time)\n' +
    '  --calls N        toto_foo and toto_bar calls in the concurrency phase (default 10000)\n' +
    '  --in-flight N    async calls outstanding at once (default 64; koffi queues at most 256)\n' +
    '  --timeout-ms N   how long the wait waits for the signal (default 2000)\n';
  if (error) {
    process.stderr.write(`toto_async.js: ${error}\n${text}`);
    process.exit(2);
  }
  process.stdout.write(text);
  process.exit(0);
}

function parseOptions(argv) {
  const options = { serialize: false, calls: 10000, inFlight: 64, timeoutMs: 2000 };
  const integer = (name, text, min, max) => {
    const value = Number(text);
    if (!/^\d+$/.test(text || '') || value < min || value > max)
      usage(`${name} needs an integer from ${min} to ${max}`);
    return value;
  };
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    if (arg === '--serialize') options.serialize = true;
    else if (arg === '--calls') options.calls = integer(arg, argv[++i], 1, 1000000);
    else if (arg === '--in-flight') options.inFlight = integer(arg, argv[++i], 1, 200);
    else if (arg === '--timeout-ms') options.timeoutMs = integer(arg, argv[++i], 1, 3600000);
    else if (arg === '--help' || arg === '-h') usage(null);
    else usage(`unknown option ${arg}`);
  }
  return options;
}

// ---- The library --------------------------------------------------------------

function loadToto() {
  try {
    return koffi.load('libtoto.so');
  } catch (error) {
    console.error(`cannot load libtoto.so (${error.message}): set LD_LIBRARY_PATH to the ` +
                  'directory of the original library or of its shim');
    process.exit(1);
  }
}

const lib = loadToto();

// Promise form of a koffi function's async call: runs on a libuv worker thread.
const asyncCall = (fn) => promisify(fn.async);

const toto = {
  foo: asyncCall(lib.func('int toto_foo(int a, int b)')),
  // A Buffer passed for a pointer: toto_bar uppercases it in place.
  bar: asyncCall(lib.func('void toto_bar(_Inout_ char *text)')),
  waitEvent: asyncCall(lib.func('int toto_wait_event(const char *path, int timeout_ms)')),
  signalEvent: asyncCall(lib.func('void toto_signal_event(const char *path)')),
  counterAdd: asyncCall(lib.func('int toto_counter_add(int n)')),
};

// The shim's own API: statistics and handle-form sessions. The original library
// does not export these names, and koffi throws when asked for a missing one.
const shimpoolStats = koffi.struct('shimpool_stats', {
  live_instances: 'uint64_t',    // instances loaded now
  idle_instances: 'uint64_t',    // loaded and not leased
  max_instances: 'uint64_t',     // configured upper bound
  calls: 'uint64_t',             // calls that took a lease
  waits: 'uint64_t',             // calls that found no idle instance and waited
  wait_ns: 'uint64_t',           // total time spent waiting
  creations: 'uint64_t',         // instances loaded
  creation_failures: 'uint64_t',
  evictions: 'uint64_t',
  acquire_timeouts: 'uint64_t',
  sessions_open: 'uint64_t',     // handle-form sessions open now
});
koffi.opaque('shimpool_session');

function loadShimApi() {
  try {
    return {
      stats: lib.func('int shimpool_toto_stats(_Out_ shimpool_stats *out, size_t out_size)'),
      sessionOpen: lib.func('shimpool_session *shimpool_toto_session_open(void)'),
      sessionClose: lib.func('void shimpool_toto_session_close(shimpool_session *session)'),
      counterAddSession: asyncCall(
          lib.func('int toto_counter_add_session(shimpool_session *session, int n)')),
      instanceIdSession: asyncCall(
          lib.func('const void *toto_instance_id_session(shimpool_session *session)')),
    };
  } catch (error) {
    return { missing: error.message };
  }
}

const shim = loadShimApi();
const isShim = !shim.missing;

// ---- How calls are issued ---------------------------------------------------------

// --serialize: one promise queue in front of the library (the usual
// workaround); otherwise calls go straight to koffi's worker threads.
let queueTail = Promise.resolve();
let serialize = false;

function issue(call) {
  if (!serialize) return call();
  const result = queueTail.then(call);
  queueTail = result.catch(() => {});
  return result;
}

// Runs `count` jobs with at most `lanes` of them in flight at once.
async function runLanes(count, lanes, job) {
  let next = 0;
  const lane = async (laneIndex) => {
    for (let i = next++; i < count; i = next++) await job(i, laneIndex);
  };
  await Promise.all(Array.from({ length: Math.min(lanes, count) }, (_, l) => lane(l)));
}

// ---- Workload 1: concurrent calls whose results must be exact -------------------

// A lowercase text no other lane uses, so a mixed-up result shows.
function laneText(lane) {
  return `lane-${lane}-` + String.fromCharCode(97 + (lane % 26)).repeat(10 + (lane % 37));
}

async function runConcurrentCalls(options) {
  const tally = { fooCalls: 0, fooWrong: 0, barCalls: 0, barWrong: 0 };
  await runLanes(options.calls, options.inFlight, async (i, lane) => {
    if (i % 2 === 0) {
      const a = lane * 1000000 + i;  // distinct between lanes
      const sum = await issue(() => toto.foo(a, lane));
      ++tally.fooCalls;
      if (sum !== a + lane) ++tally.fooWrong;
    } else {
      const text = laneText(lane);
      const buffer = Buffer.from(text + '\0');
      await issue(() => toto.bar(buffer));
      ++tally.barCalls;
      if (buffer.toString('latin1', 0, text.length) !== text.toUpperCase()) ++tally.barWrong;
    }
  });
  const wrong = tally.fooWrong + tally.barWrong;
  console.log(`concurrent calls: ${tally.fooCalls + tally.barCalls}, wrong results: ${wrong}`);
  console.log(`  toto_foo: ${tally.fooCalls} calls, ${tally.fooWrong} wrong; ` +
              `toto_bar: ${tally.barCalls} calls, ${tally.barWrong} wrong`);
  return wrong;
}

// ---- Workload 2: wait/signal as two async calls ----------------------------------

// One async call waits for an event that a second async call, issued 100 ms
// later, sets. The event is a file in a fresh private directory.
async function runWaitSignal(options) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toto-node-'));
  const event = path.join(dir, 'event');
  try {
    const begin = process.hrtime.bigint();
    const waited = issue(() => toto.waitEvent(event, options.timeoutMs)).then((signalled) => ({
      signalled,
      ms: Number((process.hrtime.bigint() - begin) / 1000000n),
    }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const signal = issue(() => toto.signalEvent(event));
    const result = await waited;
    await signal;
    if (result.signalled === 1) {
      console.log(`wait/signal: signalled after ${result.ms} ms`);
    } else {
      console.log(`wait/signal: timed out after ${result.ms} ms (` +
                  (serialize ? 'the wait held the queue the signal was waiting in: deadlock'
                             : 'the signal never arrived') + ')');
    }
    return result.signalled === 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- Workload 3: a session from many worker threads --------------------------------

// Opens a handle-form session and sends it async calls that land on different
// libuv worker threads, while unrelated toto_counter_add calls keep the other
// instances busy. The session's counter must see exactly its own additions,
// in sequence, on one instance. Returns true, false, or null (no sessions).
async function runSession(options) {
  if (!isShim) {
    console.log('sessions: unavailable (this libtoto.so has no shimpool_toto_session_open: ' +
                'it is the original library)');
    return null;
  }
  const adds = 32;
  const session = shim.sessionOpen();
  try {
    const base = await issue(() => shim.counterAddSession(session, 0));
    const sessionCalls = Array.from({ length: adds }, () =>
        issue(() => shim.counterAddSession(session, 1)));
    const idCalls = Array.from({ length: 8 }, () => issue(() => shim.instanceIdSession(session)));
    const otherCalls = Array.from({ length: adds }, () => issue(() => toto.counterAdd(1000)));
    const values = (await Promise.all(sessionCalls)).sort((x, y) => x - y);
    const ids = new Set(await Promise.all(idCalls));
    await Promise.all(otherCalls);
    const final = await issue(() => shim.counterAddSession(session, 0));

    const inSequence = values.every((value, i) => value === base + i + 1);
    const ok = inSequence && final === base + adds && ids.size === 1;
    console.log(`sessions: ${adds} async toto_counter_add_session(+1) calls took the counter ` +
                `from ${base} to ${final}` + (inSequence ? ', one step each' : ', NOT in sequence') +
                `; ${ids.size} instance(s) served the session` +
                (ok ? ': state kept on one instance' : ': FAILED'));
    return ok;
  } finally {
    shim.sessionClose(session);
  }
}

function printStats() {
  if (!isShim) {
    console.log('shim statistics: unavailable (not the shim)');
    return;
  }
  const stats = {};
  if (shim.stats(stats, koffi.sizeof(shimpoolStats)) !== 0) {
    console.log('shim statistics: unavailable (shimpool_toto_stats failed)');
    return;
  }
  console.log(`shim statistics: instances live ${stats.live_instances}, idle ` +
              `${stats.idle_instances}, max ${stats.max_instances}; calls ${stats.calls}; waits ` +
              `${stats.waits} (${(Number(stats.wait_ns) / 1e6).toFixed(3)} ms); creations ` +
              `${stats.creations}, creation failures ${stats.creation_failures}; sessions open ` +
              `${stats.sessions_open}`);
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  serialize = options.serialize;

  console.log(`library: ${isShim ? 'shimpool shim of libtoto.so' : 'original libtoto.so'}`);
  console.log(`host: Node.js ${process.version}, koffi ${koffi.version}, ` +
              `${process.env.UV_THREADPOOL_SIZE} libuv worker threads, ${options.inFlight} async ` +
              `calls in flight` + (serialize ? ', every call behind one queue' : ''));

  const wrong = await runConcurrentCalls(options);
  const signalled = await runWaitSignal(options);
  const sessionOk = await runSession(options);
  printStats();

  const reasons = [];
  if (wrong > 0) reasons.push('concurrent calls corrupted the library\'s globals');
  if (!signalled) {
    reasons.push(serialize ? 'the serializing queue deadlocked the wait (it timed out)'
                           : 'the wait timed out');
  }
  if (sessionOk === false) reasons.push('the session did not keep its state on one instance');
  if (reasons.length === 0) {
    console.log('verdict: PASS, every result exact and the wait was signalled');
    return 0;
  }
  console.log(`verdict: FAIL, ${reasons.join('; ')}`);
  return 1;
}

main().then(
    (status) => { process.exitCode = status; },
    (error) => {
      console.error(error);
      process.exitCode = 1;
    });
