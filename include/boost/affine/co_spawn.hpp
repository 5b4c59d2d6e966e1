//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_CO_SPAWN_HPP
#define BOOST_AFFINE_CO_SPAWN_HPP

#include <boost/affine/allocating_executor.hpp>
#include <boost/affine/environment.hpp>
#include <boost/affine/frame_allocator.hpp>
#include <boost/affine/detail/frame_allocation.hpp>
#include <boost/affine/task.hpp>
#include <boost/affine/detail/basic_environment.hpp>
#include <boost/affine/detail/result.hpp>
#include <boost/affine/detail/unique_coroutine.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/is_executor.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <concepts>
#include <coroutine>
#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

namespace boost::affine {

namespace detail {

template <class T>
struct is_asio_awaitable : std::false_type {};
template <class T, class Executor>
struct is_asio_awaitable<asio::awaitable<T, Executor>> : std::true_type {};

template <class T>
struct returns_asio_awaitable : std::false_type {};
template <class F>
    requires std::invocable<F&>
struct returns_asio_awaitable<F>
    : is_asio_awaitable<std::remove_cvref_t<std::invoke_result_t<F&>>> {};

template <class T>
concept asio_awaitable = is_asio_awaitable<std::remove_cvref_t<T>>::value ||
                         returns_asio_awaitable<std::remove_cvref_t<T>>::value;

template <class T>
struct completion_signature {
    using type = void(std::exception_ptr, T);
};
template <>
struct completion_signature<void> {
    using type = void(std::exception_ptr);
};
template <class T>
using completion_signature_t = typename completion_signature<T>::type;

// Carries the cancellation of whoever awaits a spawned chain (the signal bound
// to co_spawn's completion handler) to the chain's home executor, as
// asio::co_spawn does: the spawned chain's cancellation state is attached to
// this relay's signal, which is emitted only on the chain's home, never on
// the thread that cancels. Shared (counted) by the forwarder in the caller's
// slot, the chain, and each emission on its way; from the shared pool.
class spawn_cancellation {
public:
    static spawn_cancellation* make(home_executor_copy const& home) {
        void* p = allocate_resumption(sizeof(spawn_cancellation), any_frame_allocator());
        return ::new (p) spawn_cancellation(home); // nothrow: copies of executors
    }

    asio::cancellation_slot slot() noexcept { return signal_.slot(); }

    void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            this->~spawn_cancellation();
            deallocate_frame(this, sizeof(spawn_cancellation));
        }
    }

    // On the chain's home, when the chain ends: what is emitted later reaches nothing.
    void detach() noexcept { make_slot_inert(signal_.slot()); }

    // Emits `type` on the chain's home: at once if this thread is there, else sent there.
    // @throws std::bad_alloc if it must be sent and the node cannot be allocated.
    void emit_at_home(asio::cancellation_type_t type) {
        add_ref();
        handler_executor(home_).execute(emission(this, type));
    }

    // Gives up a reference.
    struct releaser {
        void operator()(spawn_cancellation* c) const noexcept { c->release(); }
    };

private:
    explicit spawn_cancellation(home_executor_copy const& home) noexcept
        : home_(home) {}

    // Holds a reference until it has run or been discarded.
    class emission {
    public:
        emission(spawn_cancellation* c, asio::cancellation_type_t type) noexcept
            : c_(c)
            , type_(type) {}
        void operator()() {
            std::unique_ptr<spawn_cancellation, releaser> c(std::move(c_));
            c->signal_.emit(type_);
        }

    private:
        std::unique_ptr<spawn_cancellation, releaser> c_;
        asio::cancellation_type_t type_;
    };

    home_executor_copy home_;
    asio::cancellation_signal signal_;
    std::atomic<unsigned> refs_{1};
};

// The chain's reference to its relay: detaches and releases it when the chain
// ends (on its home executor) or could not be made.
struct spawn_cancellation_detacher {
    void operator()(spawn_cancellation* c) const noexcept {
        c->detach();
        c->release();
    }
};
using spawn_cancellation_ref = std::unique_ptr<spawn_cancellation, spawn_cancellation_detacher>;

// Where the chain's cancellation state attaches: the relay's signal, or nothing.
inline asio::cancellation_slot attach_point(spawn_cancellation_ref const& c) noexcept {
    return c ? c->slot() : asio::cancellation_slot();
}

// What co_spawn puts in its completion handler's cancellation slot.
class spawn_cancellation_forwarder {
public:
    explicit spawn_cancellation_forwarder(spawn_cancellation* c) noexcept
        : c_((c->add_ref(), c)) {}

    void operator()(asio::cancellation_type_t type) { c_->emit_at_home(type); }

private:
    std::unique_ptr<spawn_cancellation, spawn_cancellation::releaser> c_;
};

// The work a spawned chain holds on its completion handler's executor, from
// co_spawn to completion, as asio::co_spawn does, so that the handler's
// context does not run out of work (and is not destroyed by its owner) while
// the handler is still to come. Nothing where the handler has no executor of
// its own (it then runs on the home, whose work the chain holds anyway).
template <class Handler, class Executor>
struct handler_work {
    static auto make(Handler const& h, Executor const& home) {
        auto ex = asio::get_associated_executor(h, home);
        if constexpr (asio::execution::is_executor<decltype(ex)>::value)
            return asio::prefer(ex, asio::execution::outstanding_work.tracked);
        else
            return asio::make_work_guard(ex);
    }
    using type = decltype(make(std::declval<Handler const&>(), std::declval<Executor const&>()));
};

template <class Handler, class Executor>
    requires requires {
        typename asio::associated_executor<Handler,
                                           Executor>::asio_associated_executor_is_unspecialised;
    }
struct handler_work<Handler, Executor> {
    struct type {};
    static type make(Handler const&, Executor const&) noexcept { return {}; }
};

// The first parameter of the root coroutine: its operator new takes the
// chain's allocator from it, so the root frame is the chain's first frame.
template <class Executor>
struct spawn_args {
    Executor const* ex_;
    any_frame_allocator alloc_;
    site_ptr site_; // where co_spawn was called
    any_frame_allocator get_frame_allocator() const noexcept { return alloc_; }
};

// The root of a chain: owns the environment (home executor, frame allocator,
// cancellation state) and the completion handler; awaits the task; then frees
// its frame and hands the result to the handler.
template <class Executor, class T, class Handler>
class spawn_root {
public:
    class promise_type : public frame_allocating_promise,
                         public awaits_in_chain<promise_type>,
                         public promise_result<T> {
    public:
        // Throws only std::bad_alloc (before the chain exists: from co_spawn).
        template <class F>
        promise_type(spawn_args<Executor> const& a, Handler& h, F&)
            : cancellation_(make_cancellation(h, *a.ex_))
            , env_(*a.ex_, a.alloc_, attach_point(cancellation_), a.site_)
            , handler_(&h)
            , handler_work_(work::make(h, *a.ex_)) {
            env_.set_root(std::coroutine_handle<promise_type>::from_promise(*this));
        }

        spawn_root get_return_object() noexcept {
            return spawn_root(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        std::suspend_always initial_suspend() noexcept { return {}; }

        final_transfer<promise_type> final_suspend() noexcept { return {}; }
        std::coroutine_handle<> on_final_suspend(std::coroutine_handle<promise_type> h) noexcept {
            complete(h); // may destroy the frame
            return std::noop_coroutine();
        }

        basic_environment<Executor>& env() noexcept { return env_; }
        // Where affine awaitables resume this coroutine (affine_awaiter<A>).
        environment* dispatcher() noexcept { return &env_; }

    private:
        using work = handler_work<Handler, Executor>;

        // The relay of the completion handler's cancellation, if it has a slot.
        static spawn_cancellation_ref make_cancellation(Handler& h, Executor const& home) {
            asio::cancellation_slot slot = asio::get_associated_cancellation_slot(h);
            if (!slot.is_connected())
                return nullptr;
            spawn_cancellation_ref c(spawn_cancellation::make(home_executor_copy::make(home)));
            slot.template emplace<spawn_cancellation_forwarder>(c.get());
            return c;
        }

        // Move what the handler needs out of the frame, free the frame, then
        // complete as Asio's co_spawn does: through the handler's executor.
        void complete(std::coroutine_handle<promise_type> h) noexcept {
            detail::end_slice(); // the chain's hooks, while its values are still there
            Executor home = env_.executor();
            Handler handler(std::move(*handler_));
            [[maybe_unused]] typename work::type keep_work(std::move(handler_work_));
            std::exception_ptr ep;
            if (this->result_.has_exception()) {
                try {
                    this->result_.get();
                } catch (...) {
                    ep = std::current_exception();
                }
            }
            if constexpr (std::is_void_v<T>) {
                h.destroy();
                finish(home, std::move(handler), std::move(ep));
            } else {
                T value = ep ? T{} : this->result_.get();
                h.destroy();
                finish(home, std::move(handler), std::move(ep), std::move(value));
            }
        }

        // The handler's cancellation slot is left as it is: it belongs to whoever bound it (the
        // awaiting chain, on another thread perhaps), and what co_spawn put there forwards to
        // a relay that the chain has detached.
        template <class... Vs>
        static void finish(Executor const& home, Handler handler, std::exception_ptr ep,
                           Vs&&... vs) noexcept {
            // The chain is gone: nothing current on this thread belongs to it.
            detail::leave_chains();
            auto ex = asio::get_associated_executor(handler, home);
            try {
                asio::dispatch(
                    ex, asio::append(std::move(handler), std::move(ep), std::forward<Vs>(vs)...));
            } catch (...) {
                // The handler threw while run inline (this is a final
                // suspension, which must not throw): as with asio::co_spawn,
                // the exception leaves the home context's run(), from a
                // function posted there.
                asio::post(home, [e = std::current_exception()] { std::rethrow_exception(e); });
            }
        }

        spawn_cancellation_ref cancellation_;
        basic_environment<Executor> env_;
        Handler* handler_;
        [[no_unique_address]] typename work::type handler_work_;
    };

    spawn_root(spawn_root&&) noexcept = default;
    spawn_root& operator=(spawn_root&&) = delete;

    // Posts the first resumption to the home executor: the chain never starts
    // inside co_spawn.
    void start() {
        // If posting fails, the posted handler is destroyed unused, which
        // destroys the root, and the exception leaves co_spawn. The post is
        // the chain's own first step, before it runs anywhere: it comes from
        // the chain's allocator, as the root frame did (environment::allocator_here).
        auto h = h_.release();
        environment& env = h.promise().env();
        environment::scope s(env);
        env.post(h);
    }

private:
    explicit spawn_root(std::coroutine_handle<promise_type> h) noexcept
        : h_(h) {}
    unique_coroutine<promise_type> h_;
};

// `args` is by reference: read only by the promise's constructor and operator new, it costs
// the frame a pointer, not a copy.
template <class Executor, class T, class Handler, class F>
spawn_root<Executor, T, Handler> make_spawn_root(spawn_args<Executor> const& args, Handler handler,
                                                 F f) {
    (void)args;
    (void)handler;
    if constexpr (any_task<F>) {
        if constexpr (std::is_void_v<T>)
            co_await std::move(f);
        else
            co_return co_await std::move(f);
    } else {
        if constexpr (std::is_void_v<T>)
            co_await f();
        else
            co_return co_await f();
    }
}

// The executor type a chain keeps as its home: the task's, when it names one (co_spawn converts
// the spawn executor to it); otherwise the spawn executor's own type.
#define BOOST_AFFINE_DETAIL_SPAWN_EXECUTOR_MESSAGE                                                 \
    "boost::affine::co_spawn: the executor must convert to the task's Executor type, as "          \
    "asio::co_spawn requires of an asio::awaitable<T, Executor>"

template <class Executor, class Task>
using root_executor_t =
    std::conditional_t<std::is_same_v<typename Task::executor_type, asio::any_io_executor>,
                       Executor, typename Task::executor_type>;

template <class Executor, class Task>
constexpr bool spawn_executor_converts() {
    if constexpr (std::is_same_v<typename Task::executor_type, asio::any_io_executor>)
        return true;
    else
        return std::is_convertible_v<Executor const&, typename Task::executor_type>;
}

template <class Executor, class T>
struct initiate_co_spawn {
    Executor ex_;
    site_ptr site_;

    template <class Handler, class F>
    void operator()(Handler&& handler, F&& f) const {
        using H = std::decay_t<Handler>;
        spawn_args<Executor> args{&ex_, frame_allocator_for(ex_), site_};
        auto root = make_spawn_root<Executor, T, H, std::decay_t<F>>(
            args, std::forward<Handler>(handler), std::forward<F>(f));
        root.start();
    }
};

// What both co_spawn forms on an executor do: `what` is the task `Task`, or a function making
// it. The chain's home is the task's executor type if it names one (converted from `ex`).
template <class Task, class Executor, class CompletionToken, class What>
auto spawn(Executor const& ex, CompletionToken& token, What&& what, site_ptr site) {
    if constexpr (!spawn_executor_converts<Executor, Task>()) {
        static_assert(always_false_v<Task>, BOOST_AFFINE_DETAIL_SPAWN_EXECUTOR_MESSAGE);
    } else {
        using T = typename Task::value_type;
        using Root = root_executor_t<Executor, Task>;
        return asio::async_initiate<CompletionToken, completion_signature_t<T>>(
            initiate_co_spawn<Root, T>{Root(ex), site}, token, std::forward<What>(what));
    }
}

} // namespace detail

/** Starts a task chain on an executor, as an Asio asynchronous operation.

    The chain runs on `ex` (its home executor): the task never starts inside
    this call. When it completes, the completion handler receives
    `(std::exception_ptr)` or `(std::exception_ptr, T)`, through its associated
    executor, as with `asio::co_spawn`. The chain's internal root coroutine and
    every frame it creates come from the chain's frame allocator (see
    `frame_allocator_for`).

    The task object was allocated before this call: to force an allocator on a
    whole chain, use the overload taking a function that returns the task.

    A `task<T, Executor>` with a concrete `Executor` runs on `Executor(ex)`, kept as it is: `ex`
    must convert to `Executor`, as `asio::co_spawn` requires of an `awaitable<T, Executor>`.

    @param ex The home executor.
    @param t The task to run.
    @param token The completion token: `detached`, `use_future`, a callback,
    `use_awaitable`, `use_affine`, `bind_cancellation_slot(...)`, ...
    @param site Where `co_spawn` is called, for `async_backtrace`: leave the default (every
    overload has it).
*/
template <class Executor, any_task Task,
          class CompletionToken = asio::default_completion_token_t<Executor>>
    requires(asio::is_executor<Executor>::value || asio::execution::is_executor<Executor>::value)
auto co_spawn(Executor const& ex, Task t, CompletionToken&& token = CompletionToken(),
              detail::site_ptr site = BOOST_AFFINE_DETAIL_HERE) {
    return detail::spawn<Task>(ex, token, std::move(t), site);
}

/** Starts a task chain made by `f()`, called on the home executor inside the
    chain: every frame, the task's included, comes from the chain's allocator.
    This is the way to force an allocator on a whole chain:
    `co_spawn(with_allocator(ex, a), [] { return f(); }, token)`.
*/
template <class Executor, task_function F,
          class CompletionToken = asio::default_completion_token_t<Executor>>
    requires(asio::is_executor<Executor>::value || asio::execution::is_executor<Executor>::value)
auto co_spawn(Executor const& ex, F&& f, CompletionToken&& token = CompletionToken(),
              detail::site_ptr site = BOOST_AFFINE_DETAIL_HERE) {
    return detail::spawn<std::remove_cvref_t<std::invoke_result_t<F&>>>(ex, token,
                                                                        std::forward<F>(f), site);
}

/** Anything else passed to `co_spawn` as the thing to run: a compile-time
    error that says what is accepted. Not for an `asio::awaitable` (or a
    function returning one), so that an unqualified `co_spawn` call still
    finds `asio::co_spawn` for those, by argument-dependent lookup, in a
    program that migrates piece by piece.
*/
template <class Executor, class T, class... CompletionToken>
    requires(!any_task<T> && !task_function<T> && !detail::asio_awaitable<T> &&
             (asio::is_executor<Executor>::value || asio::execution::is_executor<Executor>::value))
void co_spawn(Executor const&, T&&, CompletionToken&&...) {
    static_assert(detail::always_false_v<T>,
                  "boost::affine::co_spawn: the second argument must be a boost::affine::task<T> "
                  "or strict_task<T>, or a function object returning one; an asio::awaitable is "
                  "started with asio::co_spawn");
}

/// As above, for an execution context: the same error, through the executor form.
template <class ExecutionContext, class T, class... CompletionToken>
    requires(!any_task<T> && !task_function<T> && !detail::asio_awaitable<T> &&
             std::is_convertible_v<ExecutionContext&, asio::execution_context&>)
void co_spawn(ExecutionContext& ctx, T&& t, CompletionToken&&... token) {
    (co_spawn)(ctx.get_executor(), std::forward<T>(t), std::forward<CompletionToken>(token)...);
}

/// Starts a task chain on the executor of an execution context.
template <class ExecutionContext, any_task Task,
          class CompletionToken =
              asio::default_completion_token_t<typename ExecutionContext::executor_type>>
    requires std::is_convertible_v<ExecutionContext&, asio::execution_context&>
auto co_spawn(ExecutionContext& ctx, Task t, CompletionToken&& token = CompletionToken(),
              detail::site_ptr site = BOOST_AFFINE_DETAIL_HERE) {
    return (co_spawn)(ctx.get_executor(), std::move(t), std::forward<CompletionToken>(token), site);
}

/// Starts a task chain made by `f()` on the executor of an execution context.
template <class ExecutionContext, task_function F,
          class CompletionToken =
              asio::default_completion_token_t<typename ExecutionContext::executor_type>>
    requires std::is_convertible_v<ExecutionContext&, asio::execution_context&>
auto co_spawn(ExecutionContext& ctx, F&& f, CompletionToken&& token = CompletionToken(),
              detail::site_ptr site = BOOST_AFFINE_DETAIL_HERE) {
    return (co_spawn)(ctx.get_executor(), std::forward<F>(f), std::forward<CompletionToken>(token),
                      site);
}

} // namespace boost::affine

#endif
