//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// A TCP echo server written with Boost.Affine, and a load client in the same
// program that measures it.
//
// The server is the classic Asio coroutine echo server with three names
// changed: asio::awaitable -> boost::affine::task, asio::use_awaitable ->
// boost::affine::use_affine, asio::co_spawn -> boost::affine::co_spawn. What
// changes is underneath: every coroutine frame, and the storage of every Asio
// operation a task awaits, comes from a recycling pool. Once the connections
// are up, a request costs no global allocation, and the program counts global
// allocations to show it.
//
//   tools/run-example.sh [options]        (from the repository root)
//
//   --connections N   load client connections (default 16)
//   --seconds S       length of the run, a warm-up second included (default 3)
//   --port P          port to listen on at 127.0.0.1 (default 0: any free port)
//   --threads T       threads running the io_context (default 1)
//   --server-only     no load client: serve until SIGINT or SIGTERM
//
// Exit status: 0 if the run completed and every reply equalled its request.

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
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iomanip>
#include <iostream>
#include <new>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#if defined(__GLIBC__) || defined(_WIN32)
#include <malloc.h> // memalign, _aligned_malloc
#endif

namespace asio = boost::asio;
using boost::affine::co_spawn;
using boost::affine::task;
using boost::affine::use_affine;
using tcp = asio::ip::tcp;

// Calls to the global allocation functions so far, all threads (defined with
// the replaced operator new at the end of this file).
std::uint64_t global_allocations() noexcept;

// ---------------------------------------------------------------------------
// The server

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
        // As with use_awaitable, an error is thrown, and end of file is how a
        // client says goodbye.
        if (e.code() != asio::error::eof)
            std::cerr << "session: " << e.what() << '\n';
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
        else if (acceptor.is_open())
            std::cerr << "accept: " << ec.message() << '\n';
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
// The program

struct options {
    unsigned connections = 16;
    unsigned seconds = 3;
    unsigned short port = 0;
    unsigned threads = 1;
    bool server_only = false;
    bool help = false;
};

constexpr char const* usage =
    "usage: echo_server [--connections N] [--seconds S] [--port P] [--threads T]\n"
    "                   [--server-only]\n";

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
        else {
            std::cerr << "echo_server: unknown option " << arg << '\n' << usage;
            return std::nullopt;
        }
        if (!ok) {
            std::cerr << "echo_server: bad value '" << value << "' for " << arg << '\n' << usage;
            return std::nullopt;
        }
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
    std::cout << std::endl;

    load_state load;
    load.running_clients = o.connections;
    std::chrono::milliseconds const total = std::chrono::seconds(o.seconds);
    // One second of warm-up, or half the run if it is shorter than two.
    std::chrono::milliseconds const warmup =
        std::min<std::chrono::milliseconds>(std::chrono::seconds(1), total / 2);
    co_spawn(ioc, monitor(load, warmup, total), asio::detached);

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
        spawn(client(server, i, load), on_client_done);

    run(ioc, o.threads);

    // Steady state: between the two snapshots.
    auto const& from = load.after_warmup;
    auto const& to = load.at_end;
    double const seconds = std::chrono::duration<double>(to.time - from.time).count();
    std::uint64_t const requests = to.requests - from.requests;
    std::uint64_t const allocations = to.allocations - from.allocations;
    if (requests == 0) {
        std::cerr << "echo_server: no request completed after the warm-up\n";
        return EXIT_FAILURE;
    }
    std::cout << std::fixed << "requests/s: " << std::setprecision(0)
              << static_cast<double>(requests) / seconds << "   requests: " << load.requests.load()
              << "   global allocations/request: " << std::setprecision(3)
              << static_cast<double>(allocations) / static_cast<double>(requests) << '\n';

    // The frames, and the operations the tasks awaited, came from the shared
    // frame pool. After a clean shutdown none is outstanding, and the pool
    // went upstream only a few times, however many requests it served.
    auto const pool = boost::affine::frame_pool::shared().statistics();
    std::cout << "frame pool: " << pool.allocations << " allocations, " << pool.outstanding
              << " outstanding, " << pool.upstream_allocations << " upstream allocations ("
              << pool.upstream_bytes << " bytes)\n";

    return load.failed ? EXIT_FAILURE : EXIT_SUCCESS;
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

// ---------------------------------------------------------------------------
// Counting global allocations
//
// Every global allocation function is replaced by one that counts its calls:
// the operator new family, and the C functions Asio calls directly (its
// per-thread recycling cache takes memory from std::aligned_alloc). malloc is
// not replaced: that would mean replacing its whole family, and neither Asio
// nor Boost.Affine calls it. Frees are not counted: allocating is what costs,
// and what a request here must not do.

namespace {

std::atomic<std::uint64_t> allocation_count{0};

void* counted_allocate(std::size_t n) noexcept {
    allocation_count.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n == 0 ? 1 : n);
}

void* counted_allocate_aligned(std::size_t n, std::size_t alignment) noexcept {
    allocation_count.fetch_add(1, std::memory_order_relaxed);
    n = n == 0 ? 1 : n;
#if defined(__GLIBC__)
    // glibc's aligned_alloc is memalign under another name; memalign itself is
    // not replaced, so nothing is counted twice.
    return ::memalign(alignment, n);
#elif defined(_WIN32)
    return ::_aligned_malloc(n, alignment);
#else
    void* p = nullptr;
    return ::posix_memalign(&p, std::max(alignment, sizeof(void*)), n) == 0 ? p : nullptr;
#endif
}

// Not inlined: GCC would otherwise see `free` paired with a call to operator
// new in Asio's code, and warn (-Wmismatched-new-delete).
BOOST_NOINLINE void release(void* p) noexcept {
    std::free(p);
}

BOOST_NOINLINE void release_aligned(void* p) noexcept {
#if defined(_WIN32)
    ::_aligned_free(p);
#else
    std::free(p);
#endif
}

void* throwing(void* p) {
    if (!p)
        throw std::bad_alloc();
    return p;
}

} // namespace

std::uint64_t global_allocations() noexcept {
    return allocation_count.load(std::memory_order_relaxed);
}

void* operator new(std::size_t n) {
    return throwing(counted_allocate(n));
}
void* operator new[](std::size_t n) {
    return throwing(counted_allocate(n));
}
void* operator new(std::size_t n, std::nothrow_t const&) noexcept {
    return counted_allocate(n);
}
void* operator new[](std::size_t n, std::nothrow_t const&) noexcept {
    return counted_allocate(n);
}

void* operator new(std::size_t n, std::align_val_t a) {
    return throwing(counted_allocate_aligned(n, static_cast<std::size_t>(a)));
}
void* operator new[](std::size_t n, std::align_val_t a) {
    return throwing(counted_allocate_aligned(n, static_cast<std::size_t>(a)));
}
void* operator new(std::size_t n, std::align_val_t a, std::nothrow_t const&) noexcept {
    return counted_allocate_aligned(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, std::nothrow_t const&) noexcept {
    return counted_allocate_aligned(n, static_cast<std::size_t>(a));
}

void operator delete(void* p) noexcept {
    release(p);
}
void operator delete[](void* p) noexcept {
    release(p);
}
void operator delete(void* p, std::size_t) noexcept {
    release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    release(p);
}
void operator delete(void* p, std::nothrow_t const&) noexcept {
    release(p);
}
void operator delete[](void* p, std::nothrow_t const&) noexcept {
    release(p);
}

void operator delete(void* p, std::align_val_t) noexcept {
    release_aligned(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    release_aligned(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    release_aligned(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    release_aligned(p);
}
void operator delete(void* p, std::align_val_t, std::nothrow_t const&) noexcept {
    release_aligned(p);
}
void operator delete[](void* p, std::align_val_t, std::nothrow_t const&) noexcept {
    release_aligned(p);
}

#if defined(__GLIBC__)
// Replacing these two is safe with glibc: they are separate symbols from
// memalign, and what they return is freed with free.
extern "C" void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
        errno = EINVAL;
        return nullptr;
    }
    return counted_allocate_aligned(size, alignment);
}

extern "C" int posix_memalign(void** p, std::size_t alignment, std::size_t size) noexcept {
    if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0)
        return EINVAL;
    void* const q = counted_allocate_aligned(size, alignment);
    if (!q)
        return ENOMEM;
    *p = q;
    return 0;
}
#endif
