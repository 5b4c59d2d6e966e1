//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_DETAIL_BASIC_ENVIRONMENT_HPP
#define BOOST_AFFINE_DETAIL_BASIC_ENVIRONMENT_HPP

#include <boost/affine/environment.hpp>
#include <boost/affine/frame_allocator.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <coroutine>
#include <memory>
#include <type_traits>
#include <utility>

namespace boost::affine::detail {

// The executor types whose identity we look for inside an any_io_executor.
template <class F>
bool for_known_targets(asio::any_io_executor const& ex, F&& f) {
    using ioc = asio::io_context::executor_type;
    using pool = asio::thread_pool::executor_type;
    if (auto* p = ex.target<ioc>())
        return f(*p);
    if (auto* p = ex.target<asio::strand<ioc>>())
        return f(*p);
    if (auto* p = ex.target<pool>())
        return f(*p);
    if (auto* p = ex.target<asio::strand<pool>>())
        return f(*p);
    if (auto* p = ex.target<asio::strand<asio::any_io_executor>>())
        return f(*p);
    return false;
}

template <class Executor>
bool running_in_this_thread(Executor const& ex) noexcept {
    if constexpr (requires { ex.running_in_this_thread(); }) {
        return ex.running_in_this_thread();
    } else if constexpr (std::is_same_v<Executor, asio::any_io_executor>) {
        return for_known_targets(ex, [](auto const& e) { return e.running_in_this_thread(); });
    } else {
        return false; // unknown: always post, which is correct if slower
    }
}

/** The allocator of the handlers that resume a chain: the chain's frame
    allocator, falling back to the global heap if it fails (a resumption must
    not be lost; see allocate_resumption).
*/
template <class T = void>
class resumption_allocator {
public:
    using value_type = T;

    explicit resumption_allocator(any_frame_allocator a) noexcept
        : a_(a) {}

    template <class U>
    resumption_allocator(resumption_allocator<U> const& o) noexcept // NOLINT
        : a_(o.frame_allocator()) {}

    [[nodiscard]] T* allocate(std::size_t n) {
        static_assert(alignof(T) <= 16, "boost::affine: over-aligned type");
        return static_cast<T*>(allocate_resumption(n * sizeof(T), a_));
    }
    void deallocate(T* p, std::size_t n) noexcept { deallocate_frame(p, n * sizeof(T)); }

    any_frame_allocator frame_allocator() const noexcept { return a_; }

    template <class U>
    friend bool operator==(resumption_allocator const& a,
                           resumption_allocator<U> const& b) noexcept {
        return a.a_ == b.frame_allocator();
    }

private:
    any_frame_allocator a_;
};

// Resumes a coroutine on the home executor; its storage comes from the chain's
// frame allocator.
// Destroyed without being invoked (its context went away with it queued), it
// destroys the chain rather than leak it.
class resume_handler {
public:
    resume_handler(environment* e, std::coroutine_handle<> h) noexcept
        : env_(e)
        , h_(h) {}
    resume_handler(resume_handler&& o) noexcept
        : env_(o.env_)
        , h_(std::exchange(o.h_, {})) {}
    resume_handler& operator=(resume_handler&&) = delete;
    ~resume_handler() {
        if (h_)
            environment_access::abandon(*env_);
    }

    using allocator_type = resumption_allocator<void>;
    allocator_type get_allocator() const noexcept {
        return allocator_type(env_->get_frame_allocator());
    }

    void operator()() {
        environment::scope s(*env_);
        std::exchange(h_, {}).resume();
    }

private:
    environment* env_;
    std::coroutine_handle<> h_;
};

// Runs (or discards) a type-erased function on the home executor.
struct function_handler {
    environment* env_;
    posted_function* f_;

    using allocator_type = resumption_allocator<void>;
    allocator_type get_allocator() const noexcept {
        return allocator_type(env_->get_frame_allocator());
    }

    function_handler(environment* e, posted_function* f) noexcept
        : env_(e)
        , f_(f) {}
    function_handler(function_handler&& o) noexcept
        : env_(o.env_)
        , f_(std::exchange(o.f_, nullptr)) {}
    function_handler& operator=(function_handler&&) = delete;
    ~function_handler() {
        if (f_)
            f_->invoke_(f_, false);
    }

    void operator()() {
        environment::scope s(*env_);
        auto* f = std::exchange(f_, nullptr);
        f->invoke_(f, true);
    }
};

// Allocated with allocate_resumption.
template <class F>
struct function_node : posted_function {
    F f_;

    explicit function_node(F&& f)
        : posted_function{&invoke}
        , f_(std::move(f)) {}

    static void invoke(posted_function* base, bool run) {
        auto* self = static_cast<function_node*>(base);
        // Free the node before running: the function may post again.
        F f(std::move(self->f_));
        self->~function_node();
        deallocate_frame(self, sizeof(function_node));
        if (run)
            f();
    }
};

/** The concrete environment owned by a chain's root. */
template <class Executor>
class basic_environment final : public environment_home, public environment {
    using work_executor = std::decay_t<decltype(asio::prefer(
        std::declval<Executor const&>(), asio::execution::outstanding_work.tracked))>;

public:
    basic_environment(Executor const& ex, any_frame_allocator alloc, asio::cancellation_slot parent)
        : environment(static_cast<environment_home&>(*this), alloc, parent)
        , ex_(ex)
        , work_(asio::prefer(ex, asio::execution::outstanding_work.tracked))
        , erased_(make_erased(ex)) {}

    ~basic_environment() { release_spares(get_frame_allocator()); }

    basic_environment(basic_environment const&) = delete;
    basic_environment& operator=(basic_environment const&) = delete;

    Executor const& executor() const noexcept { return ex_; }

    using environment::set_root;

private:
    // Whether any_io_executor holds Executor inline (Asio keeps up to a
    // shared_ptr and a pointer in place; larger targets are shared on the
    // heap), so that get_executor() can make one without allocating.
    static constexpr bool erased_on_demand =
        std::is_same_v<Executor, asio::any_io_executor> ||
        (sizeof(Executor) <= 3 * sizeof(void*) && alignof(Executor) <= alignof(void*) &&
         std::is_nothrow_copy_constructible_v<Executor>);
    struct no_copy {};
    using erased_type = std::conditional_t<erased_on_demand, no_copy, asio::any_io_executor>;

    static erased_type make_erased(Executor const& ex) {
        if constexpr (erased_on_demand)
            return {};
        else
            return asio::any_io_executor(ex);
    }

    asio::any_io_executor home_executor() const override {
        if constexpr (erased_on_demand)
            return asio::any_io_executor(ex_);
        else
            return erased_;
    }

    bool home_is(asio::any_io_executor const& ex) const noexcept override {
        if constexpr (std::is_same_v<Executor, asio::any_io_executor>) {
            return ex == ex_;
        } else {
            auto const* p = ex.target<Executor>();
            return p && *p == ex_;
        }
    }

    asio::execution_context& home_context() const noexcept override {
        return asio::query(ex_, asio::execution::context);
    }

    bool home_running_in_this_thread() const noexcept override {
        return detail::running_in_this_thread(ex_);
    }

    void home_post(environment& owner, std::coroutine_handle<> h) override {
        post_handler(resume_handler(&owner, h));
    }

    void home_post_function(environment& owner, posted_function* f, bool never) override {
        if (never)
            post_handler(function_handler(&owner, f));
        else
            send_handler<true>(function_handler(&owner, f));
    }

    // Posts with the handler's allocator. any_io_executor cannot carry the
    // allocator property, so a known executor inside it is posted to directly.
    template <class Handler>
    void post_handler(Handler&& handler) {
        send_handler<false>(std::move(handler));
    }

    // Posts, or dispatches: an operation's completion that arrives away from
    // the home executor is dispatched there, as Asio completes its own
    // handlers. A strand then runs it at once if the completing thread may
    // run the strand (it is idle and the thread is one of its pool's);
    // otherwise it is queued, as a post would.
    template <bool Dispatch, class Handler>
    void send_to(auto const& ex, Handler&& handler) {
        if constexpr (Dispatch)
            asio::dispatch(ex, std::move(handler));
        else
            asio::post(ex, std::move(handler));
    }

    template <bool Dispatch, class Handler>
    void send_handler(Handler&& handler) {
        if constexpr (requires {
                          ex_.get_inner_executor();
                          ex_.get_frame_allocator();
                      }) {
            // An allocating_executor would impose its allocator, which has
            // no fallback: the handler's own allocator is the same one, with.
            send_to<Dispatch>(ex_.get_inner_executor(), std::move(handler));
            return;
        } else if constexpr (std::is_same_v<Executor, asio::any_io_executor>) {
            bool posted = for_known_targets(ex_, [&](auto const& e) {
                send_to<Dispatch>(e, std::move(handler));
                return true;
            });
            if (posted)
                return;
        }
        send_to<Dispatch>(ex_, std::move(handler));
    }

    Executor ex_;
    work_executor work_; // the chain keeps its home context running
    [[no_unique_address]] erased_type erased_;
};

/** The executor associated with the handlers this library gives Asio.

    It is the home executor seen through the environment: `execute(f)` runs
    `f` inline when the calling thread is on the home executor (unless
    `blocking.never` was required), and otherwise posts it there, with the
    type-erased function allocated from the chain's frame allocator (from the
    global heap only if that fails: see allocate_resumption). Outstanding
    work is tracked by the chain's root for the chain's whole life, so
    `outstanding_work.tracked` needs no counting here.
*/
class handler_executor {
public:
    explicit handler_executor(environment& e, bool never = false) noexcept
        : env_(&e)
        , never_(never) {}

    asio::execution_context& query(asio::execution::context_t) const noexcept {
        return env_->context();
    }

    asio::execution::blocking_t query(asio::execution::blocking_t) const noexcept {
        return never_ ? asio::execution::blocking_t(asio::execution::blocking.never)
                      : asio::execution::blocking_t(asio::execution::blocking.possibly);
    }

    handler_executor require(asio::execution::blocking_t::never_t) const noexcept {
        return handler_executor(*env_, true);
    }

    handler_executor require(asio::execution::blocking_t::possibly_t) const noexcept {
        return handler_executor(*env_, false);
    }

    template <class F>
    void execute(F&& f) const {
        if (!never_ && (current_environment() == env_ || env_->running_in_this_thread())) {
            environment::scope s(*env_);
            std::decay_t<F> tmp(std::forward<F>(f));
            tmp();
            return;
        }
        using node = function_node<std::decay_t<F>>;
        void* p = allocate_resumption(sizeof(node), env_->get_frame_allocator());
        node* n;
        try {
            n = ::new (p) node(std::decay_t<F>(std::forward<F>(f)));
        } catch (...) {
            deallocate_frame(p, sizeof(node));
            throw;
        }
        environment_access::post_function(*env_, n, never_);
    }

    environment& env() const noexcept { return *env_; }

    friend bool operator==(handler_executor const& a, handler_executor const& b) noexcept {
        return a.env_ == b.env_ && a.never_ == b.never_;
    }
    friend bool operator!=(handler_executor const& a, handler_executor const& b) noexcept {
        return !(a == b);
    }

private:
    environment* env_;
    bool never_;
};

} // namespace boost::affine::detail

#endif
