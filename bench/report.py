#!/usr/bin/env python3
"""Turns runtime_bench's JSON output into docs/benchmarks.md and the scaling plot.

Usage: report.py RESULTS.json OUT.md OUT.svg --compiler TEXT [--before BEFORE.json]
                 [--generator GENERATOR_RESULTS.json]
Standard library only: the SVG is written by hand.
"""
import argparse
import json
import math
import os
import platform
import re
from collections import defaultdict

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load(path):
    with open(path) as f:
        data = json.load(f)
    results = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" or "error_occurred" in b:
            continue
        # Drop Google Benchmark's decorations: /min_time:..., /iterations:..., /real_time.
        name = re.sub(r"/(min_time:[^/]*|iterations:\d+|real_time)", "", b["name"])
        b["real_ns"] = b["real_time"] * UNIT_NS[b.get("time_unit", "ns")]
        results[name] = b
    return data["context"], results


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ns(value):
    if value >= 1e6:
        return f"{value / 1e6:.2f} ms"
    if value >= 1e3:
        return f"{value / 1e3:.2f} µs"
    return f"{value:.1f} ns"


def size_bytes(value):
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value:.0f} B"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def call_section(results, before):
    impls = [("direct", "direct call through the pointer"), ("global_mutex", "global std::mutex"),
             ("safe_autoit", "safe-autoit pool"), ("shim", "shimpool shim")]
    threads = sorted({int(n.rsplit(":", 1)[1]) for n in results if n.startswith("Call/")})
    rows = []
    for key, label in impls:
        row = [label]
        for t in threads:
            b = results.get(f"Call/{key}/threads:{t}")
            d = results.get(f"Call/direct/threads:{t}")
            if not b:
                row.append("–")
                continue
            row.append(f"{ns(b['real_ns'])} (+{b['real_ns'] - d['real_ns']:.1f} ns, "
                       f"×{b['real_ns'] / d['real_ns']:.1f})")
        rows.append(row)
    if before:
        row = ["shimpool shim before the lock-free fast path (an earlier run, same machine)"]
        for t in threads:
            b = before.get(f"Call/shim/threads:{t}")
            row.append(ns(b["real_ns"]) if b else "–")
        rows.append(row)
    out = ["## Per-call overhead", "",
           "`bench_add(a, b)` (an addition) called in a loop by 1–8 threads at once. Time is "
           "wall time divided by the calls all threads completed (so on a 2-core machine the "
           "direct call gets cheaper with 2 threads); in brackets, the difference from the "
           "direct call and the ratio to it. The shim and the safe-autoit pool allow 8 "
           "instances, so each thread gets its own.", "",
           table(["", *[f"{t} thread{'s' if t > 1 else ''}" for t in threads]], rows)]
    return "\n".join(out)


def scaling_series(results, prefix):
    series = defaultdict(dict)
    for name, b in results.items():
        m = re.fullmatch(prefix + r"/(.+)/callers:(\d+)", name)
        if m:
            series[m.group(1)][int(m.group(2))] = b
    return series


def series_order(key):
    m = re.fullmatch(r"shim/max:(\d+)", key)
    return (1, int(m.group(1))) if m else (0, key)


def blocking_section(results):
    series = scaling_series(results, "Blocking")
    if not series:
        return ""
    one_call = series["mutex"][1]["real_ns"]
    callers = sorted(series["mutex"])
    rows = []
    for key in sorted(series, key=series_order):
        label = "global mutex" if key == "mutex" else key.replace("shim/max:", "shim, max = ")
        rows.append([label] + [f"{ns(series[key][n]['real_ns'])} (×{series[key][n]['real_ns'] / one_call:.1f})"
                               if n in series[key] else "–" for n in callers])
    return "\n".join([
        "## Blocking calls", "",
        f"N callers each make one call that sleeps {ns(one_call)} (measured: the mutex row, "
        "1 caller) inside the library, all released at once; the time until the last one returns. "
        "In brackets, that time in units of one call: with max ≥ N the shim finishes in about one "
        "call's time, the global mutex in N.", "",
        table(["", *[f"N = {n}" for n in callers]], rows)])


def cpu_section(results):
    series = scaling_series(results, "CpuBound")
    if not series:
        return ""
    callers = sorted(series["mutex"])
    rows = []
    for key in sorted(series, key=series_order):
        label = {"mutex": "global mutex", "unprotected": "unprotected (wrong results; the hardware's ceiling)"}.get(
            key, key.replace("shim/max:", "shim, max = "))
        base = series["mutex"]
        rows.append([label] + [f"{series[key][n]['items_per_second']:,.0f} (×{series[key][n]['items_per_second'] / base[n]['items_per_second']:.2f})"
                               if n in series[key] else "–" for n in callers])
    return "\n".join([
        "## CPU-bound calls", "",
        "N callers each make one call of about 100 µs of arithmetic, repeatedly; calls per second, "
        "and in brackets the ratio to the global mutex. The machine's cores bound the speed-up.", "",
        table(["", *[f"N = {n}" for n in callers]], rows)])


def policy_section(results):
    rows = []
    plain = results.get("Shim/pooled_call")
    labels = {
        "pooled_call": "pooled call (for comparison)",
        "sticky_call": "sticky call (errno-style getter)",
        "broadcast_call": "broadcast call (recorded, replayed later on other instances)",
        "broadcast_replay": "replay of one broadcast call on an instance that missed it",
        "call_inside_session": "call inside a thread-bound session",
        "session_begin_call_end": "session begin + call + end",
        "handle_session_call": "call through a handle-form session",
        "handle_session_open_close": "handle-form session open + close",
    }
    for key, label in labels.items():
        b = results.get(f"Shim/{key}")
        if b:
            rows.append([label, ns(b["real_ns"]),
                         f"×{b['real_ns'] / plain['real_ns']:.2f}" if plain else "–"])
    return "\n".join(["## Sessions, sticky and broadcast", "",
                      "One thread, shim with 8 instances.", "",
                      table(["", "time", "vs. pooled call"], rows)])


def creation_section(results):
    create = {}
    memory = {}
    for name, b in results.items():
        m = re.fullmatch(r"(Create|Memory)/(\w+)/(\w+)", name)
        if m:
            (create if m.group(1) == "Create" else memory)[(m.group(2), m.group(3))] = b
    if not create:
        return ""
    sizes = sorted({s for _, s in create}, key=lambda s: next(iter(
        b["library_bytes"] for (_, size), b in create.items() if size == s)))
    strategies = [s for s in ("copy", "memfd", "namespace") if any(k[0] == s for k in create)]
    rows = []
    for strategy in strategies:
        row = [strategy]
        for size in sizes:
            b = create.get((strategy, size))
            if b:
                rate = b["library_bytes"] / (b["real_ns"] / 1e9) / (1 << 30)
                row.append(f"{ns(b['real_ns'])}" + ("" if strategy == "namespace" else f" ({rate:.1f} GiB/s)"))
            else:
                row.append("–")
        rows.append(row)
    library_sizes = {size: create[(strategies[0], size)]["library_bytes"] for size in sizes}
    header = ["strategy", *[f"{s} ({size_bytes(library_sizes[s])} file)" for s in sizes]]
    mem_rows = []
    for strategy in strategies:
        row = [strategy]
        for size in sizes:
            b = memory.get((strategy, size))
            row.append(f"{size_bytes(b['rss_per_instance'])} RSS, {size_bytes(max(b['file_backed_per_instance'], 0))} file-backed"
                       if b else "–")
        mem_rows.append(row)
    return "\n".join([
        "## Instance creation", "",
        "Loading one private instance with `platform::load_private_copy` (copy, map, resolve; "
        "the unload after it is not timed). In brackets, the copy's throughput: "
        "`namespace` copies nothing.", "",
        table(header, rows), "",
        "## Memory per instance", "",
        "Eight instances loaded at once, the increase divided by eight. *RSS* is the process's "
        "resident memory (pages it touched: the library's data and relocations, not its unused "
        "bytes); *file-backed* is what the system's page cache and shared memory grew by "
        "(`Cached` in /proc/meminfo): the copy's bytes, resident or not. `namespace` maps the "
        "original file, shared by all instances, but loads a C library per instance.", "",
        table(header, mem_rows)])


def headline(results):
    lines = []
    d1, s1, a1 = (results.get(f"Call/{k}/threads:1") for k in ("direct", "shim", "safe_autoit"))
    if d1 and s1 and a1:
        lines.append(f"- Uncontended pooled call: {ns(s1['real_ns'])}, "
                     f"{s1['real_ns'] - d1['real_ns']:.1f} ns over the direct call "
                     f"({ns(d1['real_ns'])}); the safe-autoit pool: {ns(a1['real_ns'])}.")
    blocking = scaling_series(results, "Blocking")
    if blocking:
        n = max(blocking["mutex"])
        one = blocking["mutex"][1]["real_ns"]
        shim = blocking.get(f"shim/max:{n}", {}).get(n)
        if shim:
            lines.append(f"- {n} concurrent blocking calls: shim (max = {n}) "
                         f"{shim['real_ns'] / one:.1f} call times, global mutex "
                         f"{blocking['mutex'][n]['real_ns'] / one:.1f}.")
    return "\n".join(lines)


def generator_section(results):
    rows = []
    for name, b in sorted(results.items(), key=lambda item: item[1].get("functions", 0)):
        if not name.startswith("Generate/"):
            continue
        count = int(b["functions"])
        rows.append([f"{count:,}", ns(b["real_ns"]), f"{b['real_ns'] / count / 1e3:.1f} µs"])
    return "\n".join([
        "## Generator", "",
        "`bench/generator_bench.cpp`: parsing a header with Clang and rendering every output "
        "file into memory, for headers of 100 to 10,000 functions of mixed shapes (scalars, "
        "strings, structs by value, callbacks, pointers).", "",
        table(["functions", "parse + emit", "per function"], rows)])


def polyline(points, color, dash=""):
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color}"/>' for x, y in points)
    return f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"{extra}/>{dots}'


PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"]


def panel(x0, title, series, value, y_label, log_y):
    """One chart at horizontal offset x0; series: {label: {callers: value}}."""
    width, height, left, top, bottom = 440, 300, 60, 40, 50
    plot_w, plot_h = width - left - 150, height - top - bottom
    callers = sorted({n for s in series.values() for n in s})
    values = [value(v) for s in series.values() for v in s.values()]
    lo, hi = (min(values), max(values))
    if log_y:
        lo, hi = 2 ** math.floor(math.log2(lo)), 2 ** math.ceil(math.log2(hi))
        fy = lambda v: top + plot_h * (1 - (math.log2(v) - math.log2(lo)) / (math.log2(hi) - math.log2(lo)))
        ticks = [lo * 2 ** i for i in range(int(math.log2(hi / lo)) + 1)]
    else:
        lo, hi = 0, hi * 1.1
        fy = lambda v: top + plot_h * (1 - v / hi)
        ticks = [hi / 4 * i for i in range(5)]
    xmin, xmax = math.log2(callers[0]), math.log2(callers[-1])
    fx = lambda n: left + plot_w * ((math.log2(n) - xmin) / (xmax - xmin) if xmax > xmin else 0.5)
    parts = [f'<g transform="translate({x0},0)">',
             f'<text x="{left}" y="22" font-size="14" font-weight="bold">{title}</text>',
             f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>']
    for t in ticks:
        y = fy(t)
        label = f"{t:g}" if log_y else f"{t / 1000:.0f}k"
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{label}</text>')
    for n in callers:
        parts.append(f'<text x="{fx(n):.1f}" y="{top + plot_h + 15}" font-size="10" text-anchor="middle">{n}</text>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{top + plot_h + 32}" font-size="11" text-anchor="middle">concurrent callers</text>')
    parts.append(f'<text x="14" y="{top + plot_h / 2}" font-size="11" text-anchor="middle" '
                 f'transform="rotate(-90 14 {top + plot_h / 2})">{y_label}</text>')
    for i, (label, points) in enumerate(series.items()):
        color = "#000" if "mutex" in label else PALETTE[i % len(PALETTE)]
        parts.append(polyline([(fx(n), fy(value(points[n]))) for n in sorted(points)], color,
                              "5,3" if "mutex" in label or "unprotected" in label else ""))
        ly = top + 10 + 16 * i
        parts.append(f'<line x1="{left + plot_w + 10}" x2="{left + plot_w + 30}" y1="{ly}" y2="{ly}" stroke="{color}" stroke-width="2"/>'
                     f'<text x="{left + plot_w + 34}" y="{ly + 4}" font-size="11">{label}</text>')
    parts.append("</g>")
    return "".join(parts)


def svg(results):
    def labelled(prefix, names):
        series = scaling_series(results, prefix)
        return {names.get(k, k.replace("shim/max:", "shim max ")): series[k]
                for k in sorted(series, key=series_order)}
    blocking = labelled("Blocking", {"mutex": "global mutex"})
    cpu = labelled("CpuBound", {"mutex": "global mutex", "unprotected": "unprotected"})
    body = panel(0, "Blocking calls (1 ms sleep)", blocking, lambda b: b["real_ns"] / 1e6,
                 "time for all calls (ms, log)", True)
    body += panel(450, "CPU-bound calls (~100 µs)", cpu, lambda b: b["items_per_second"],
                  "calls per second", False)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="900" height="300" '
            f'font-family="sans-serif"><rect width="900" height="300" fill="#fff"/>{body}</svg>\n')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("markdown")
    parser.add_argument("plot")
    parser.add_argument("--compiler", default="unknown")
    parser.add_argument("--before", help="results of the same run without the lock-free fast path")
    parser.add_argument("--generator", help="generator_bench's results")
    args = parser.parse_args()
    context, results = load(args.results)
    before = load(args.before)[1] if args.before else None
    uname = os.uname()
    machine = table(["", ""], [
        ["CPU", cpu_model()],
        ["cores", f"{context.get('num_cpus', os.cpu_count())} at {context.get('mhz_per_cpu', '?')} MHz"],
        ["kernel", f"{uname.sysname} {uname.release} ({uname.machine})"],
        ["C library", os.confstr("CS_GNU_LIBC_VERSION") if "CS_GNU_LIBC_VERSION" in os.confstr_names else "?"],
        ["compiler", args.compiler],
        ["run", f"{context.get('date', '?')}, preset `default` (RelWithDebInfo), "
                f"Debian's Google Benchmark"],
    ])
    sections = [
        "# Benchmarks", "",
        "Where a shim stands against the alternatives: calling the thread-unsafe library "
        "directly, a global mutex around it, and a hand-written pool in the safe-autoit style "
        "(`std::shared_mutex` + `std::deque<std::unique_ptr<Instance>>`, the instance moved out "
        "and back per call). All numbers come from one run of `scripts/bench`, which builds "
        "`bench/runtime_bench.cpp` and writes this page and "
        "[the scaling plot](benchmarks-scaling.svg). The generator's own speed is measured by "
        "`bench/generator_bench.cpp`.", "",
        "Each pool size is a separate copy of the same generated shim, loaded after setting "
        "`SHIMPOOL_BENCHLIB_MAX_INSTANCES` and `SHIMPOOL_BENCHLIB_MIN_INSTANCES` to it, so every "
        "pool is prewarmed and no timed call pays for loading an instance.", "",
        "## Machine", "", machine, "",
        "## Headline", "", headline(results), "",
        call_section(results, before), "",
        blocking_section(results), "",
        "![scaling curves](benchmarks-scaling.svg)", "",
        cpu_section(results), "",
        policy_section(results), "",
        creation_section(results), "",
    ]
    if args.generator:
        sections += [generator_section(load(args.generator)[1]), ""]
    with open(args.markdown, "w") as f:
        f.write("\n".join(sections))
    with open(args.plot, "w") as f:
        f.write(svg(results))


if __name__ == "__main__":
    main()
