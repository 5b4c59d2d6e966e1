//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Runs each of the Asio examples migrated to Boost.Affine (example/asio/) as a
// child process on a free loopback port, talks to it over 127.0.0.1 with plain
// Asio, then stops it with SIGTERM while a connection is still open, and
// checks that it exits with status 0.
//
// The programs' paths are its command-line arguments (test/Jamfile names them
// as the test's input files, which b2 and test/CMakeLists.txt pass); each is
// found by its file name, example_asio_<name>.

#include <boost/version.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#define BOOST_TEST_MODULE example_loopback
#include <boost/test/unit_test.hpp>

#include "child_process.hpp"

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

// The path of the program example_asio_<name>, given as an argument.
std::string example_program(std::string const& name) {
    return test::program_argument("example_asio_" + name);
}

using test::child_process;
using test::free_port;
using test::loopback;
using test::server;
using test::start;

std::vector<std::string> port_only(unsigned short port) {
    return {std::to_string(port)};
}

// Whether a line of `output` starts with "Exception: ", as the examples'
// handlers in main print. (The echo servers' sessions print "echo Exception:
// End of file" when a client leaves, as Asio's do.)
bool reports_exception(std::string const& output) {
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("Exception: ", 0) == 0)
            return true;
    return false;
}

// Stops the example with SIGTERM and checks that it exits cleanly, having
// printed nothing from main's exception handler.
void stop(server& s) {
    bool const was_running = s.process->running();
    if (was_running)
        s.process->signal(SIGTERM);
    std::optional<int> const status = s.process->wait_for(5s);
    std::string const output = s.process->output();
    BOOST_TEST_MESSAGE("output of the example:\n" << output);
    BOOST_TEST_CONTEXT("output of the example:\n" << output) {
        BOOST_TEST_REQUIRE(was_running, "the example exited before SIGTERM");
        BOOST_TEST_REQUIRE(status.has_value(), "the example did not exit within 5 s of SIGTERM");
        BOOST_TEST_REQUIRE(WIFEXITED(*status),
                           "the example was killed by signal " << WTERMSIG(*status));
        int const exit_status = WEXITSTATUS(*status);
        BOOST_TEST(exit_status == 0);
        BOOST_TEST(!reports_exception(output), "the example reported an exception from main");
    }
}

// Connects to the example, then stops it as above: it must exit cleanly with a connection open.
void stop_with_a_connection_open(server& s) {
    asio::io_context idle_context;
    tcp::socket idle(idle_context);
    idle.connect(loopback(s.port));
    stop(s);
}

// ---------------------------------------------------------------------------
// Clients, with plain Asio

// Client coroutines on an io_context of their own, run until all have
// finished; each must finish without an exception, within `limit`.
class clients {
public:
    asio::io_context& context() noexcept { return ioc_; }

    void spawn(awaitable<void> a) {
        ++pending_;
        asio::co_spawn(ioc_, std::move(a), [this](std::exception_ptr e) {
            --pending_;
            if (e)
                errors_.push_back(e);
        });
    }

    void run(clock_type::duration limit = 20s) {
        ioc_.run_for(limit);
        BOOST_TEST(pending_ == 0, pending_ << " client(s) did not finish in time");
        for (auto& e : errors_) {
            try {
                std::rethrow_exception(e);
            } catch (std::exception const& x) {
                BOOST_ERROR("client: " << x.what());
            }
        }
    }

private:
    asio::io_context ioc_;
    int pending_ = 0;
    std::vector<std::exception_ptr> errors_;
};

// Bytes that differ between clients, messages and positions.
std::string make_message(std::size_t size, unsigned client, unsigned index) {
    std::string m(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        m[i] = static_cast<char>('a' + (i * 7 + client * 13 + index * 3) % 26);
    return m;
}

// Sends `message` and reads as many bytes back, both at once (so that a
// message larger than the socket buffers cannot deadlock); returns what came
// back.
awaitable<std::string> round_trip(tcp::socket& s, std::string const& message) {
    std::string reply(message.size(), '\0');
    co_await (asio::async_write(s, asio::buffer(message), use_awaitable) &&
              asio::async_read(s, asio::buffer(reply), use_awaitable));
    co_return reply;
}

// Message sizes an echo client sends: one byte, less than, exactly and more
// than the servers' buffers, and several kilobytes.
constexpr std::size_t echo_sizes[] = {1, 100, 1024, 4096, 10000, 65536, 200000};

awaitable<void> echo_client(tcp::endpoint server, unsigned id) {
    tcp::socket s(co_await asio::this_coro::executor);
    co_await s.async_connect(server, use_awaitable);
    unsigned index = 0;
    for (std::size_t size : echo_sizes) {
        std::string const message = make_message(size, id, index++);
        std::string const reply = co_await round_trip(s, message);
        if (reply != message)
            throw std::runtime_error("client " + std::to_string(id) + ": the echo of " +
                                     std::to_string(size) + " bytes differs");
    }
    // Say goodbye; the server closes in turn.
    s.shutdown(tcp::socket::shutdown_send);
    char c;
    auto [ec, n] = co_await s.async_read_some(asio::buffer(&c, 1), asio::as_tuple(use_awaitable));
    if (ec != asio::error::eof || n != 0)
        throw std::runtime_error("client " + std::to_string(id) +
                                 ": the server did not close the connection");
}

// Four clients at once, each with all the message sizes; one more connection
// stays open, idle, until the server is stopped.
void check_echo_server(std::string const& program) {
    server s = start(program, port_only);
    asio::io_context idle_context;
    tcp::socket idle(idle_context);
    idle.connect(loopback(s.port));

    clients c;
    for (unsigned id = 0; id < 4; ++id)
        c.spawn(echo_client(loopback(s.port), id));
    c.run();

    stop(s);
}

} // namespace

// ---------------------------------------------------------------------------
// The echo servers

BOOST_AUTO_TEST_CASE(echo_server_echoes_concurrent_clients) {
    check_echo_server(example_program("echo_server"));
}

BOOST_AUTO_TEST_CASE(echo_server_with_default_echoes_concurrent_clients) {
    check_echo_server(example_program("echo_server_with_default"));
}

BOOST_AUTO_TEST_CASE(echo_server_with_as_tuple_default_echoes_concurrent_clients) {
    check_echo_server(example_program("echo_server_with_as_tuple_default"));
}

BOOST_AUTO_TEST_CASE(echo_server_with_deferred_echoes_concurrent_clients) {
    check_echo_server(example_program("echo_server_with_deferred"));
}

BOOST_AUTO_TEST_CASE(refactored_echo_server_echoes_concurrent_clients) {
    check_echo_server(example_program("refactored_echo_server"));
}

// ---------------------------------------------------------------------------
// The chat server

namespace {

awaitable<std::string> read_line(tcp::socket& s, std::string& buffer) {
    std::size_t n =
        co_await asio::async_read_until(s, asio::dynamic_buffer(buffer), '\n', use_awaitable);
    std::string line = buffer.substr(0, n);
    buffer.erase(0, n);
    co_return line;
}

awaitable<void> expect_line(tcp::socket& s, std::string& buffer, std::string const& expected,
                            char const* who) {
    std::string line = co_await read_line(s, buffer);
    if (line != expected)
        throw std::runtime_error(std::string(who) + " received '" + line + "', expected '" +
                                 expected + "'");
}

// Two participants: what one says reaches the other, and the sender too, in
// the order the room received it.
awaitable<void> chat(tcp::endpoint server) {
    auto ex = co_await asio::this_coro::executor;
    tcp::socket a(ex);
    tcp::socket b(ex);
    co_await a.async_connect(server, use_awaitable);
    co_await b.async_connect(server, use_awaitable);
    std::string a_buffer;
    std::string b_buffer;

    std::string const a1 = "hello from a\n";
    std::string const a2 = "and a second line from a\n";
    std::string const b1 = "hello from b\n";

    co_await asio::async_write(a, asio::buffer(a1 + a2), use_awaitable);
    // b receives a's lines, live or, if it joined after them, from the
    // room's history.
    co_await expect_line(b, b_buffer, a1, "b");
    co_await expect_line(b, b_buffer, a2, "b");

    co_await asio::async_write(b, asio::buffer(b1), use_awaitable);
    co_await expect_line(b, b_buffer, b1, "b");
    co_await expect_line(a, a_buffer, a1, "a");
    co_await expect_line(a, a_buffer, a2, "a");
    co_await expect_line(a, a_buffer, b1, "a");
}

} // namespace

BOOST_AUTO_TEST_CASE(chat_server_delivers_lines_to_every_participant) {
    server s = start(example_program("chat_server"), port_only);
    asio::io_context idle_context;
    tcp::socket idle(idle_context);
    idle.connect(loopback(s.port));

    clients c;
    c.spawn(chat(loopback(s.port)));
    c.run();

    stop(s);
}

// ---------------------------------------------------------------------------
// The echo server with a watchdog

namespace {

// An active connection outlives the timeout: every message moves the
// deadline.
awaitable<void> active_client(tcp::endpoint server) {
    tcp::socket s(co_await asio::this_coro::executor);
    co_await s.async_connect(server, use_awaitable);
    asio::steady_timer timer(s.get_executor());
    auto const end = clock_type::now() + 2s;
    for (unsigned i = 0; clock_type::now() < end; ++i) {
        std::string const message = make_message(i % 2 ? 3000 : 10, 0, i);
        if (co_await round_trip(s, message) != message)
            throw std::runtime_error("timeout: an echo differs");
        timer.expires_after(250ms);
        co_await timer.async_wait(use_awaitable);
    }
}

// An idle connection is closed by the server after its timeout (1 s), not
// before, and not much later.
awaitable<void> idle_client(tcp::endpoint server) {
    tcp::socket s(co_await asio::this_coro::executor);
    co_await s.async_connect(server, use_awaitable);
    std::string const message = "ping";
    if (co_await round_trip(s, message) != message)
        throw std::runtime_error("timeout: the echo differs");
    auto const idle_since = clock_type::now();
    char c;
    auto [ec, n] = co_await s.async_read_some(asio::buffer(&c, 1), asio::as_tuple(use_awaitable));
    auto const idle = clock_type::now() - idle_since;
    if (!ec)
        throw std::runtime_error("timeout: unexpected data on an idle connection");
    if (ec != asio::error::eof && ec != asio::error::connection_reset)
        throw std::runtime_error("timeout: " + ec.message());
    if (idle < 700ms || idle > 4s)
        throw std::runtime_error(
            "timeout: the idle connection was closed after " +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(idle).count()) +
            " ms, with a timeout of 1000 ms");
}

// An echo server with a timeout of 1 s (argv[2]) keeps its active connections and closes its
// idle ones; stopped with a connection inside its timeout, it exits cleanly.
void check_timeout(std::string const& name) {
    server s = start(example_program(name), [](unsigned short port) {
        return std::vector<std::string>{std::to_string(port), "1"};
    });

    clients c;
    c.spawn(active_client(loopback(s.port)));
    c.spawn(idle_client(loopback(s.port)));
    c.run();

    // Stopped with a connection inside its timeout.
    stop_with_a_connection_open(s);
}

} // namespace

// A watchdog task beside the echo, joined by && (Boost 1.81's timeout.cpp, 1.92's
// timeout_watchdog.cpp).
BOOST_AUTO_TEST_CASE(timeout_closes_idle_connections_only) {
    check_timeout("timeout");
}

#if BOOST_VERSION >= 108600
// Each operation awaited with cancel_after as its token.
BOOST_AUTO_TEST_CASE(timeout_cancel_after_closes_idle_connections_only) {
    check_timeout("timeout_cancel_after");
}

// ---------------------------------------------------------------------------
// Mutual exclusion with a channel (Boost 1.92's channels examples)

namespace {

// Sends five lines, one each 300 ms, then reads what came back: each line echoed once, after
// "<line>", in order, and heartbeats ("<heartbeat>"; one a second) between whole messages,
// never inside one: the session's two actors never write at once.
awaitable<void> line_client(tcp::endpoint server, std::string name) {
    tcp::socket s(co_await asio::this_coro::executor);
    co_await s.async_connect(server, use_awaitable);
    asio::steady_timer timer(s.get_executor());
    constexpr int lines = 5;
    for (int i = 0; i < lines; ++i) {
        std::string const line = "line " + std::to_string(i) + " of " + name + "\n";
        co_await asio::async_write(s, asio::buffer(line), use_awaitable);
        timer.expires_after(300ms);
        co_await timer.async_wait(use_awaitable);
    }
    std::string data;
    int echoed = 0, heartbeats = 0;
    while (echoed < lines || heartbeats == 0) {
        std::size_t n =
            co_await asio::async_read_until(s, asio::dynamic_buffer(data), '\n', use_awaitable);
        std::string const record = data.substr(0, n);
        data.erase(0, n);
        if (record == "<heartbeat>\n") {
            ++heartbeats;
        } else if (record == "<line>line " + std::to_string(echoed) + " of " + name + "\n") {
            ++echoed;
        } else {
            throw std::runtime_error(name + ": unexpected record '" + record + "' after " +
                                     std::to_string(echoed) + " lines");
        }
    }
}

void check_mutual_exclusion(std::string const& name) {
    server s = start(example_program(name), [](unsigned short port) {
        return std::vector<std::string>{"127.0.0.1", std::to_string(port)};
    });
    clients c;
    c.spawn(line_client(loopback(s.port), name));
    c.spawn(line_client(loopback(s.port), name));
    c.run();
    stop_with_a_connection_open(s);
}

} // namespace

BOOST_AUTO_TEST_CASE(mutual_exclusion_1_keeps_messages_whole) {
    check_mutual_exclusion("mutual_exclusion_1");
}

BOOST_AUTO_TEST_CASE(mutual_exclusion_2_keeps_messages_whole) {
    check_mutual_exclusion("mutual_exclusion_2");
}
#else
// Built with an older Boost, the examples of Boost 1.92 say what they need and exit.
BOOST_AUTO_TEST_CASE(examples_of_newer_boost_say_what_they_need) {
    for (char const* name : {"timeout_cancel_after", "mutual_exclusion_1", "mutual_exclusion_2"}) {
        child_process p(example_program(name), {});
        std::optional<int> const status = p.wait_for(5s);
        BOOST_TEST_REQUIRE(status.has_value());
        BOOST_TEST((WIFEXITED(*status) && WEXITSTATUS(*status) == 0));
        BOOST_TEST(p.output().find("needs Boost 1.86 or later") != std::string::npos);
    }
}
#endif

// ---------------------------------------------------------------------------
// The throttling proxy

namespace {

// The proxy's target: an echo server on a thread of the test.
class echo_target {
public:
    echo_target()
        : acceptor_(ioc_, loopback(0)) {
        asio::co_spawn(ioc_, listen(), [](std::exception_ptr) {});
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~echo_target() {
        ioc_.stop();
        thread_.join();
    }

    unsigned short port() const { return acceptor_.local_endpoint().port(); }

private:
    static awaitable<void> echo(tcp::socket s) {
        char data[8192];
        for (;;) {
            auto [ec, n] =
                co_await s.async_read_some(asio::buffer(data), asio::as_tuple(use_awaitable));
            if (ec)
                co_return;
            co_await asio::async_write(s, asio::buffer(data, n), use_awaitable);
        }
    }

    awaitable<void> listen() {
        for (;;) {
            tcp::socket s = co_await acceptor_.async_accept(use_awaitable);
            asio::co_spawn(ioc_, echo(std::move(s)), [](std::exception_ptr) {});
        }
    }

    asio::io_context ioc_;
    tcp::acceptor acceptor_;
    std::thread thread_;
};

// 100 KB through the proxy to the echo target and back, intact. The proxy
// lets 20 KB through per 100 ms in each direction, from the first token at
// connection: 100 KB take at least 400 ms.
awaitable<void> proxy_client(tcp::endpoint proxy, unsigned id) {
    tcp::socket s(co_await asio::this_coro::executor);
    co_await s.async_connect(proxy, use_awaitable);
    auto const start = clock_type::now();
    std::string const message = make_message(100 * 1024, id, 0);
    if (co_await round_trip(s, message) != message)
        throw std::runtime_error("proxy: the echo differs");
    auto const elapsed = clock_type::now() - start;
    if (elapsed < 300ms)
        throw std::runtime_error(
            "proxy: 100 KB went through in " +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()) +
            " ms: not throttled");
    std::string const tail = "and a last small message";
    if (co_await round_trip(s, tail) != tail)
        throw std::runtime_error("proxy: the echo differs");
}

} // namespace

BOOST_AUTO_TEST_CASE(throttling_proxy_forwards_data_intact) {
    echo_target target;
    server s = start(example_program("throttling_proxy"), [&](unsigned short port) {
        return std::vector<std::string>{"127.0.0.1", std::to_string(port), "127.0.0.1",
                                        std::to_string(target.port())};
    });
    // A proxied connection stays open, idle, until the proxy is stopped.
    asio::io_context idle_context;
    tcp::socket idle(idle_context);
    idle.connect(loopback(s.port));

    clients c;
    c.spawn(proxy_client(loopback(s.port), 0));
    c.spawn(proxy_client(loopback(s.port), 1));
    c.run();

    stop(s);
}
