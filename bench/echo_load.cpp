//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The load test: the echo server of example/echo_server.cpp under a load
// client that can end its connections at random (--chaos) and checks that
// memory, descriptors and the frame pool stay flat (--check-stability);
// tools/run-load-test.sh runs it, and ctest a short version (echo_load_short).
//
// The server is the classic Asio coroutine echo server with three names
// changed: asio::awaitable -> boost::affine::task, asio::use_awaitable ->
// boost::affine::use_affine, asio::co_spawn -> boost::affine::co_spawn. What
// changes is underneath: every coroutine frame, and the storage of every Asio
// operation a task awaits, comes from a recycling pool. Once the connections
// are up, a request costs no global allocation, and the program counts global
// allocations to show it.
//
//   tools/run-load-test.sh [options]      (from the repository root)
//
//   --connections N   load client connections (default 16)
//   --seconds S       length of the run, a warm-up second included (default 3)
//   --port P          port to listen on at 127.0.0.1 (default 0: any free port)
//   --threads T       threads running the io_context (default 1)
//   --server-only     no load client: serve until SIGINT or SIGTERM
//   --chaos           the load client's connections end at random, abruptly,
//                     by half-closes and by resets, and reconnect
//   --seed N          the chaos client's choices (default: a random seed,
//                     printed)
//   --check-stability RSS, open descriptors and the frame pool, sampled once
//                     a second, must not grow after the first third of the
//                     run; ends with a PASS or FAIL line (tools/run-load-test.sh)
//
// The chaos client and the stability checks have sections of their own, after
// the load client.
//
// Exit status: 0 if the run completed, every reply equalled its request, the
// server reported no error, and the stability checks, if asked for, passed.

#include <boost/affine.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/config.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <new>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <dirent.h> // opendir, for --check-stability
#include <fcntl.h>
#include <unistd.h>
#endif

#include "../test/counting_allocations.hpp" // counts every global allocation

namespace asio = boost::asio;
using boost::affine::co_spawn;
using boost::affine::task;
using boost::affine::use_affine;
using tcp = asio::ip::tcp;

// Calls to the global allocation functions so far, all threads.
std::atomic<std::uint64_t> allocation_count{0};
void boost_affine_count_allocation(std::size_t, bool) noexcept {
    allocation_count.fetch_add(1, std::memory_order_relaxed);
}
std::uint64_t global_allocations() noexcept {
    return allocation_count.load(std::memory_order_relaxed);
}

// ---------------------------------------------------------------------------
// The server

// Errors the server reported (and printed): the load client fails the run if
// there is any.
std::atomic<unsigned> server_errors{0};

// Starts the task of a connection. With one thread, on the io_context itself.
// With several, on a strand of its own: the task resumes on that strand after
// every co_await, whichever thread completed the operation (the affinity this
// library guarantees), so whatever the connection later adds, a timer or a
// second operation in flight, needs no locking. The strand keeps its concrete
// type, not any_io_executor, so that the resumptions posted to it take their
// storage from the chain's frame allocator.
struct connection_spawner {
    asio::io_context& ioc;
    bool strands;

    template <class CompletionToken>
    void operator()(task<> t, CompletionToken&& token) const {
        if (strands)
            co_spawn(asio::make_strand(ioc), std::move(t), std::forward<CompletionToken>(token));
        else
            co_spawn(ioc, std::move(t), std::forward<CompletionToken>(token));
    }
};

// One connection: read what arrives and write it back, until the client
// closes it. The buffer is a local variable, so it lives in the coroutine
// frame, which comes from the frame pool; so does the state of each operation
// awaited with use_affine. The loop allocates nothing.
task<> session(tcp::socket socket) {
    std::array<char, 1024> data;
    try {
        for (;;) {
            std::size_t n = co_await socket.async_read_some(asio::buffer(data), use_affine);
            co_await asio::async_write(socket, asio::buffer(data, n), use_affine);
        }
    } catch (boost::system::system_error const& e) {
        // As with use_awaitable, an error is thrown. End of file is how a
        // client says goodbye; a reset, or a broken pipe when writing to a
        // client that reset, is how it leaves abruptly. Anything else is news.
        auto const ec = e.code();
        if (ec != asio::error::eof && ec != asio::error::connection_reset &&
            ec != asio::error::broken_pipe) {
            ++server_errors;
            std::cerr << "session: " << e.what() << '\n';
        }
    }
}

// Accepts connections and starts a session for each, until the acceptor is
// closed. `acceptor` is a reference kept across suspensions: it must outlive
// the task, as main's does.
task<> listener(tcp::acceptor& acceptor, connection_spawner spawn) {
    while (acceptor.is_open()) {
        // as_tuple: a failed accept is not exceptional for a server.
        auto [ec, socket] = co_await acceptor.async_accept(spawn.ioc, asio::as_tuple(use_affine));
        if (!ec)
            spawn(session(std::move(socket)), asio::detached);
        else if (acceptor.is_open()) {
            ++server_errors;
            std::cerr << "accept: " << ec.message() << '\n';
        }
    }
}

// ---------------------------------------------------------------------------
// The load client

constexpr std::size_t message_size = 64;
using message = std::array<unsigned char, message_size>;

// Counters and snapshots shared by the client tasks, the monitor and main.
struct load_state {
    struct snapshot {
        std::chrono::steady_clock::time_point time;
        std::uint64_t requests;
        std::uint64_t allocations;
    };

    std::atomic<std::uint64_t> requests{0};
    std::atomic<bool> stop{false};
    std::atomic<bool> failed{false};
    std::atomic<unsigned> running_clients{0};
    snapshot after_warmup{};
    snapshot at_end{};

    snapshot take_snapshot() const noexcept {
        return {std::chrono::steady_clock::now(), requests.load(std::memory_order_relaxed),
                global_allocations()};
    }
};

// Each request is unique to its connection and round, so that a reply that
// belongs to another connection, or to an earlier round, fails the check.
void fill_request(message& m, std::uint32_t connection, std::uint64_t round) noexcept {
    std::memcpy(m.data(), &connection, sizeof connection);
    std::memcpy(m.data() + sizeof connection, &round, sizeof round);
    for (std::size_t i = sizeof connection + sizeof round; i < m.size(); ++i)
        m[i] = static_cast<unsigned char>(round + i);
}

// One load connection: send a request, wait for its echo, compare, again and
// again until told to stop. An error, or a reply that differs from its
// request, ends the task with an exception, which co_spawn hands to the
// completion handler in main. `load` must outlive the task.
task<> client(tcp::endpoint server, std::uint32_t id, load_state& load) {
    tcp::socket socket(co_await asio::this_coro::executor);
    co_await socket.async_connect(server, use_affine);
    socket.set_option(tcp::no_delay(true));

    message request;
    message reply;
    for (std::uint64_t round = 0; !load.stop.load(std::memory_order_relaxed); ++round) {
        fill_request(request, id, round);
        co_await asio::async_write(socket, asio::buffer(request), use_affine);
        co_await asio::async_read(socket, asio::buffer(reply), use_affine);
        if (reply != request)
            throw std::runtime_error("a reply differs from its request");
        load.requests.fetch_add(1, std::memory_order_relaxed);
    }

    // Say goodbye, and wait until the server closes too: when every client
    // is done, every session has ended.
    socket.shutdown(tcp::socket::shutdown_send);
    auto const [ec, n] =
        co_await socket.async_read_some(asio::buffer(reply), asio::as_tuple(use_affine));
    if (ec != asio::error::eof || n != 0)
        throw std::runtime_error("the server did not close the connection cleanly");
}

// Lets the connections warm up (the pools fill, the sockets settle), takes a
// snapshot, lets the load run, takes another, then tells the clients to stop.
task<> monitor(load_state& load, std::chrono::milliseconds warmup,
               std::chrono::milliseconds total) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(warmup);
    co_await timer.async_wait(use_affine);
    load.after_warmup = load.take_snapshot();

    timer.expires_after(total - warmup);
    co_await timer.async_wait(use_affine);
    load.at_end = load.take_snapshot();
    load.stop = true;
}

// ---------------------------------------------------------------------------
// The chaos client (--chaos)
//
// Like the load client, but its connections do not last: each sends a random
// number of requests, verified as above, then leaves in one of three ways,
// chosen at random, and the client connects again:
//
//   - an abrupt close in the middle of a request: part of it sent, close();
//   - a half-close: part of a request sent (possibly nothing), shutdown of the
//     sending side; the server must echo what it received, then close;
//   - a reset: part of a request sent (possibly nothing), SO_LINGER 0, close(),
//     so that the server receives an RST instead of a FIN.
//
// The choices come from a generator seeded with --seed and the client's
// number, so a seed replays the same choices (the timing differs from run to
// run). When the run ends, each client says goodbye as the load client does.

// Mean number of requests on a chaos connection; the number is uniform in
// [0, 2 * mean], so that some connections end before their first request.
constexpr std::uint64_t chaos_mean_requests = 50;

// Chaos events, counted for the report.
struct chaos_state {
    std::uint64_t seed = 0;
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> abrupt_closes{0};
    std::atomic<std::uint64_t> half_closes{0};
    std::atomic<std::uint64_t> resets{0};
};

// SplitMix64: eight bytes of state, so that it fits in the client's
// coroutine frame without making it large (std::mt19937 would add 5 KB).
struct chaos_random {
    std::uint64_t state;

    chaos_random(std::uint64_t seed, std::uint32_t client) noexcept
        : state(seed ^ (0x9e3779b97f4a7c15u * (client + std::uint64_t{1}))) {}

    std::uint64_t next() noexcept {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15u);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        return z ^ (z >> 31);
    }

    // Uniform enough in [0, n) for n much smaller than 2^64.
    std::uint64_t below(std::uint64_t n) noexcept { return next() % n; }
};

// Half-closes `socket` after `sent` bytes of `request` went out, and checks
// that the server echoes exactly those bytes, then closes its side.
task<> half_close(tcp::socket& socket, message const& request, std::size_t sent, message& reply) {
    socket.shutdown(tcp::socket::shutdown_send);
    co_await asio::async_read(socket, asio::buffer(reply, sent), use_affine);
    if (!std::equal(reply.begin(), reply.begin() + static_cast<std::ptrdiff_t>(sent),
                    request.begin()))
        throw std::runtime_error("the echo before a half-close differs from what was sent");
    auto const [ec, n] =
        co_await socket.async_read_some(asio::buffer(reply), asio::as_tuple(use_affine));
    if (ec != asio::error::eof || n != 0)
        throw std::runtime_error("the server did not close the connection after a half-close");
}

// One chaos connection after another, until the run stops. `load` and `chaos`
// must outlive the task.
task<> chaos_client(tcp::endpoint server, std::uint32_t id, load_state& load, chaos_state& chaos) {
    enum class ending { abrupt_close, half_close, reset };
    constexpr unsigned endings = 3;

    chaos_random random(chaos.seed, id);
    message request;
    message reply;
    std::uint64_t round = 0; // over all the connections: every request differs
    auto const stopping = [&load] { return load.stop.load(std::memory_order_relaxed); };
    while (!stopping()) {
        tcp::socket socket(co_await asio::this_coro::executor);
        co_await socket.async_connect(server, use_affine);
        socket.set_option(tcp::no_delay(true));
        chaos.connections.fetch_add(1, std::memory_order_relaxed);

        for (std::uint64_t n = random.below(2 * chaos_mean_requests + 1); n > 0 && !stopping();
             --n) {
            fill_request(request, id, round++);
            co_await asio::async_write(socket, asio::buffer(request), use_affine);
            co_await asio::async_read(socket, asio::buffer(reply), use_affine);
            if (reply != request)
                throw std::runtime_error("a reply differs from its request");
            load.requests.fetch_add(1, std::memory_order_relaxed);
        }

        if (stopping()) { // goodbye, as the load client says it
            co_await half_close(socket, request, 0, reply);
            break;
        }

        // Part of one more request, then the connection ends.
        auto const how = static_cast<ending>(random.below(endings));
        std::size_t const sent = how == ending::abrupt_close ? 1 + random.below(message_size)
                                                             : random.below(message_size + 1);
        fill_request(request, id, round++);
        if (sent > 0)
            co_await asio::async_write(socket, asio::buffer(request, sent), use_affine);
        boost::system::error_code ignored;
        switch (how) {
        case ending::abrupt_close:
            socket.close(ignored);
            chaos.abrupt_closes.fetch_add(1, std::memory_order_relaxed);
            break;
        case ending::half_close:
            co_await half_close(socket, request, sent, reply);
            chaos.half_closes.fetch_add(1, std::memory_order_relaxed);
            break;
        case ending::reset:
            socket.set_option(asio::socket_base::linger(true, 0), ignored);
            socket.close(ignored);
            chaos.resets.fetch_add(1, std::memory_order_relaxed);
            break;
        }
    }
}

// ---------------------------------------------------------------------------
// Stability checks (--check-stability)
//
// Once a second, a task samples the process's resident memory (RSS), its open
// file descriptors and the frame pool's statistics. The first third of the run
// is the warm-up: the pool and the heap grow to what the load needs. After it,
// the run passes if
//
//   - RSS grows by at most rss_growth_bound (below);
//   - the memory the pool holds from upstream grows by at most half its size
//     at the end of the warm-up, plus two slabs per thread;
//   - open descriptors stay below three per load connection (the load needs
//     one per client and one per session; a leak of one socket per chaos
//     connection goes past the bound within a second);
//   - every client and session ends within 30 s of the end of the load
//     (the watchdog below), and then no pool block is outstanding and no
//     descriptor more is open than before the load started;
//
// and if every echo was right and the server reported no error.

// The bounds. A leak-free run holds its memory flat after the warm-up:
// requests allocate nothing, and what a chaos connection allocates (the
// server's exception when the client leaves) is freed when it ends, and
// the heap reuses it.
//
// The pool may still take a few more slabs: when the number of simultaneous
// connections peaks higher than during the warm-up, and, with several
// threads, when blocks freed on one thread wait in its cache (up to 128 per
// size class) while another thread carves new ones. Measured: no growth at
// 256 connections; up to 3 slabs (192 KiB, 30%) at 64 connections on two
// threads. Hence half the warm-up figure plus two slabs per thread. A leak of
// blocks is caught exactly anyway, by the count of blocks outstanding at the
// end; this bound catches a pool that keeps taking memory it does not need.
//
// RSS may grow by what the pool may take (about 1 MiB at 256 connections)
// and a few pages of heap and stack. Measured: +0 to +164 KiB, on an RSS of 5
// to 6 MiB. 2 MiB leaves room for that, and a leak of 48 bytes per chaos
// connection (about 1100 a second at 256 connections) exceeds it in 40 s; a
// leaked frame or socket shows sooner in the pool's and the descriptors'
// figures.
constexpr std::size_t rss_growth_bound = 2 * 1024 * 1024;
constexpr std::size_t pool_slab_size = boost::affine::frame_pool::options{}.slab_size;

// AddressSanitizer keeps freed memory in quarantine (256 MiB by default): RSS
// grows under it whatever the program does, and is not checked.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool rss_checked = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool rss_checked = false;
#else
constexpr bool rss_checked = true;
#endif
#else
constexpr bool rss_checked = true;
#endif

struct resource_sample {
    std::chrono::steady_clock::time_point time;
    std::size_t rss_bytes;   // 0 if unknown
    std::size_t descriptors; // 0 if unknown
    std::uint64_t requests;
    boost::affine::frame_pool_stats pool;
};

// Resident set size, from /proc/self/statm (Linux); 0 elsewhere. No global
// allocation: reading it once a second must not disturb the count.
std::size_t resident_bytes() noexcept {
#if defined(__linux__)
    int const fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char text[128];
    ssize_t const n = ::read(fd, text, sizeof text - 1);
    ::close(fd);
    if (n <= 0)
        return 0;
    // "size resident shared ...", in pages.
    char const* p = std::find(text, text + n, ' ');
    std::size_t pages = 0;
    if (p == text + n || std::from_chars(p + 1, text + n, pages).ec != std::errc())
        return 0;
    return pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
#else
    return 0;
#endif
}

// Open file descriptors, from /proc/self/fd (Linux); 0 elsewhere.
std::size_t open_descriptors() noexcept {
#if defined(__linux__)
    DIR* const dir = ::opendir("/proc/self/fd");
    if (!dir)
        return 0;
    std::size_t n = 0;
    while (dirent const* entry = ::readdir(dir))
        if (entry->d_name[0] != '.')
            ++n;
    ::closedir(dir);
    return n - 1; // the directory's own descriptor
#else
    return 0;
#endif
}

resource_sample take_resource_sample(load_state const& load) noexcept {
    return {std::chrono::steady_clock::now(), resident_bytes(), open_descriptors(),
            load.requests.load(std::memory_order_relaxed),
            boost::affine::frame_pool::shared().statistics()};
}

struct stability_log {
    std::size_t descriptors_before = 0;
    std::vector<resource_sample> samples; // one a second, reserved before the run
    resource_sample after{};              // once every client and session ended
};

// Samples once a second, `seconds` times or until the load stops.
task<> sampler(load_state& load, stability_log& log, unsigned seconds) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    auto const start = std::chrono::steady_clock::now();
    for (unsigned i = 1; i <= seconds && !load.stop.load(std::memory_order_relaxed); ++i) {
        timer.expires_at(start + std::chrono::seconds(i));
        co_await timer.async_wait(use_affine);
        if (log.samples.size() < log.samples.capacity()) // never reallocates
            log.samples.push_back(take_resource_sample(load));
    }
}

// A session or a client that never ends (a socket leaked, say) would keep the
// io_context running for ever. The watchdog turns that into a failure: if the
// program is still running `limit` after it started, it says so and exits.
class watchdog {
public:
    explicit watchdog(std::chrono::seconds limit)
        : thread_([this, limit] {
            std::unique_lock lock(mutex_);
            if (!done_changed_.wait_for(lock, limit, [this] { return done_; })) {
                std::cout << "load test: FAIL: the run did not end within " << limit.count()
                          << " s: a client or a session never ended" << std::endl;
                std::_Exit(EXIT_FAILURE);
            }
        }) {}

    ~watchdog() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        done_changed_.notify_one();
    } // then thread_ joins

    watchdog(watchdog const&) = delete;
    watchdog& operator=(watchdog const&) = delete;

private:
    std::mutex mutex_;
    std::condition_variable done_changed_;
    bool done_ = false;
    std::jthread thread_; // last: starts once the others exist, joins before they go
};

std::size_t kibibytes(std::size_t bytes) noexcept {
    return bytes / 1024;
}

// Prints the samples and the figures after the warm-up (the first `warmup`
// samples); adds to `failures` what went wrong.
void check_stability(stability_log const& log, unsigned warmup, unsigned connections,
                     unsigned threads, std::vector<std::string>& failures) {
    auto const& s = log.samples;
    if (s.size() <= warmup || s.front().rss_bytes == 0 || s.front().descriptors == 0) {
        failures.push_back("too few samples, or /proc/self unreadable");
        return;
    }

    std::cout << "     time   RSS (KiB)  descriptors  pool upstream (KiB)  pool outstanding\n";
    auto const print = [&](std::string const& time, resource_sample const& x, char const* note) {
        std::cout << std::setw(9) << time << std::setw(12) << kibibytes(x.rss_bytes)
                  << std::setw(13) << x.descriptors << std::setw(21)
                  << kibibytes(x.pool.upstream_bytes) << std::setw(18) << x.pool.outstanding << note
                  << '\n';
    };
    for (std::size_t i = 0; i < s.size(); ++i)
        print(std::to_string(i + 1) + " s", s[i], i + 1 == warmup ? "  <- end of the warm-up" : "");
    print("end", log.after, "  <- every client and session ended");

    auto const& base = s[warmup - 1];
    auto const later = std::span(s).subspan(warmup);
    auto const max_after_warmup = [&](auto field) {
        std::size_t m = field(log.after);
        for (auto const& x : later)
            m = std::max(m, field(x));
        return m;
    };

    auto const rss = max_after_warmup([](resource_sample const& x) { return x.rss_bytes; });
    auto const rss_growth = rss > base.rss_bytes ? rss - base.rss_bytes : 0;
    std::cout << "RSS: " << kibibytes(base.rss_bytes) << " KiB after the warm-up, "
              << kibibytes(rss) << " KiB at most after it: +" << kibibytes(rss_growth) << " KiB";
    if (rss_checked) {
        std::cout << " (bound +" << kibibytes(rss_growth_bound) << ")\n";
        if (rss_growth > rss_growth_bound)
            failures.push_back("RSS grew after the warm-up");
    } else {
        std::cout << " (not checked under AddressSanitizer)\n";
    }

    auto const upstream =
        max_after_warmup([](resource_sample const& x) { return x.pool.upstream_bytes; });
    auto const upstream_bound = base.pool.upstream_bytes + base.pool.upstream_bytes / 2 +
                                2 * std::size_t{threads} * pool_slab_size;
    std::cout << "frame pool: " << kibibytes(base.pool.upstream_bytes)
              << " KiB from upstream after the warm-up, " << kibibytes(upstream)
              << " KiB at most after it (bound " << kibibytes(upstream_bound) << "); "
              << log.after.pool.outstanding << " blocks outstanding at the end\n";
    if (upstream > upstream_bound)
        failures.push_back("the frame pool grew after the warm-up");
    if (log.after.pool.outstanding != 0)
        failures.push_back("frame pool blocks outstanding after every session ended");

    auto const descriptors =
        max_after_warmup([](resource_sample const& x) { return x.descriptors; });
    auto const descriptor_bound = log.descriptors_before + 3 * std::size_t{connections};
    std::cout << "descriptors: " << log.descriptors_before << " before the load, " << descriptors
              << " at most after the warm-up (bound " << descriptor_bound << "), "
              << log.after.descriptors << " at the end\n";
    if (descriptors > descriptor_bound)
        failures.push_back("open descriptors grew after the warm-up");
    if (log.after.descriptors > log.descriptors_before)
        failures.push_back("descriptors left open after every session ended");
}

// ---------------------------------------------------------------------------
// The program

struct options {
    unsigned connections = 16;
    unsigned seconds = 3;
    unsigned short port = 0;
    unsigned threads = 1;
    bool server_only = false;
    bool chaos = false;
    std::optional<std::uint64_t> seed; // default: a random one
    bool check_stability = false;
    bool help = false;
};

constexpr char const* usage =
    "usage: echo_server [--connections N] [--seconds S] [--port P] [--threads T]\n"
    "                   [--server-only] [--chaos] [--seed N] [--check-stability]\n";

template <class T>
bool parse_number(std::string_view text, T& out, T min) noexcept {
    T value{};
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < min)
        return false;
    out = value;
    return true;
}

std::optional<options> parse_options(int argc, char* argv[]) {
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view const arg = argv[i];
        if (arg == "--server-only") {
            o.server_only = true;
            continue;
        }
        if (arg == "--chaos") {
            o.chaos = true;
            continue;
        }
        if (arg == "--check-stability") {
            o.check_stability = true;
            continue;
        }
        if (arg == "--help" || arg == "-h") {
            o.help = true;
            continue;
        }
        // Every other option takes a number.
        std::string_view const value = i + 1 < argc ? argv[++i] : "";
        bool ok;
        if (arg == "--connections")
            ok = parse_number(value, o.connections, 1u);
        else if (arg == "--seconds")
            ok = parse_number(value, o.seconds, 1u);
        else if (arg == "--port")
            ok = parse_number<unsigned short>(value, o.port, 0);
        else if (arg == "--threads")
            ok = parse_number(value, o.threads, 1u);
        else if (arg == "--seed")
            ok = parse_number<std::uint64_t>(value, o.seed.emplace(), 0);
        else {
            std::cerr << "echo_server: unknown option " << arg << '\n' << usage;
            return std::nullopt;
        }
        if (!ok) {
            std::cerr << "echo_server: bad value '" << value << "' for " << arg << '\n' << usage;
            return std::nullopt;
        }
    }
    if (o.check_stability && o.seconds < 3) {
        std::cerr << "echo_server: --check-stability needs --seconds 3 or more\n";
        return std::nullopt;
    }
    return o;
}

// Runs the io_context on `threads` threads, this one included.
void run(asio::io_context& ioc, unsigned threads) {
    std::vector<std::jthread> others;
    for (unsigned i = 1; i < threads; ++i)
        others.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
}

int serve(options const& o) {
    asio::io_context ioc(static_cast<int>(o.threads));
    connection_spawner const spawn{ioc, o.threads > 1};

    // The acceptor has a strand of its own, so that closing it at the end,
    // from whichever thread the last client finishes on, is sequenced with
    // the listener's use of it.
    tcp::acceptor acceptor(asio::make_strand(ioc), {asio::ip::address_v4::loopback(), o.port});
    tcp::endpoint const server = acceptor.local_endpoint();
    co_spawn(acceptor.get_executor(), listener(acceptor, spawn), asio::detached);

    std::cout << "boost::affine echo server on " << server;
    if (o.server_only) {
        std::cout << ", Ctrl-C to stop" << std::endl;
        asio::signal_set signals(ioc, SIGINT, SIGTERM);
        signals.async_wait([&ioc](boost::system::error_code, int) { ioc.stop(); });
        run(ioc, o.threads);
        return EXIT_SUCCESS;
    }
    std::cout << ", " << o.connections << " connections, " << o.seconds << " s";
    if (o.threads > 1)
        std::cout << ", " << o.threads << " threads";
    chaos_state chaos;
    if (o.chaos) {
        chaos.seed = o.seed
                         ? *o.seed
                         : (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
        std::cout << ", chaos (--seed " << chaos.seed << ")";
    }
    if (o.check_stability)
        std::cout << ", stability checks";
    std::cout << std::endl;

    load_state load;
    load.running_clients = o.connections;
    std::chrono::milliseconds const total = std::chrono::seconds(o.seconds);
    // One second of warm-up, or half the run if it is shorter than two.
    std::chrono::milliseconds const warmup =
        std::min<std::chrono::milliseconds>(std::chrono::seconds(1), total / 2);
    co_spawn(ioc, monitor(load, warmup, total), asio::detached);

    stability_log stability;
    std::optional<watchdog> dog;
    if (o.check_stability) {
        dog.emplace(std::chrono::seconds(o.seconds + 30));
        stability.descriptors_before = open_descriptors();
        stability.samples.reserve(o.seconds);
        co_spawn(ioc, sampler(load, stability, o.seconds), asio::detached);
    }

    // A client's exception arrives here, through co_spawn's completion
    // handler. The last client to finish closes the acceptor; the listener
    // then ends, the io_context runs out of work, and run() returns.
    auto on_client_done = [&load, &acceptor](std::exception_ptr e) {
        if (e) {
            load.failed = true;
            try {
                std::rethrow_exception(e);
            } catch (std::exception const& x) {
                std::cerr << "client: " << x.what() << '\n';
            }
        }
        if (load.running_clients.fetch_sub(1) == 1)
            asio::post(acceptor.get_executor(), [&acceptor] {
                boost::system::error_code ignored;
                acceptor.close(ignored);
            });
    };
    for (std::uint32_t i = 0; i < o.connections; ++i)
        spawn(o.chaos ? chaos_client(server, i, load, chaos) : client(server, i, load),
              on_client_done);

    run(ioc, o.threads);
    dog.reset();

    // Steady state: between the two snapshots.
    auto const& from = load.after_warmup;
    auto const& to = load.at_end;
    double const seconds = std::chrono::duration<double>(to.time - from.time).count();
    std::uint64_t const requests = to.requests - from.requests;
    std::uint64_t const allocations = to.allocations - from.allocations;
    if (requests == 0)
        std::cerr << "echo_server: no request completed after the warm-up\n";
    else
        std::cout << std::fixed << "requests/s: " << std::setprecision(0)
                  << static_cast<double>(requests) / seconds
                  << "   requests: " << load.requests.load()
                  << "   global allocations/request: " << std::setprecision(3)
                  << static_cast<double>(allocations) / static_cast<double>(requests) << '\n';

    // The frames, and the operations the tasks awaited, came from the shared
    // frame pool. After a clean shutdown none is outstanding, and the pool
    // went upstream only a few times, however many requests it served.
    auto const pool = boost::affine::frame_pool::shared().statistics();
    std::cout << "frame pool: " << pool.allocations << " allocations, " << pool.outstanding
              << " outstanding, " << pool.upstream_allocations << " upstream allocations ("
              << pool.upstream_bytes << " bytes)\n";

    if (o.chaos)
        std::cout << "chaos: " << chaos.connections << " connections, " << chaos.abrupt_closes
                  << " abrupt closes, " << chaos.half_closes << " half-closes, " << chaos.resets
                  << " resets\n";
    std::vector<std::string> failures;
    if (requests == 0)
        failures.push_back("no request completed after the warm-up");
    if (load.failed)
        failures.push_back("a client failed: a wrong echo, or an error (printed above)");
    if (server_errors != 0)
        failures.push_back("the server reported " + std::to_string(server_errors) +
                           " errors (printed above)");
    if (o.check_stability) {
        stability.after = take_resource_sample(load);
        check_stability(stability, (o.seconds + 2) / 3, o.connections, o.threads, failures);
        std::cout << "load test: " << (failures.empty() ? "PASS" : "FAIL:");
        for (auto const& f : failures)
            std::cout << ' ' << f << ';';
        std::cout << '\n';
    }
    return failures.empty() ? EXIT_SUCCESS : EXIT_FAILURE;
}

int main(int argc, char* argv[]) {
    auto const o = parse_options(argc, argv);
    if (!o)
        return 2;
    if (o->help) {
        std::cout << usage;
        return EXIT_SUCCESS;
    }
    try {
        return serve(*o);
    } catch (std::exception const& e) {
        std::cerr << "echo_server: " << e.what() << '\n';
        return EXIT_FAILURE;
    }
}
