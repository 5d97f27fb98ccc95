// How long the generator takes on large headers: parse (Clang) plus emit
// (templates), for 100, 1,000 and 10,000 generated functions of mixed shapes.
#include <benchmark/benchmark.h>
#include <llvm/Support/raw_ostream.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "emitter.h"
#include "header_parser.h"

namespace {

// A header with `count` functions: scalars, strings, structs by value,
// callbacks and pointers, so the front end and emitters see varied types.
std::string write_header(int count) {
  const std::string path = "/tmp/shimpool-bench-" + std::to_string(getpid()) + "-" +
                           std::to_string(count) + ".h";
  std::ofstream out(path);
  out << "#include <stddef.h>\n#include <stdint.h>\n"
         "typedef struct { int x, y; double w; } bench_point;\n"
         "typedef int (*bench_callback)(void *context, int value);\n";
  for (int i = 0; i < count; ++i) {
    switch (i % 5) {
      case 0: out << "int bench_f" << i << "(int a, int b);\n"; break;
      case 1: out << "const char *bench_f" << i << "(const char *text, size_t length);\n"; break;
      case 2: out << "bench_point bench_f" << i << "(bench_point p, double scale);\n"; break;
      case 3: out << "int bench_f" << i << "(bench_callback fn, void *context);\n"; break;
      default: out << "void bench_f" << i << "(uint8_t *buffer, int64_t offset, float gain);\n";
    }
  }
  return path;
}

void Generate(benchmark::State &state) {
  const int count = static_cast<int>(state.range(0));
  const std::string header = write_header(count);
  std::string diagnostics;
  llvm::raw_string_ostream sink(diagnostics);
  for (auto _ : state) {
    auto model = shimpool::parse_headers({"bench", {header}, {}}, sink);
    if (!model || static_cast<int>(model->functions.size()) != count) {
      state.SkipWithError("the header did not parse");
      break;
    }
    auto files = shimpool::emit_shim(*model, {"libbench.real.so", 8});
    benchmark::DoNotOptimize(files);
  }
  std::remove(header.c_str());
  state.counters["functions"] = count;
  state.counters["per_function_us"] = benchmark::Counter(
      static_cast<double>(count), benchmark::Counter::kIsIterationInvariantRate |
                                      benchmark::Counter::kInvert);
}

BENCHMARK(Generate)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
