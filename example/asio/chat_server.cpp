//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Boost.Asio 1.81's example/cpp20/coroutines/chat_server.cpp, migrated to
// Boost.Affine. Renamed, nothing else:
//
//   <boost/asio/awaitable.hpp>      -> <boost/affine/task.hpp>
//   <boost/asio/co_spawn.hpp>       -> <boost/affine/co_spawn.hpp>
//   <boost/asio/use_awaitable.hpp>  -> <boost/affine/use_affine.hpp>
//   asio::awaitable                 -> boost::affine::task
//   asio::use_awaitable             -> boost::affine::use_affine
//   asio::co_spawn                  -> boost::affine::co_spawn
//
// Both forms of co_spawn appear: a function returning the task, which keeps
// the session alive through the shared_ptr it captures, and a task on an
// execution context. redirect_error works on use_affine as on use_awaitable.
//
// As in the original, the ports to listen on are the arguments.
//
//   example_asio_chat_server <port> [<port> ...]

#include <cstdlib>
#include <deque>
#include <iostream>
#include <list>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <boost/affine/task.hpp>
#include <boost/asio/detached.hpp>
#include <boost/affine/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/affine/use_affine.hpp>
#include <boost/asio/write.hpp>

using boost::affine::co_spawn;
using boost::affine::task;
using boost::affine::use_affine;
using boost::asio::detached;
using boost::asio::redirect_error;
using boost::asio::ip::tcp;

//----------------------------------------------------------------------

class chat_participant {
public:
    virtual ~chat_participant() {}
    virtual void deliver(const std::string& msg) = 0;
};

typedef std::shared_ptr<chat_participant> chat_participant_ptr;

//----------------------------------------------------------------------

class chat_room {
public:
    void join(chat_participant_ptr participant) {
        participants_.insert(participant);
        for (auto msg : recent_msgs_)
            participant->deliver(msg);
    }

    void leave(chat_participant_ptr participant) { participants_.erase(participant); }

    void deliver(const std::string& msg) {
        recent_msgs_.push_back(msg);
        while (recent_msgs_.size() > max_recent_msgs)
            recent_msgs_.pop_front();

        for (auto participant : participants_)
            participant->deliver(msg);
    }

private:
    std::set<chat_participant_ptr> participants_;
    enum { max_recent_msgs = 100 };
    std::deque<std::string> recent_msgs_;
};

//----------------------------------------------------------------------

class chat_session : public chat_participant, public std::enable_shared_from_this<chat_session> {
public:
    chat_session(tcp::socket socket, chat_room& room)
        : socket_(std::move(socket))
        , timer_(socket_.get_executor())
        , room_(room) {
        timer_.expires_at(std::chrono::steady_clock::time_point::max());
    }

    void start() {
        room_.join(shared_from_this());

        co_spawn(
            socket_.get_executor(), [self = shared_from_this()] { return self->reader(); },
            detached);

        co_spawn(
            socket_.get_executor(), [self = shared_from_this()] { return self->writer(); },
            detached);
    }

    void deliver(const std::string& msg) {
        write_msgs_.push_back(msg);
        timer_.cancel_one();
    }

private:
    task<void> reader() {
        try {
            for (std::string read_msg;;) {
                std::size_t n = co_await boost::asio::async_read_until(
                    socket_, boost::asio::dynamic_buffer(read_msg, 1024), "\n", use_affine);

                room_.deliver(read_msg.substr(0, n));
                read_msg.erase(0, n);
            }
        } catch (std::exception&) {
            stop();
        }
    }

    task<void> writer() {
        try {
            while (socket_.is_open()) {
                if (write_msgs_.empty()) {
                    boost::system::error_code ec;
                    co_await timer_.async_wait(redirect_error(use_affine, ec));
                } else {
                    co_await boost::asio::async_write(
                        socket_, boost::asio::buffer(write_msgs_.front()), use_affine);
                    write_msgs_.pop_front();
                }
            }
        } catch (std::exception&) {
            stop();
        }
    }

    void stop() {
        room_.leave(shared_from_this());
        socket_.close();
        timer_.cancel();
    }

    tcp::socket socket_;
    boost::asio::steady_timer timer_;
    chat_room& room_;
    std::deque<std::string> write_msgs_;
};

//----------------------------------------------------------------------

task<void> listener(tcp::acceptor acceptor) {
    chat_room room;

    for (;;) {
        std::make_shared<chat_session>(co_await acceptor.async_accept(use_affine), room)->start();
    }
}

//----------------------------------------------------------------------

int main(int argc, char* argv[]) {
    try {
        if (argc < 2) {
            std::cerr << "Usage: chat_server <port> [<port> ...]\n";
            return 1;
        }

        boost::asio::io_context io_context(1);

        for (int i = 1; i < argc; ++i) {
            unsigned short port = std::atoi(argv[i]);
            co_spawn(io_context, listener(tcp::acceptor(io_context, {tcp::v4(), port})), detached);
        }

        boost::asio::signal_set signals(io_context, SIGINT, SIGTERM);
        signals.async_wait([&](auto, auto) { io_context.stop(); });

        io_context.run();
    } catch (std::exception& e) {
        std::cerr << "Exception: " << e.what() << "\n";
    }

    return 0;
}
