//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_ENVIRONMENT_HPP
#define BOOST_AFFINE_ENVIRONMENT_HPP

#include <boost/affine/frame_allocator.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/execution_context.hpp>

#include <coroutine>
#include <utility>

namespace boost::affine {

class environment;

namespace detail {

// The chain running on this thread, if any: set while a chain's coroutine runs
// (re-established on every resume, restored after).
inline environment* current_environment() noexcept {
    return static_cast<environment*>(this_thread_state().environment);
}

// A function posted to a home executor through the environment: what Asio
// gives our handlers' executor is type-erased into one of these, allocated
// from the chain's frame allocator.
struct posted_function {
    void (*invoke_)(posted_function*, bool run) = nullptr;
};

// The library's handlers reach the environment's internals through this.
struct environment_access {
    static void post_function(environment& e, posted_function* f);
    static void abandon(environment& e) noexcept;
};

} // namespace detail

/** The environment of a chain of tasks: its home executor, frame allocator and
    cancellation state.

    The root of a chain (made by `co_spawn`) owns the environment by value,
    with the concrete home executor; every task of the chain holds one pointer
    to it. It is the dispatcher that affine awaitables receive: `env(h)`
    resumes `h` on the home executor, inline when the calling thread already
    runs the chain, posted otherwise.

    @par Thread Safety
    The dispatching members may be called from any thread. The cancellation
    state belongs to the chain and is used on the home executor.
*/
class environment {
public:
    environment(environment const&) = delete;
    environment& operator=(environment const&) = delete;

    /** Resumes `h` on the home executor.

        Inline when this thread is running this chain or is running on the
        home executor; posted otherwise.

        @throws std::bad_alloc if posting fails to allocate.
    */
    void operator()(std::coroutine_handle<> h) { dispatch(h).resume(); }

    /** Symmetric form: returns `h` if this thread is running this chain (the
        caller resumes it by symmetric transfer), otherwise resumes `h` as
        `operator()` does and returns `std::noop_coroutine()`.
    */
    std::coroutine_handle<> dispatch(std::coroutine_handle<> h) {
        if (detail::current_environment() == this)
            return h;
        if (running_in_this_thread()) {
            scope s(*this);
            h.resume();
        } else {
            post(h);
        }
        return std::noop_coroutine();
    }

    /** Posts the resumption of `h` to the home executor.

        The operation's storage comes from the chain's frame allocator.
    */
    void post(std::coroutine_handle<> h) { do_post(h); }

    /// True if the calling thread is running on the home executor.
    bool running_in_this_thread() const noexcept { return do_running_in_this_thread(); }

    /// The home executor, type-erased.
    asio::any_io_executor const& get_executor() const noexcept { return executor_; }

    /// The chain's frame allocator.
    any_frame_allocator const& get_frame_allocator() const noexcept { return allocator_; }

    /// The execution context of the home executor.
    asio::execution_context& context() const noexcept {
        return asio::query(executor_, asio::execution::context);
    }

    /// The chain's cancellation state.
    asio::cancellation_state& cancellation_state() noexcept { return cancellation_state_; }

    /// The slot that operations of this chain attach their cancellation to.
    asio::cancellation_slot cancellation_slot() noexcept { return cancellation_state_.slot(); }

    /** Replaces the chain's cancellation state with a new one attached to the
        slot of `co_spawn`'s completion handler, with the given filters (none:
        terminal cancellation only), as `this_coro::reset_cancellation_state`.
    */
    template <class... Filters>
    void reset_cancellation_state(Filters&&... filters) {
        cancellation_state_ =
            asio::cancellation_state(parent_slot_, std::forward<Filters>(filters)...);
    }

    /** Whether a `co_await` in a cancelled chain throws `operation_aborted`
        before starting what it awaits (`true` by default, as in Asio).
    */
    bool throw_if_cancelled() const noexcept { return throw_if_cancelled_; }
    void throw_if_cancelled(bool value) noexcept { throw_if_cancelled_ = value; }

    /** The environment of the chain running on the calling thread, or null.
        @par Complexity Constant: one out-of-line call that reads the thread's
        state (out of line so that coroutine bodies never cache it).
    */
    static environment* current() noexcept { return detail::current_environment(); }

    /** Makes this environment (and its frame allocator) current on this thread
        for a scope: what every resumption of the chain does.
    */
    class scope {
    public:
        explicit scope(environment& e) noexcept {
            detail::thread_state& state = detail::this_thread_state();
            prev_env_ = static_cast<environment*>(state.environment);
            prev_alloc_ = state.allocator;
            state.environment = &e;
            state.allocator = &e.allocator_;
        }
        ~scope() {
            detail::thread_state& state = detail::this_thread_state();
            state.environment = prev_env_;
            state.allocator = prev_alloc_;
        }
        scope(scope const&) = delete;
        scope& operator=(scope const&) = delete;

    private:
        environment* prev_env_;
        any_frame_allocator const* prev_alloc_;
    };

protected:
    environment(asio::any_io_executor ex, any_frame_allocator alloc,
                asio::cancellation_slot parent) noexcept
        : executor_(std::move(ex))
        , allocator_(alloc)
        , parent_slot_(parent)
        , cancellation_state_(parent) {}

    ~environment() = default;

    virtual bool do_running_in_this_thread() const noexcept = 0;
    virtual void do_post(std::coroutine_handle<> h) = 0;
    virtual void do_post_function(detail::posted_function* f) = 0;

    // The root coroutine, which owns this environment.
    void set_root(std::coroutine_handle<> root) noexcept { root_ = root; }

private:
    friend struct detail::environment_access;

    // Destroys the whole chain: what happens when Asio destroys the handler of
    // a pending operation without invoking it (its execution context was
    // destroyed, or shut down, with the operation in flight). Every frame is
    // freed and every local destroyed, as with asio::awaitable; co_spawn's
    // completion handler is destroyed without being invoked. This destroys
    // *this: the library calls it once, from the chain's only pending handler.
    void abandon() noexcept {
        if (std::coroutine_handle<> root = std::exchange(root_, {}))
            root.destroy();
    }

    asio::any_io_executor executor_;
    any_frame_allocator allocator_;
    asio::cancellation_slot parent_slot_;
    asio::cancellation_state cancellation_state_;
    std::coroutine_handle<> root_;
    bool throw_if_cancelled_ = true;
};

namespace detail {
inline void environment_access::post_function(environment& e, posted_function* f) {
    e.do_post_function(f);
}
inline void environment_access::abandon(environment& e) noexcept {
    e.abandon();
}
} // namespace detail

} // namespace boost::affine

#endif
