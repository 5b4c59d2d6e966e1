//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_DETAIL_UNIQUE_COROUTINE_HPP
#define BOOST_AFFINE_DETAIL_UNIQUE_COROUTINE_HPP

#include <coroutine>
#include <utility>

namespace boost::affine::detail {

// Owns a coroutine: destroys it when destroyed or reset, unless released. What
// a task, a trampoline, the spawn root and an operator's branch hold.
template <class Promise = void>
class unique_coroutine {
public:
    unique_coroutine() noexcept = default;
    explicit unique_coroutine(std::coroutine_handle<Promise> h) noexcept
        : h_(h) {}
    unique_coroutine(unique_coroutine&& o) noexcept
        : h_(std::exchange(o.h_, {})) {}
    unique_coroutine& operator=(unique_coroutine&& o) noexcept {
        if (this != &o) {
            reset();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    ~unique_coroutine() {
        if (h_)
            h_.destroy();
    }

    // Destroys the coroutine now, if there is one; empty afterwards.
    void reset() noexcept {
        if (h_)
            std::exchange(h_, {}).destroy();
    }

    // Gives the coroutine up without destroying it.
    std::coroutine_handle<Promise> release() noexcept { return std::exchange(h_, {}); }

    std::coroutine_handle<Promise> get() const noexcept { return h_; }
    explicit operator bool() const noexcept { return static_cast<bool>(h_); }

private:
    std::coroutine_handle<Promise> h_;
};

// The final suspension of the library's own coroutines (a trampoline, an operator's branch, the
// spawn root): transfers to what the promise's `on_final_suspend(h)` returns.
template <class Promise>
struct final_transfer {
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> h) noexcept {
        return h.promise().on_final_suspend(h);
    }
    void await_resume() const noexcept {}
};

} // namespace boost::affine::detail

#endif
