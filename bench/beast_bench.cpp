//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Boost.Beast streams awaited by a server, boost::affine::task with use_affine
// beside asio::awaitable with use_awaitable, in the same binary: an HTTP
// keep-alive loop over beast::tcp_stream (a timeout set per request, as Beast's
// servers do) and a WebSocket echo loop over websocket::stream<tcp_stream>.
// The server runs on an io_context of its own thread; a synchronous Beast
// client drives it from another thread. Counted: the global allocations made
// on the server's thread per request (or message) in steady state, and the
// time per request as the client sees it. Beast's own per-message allocations
// (an HTTP message's header fields) are in both figures; what differs is the
// coroutine library's.

#include "bench_common.hpp"

#include <boost/affine.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <string>
#include <thread>

namespace asio = boost::asio;
namespace affine = boost::affine;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

struct affine_impl {
    template <class T>
    using task = affine::task<T>;
    static constexpr auto& token = affine::use_affine;
    template <class Ex, class T>
    static void spawn(Ex const& ex, task<T> t) {
        affine::co_spawn(ex, std::move(t), asio::detached);
    }
};

struct awaitable_impl {
    template <class T>
    using task = asio::awaitable<T>;
    static constexpr auto& token = asio::use_awaitable;
    template <class Ex, class T>
    static void spawn(Ex const& ex, task<T> t) {
        asio::co_spawn(ex, std::move(t), asio::detached);
    }
};

// What a server session records: the allocations of its thread over the measured requests.
struct measure {
    int warmup;
    int requests;
    std::uint64_t allocations = 0;
};

template <class I>
typename I::template task<void> http_session(tcp::socket socket, measure* m) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    std::uint64_t before = 0;
    for (int i = 0; i < m->warmup + m->requests; ++i) {
        if (i == m->warmup)
            before = bench::thread_allocations();
        stream.expires_after(std::chrono::seconds(30));
        http::request<http::string_body> req;
        co_await http::async_read(stream, buffer, req, I::token);
        http::response<http::string_body> res{http::status::ok, req.version()};
        res.keep_alive(true);
        res.body() = "ok";
        res.prepare_payload();
        co_await http::async_write(stream, res, I::token);
    }
    m->allocations = bench::thread_allocations() - before;
}

template <class I>
typename I::template task<void> ws_session(tcp::socket socket, measure* m) {
    websocket::stream<beast::tcp_stream> ws(std::move(socket));
    co_await ws.async_accept(I::token);
    beast::flat_buffer buffer;
    std::uint64_t before = 0;
    for (int i = 0; i < m->warmup + m->requests; ++i) {
        if (i == m->warmup)
            before = bench::thread_allocations();
        co_await ws.async_read(buffer, I::token);
        ws.text(ws.got_text());
        co_await ws.async_write(buffer.data(), I::token);
        buffer.consume(buffer.size());
    }
    m->allocations = bench::thread_allocations() - before;
}

enum class kind { http, websocket };

// One run: a server session of `I` on its own thread, a synchronous client here.
template <class I>
bench::sample run(kind k, int requests) {
    measure m{requests / 10 + 10, requests};
    asio::io_context server_ioc(1);
    tcp::acceptor acceptor(server_ioc, {asio::ip::address_v4::loopback(), 0});
    auto const endpoint = acceptor.local_endpoint();
    acceptor.async_accept([&](boost::system::error_code ec, tcp::socket s) {
        if (ec)
            std::abort();
        if (k == kind::http)
            I::spawn(server_ioc.get_executor(), http_session<I>(std::move(s), &m));
        else
            I::spawn(server_ioc.get_executor(), ws_session<I>(std::move(s), &m));
    });
    std::thread server([&] { server_ioc.run(); });

    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.connect(endpoint);
    bench::clock_type::time_point start;
    if (k == kind::http) {
        http::request<http::empty_body> req{http::verb::get, "/", 11};
        req.set(http::field::host, "127.0.0.1");
        req.keep_alive(true);
        beast::flat_buffer buffer;
        for (int i = 0; i < m.warmup + m.requests; ++i) {
            if (i == m.warmup)
                start = bench::clock_type::now();
            http::write(stream, req);
            http::response<http::string_body> res;
            http::read(stream, buffer, res);
            if (res.body() != "ok")
                std::abort();
        }
    } else {
        websocket::stream<beast::tcp_stream&> ws(stream);
        ws.handshake("127.0.0.1", "/");
        std::string const message(64, 'm');
        beast::flat_buffer buffer;
        for (int i = 0; i < m.warmup + m.requests; ++i) {
            if (i == m.warmup)
                start = bench::clock_type::now();
            ws.write(asio::buffer(message));
            ws.read(buffer);
            if (buffer.size() != message.size())
                std::abort();
            buffer.consume(buffer.size());
        }
    }
    auto const end = bench::clock_type::now();
    stream.socket().shutdown(tcp::socket::shutdown_both);
    server.join(); // the session ends after its last request
    bench::sample s;
    s.value = bench::ns_between(start, end) / 1000.0 / requests; // µs per request
    s.allocations = m.allocations;
    s.operations = static_cast<std::uint64_t>(requests);
    return s;
}

} // namespace

int main(int argc, char** argv) {
    bench::init(argc, argv);
    bench::report r("beast", {"affine", "awaitable"}, {{"affine", "awaitable"}});
    r.add_table({.id = "beast",
                 .stub = {"case (unit)"},
                 .ratios = {{"affine", "awaitable"}},
                 .allocs = true});
    int const requests = bench::cfg().pick(20000, 2000);
    for (auto [k, group, label] :
         {std::tuple{kind::http, "http keep-alive", "HTTP keep-alive GET (µs/request)"},
          std::tuple{kind::websocket, "websocket echo", "WebSocket echo, 64 B (µs/message)"}}) {
        r.run_case(group, "", "io_context", "us/req",
                   {{"affine", [k = k, requests] { return run<affine_impl>(k, requests); }},
                    {"awaitable", [k = k, requests] { return run<awaitable_impl>(k, requests); }}});
        r.show("beast", {.stub = {label}, .group = group, .param = "", .home = "io_context"});
    }
    for (char const* group : {"http keep-alive", "websocket echo"})
        if (bench::row const* a = r.find(group, "", "io_context", "affine"))
            r.note(std::string(group) + ": affine allocations per request " +
                   bench::fmt(a->allocs_per_op(), 4));
    r.finish();
}
