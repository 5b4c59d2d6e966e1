//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_USE_AFFINE_HPP
#define BOOST_AFFINE_USE_AFFINE_HPP

#include <boost/affine/environment.hpp>
#include <boost/affine/frame_allocator.hpp>
#include <boost/affine/detail/handlers.hpp>
#include <boost/affine/detail/frame_allocation.hpp>
#include <boost/affine/detail/thread_state.hpp>
#include <boost/affine/detail/misuse.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/detail/handler_tracking.hpp>
#if defined(BOOST_ASIO_ENABLE_HANDLER_TRACKING) && defined(BOOST_ASIO_HAS_SOURCE_LOCATION)
#include <boost/asio/detail/source_location.hpp>
#endif
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/defer.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <algorithm>
#include <atomic>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#ifndef BOOST_AFFINE_ASYNC_OP_INLINE_SIZE
/// Bytes an `async_op` keeps inline for the operation's initiation and
/// arguments; larger ones take a block from the chain's frame allocator.
#define BOOST_AFFINE_ASYNC_OP_INLINE_SIZE 48
#endif

namespace boost::affine {

/** The completion token that makes an Asio asynchronous operation awaitable by
    a task: `co_await op(args..., use_affine)`.

    It behaves like `asio::use_awaitable`: the operation yields its completion
    values, and an error code (or exception pointer) first among them becomes
    a thrown `boost::system::system_error` (or is rethrown). Unlike it, the
    operation's state lives in the awaiting coroutine's frame: this library
    allocates nothing. The handler given to Asio reports the task's home
    executor, the chain's frame allocator (so Asio's own operation storage is
    recycled too) and the chain's cancellation slot.

    @tparam Executor Only used by `as_default_on_t`, as in `use_awaitable_t`.
*/
template <class Executor = asio::any_io_executor>
struct use_affine_t {
#if defined(BOOST_ASIO_ENABLE_HANDLER_TRACKING)
    /// Records where the token was made, for Asio's handler tracking (as `use_awaitable_t`).
    constexpr use_affine_t(
#if defined(BOOST_ASIO_HAS_SOURCE_LOCATION)
        asio::detail::source_location location = asio::detail::source_location::current()
#endif
            ) noexcept
#if defined(BOOST_ASIO_HAS_SOURCE_LOCATION)
        : file_name_(location.file_name())
        , line_(static_cast<int>(location.line()))
        , function_name_(location.function_name())
#endif
    {
    }

    /// For handler tracking, as `use_awaitable_t`'s: the operation's location in its records.
    constexpr use_affine_t(char const* file_name, int line, char const* function_name) noexcept
        : file_name_(file_name)
        , line_(line)
        , function_name_(function_name) {}

    char const* file_name_ = nullptr;
    int line_ = 0;
    char const* function_name_ = nullptr;
#else
    constexpr use_affine_t() noexcept = default;

    /// For handler tracking, as `use_awaitable_t`'s; without BOOST_ASIO_ENABLE_HANDLER_TRACKING
    /// the location is not kept.
    constexpr use_affine_t(char const* /*file_name*/, int /*line*/,
                           char const* /*function_name*/) noexcept {}
#endif

    /// Adapts an executor so that `use_affine_t` is its default completion token.
    template <class InnerExecutor>
    struct executor_with_default : InnerExecutor {
        using default_completion_token_type = use_affine_t;

        template <class InnerExecutor1>
            requires(!std::is_same_v<InnerExecutor1, executor_with_default> &&
                     std::is_convertible_v<InnerExecutor1, InnerExecutor>)
        executor_with_default(InnerExecutor1 const& ex) noexcept // NOLINT
            : InnerExecutor(ex) {}
    };

    /// The type of an I/O object `T` with `use_affine_t` as its default token.
    template <class T>
    using as_default_on_t = typename T::template rebind_executor<
        executor_with_default<typename T::executor_type>>::other;

    /// Converts an I/O object to use `use_affine_t` as its default token.
    template <class T>
    static typename std::decay_t<T>::template rebind_executor<
        executor_with_default<typename std::decay_t<T>::executor_type>>::other
    as_default_on(T&& object) {
        return typename std::decay_t<T>::template rebind_executor<executor_with_default<
            typename std::decay_t<T>::executor_type>>::other(std::forward<T>(object));
    }
};

/// The `use_affine_t` completion token object.
inline constexpr use_affine_t<> use_affine(nullptr, 0, nullptr);

template <class Signature>
class async_op;

namespace detail {

template <class... Args>
struct completion_result {
    using type =
        std::conditional_t<sizeof...(Args) == 1, std::tuple_element_t<0, std::tuple<Args..., void>>,
                           std::tuple<Args...>>;
    static constexpr bool has_error = false;
};

template <>
struct completion_result<> {
    using type = void;
    static constexpr bool has_error = false;
};

template <class E, class... Args>
    requires std::is_same_v<E, system::error_code> || std::is_same_v<E, std::exception_ptr>
struct completion_result<E, Args...> : completion_result<Args...> {
    static constexpr bool has_error = true;
};

template <class... Args>
class affine_handler;

// The stored initiation of `post(ex, use_affine)` or `defer(ex, use_affine)`
// with an any_io_executor: when `ex` is the chain's home, async_op posts the
// resumption home itself (from the chain's allocator, to the concrete
// executor) instead of letting Asio's any_executor::prefer allocate for it.
// Asio's own names (asio::detail): the initiation alone up to Boost 1.88, with
// a work function that does nothing (empty_work_function) from 1.90 on, which
// is recognised by what it is rather than by its name. test/use_affine.cpp
// checks, for the Boost it is built with, that what post and defer store is
// recognised.
template <class W>
constexpr bool is_no_work_function =
    std::is_empty_v<W> && std::is_trivially_copyable_v<W> &&
    std::is_nothrow_default_constructible_v<W> && std::is_nothrow_invocable_r_v<void, W const&>;

template <class Initiation>
constexpr bool is_type_erased_post_initiation =
    std::is_same_v<Initiation, asio::detail::initiate_post_with_executor<asio::any_io_executor>> ||
    std::is_same_v<Initiation, asio::detail::initiate_defer_with_executor<asio::any_io_executor>>;

template <class Stored>
struct is_type_erased_post : std::false_type {};
template <class Initiation>
struct is_type_erased_post<std::tuple<Initiation>>
    : std::bool_constant<is_type_erased_post_initiation<Initiation>> {};
template <class Initiation, class Work>
struct is_type_erased_post<std::tuple<Initiation, Work>>
    : std::bool_constant<is_type_erased_post_initiation<Initiation> && is_no_work_function<Work>> {
};

// Constructs async_op for async_result (which cannot be befriended portably).
struct async_op_access {
    template <class Op, class Initiation, class... InitArgs>
    static Op make(Initiation&& init, InitArgs&&... args) {
        return Op(std::forward<Initiation>(init), std::forward<InitArgs>(args)...);
    }
};

#if defined(BOOST_ASIO_ENABLE_HANDLER_TRACKING)
// Where a use_affine token was made, for Asio's handler tracking.
struct op_location {
    char const* file_ = nullptr;
    int line_ = 0;
    char const* function_ = nullptr;
};
#endif

} // namespace detail

/** The awaitable that an asynchronous operation returns when its completion
    token is `use_affine`.

    It holds the operation's initiation and arguments until awaited (an
    operation never awaited never starts), then the operation's state while it
    is pending: as a temporary of the `co_await` expression, all of it lives in
    the awaiting coroutine's frame. It is not copyable or movable, and is
    awaited once.

    An operation that completes inside its own initiation resumes the awaiting
    coroutine without recursion (`await_suspend` returns `false`).

    @tparam Signature The completion signature `void(Args...)`.
*/
template <class... Args>
class [[nodiscard]] async_op<void(Args...)> {
    using values = std::tuple<std::decay_t<Args>...>;
    using traits = detail::completion_result<std::decay_t<Args>...>;
    using handler_type = detail::affine_handler<Args...>;

public:
    /// What `co_await` yields: the completion values after the error, if any.
    using result_type = typename traits::type;

    async_op(async_op const&) = delete;
    async_op& operator=(async_op const&) = delete;

    ~async_op() {
        if (idle()) {
            vt_.load(std::memory_order_relaxed)->destroy(this);
            return;
        }
        if (completed())
            results().~values();
        else
            forget_cancellation(); // destroyed pending, with its chain
    }

    bool await_ready() const noexcept { return false; }

    /** Starts the operation; the awaiting coroutine resumes on `env`'s home
        executor when it completes.

        @return `false` if it completed inside its initiation.
        @throws Whatever the initiation throws; `std::logic_error` if awaited twice.

        Out of line on purpose: the initiation runs Asio code that reads
        thread-locals, and inlined into a coroutine body that resumes on
        several threads, clang 16 was seen (by ThreadSanitizer) to use another
        thread's.
    */
    BOOST_NOINLINE bool await_suspend(std::coroutine_handle<> h, environment& env) {
        if (!idle())
            detail::report_misuse("boost::affine: an async_op is awaited once");
        h_ = h;
        env_ = &env;
        vtable const* const vt = vt_.load(std::memory_order_relaxed);
        vt_.store(nullptr, std::memory_order_relaxed); // pending
        // While the initiation runs, this thread's state names the operation:
        // a handler invoked inside it, on this thread, stores the values and
        // leaves the resumption to us, with no atomic read-modify-write. A
        // handler invoked on another thread cannot tell whether the initiation
        // has returned (on a home run by several threads, an io_context or a
        // thread_pool without a strand, it may run the chain at once): one
        // exchange on each side decides who resumes, so the chain never runs
        // while its initiation is still running elsewhere (Asio's initiations
        // may touch the handler's cancellation slot after starting their work).
        detail::initiation_mark mark(this);
#if defined(BOOST_ASIO_ENABLE_HANDLER_TRACKING)
        // Asio's records of the operation name where the token was made.
        BOOST_ASIO_HANDLER_LOCATION((location_.file_, location_.line_, location_.function_));
#endif
        vt->start(this);
        if (mark.completed_inside())
            return false;
        // Not completed here. If a handler on another thread completed it meanwhile, it left the
        // resumption to us; otherwise whoever completes it resumes the coroutine, from now on.
        vtable const* expected = nullptr;
        if (vt_.compare_exchange_strong(expected, &initiated_table, std::memory_order_acq_rel,
                                        std::memory_order_acquire))
            return true;
        // Completed elsewhere during the initiation (resume now), or completed here with the
        // resumption posted (the post resumes).
        return expected != &completed_table;
    }

    /** Non-affine form: joins the chain running on this thread.
        @throws std::logic_error if no chain runs on this thread.
    */
    bool await_suspend(std::coroutine_handle<> h) {
        environment* e = environment::current();
        if (!e)
            detail::report_misuse("boost::affine: use_affine awaited outside a chain; await it "
                                  "in a boost::affine::task");
        return await_suspend(h, *e);
    }

    /// The completion values; throws the error, if any.
    result_type await_resume() {
        BOOST_ASSERT(completed());
        forget_cancellation();
        values& v = results();
        if constexpr (traits::has_error) {
            auto& e = std::get<0>(v);
            if constexpr (std::is_same_v<std::tuple_element_t<0, values>, std::exception_ptr>) {
                if (e)
                    std::rethrow_exception(e);
            } else {
                if (e)
                    boost::throw_exception(system::system_error(e));
            }
        }
        return take(v, std::make_index_sequence<sizeof...(Args)>());
    }

private:
    friend struct detail::async_op_access;
    friend class detail::affine_handler<Args...>;

    // The phase is told by vt_ (one pointer serves both): idle, holding the
    // initiation, while it is the stored initiation's table; pending, being
    // initiated, while it is null; initiated, once the initiation has returned
    // uncompleted, &initiated_table; completed, holding the values,
    // &completed_table (&posted_table if the resumption was posted from inside
    // the initiation). The coroutine writes it before and after the initiation,
    // the handler when it completes; the two exchanges of those last writes
    // decide who resumes, and order the values before the resumption.
    bool idle() const noexcept {
        vtable const* vt = vt_.load(std::memory_order_relaxed);
        return vt != nullptr && vt != &completed_table && vt != &posted_table &&
               vt != &initiated_table;
    }
    bool completed() const noexcept {
        vtable const* vt = vt_.load(std::memory_order_relaxed);
        return vt == &completed_table || vt == &posted_table;
    }

    struct vtable {
        void (*start)(async_op*);
        void (*destroy)(async_op*) noexcept;
        unsigned char phase; // tells the three phase tables apart, whatever a linker folds
    };

    // The inline storage holds the initiation, then the values; aligned for the values and a
    // pointer (not more: an async_op of the usual signatures is then 72 bytes, not 80).
    static constexpr std::size_t storage_align = std::max(alignof(values), alignof(void*));
    static constexpr std::size_t storage_size =
        std::max({std::size_t(BOOST_AFFINE_ASYNC_OP_INLINE_SIZE), sizeof(values), sizeof(void*)});

    // Anything larger or more aligned is kept in a block of the chain's allocator (16-byte
    // aligned).
    template <class Stored>
    static constexpr bool fits_inline =
        sizeof(Stored) <= storage_size && alignof(Stored) <= storage_align;

    template <class Stored>
    static Stored* stored(async_op* self) noexcept {
        if constexpr (fits_inline<Stored>)
            return std::launder(reinterpret_cast<Stored*>(self->storage_));
        else
            return *std::launder(reinterpret_cast<Stored**>(self->storage_));
    }

    template <class Stored>
    static void destroy_stored(async_op* self) noexcept {
        Stored* s = stored<Stored>(self);
        s->~Stored();
        if constexpr (!fits_inline<Stored>)
            self->env_or_current_allocator().deallocate(s, sizeof(Stored));
    }

    template <class Stored>
    static void start_stored(async_op* self) {
        if constexpr (detail::is_type_erased_post<Stored>::value) {
            if (self->env_->is_home(std::get<0>(*stored<Stored>(self)).get_executor())) {
                // The same as Asio's post to the home, then the handler's
                // dispatch home: one post of the resumption, never inline.
                destroy_stored<Stored>(self);
                ::new (static_cast<void*>(self->storage_)) values();
                self->vt_.store(&posted_table, std::memory_order_relaxed);
                self->env_->post(self->h_);
                return;
            }
        }
        // Move the initiation out, free its storage (the completion values
        // reuse it; freed even if the move throws), then initiate.
        struct free_stored {
            async_op* self_;
            ~free_stored() { destroy_stored<Stored>(self_); }
        };
        Stored local = [self] {
            free_stored f{self};
            return Stored(std::move(*stored<Stored>(self)));
        }();
        std::apply(
            [self](auto& init, auto&... args) {
                std::move(init)(handler_type(self), std::move(args)...);
            },
            local);
    }

    template <class Stored>
    static constexpr vtable vtable_for{&start_stored<Stored>, &destroy_stored<Stored>, 0};
    // Completed, the values stored; completed inside the initiation, its resumption posted;
    // initiation returned, not completed yet (what a handler elsewhere resumes).
    static constexpr vtable completed_table{nullptr, nullptr, 1};
    static constexpr vtable posted_table{nullptr, nullptr, 2};
    static constexpr vtable initiated_table{nullptr, nullptr, 3};

    any_frame_allocator env_or_current_allocator() const noexcept {
        return env_ ? env_->get_frame_allocator() : detail::current_frame_allocator();
    }

    template <class Initiation, class... InitArgs>
    explicit async_op(Initiation&& init, InitArgs&&... args) {
        using Stored = std::tuple<std::decay_t<Initiation>, std::decay_t<InitArgs>...>;
        if constexpr (fits_inline<Stored>) {
            ::new (static_cast<void*>(storage_))
                Stored(std::forward<Initiation>(init), std::forward<InitArgs>(args)...);
        } else {
            any_frame_allocator a = env_or_current_allocator();
            void* p = a.allocate(sizeof(Stored));
            try {
                ::new (p) Stored(std::forward<Initiation>(init), std::forward<InitArgs>(args)...);
            } catch (...) {
                a.deallocate(p, sizeof(Stored));
                throw;
            }
            ::new (static_cast<void*>(storage_)) Stored*(static_cast<Stored*>(p));
        }
        vt_.store(&vtable_for<Stored>, std::memory_order_relaxed);
    }

    values& results() noexcept { return *std::launder(reinterpret_cast<values*>(storage_)); }

    // The operation is over (or is being destroyed with its chain): the handler it put in the
    // chain's cancellation slot, which may refer to its I/O object, is replaced by one that does
    // nothing, so that no later cancellation of the chain can reach into what is gone (as
    // asio::awaitable clears its slot after every completion; the slot keeps its memory). On
    // the home executor: the awaiting coroutine runs this, where the chain's cancellation is
    // emitted.
    void forget_cancellation() noexcept {
        if (env_)
            detail::make_slot_inert(env_->cancellation_slot());
    }

    template <std::size_t... I>
    result_type take(values& v, std::index_sequence<I...>) {
        constexpr std::size_t first = traits::has_error ? 1 : 0;
        if constexpr (std::is_void_v<result_type>) {
            return;
        } else if constexpr (sizeof...(Args) - first == 1) {
            return std::move(std::get<first>(v));
        } else {
            return [&]<std::size_t... J>(std::index_sequence<J...>) {
                return result_type(std::move(std::get<first + J>(v))...);
            }(std::make_index_sequence<sizeof...(Args) - first>());
        }
    }

    // Called by the handler: store the values, resume the awaiting coroutine.
    template <class... Vs>
    void complete(Vs&&... vs) {
        ::new (static_cast<void*>(storage_)) values(std::forward<Vs>(vs)...);
        // Inside the initiation, on its thread: await_suspend resumes.
        if (detail::complete_inside_initiation(this)) {
            vt_.store(&completed_table, std::memory_order_relaxed);
            return;
        }
        // Elsewhere: resume only if the initiation has returned; if not, it resumes.
        if (vt_.exchange(&completed_table, std::memory_order_acq_rel) == &initiated_table)
            (*env_)(h_);
    }

    // True if this operation's initiation is running on this thread.
    bool initiating_here() const noexcept { return detail::initiating(this); }

    alignas(storage_align) unsigned char storage_[storage_size];
    std::atomic<vtable const*> vt_;
    std::coroutine_handle<> h_;
    environment* env_ = nullptr;
#if defined(BOOST_ASIO_ENABLE_HANDLER_TRACKING)
    template <class Initiation, class... InitArgs>
    async_op(detail::op_location where, Initiation&& init, InitArgs&&... args)
        : async_op(std::forward<Initiation>(init), std::forward<InitArgs>(args)...) {
        location_ = where;
    }

    detail::op_location location_;
#endif
};

namespace detail {

/** The completion handler `use_affine` gives Asio: it completes the `async_op`
    in the awaiting frame. Its associated executor is a copy of the home
    executor (handler_executor: valid as long as the home's context, whoever
    keeps it), its cancellation slot the chain's, and its allocator the
    chain's frame allocator if that is thread-safe (a frame pool, or
    is_thread_safe_frame_allocator), else the shared pool:
    Asio frees an operation's storage on the thread that completes it, where
    the chain's own allocator (which need not be thread-safe) is not called.
*/
template <class... Args>
class affine_handler {
public:
    explicit affine_handler(async_op<void(Args...)>* op) noexcept
        : op_(op) {}
    affine_handler(affine_handler&& o) noexcept
        : op_(std::exchange(o.op_, nullptr)) {}
    affine_handler& operator=(affine_handler&&) = delete;

    // Destroyed without being invoked while the operation is pending: Asio is
    // discarding it (its context is going away), so the chain goes too, on its
    // home executor. While the operation is still starting, the initiation
    // failed and its exception reaches the awaiting coroutine instead.
    ~affine_handler() {
        if (op_ && !op_->initiating_here())
            environment_home::abandon_at_home(*op_->env_);
    }

    using executor_type = handler_executor;
    executor_type get_executor() const noexcept {
        return handler_executor(environment_home::of(*op_->env_).handler_home());
    }

    // Asio (1.82 on) completes some operations inside their initiation (a read that finds its
    // data already there) through this executor, by default the I/O object's executor with
    // blocking.never: a post, and on a strand one the strand re-posts its invoker for, with
    // an allocation. The awaiting coroutine is running on its home executor, where this
    // executor runs the completion inline: the async_op keeps the values and the coroutine
    // goes on without suspending, with no post and no recursion.
    using immediate_executor_type = handler_executor;
    immediate_executor_type get_immediate_executor() const noexcept { return get_executor(); }

    using allocator_type = frame_std_allocator<void>;
    allocator_type get_allocator() const noexcept {
        return allocator_type(detail::thread_safe_or_shared_pool(op_->env_->get_frame_allocator()));
    }

    using cancellation_slot_type = asio::cancellation_slot;
    cancellation_slot_type get_cancellation_slot() const noexcept {
        return op_->env_->cancellation_slot();
    }

    template <class... Vs>
    void operator()(Vs&&... vs) {
        BOOST_ASSERT_MSG(op_, "boost::affine: completion handler invoked twice");
        std::exchange(op_, nullptr)->complete(std::forward<Vs>(vs)...);
    }

private:
    async_op<void(Args...)>* op_;
};

} // namespace detail
} // namespace boost::affine

namespace boost::asio {

template <class Executor, class R, class... Args>
struct async_result<affine::use_affine_t<Executor>, R(Args...)> {
    using return_type = affine::async_op<void(Args...)>;

    template <class Initiation, class RawToken, class... InitArgs>
    static return_type initiate(Initiation&& init, [[maybe_unused]] RawToken&& token,
                                InitArgs&&... args) {
#if defined(BOOST_ASIO_ENABLE_HANDLER_TRACKING)
        return affine::detail::async_op_access::make<return_type>(
            affine::detail::op_location{token.file_name_, token.line_, token.function_name_},
            std::forward<Initiation>(init), std::forward<InitArgs>(args)...);
#else
        return affine::detail::async_op_access::make<return_type>(std::forward<Initiation>(init),
                                                                  std::forward<InitArgs>(args)...);
#endif
    }
};

} // namespace boost::asio

#endif
