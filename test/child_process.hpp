//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_TEST_CHILD_PROCESS_HPP
#define BOOST_AFFINE_TEST_CHILD_PROCESS_HPP

// For the tests that run example programs as child processes and talk to them
// over 127.0.0.1 (example_loopback, beast_loopback): the programs' paths come
// as the test's command-line arguments (test/Jamfile names them as its input
// files).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

// The path, among the command-line arguments, of the program whose file name is `file`, or
// an empty string.
inline std::string find_program_argument(std::string const& file) {
    auto& suite = boost::unit_test::framework::master_test_suite();
    for (int i = 1; i < suite.argc; ++i) {
        std::string arg = suite.argv[i];
        std::size_t slash = arg.find_last_of('/');
        if ((slash == std::string::npos ? arg : arg.substr(slash + 1)) == file)
            return arg;
    }
    return {};
}

// The path, among the command-line arguments, of the program whose file name is `file`.
inline std::string program_argument(std::string const& file) {
    auto& suite = boost::unit_test::framework::master_test_suite();
    for (int i = 1; i < suite.argc; ++i) {
        std::string arg = suite.argv[i];
        std::size_t slash = arg.find_last_of('/');
        std::string base = slash == std::string::npos ? arg : arg.substr(slash + 1);
        if (base == file)
            return arg;
    }
    BOOST_FAIL("pass the path of " + file + " as an argument");
    return {};
}

// ---------------------------------------------------------------------------
// Child processes

// An example program running as a child process, its standard output and
// error going to a file of its own. Killed, if still running, when destroyed.
class child_process {
public:
    child_process(std::string const& program, std::vector<std::string> const& args) {
        char path[] = "/tmp/boost_affine_example_XXXXXX";
        int const fd = ::mkstemp(path);
        if (fd < 0)
            throw std::runtime_error("mkstemp failed");
        output_path_ = path;

        std::vector<std::string> strings{program};
        strings.insert(strings.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& s : strings)
            argv.push_back(s.data());
        argv.push_back(nullptr);

        posix_spawn_file_actions_t actions;
        ::posix_spawn_file_actions_init(&actions);
        ::posix_spawn_file_actions_adddup2(&actions, fd, STDOUT_FILENO);
        ::posix_spawn_file_actions_adddup2(&actions, fd, STDERR_FILENO);
        ::posix_spawn_file_actions_addclose(&actions, fd);
        int const rc =
            ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
        ::posix_spawn_file_actions_destroy(&actions);
        ::close(fd);
        if (rc != 0) {
            ::unlink(output_path_.c_str());
            throw std::runtime_error("cannot start " + program);
        }
    }

    child_process(child_process const&) = delete;
    child_process& operator=(child_process const&) = delete;

    ~child_process() {
        if (running()) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        ::unlink(output_path_.c_str());
    }

    bool running() {
        if (status_)
            return false;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_)
            status_ = status;
        return !status_;
    }

    void signal(int sig) { ::kill(pid_, sig); }

    // The wait status once the process has exited, or nothing if it has not
    // within `limit`.
    std::optional<int> wait_for(clock_type::duration limit) {
        auto const end = clock_type::now() + limit;
        while (running() && clock_type::now() < end)
            std::this_thread::sleep_for(10ms);
        return status_;
    }

    // What the process has written so far.
    std::string output() const {
        std::ifstream in(output_path_);
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
    std::string output_path_;
};

// A port on 127.0.0.1 that nothing listens on, as far as the kernel knows now.
inline unsigned short free_port() {
    asio::io_context ioc;
    tcp::acceptor a(ioc, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    return a.local_endpoint().port();
}

inline tcp::endpoint loopback(unsigned short port) {
    return {asio::ip::address_v4::loopback(), port};
}

// Waits until something accepts connections at `port`, while `child` runs.
inline bool accepting(child_process& child, unsigned short port) {
    auto const end = clock_type::now() + 10s;
    while (child.running() && clock_type::now() < end) {
        asio::io_context ioc;
        tcp::socket s(ioc);
        boost::system::error_code ec;
        s.connect(loopback(port), ec);
        if (!ec)
            return true;
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

// A running example and the port it listens on.
struct server {
    std::unique_ptr<child_process> process;
    unsigned short port;
};

// Starts `program` with the arguments `args(port)` on a free port, and waits
// until it accepts connections. Another process may take the port between
// free_port() and the example's bind; then the example exits, and another
// port is tried.
inline server start(std::string const& program,
                    std::function<std::vector<std::string>(unsigned short)> const& args) {
    for (int attempt = 0; attempt < 5; ++attempt) {
        unsigned short const port = free_port();
        auto child = std::make_unique<child_process>(program, args(port));
        if (accepting(*child, port))
            return {std::move(child), port};
        BOOST_TEST_MESSAGE(program << " did not start on port " << port << ":\n"
                                   << child->output());
    }
    throw std::runtime_error("cannot start " + program);
}

} // namespace test

#endif
