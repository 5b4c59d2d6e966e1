//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// What every benchmark program shares: counting of global allocations at the
// C library's door, the run configuration, medians, and the report (a table
// on standard output, JSON and gnuplot data files in the results directory).
//
// Include this header in exactly one translation unit of a program: it
// defines the replacement allocation functions.
//
// Environment:
//   BOOST_AFFINE_BENCH_QUICK=1      short smoke run (also: --quick)
//   BOOST_AFFINE_BENCH_RESULTS=dir  where to write <name>[-tag].json and .dat
//                                   (default: the current directory)
//   BOOST_AFFINE_BENCH_TAG=tag      suffix of the output files (e.g. clang)
//   BOOST_AFFINE_BENCH_COMMIT=id     recorded in the JSON (tools/run-bench.sh sets it)
//   BOOST_AFFINE_BENCH_ONLY=text    run only the cases whose name contains text
//                                   (for profiling; targets then read "-")
//   BOOST_AFFINE_BENCH_IMPL=a,b     run only these implementations (debugging)

#ifndef BOOST_AFFINE_BENCH_COMMON_HPP
#define BOOST_AFFINE_BENCH_COMMON_HPP

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <malloc.h>
#include <map>
#include <mutex>
#include <new>
#include <sstream>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

#include <boost/version.hpp>

// ---------------------------------------------------------------------------
// Counting global allocation functions (test/counting_allocations.hpp, as
// test/zero_alloc.cpp does). Each thread counts into a slot of its own (one
// cache line), so that counting does not make threads contend.

namespace bench::detail {

struct alignas(64) counter_slot {
    std::atomic<std::uint64_t> n{0};
};
inline counter_slot alloc_slots[64];
inline std::atomic<unsigned> next_alloc_slot{0};
inline constinit thread_local int alloc_slot = -1;
/// The size of the last malloc/aligned_alloc request of this thread (for the size report).
inline constinit thread_local std::size_t last_alloc_size = 0;

inline void count_allocation() noexcept {
    int s = alloc_slot;
    if (s < 0) {
        s = static_cast<int>(next_alloc_slot.fetch_add(1, std::memory_order_relaxed) % 64);
        alloc_slot = s;
    }
    // A slot may be shared by two threads when more than 64 were created:
    // a read-modify-write keeps the count exact, on a line nobody else
    // writes in the common case.
    alloc_slots[s].n.fetch_add(1, std::memory_order_relaxed);
}

} // namespace bench::detail

#include "../test/counting_allocations.hpp"

void boost_affine_count_allocation(std::size_t n, bool sized) noexcept {
    bench::detail::count_allocation();
    if (sized)
        bench::detail::last_alloc_size = n;
}

namespace bench {

/// Global allocations so far by the calling thread.
inline std::uint64_t thread_allocations() noexcept {
    int s = detail::alloc_slot;
    return s < 0 ? 0 : detail::alloc_slots[s].n.load(std::memory_order_relaxed);
}

/// Global allocations so far, all threads.
inline std::uint64_t allocations() noexcept {
    std::uint64_t n = 0;
    for (auto& s : detail::alloc_slots)
        n += s.n.load(std::memory_order_relaxed);
    return n;
}

using clock_type = std::chrono::steady_clock;

/// Counts finished chains or sessions; the program's runs wait for them. A
/// static one outlives every run, so signalling never races with its destruction.
struct completion {
    std::mutex m;
    std::condition_variable cv;
    int count = 0;
    void signal() {
        std::lock_guard<std::mutex> l(m);
        ++count;
        cv.notify_all();
    }
    void wait(int n) {
        std::unique_lock<std::mutex> l(m);
        cv.wait(l, [&] { return count >= n; });
        count -= n;
    }
};

inline double ns_between(clock_type::time_point a, clock_type::time_point b) {
    return std::chrono::duration<double, std::nano>(b - a).count();
}

/// Keeps the compiler from removing what computes `v`.
template <class T>
inline void keep(T const& v) {
    asm volatile("" : : "g"(&v) : "memory");
}

// ---------------------------------------------------------------------------
// Run configuration.

struct config {
    bool quick = false;
    int repetitions = 7;
    std::string results_dir = ".";
    std::string tag;
    std::string only; // run only the cases whose group contains this (profiling)
    std::string impl; // run only this implementation (debugging)

    /// `full` in a normal run, `quick` in a smoke run.
    template <class T>
    T pick(T full, T quick_value) const {
        return quick ? quick_value : full;
    }
};

inline config& cfg() {
    static config c;
    return c;
}

inline void init(int argc, char** argv) {
    config& c = cfg();
    if (char const* q = std::getenv("BOOST_AFFINE_BENCH_QUICK"); q && *q && std::strcmp(q, "0"))
        c.quick = true;
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--quick") == 0)
            c.quick = true;
    if (char const* d = std::getenv("BOOST_AFFINE_BENCH_RESULTS"); d && *d)
        c.results_dir = d;
    if (char const* t = std::getenv("BOOST_AFFINE_BENCH_TAG"); t && *t)
        c.tag = t;
    if (char const* o = std::getenv("BOOST_AFFINE_BENCH_ONLY"); o && *o)
        c.only = o;
    if (char const* i = std::getenv("BOOST_AFFINE_BENCH_IMPL"); i && *i)
        c.impl = i;
    c.repetitions = c.quick ? 5 : 7;
}

inline std::string compiler() {
#if defined(__clang__)
    return std::string("clang++ ") + __clang_version__;
#elif defined(__GNUC__)
    return std::string("g++ ") + __VERSION__;
#else
    return "unknown";
#endif
}

inline std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            auto p = line.find(':');
            return p == std::string::npos ? line : line.substr(p + 2);
        }
    return "unknown";
}

// ---------------------------------------------------------------------------
// Statistics.

inline double median(std::vector<double> v) {
    if (v.empty())
        return std::nan("");
    std::sort(v.begin(), v.end());
    std::size_t const n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// The `q` quantile (0..1) of `v`, nearest rank; reorders `v`.
template <class T>
double quantile(std::vector<T>& v, double q) {
    if (v.empty())
        return std::nan("");
    std::size_t k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    k = k == 0 ? 0 : k - 1;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return static_cast<double>(v[k]);
}

// ---------------------------------------------------------------------------
// One measurement run of one implementation.

struct sample {
    double value = 0;              // the primary metric (unit in the row)
    std::uint64_t allocations = 0; // global allocations during the run
    std::uint64_t operations = 1;  // operations the allocations are divided by
    std::map<std::string, double> extra;
};

/// A case, for one implementation: every run's sample.
struct row {
    std::string group; // e.g. "nested"
    std::string param; // e.g. "depth=4"
    std::string home;  // e.g. "io_context"
    std::string unit;  // e.g. "ns/level"
    std::string impl;  // e.g. "affine"
    std::vector<sample> runs;

    double value() const {
        std::vector<double> v;
        for (auto& s : runs)
            v.push_back(s.value);
        return median(v);
    }
    double allocs_per_op() const {
        std::vector<double> v;
        for (auto& s : runs)
            v.push_back(static_cast<double>(s.allocations) / static_cast<double>(s.operations));
        return median(v);
    }
    std::uint64_t alloc_total() const {
        std::uint64_t n = 0;
        for (auto& s : runs)
            n += s.allocations;
        return n;
    }
    std::uint64_t ops_total() const {
        std::uint64_t n = 0;
        for (auto& s : runs)
            n += s.operations;
        return n;
    }
    double extra(std::string const& k) const {
        std::vector<double> v;
        for (auto& s : runs)
            if (auto it = s.extra.find(k); it != s.extra.end())
                v.push_back(it->second);
        return median(v);
    }
};

/// How the documentation shows a program's results: one table of
/// doc/bench_tables.adoc (tools/bench-tables.py renders it from the JSON, and
/// knows nothing else of the program). See that script for `merge`.
struct table {
    std::string id{};                                           // the region's tag
    std::string title{};                                        // may say {compiler}
    std::vector<std::string> stub{};                            // the headers of the label columns
    std::vector<std::pair<std::string, std::string>> columns{}; // implementation, header
    std::vector<std::pair<std::string, std::string>> ratios{};  // a / b columns
    std::string format = "time";                                // time, bytes or allocs
    std::string merge = "own";                                  // own, stack or side
    bool allocs = false; // a column of allocations per operation
    int position = 0;    // among files that declare the same table (side)
};

/// One row of a table: its label cells, and the case whose figures fill it.
struct shown_row {
    std::vector<std::string> stub{}; // may say {compiler}
    std::string group{};
    std::string param{};
    std::string home{};
    std::string value = "median"; // the figure: median, or a key of the result
    std::string format{};         // the table's, unless set
    bool ratios = true;
    bool allocs = true;
};

struct target {
    std::string name;
    double value;
    std::string relation; // "<=" or ">="
    double limit;
    bool met;
    std::string note;
};

inline std::string fmt(double v, int prec = 2) {
    if (std::isnan(v))
        return "-";
    char b[64];
    double a = std::fabs(v);
    if (a != 0 && a < 0.01 && prec < 4)
        std::snprintf(b, sizeof b, "%.4f", v);
    else if (a >= 100000)
        std::snprintf(b, sizeof b, "%.0f", v);
    else
        std::snprintf(b, sizeof b, "%.*f", prec, v);
    return b;
}

inline std::string json_escape(std::string const& s) {
    std::string r;
    for (char c : s) {
        if (c == '"' || c == '\\')
            r += '\\';
        if (static_cast<unsigned char>(c) < 0x20)
            continue;
        r += c;
    }
    return r;
}

inline std::string json_number(double v) {
    if (std::isnan(v) || std::isinf(v))
        return "null";
    char b[64];
    std::snprintf(b, sizeof b, "%.6g", v);
    return b;
}

/// The results of one benchmark program.
class report {
public:
    /// `impls`: the table's columns, in order; `ratios`: pairs (a, b) printed as a/b.
    report(std::string name, std::vector<std::string> impls,
           std::vector<std::pair<std::string, std::string>> ratios)
        : name_(std::move(name))
        , impls_(std::move(impls))
        , ratios_(std::move(ratios)) {}

    row& add(row r) {
        rows_.push_back(std::move(r));
        return rows_.back();
    }

    row const* find(std::string const& group, std::string const& param, std::string const& home,
                    std::string const& impl) const {
        for (auto& r : rows_)
            if (r.group == group && r.param == param && r.home == home && r.impl == impl)
                return &r;
        return nullptr;
    }

    double value(std::string const& group, std::string const& param, std::string const& home,
                 std::string const& impl) const {
        row const* r = find(group, param, home, impl);
        return r ? r->value() : std::nan("");
    }

    void add_target(std::string name, double value, std::string relation, double limit,
                    std::string note = {}) {
        bool met = !std::isnan(value) && (relation == "<=" ? value <= limit : value >= limit);
        targets_.push_back(
            {std::move(name), value, std::move(relation), limit, met, std::move(note)});
    }

    void note(std::string s) { notes_.push_back(std::move(s)); }

    /// Declares a table of the documentation; its columns are the report's
    /// implementations (with their names as headers) unless given.
    void add_table(table t) {
        if (t.columns.empty())
            for (auto& i : impls_)
                t.columns.emplace_back(i, i);
        tables_.push_back({std::move(t), {}});
    }

    /// Shows a case as a row of the table `id` (declared before).
    void show(std::string const& id, shown_row r) {
        for (auto& [t, rows] : tables_)
            if (t.id == id) {
                rows.push_back(std::move(r));
                return;
            }
        std::fprintf(stderr, "bench: show: no table '%s'\n", id.c_str());
        std::abort();
    }

    /// The per-run ratios a_i / b_i of two implementations' runs (run i of
    /// each was made in the same round, so drift cancels out), as
    /// "paired min..max"; `extra`: a metric of the runs instead of the value.
    std::string paired_range(row const* a, row const* b, std::string const& extra = {}) const {
        if (!a || !b || a->runs.size() != b->runs.size() || a->runs.empty())
            return {};
        std::vector<double> q;
        for (std::size_t i = 0; i < a->runs.size(); ++i) {
            double x = extra.empty() ? a->runs[i].value : a->runs[i].extra.at(extra);
            double y = extra.empty() ? b->runs[i].value : b->runs[i].extra.at(extra);
            q.push_back(x / y);
        }
        std::sort(q.begin(), q.end());
        return "per-run ratios " + fmt(q.front()) + ".." + fmt(q.back());
    }

    /// Runs `impls` (name, function returning one sample) `repetitions` times,
    /// interleaved (one run of each in turn), after one warm-up run of each.
    /// `reps`: runs of each, 0 for the configured number.
    void run_case(std::string group, std::string param, std::string home, std::string unit,
                  std::vector<std::pair<std::string, std::function<sample()>>> const& impls,
                  int reps = 0) {
        if (reps <= 0)
            reps = cfg().repetitions;
        if (!cfg().only.empty() && group.find(cfg().only) == std::string::npos)
            return;
        if (!cfg().impl.empty()) {
            std::vector<std::pair<std::string, std::function<sample()>>> one;
            for (auto& i : impls)
                if (("," + cfg().impl + ",").find("," + i.first + ",") != std::string::npos)
                    one.push_back(i);
            if (one.size() != impls.size()) {
                if (!one.empty())
                    run_case(group, param, home, unit, one, reps);
                return;
            }
        }
        std::fprintf(stderr, "  %s %s %s ...\n", group.c_str(), param.c_str(), home.c_str());
        std::vector<row> rs;
        for (auto& [impl, f] : impls) {
            (void)f;
            rs.push_back(row{group, param, home, unit, impl, {}});
        }
        for (auto& [impl, f] : impls)
            (void)f();
        for (int rep = 0; rep < reps; ++rep)
            for (std::size_t i = 0; i < impls.size(); ++i)
                rs[i].runs.push_back(impls[i].second());
        for (auto& r : rs)
            add(std::move(r));
    }

    std::string file(std::string const& ext) const {
        std::string f = cfg().results_dir + "/" + name_;
        if (!cfg().tag.empty())
            f += "-" + cfg().tag;
        return f + ext;
    }

    /// Prints the table and the targets, writes the JSON.
    void finish() {
        print();
        write_json();
    }

    /// Writes a gnuplot data file: one line per (label, group, param, home),
    /// the label then each implementation's median ("-" when missing), then
    /// each implementation's allocations per operation.
    struct dat_line {
        std::string label, group, param, home;
    };
    void write_dat(std::string const& stem, std::vector<dat_line> const& lines,
                   std::vector<std::string> impls = {}) const {
        if (impls.empty())
            impls = impls_;
        std::string f = cfg().results_dir + "/" + stem;
        if (!cfg().tag.empty())
            f += "-" + cfg().tag;
        f += ".dat";
        std::ofstream out(f);
        out << "# label";
        for (auto& i : impls)
            out << ' ' << i;
        out << '\n';
        for (auto& l : lines) {
            out << '"' << l.label << '"';
            for (auto& i : impls) {
                double v = value(l.group, l.param, l.home, i);
                out << ' ' << (std::isnan(v) ? std::string("-") : json_number(v));
            }
            out << '\n';
        }
    }

private:
    struct key {
        std::string group, param, home, unit;
        bool operator==(key const& o) const {
            return group == o.group && param == o.param && home == o.home && unit == o.unit;
        }
    };

    void print() const {
        std::vector<key> keys;
        for (auto& r : rows_) {
            key k{r.group, r.param, r.home, r.unit};
            if (std::find(keys.begin(), keys.end(), k) == keys.end())
                keys.push_back(k);
        }
        std::printf("\n%s (%s, -O2; median of %d runs unless noted%s)\n", name_.c_str(),
                    compiler().c_str(), cfg().repetitions,
                    cfg().quick ? ", QUICK smoke run: not for quoting" : "");
        std::printf("%-34s %-12s %-10s", "case", "home", "unit");
        for (auto& i : impls_)
            std::printf(" %11s", i.c_str());
        for (auto& [a, b] : ratios_)
            std::printf(" %11s", (short_name(a) + "/" + short_name(b)).c_str());
        std::printf("   allocs/op:");
        for (auto& i : impls_)
            std::printf(" %s", short_name(i).c_str());
        std::printf("\n");
        for (auto& k : keys) {
            std::string c = k.group + (k.param.empty() ? "" : " " + k.param);
            std::printf("%-34s %-12s %-10s", c.c_str(), k.home.c_str(), k.unit.c_str());
            auto val = [&](std::string const& impl) -> row const* {
                for (auto& r : rows_)
                    if (key{r.group, r.param, r.home, r.unit} == k && r.impl == impl)
                        return &r;
                return nullptr;
            };
            for (auto& i : impls_) {
                row const* r = val(i);
                std::printf(" %11s", r ? fmt(r->value()).c_str() : "-");
            }
            for (auto& [a, b] : ratios_) {
                row const* ra = val(a);
                row const* rb = val(b);
                std::printf(" %11s", ra && rb ? fmt(ra->value() / rb->value()).c_str() : "-");
            }
            std::printf("   ");
            for (auto& i : impls_) {
                row const* r = val(i);
                std::printf(" %s", r ? fmt(r->allocs_per_op(), 3).c_str() : "-");
            }
            std::printf("\n");
        }
        if (!targets_.empty()) {
            std::printf("\ntargets (%s):\n", name_.c_str());
            for (auto& t : targets_)
                std::printf("target %-6s %-62s %10s %s %-8s %s\n", t.met ? "MET" : "MISSED",
                            t.name.c_str(), fmt(t.value, 3).c_str(), t.relation.c_str(),
                            fmt(t.limit, 3).c_str(), t.note.c_str());
        }
        for (auto& n : notes_)
            std::printf("note: %s\n", n.c_str());
        std::fflush(stdout);
    }

    static std::string short_name(std::string const& s) {
        if (s == "affine")
            return "aff";
        if (s == "awaitable")
            return "aw";
        if (s == "callbacks")
            return "cb";
        if (s == "floor")
            return "floor";
        return s;
    }

    void write_json() const {
        std::ostringstream o;
        o << "{\n  \"benchmark\": \"" << name_ << "\",\n";
        o << "  \"compiler\": \"" << json_escape(compiler()) << "\",\n";
        o << "  \"flags\": \"-O2 -DNDEBUG\",\n";
        o << "  \"boost\": \"" << BOOST_VERSION / 100000 << "." << BOOST_VERSION / 100 % 1000
          << "\",\n";
        if (char const* c = std::getenv("BOOST_AFFINE_BENCH_COMMIT"); c && *c)
            o << "  \"commit\": \"" << json_escape(c) << "\",\n";
        o << "  \"cpu\": \"" << json_escape(cpu_model()) << "\",\n";
        o << "  \"cpus\": " << sysconf(_SC_NPROCESSORS_ONLN) << ",\n";
        o << "  \"quick\": " << (cfg().quick ? "true" : "false") << ",\n";
        o << "  \"repetitions\": " << cfg().repetitions << ",\n";
        o << "  \"results\": [\n";
        for (std::size_t i = 0; i < rows_.size(); ++i) {
            row const& r = rows_[i];
            o << "    {\"group\": \"" << json_escape(r.group) << "\", \"param\": \""
              << json_escape(r.param) << "\", \"home\": \"" << json_escape(r.home)
              << "\", \"impl\": \"" << json_escape(r.impl) << "\", \"unit\": \""
              << json_escape(r.unit) << "\", \"median\": " << json_number(r.value())
              << ", \"allocs_per_op_median\": " << json_number(r.allocs_per_op())
              << ", \"allocs_total\": " << r.alloc_total() << ", \"ops_total\": " << r.ops_total()
              << ", \"runs\": [";
            for (std::size_t j = 0; j < r.runs.size(); ++j)
                o << (j ? ", " : "") << json_number(r.runs[j].value);
            o << "]";
            std::vector<std::string> extras;
            for (auto& s : r.runs)
                for (auto& [k, v] : s.extra)
                    if (std::find(extras.begin(), extras.end(), k) == extras.end())
                        extras.push_back(k);
            for (auto& k : extras)
                o << ", \"" << json_escape(k) << "\": " << json_number(r.extra(k));
            o << "}" << (i + 1 < rows_.size() ? "," : "") << "\n";
        }
        o << "  ],\n  \"targets\": [\n";
        for (std::size_t i = 0; i < targets_.size(); ++i) {
            target const& t = targets_[i];
            o << "    {\"name\": \"" << json_escape(t.name)
              << "\", \"value\": " << json_number(t.value) << ", \"relation\": \"" << t.relation
              << "\", \"limit\": " << json_number(t.limit)
              << ", \"met\": " << (t.met ? "true" : "false") << ", \"note\": \""
              << json_escape(t.note) << "\"}" << (i + 1 < targets_.size() ? "," : "") << "\n";
        }
        o << "  ],\n  \"tables\": [\n";
        auto strings = [&](std::vector<std::string> const& v) {
            o << "[";
            for (std::size_t i = 0; i < v.size(); ++i)
                o << (i ? ", " : "") << "\"" << json_escape(v[i]) << "\"";
            o << "]";
        };
        auto pairs = [&](std::vector<std::pair<std::string, std::string>> const& v) {
            o << "[";
            for (std::size_t i = 0; i < v.size(); ++i)
                o << (i ? ", " : "") << "[\"" << json_escape(v[i].first) << "\", \""
                  << json_escape(v[i].second) << "\"]";
            o << "]";
        };
        for (std::size_t i = 0; i < tables_.size(); ++i) {
            auto const& [t, rows] = tables_[i];
            o << "    {\"id\": \"" << json_escape(t.id) << "\", \"title\": \""
              << json_escape(t.title) << "\", \"stub\": ";
            strings(t.stub);
            o << ", \"columns\": ";
            pairs(t.columns);
            o << ", \"ratios\": ";
            pairs(t.ratios);
            o << ", \"format\": \"" << t.format << "\", \"merge\": \"" << t.merge
              << "\", \"allocs\": " << (t.allocs ? "true" : "false")
              << ", \"position\": " << t.position << ", \"rows\": [\n";
            for (std::size_t j = 0; j < rows.size(); ++j) {
                shown_row const& r = rows[j];
                o << "      {\"stub\": ";
                strings(r.stub);
                o << ", \"group\": \"" << json_escape(r.group) << "\", \"param\": \""
                  << json_escape(r.param) << "\", \"home\": \"" << json_escape(r.home)
                  << "\", \"value\": \"" << json_escape(r.value) << "\"";
                if (!r.format.empty())
                    o << ", \"format\": \"" << r.format << "\"";
                o << ", \"ratios\": " << (r.ratios ? "true" : "false")
                  << ", \"allocs\": " << (r.allocs ? "true" : "false") << "}"
                  << (j + 1 < rows.size() ? "," : "") << "\n";
            }
            o << "    ]}" << (i + 1 < tables_.size() ? "," : "") << "\n";
        }
        o << "  ],\n  \"notes\": [";
        for (std::size_t i = 0; i < notes_.size(); ++i)
            o << (i ? ", " : "") << "\"" << json_escape(notes_[i]) << "\"";
        o << "]\n}\n";
        std::ofstream out(file(".json"));
        out << o.str();
        std::printf("wrote %s\n", file(".json").c_str());
    }

    std::string name_;
    std::vector<std::string> impls_;
    std::vector<std::pair<std::string, std::string>> ratios_;
    std::vector<row> rows_;
    std::vector<target> targets_;
    std::vector<std::string> notes_;
    std::vector<std::pair<table, std::vector<shown_row>>> tables_;
};

} // namespace bench

#endif
