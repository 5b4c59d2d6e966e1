//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_DETAIL_HANDLERS_HPP
#define BOOST_AFFINE_DETAIL_HANDLERS_HPP

#include <boost/affine/frame_allocator.hpp>
#include <boost/affine/detail/frame_allocation.hpp>
#include <boost/affine/detail/known_executors.hpp>

#include <boost/assert.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/post.hpp>

#include <coroutine>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace boost::affine::detail {

/** The allocator of the handlers that resume a chain or carry work to its home:
    a `frame_std_allocator` over the frame allocator chosen by whoever makes the handler,
    falling back to the global heap if it fails (a resumption must not be lost; see
    allocate_resumption). Blocks are laid out as frames, so they go back to
    their owner whichever thread frees them.
*/
template <class T = void>
class resumption_allocator : public frame_std_allocator<T> {
public:
    template <class U>
    struct rebind {
        using other = resumption_allocator<U>;
    };

    using frame_std_allocator<T>::frame_std_allocator;

    template <class U>
    resumption_allocator(resumption_allocator<U> const& o) noexcept // NOLINT
        : frame_std_allocator<T>(o.frame_allocator()) {}

    [[nodiscard]] T* allocate(std::size_t n) {
        static_assert(alignof(T) <= 16, "boost::affine: over-aligned type");
        return static_cast<T*>(allocate_resumption(n * sizeof(T), this->frame_allocator()));
    }
    void deallocate(T* p, std::size_t n) noexcept { deallocate_frame(p, n * sizeof(T)); }
};

// A function posted to a home executor: what Asio gives the handlers'
// executor is type-erased into one of these.
struct posted_function {
    // `run`: invoke the function; otherwise only destroy it (its executor went away with it
    // queued). Either way the node is freed.
    void (*invoke_)(posted_function*, bool run) = nullptr;
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

// Makes a function node from the shared pool: a node made away from a chain (on the thread
// that completed an operation) must not call the chain's allocator there, which need not be
// thread-safe.
template <class F>
posted_function* make_function_node(F&& f) {
    using node = function_node<std::decay_t<F>>;
    void* p = allocate_resumption(sizeof(node), any_frame_allocator());
    try {
        return ::new (p) node(std::decay_t<F>(std::forward<F>(f)));
    } catch (...) {
        deallocate_frame(p, sizeof(node));
        throw;
    }
}

// Runs (or, destroyed without being invoked, discards) a posted function node.
class function_handler {
public:
    explicit function_handler(posted_function* f) noexcept
        : f_(f) {}

    using allocator_type = resumption_allocator<void>;
    allocator_type get_allocator() const noexcept { return allocator_type(any_frame_allocator()); }

    void operator()() {
        posted_function* f = f_.release();
        f->invoke_(f, true);
    }

private:
    struct discard {
        void operator()(posted_function* f) const noexcept { f->invoke_(f, false); }
    };
    std::unique_ptr<posted_function, discard> f_;
};

/** A copy of a chain's home executor that does not depend on the chain: a
    value that stays valid for as long as the home's execution context lives,
    whoever keeps it (an executor given to Asio may be copied and used after
    the chain has ended). Its type does not depend on the executor's.

    An executor of up to four pointers is kept inline; inside an
    `any_io_executor`, a known target (an `io_context` or `thread_pool`
    executor, or a strand of either) is kept instead. Anything else is kept
    through a shared pointer, made once per chain.
*/
class home_executor_copy {
    static constexpr std::size_t inline_size = 4 * sizeof(void*);

public:
    template <class Executor>
    static constexpr bool fits_inline =
        sizeof(Executor) <= inline_size && alignof(Executor) <= alignof(void*) &&
        std::is_nothrow_copy_constructible_v<Executor>;

    /// True if make(ex) keeps `ex` inline whatever its value (and so allocates nothing).
    template <class Executor>
    static constexpr bool always_inline() noexcept {
        if constexpr (std::is_base_of_v<asio::any_io_executor, Executor>)
            return false;
        else if constexpr (requires(Executor const& ex) {
                               ex.get_inner_executor();
                               ex.get_frame_allocator();
                           })
            return always_inline<
                std::decay_t<decltype(std::declval<Executor const&>().get_inner_executor())>>();
        else
            return fits_inline<Executor>;
    }

    /// Keeps `ex` (a known target of it, if it is an any_io_executor; see above).
    /// @throws std::bad_alloc if it must be kept through a shared pointer and that fails.
    template <class Executor>
    static home_executor_copy make(Executor const& ex) {
        if constexpr (std::is_base_of_v<asio::any_io_executor, Executor> &&
                      !std::is_same_v<Executor, asio::any_io_executor>) {
            // An adaptor of any_io_executor (use_affine_t<>::executor_with_default): what
            // carries work home needs only the executor inside.
            return make(static_cast<asio::any_io_executor const&>(ex));
        } else if constexpr (std::is_same_v<Executor, asio::any_io_executor>) {
            home_executor_copy c;
            if (for_known_targets(ex, [&](auto const& e) {
                    using E = std::decay_t<decltype(e)>;
                    if constexpr (fits_inline<E>) {
                        c.emplace<E>(e);
                        return true;
                    } else {
                        return false;
                    }
                }))
                return c;
            c.emplace<shared<Executor>>(make_shared(ex));
            return c;
        } else if constexpr (requires {
                                 ex.get_inner_executor();
                                 ex.get_frame_allocator();
                             }) {
            // An allocating_executor: its allocator is the chain's, which need not outlive the
            // chain or be thread-safe; what is sent home carries its own (the shared pool).
            return make(ex.get_inner_executor());
        } else {
            home_executor_copy c;
            if constexpr (fits_inline<Executor>)
                c.emplace<Executor>(ex);
            else
                c.emplace<shared<Executor>>(make_shared(ex));
            return c;
        }
    }

    home_executor_copy(home_executor_copy const& o) noexcept
        : ops_(o.ops_) {
        ops_->copy(storage_, o.storage_);
    }
    home_executor_copy& operator=(home_executor_copy const& o) noexcept {
        if (this != &o) {
            ops_->destroy(storage_);
            ops_ = o.ops_;
            ops_->copy(storage_, o.storage_);
        }
        return *this;
    }
    ~home_executor_copy() { ops_->destroy(storage_); }

    bool running_in_this_thread() const noexcept { return ops_->running(storage_); }

    asio::execution_context& context() const noexcept { return ops_->context(storage_); }

    // Sends a function node home: posted (`never`), or dispatched, so that a strand runs it at
    // once where it can. The node is discarded if its executor goes away with it queued.
    void send(posted_function* f, bool never) const { ops_->send(storage_, f, never); }

    friend bool operator==(home_executor_copy const& a, home_executor_copy const& b) noexcept {
        return a.ops_ == b.ops_ && a.ops_->equal(a.storage_, b.storage_);
    }

private:
    home_executor_copy() noexcept = default;

    template <class Executor>
    struct shared {
        std::shared_ptr<Executor const> p_;
        Executor const& get() const noexcept { return *p_; }
        friend bool operator==(shared const& a, shared const& b) noexcept { return *a.p_ == *b.p_; }
    };

    template <class Executor>
    static std::shared_ptr<Executor const> make_shared(Executor const& ex) {
        // From the shared pool: no global allocation, and freed from any thread.
        return std::allocate_shared<Executor const>(
            resumption_allocator<Executor const>(any_frame_allocator()), ex);
    }

    template <class Stored>
    static auto const& executor_of(Stored const& s) noexcept {
        if constexpr (requires { s.p_; })
            return s.get();
        else
            return s;
    }

    struct ops_table {
        void (*copy)(void* dst, void const* src) noexcept;
        void (*destroy)(void* p) noexcept;
        bool (*running)(void const* p) noexcept;
        asio::execution_context& (*context)(void const* p) noexcept;
        void (*send)(void const* p, posted_function* f, bool never);
        bool (*equal)(void const* a, void const* b) noexcept;
    };

    template <class Stored>
    struct ops_for {
        static Stored const& get(void const* p) noexcept {
            return *std::launder(static_cast<Stored const*>(p));
        }
        static void copy(void* dst, void const* src) noexcept { ::new (dst) Stored(get(src)); }
        static void destroy(void* p) noexcept { std::launder(static_cast<Stored*>(p))->~Stored(); }
        static bool running(void const* p) noexcept {
            return detail::running_in_this_thread(executor_of(get(p)));
        }
        static asio::execution_context& context(void const* p) noexcept {
            return asio::query(executor_of(get(p)), asio::execution::context);
        }
        static void send(void const* p, posted_function* f, bool never) {
            auto const& ex = executor_of(get(p));
            if (never)
                asio::post(ex, function_handler(f));
            else
                asio::dispatch(ex, function_handler(f));
        }
        static bool equal(void const* a, void const* b) noexcept { return get(a) == get(b); }
        static constexpr ops_table table{&copy, &destroy, &running, &context, &send, &equal};
    };

    template <class Stored, class... Args>
    void emplace(Args&&... args) {
        static_assert(sizeof(Stored) <= inline_size && alignof(Stored) <= alignof(void*));
        ::new (static_cast<void*>(storage_)) Stored(std::forward<Args>(args)...);
        ops_ = &ops_for<Stored>::table;
    }

    alignas(void*) unsigned char storage_[inline_size];
    ops_table const* ops_ = nullptr;
};

/** The executor associated with the handlers this library gives Asio.

    A copy of the home executor (a value, valid for as long as its execution
    context lives: Asio, or a library built on it, may keep it after the chain
    has ended). `execute(f)` runs `f` inline when the calling thread is on the
    home executor (unless `blocking.never` was required), and otherwise sends
    it there: moved into a node from the shared frame pool (not from the
    chain's allocator, which is called only where the chain runs), dispatched
    to the concrete home executor with a handler whose allocator is that pool.
    Asio's last step of a completion therefore makes no global allocation, and
    lands on the home executor.

    Outstanding work is not counted per operation: a chain tracks work on its
    home for its whole life.
*/
class handler_executor {
public:
    explicit handler_executor(home_executor_copy const& home, bool never = false) noexcept
        : home_(home)
        , never_(never) {}

    asio::execution_context& query(asio::execution::context_t) const noexcept {
        return home_.context();
    }

    asio::execution::blocking_t query(asio::execution::blocking_t) const noexcept {
        return never_ ? asio::execution::blocking_t(asio::execution::blocking.never)
                      : asio::execution::blocking_t(asio::execution::blocking.possibly);
    }

    handler_executor require(asio::execution::blocking_t::never_t) const noexcept {
        return handler_executor(home_, true);
    }

    handler_executor require(asio::execution::blocking_t::possibly_t) const noexcept {
        return handler_executor(home_, false);
    }

    template <class F>
    void execute(F&& f) const {
        if (!never_ && home_.running_in_this_thread()) {
            std::decay_t<F> tmp(std::forward<F>(f));
            tmp();
            return;
        }
        home_.send(make_function_node(std::forward<F>(f)), never_);
    }

    friend bool operator==(handler_executor const& a, handler_executor const& b) noexcept {
        return a.home_ == b.home_ && a.never_ == b.never_;
    }
    friend bool operator!=(handler_executor const& a, handler_executor const& b) noexcept {
        return !(a == b);
    }

private:
    home_executor_copy home_;
    bool never_;
};

/** Resumes a coroutine of a chain on its home executor: what the chain's environment posts.
    Its storage comes from the chain's frame allocator where the chain runs, from the shared pool
    elsewhere (environment::allocator_here). Destroyed without being invoked (its context went
    away with it queued), it gives up the chain rather than leak it.

    @tparam Chain `environment` (a parameter so that this header, which environment.hpp
    includes, need not include it), which befriends it.
*/
template <class Chain>
class resume_handler {
public:
    resume_handler(Chain* e, std::coroutine_handle<> h) noexcept
        : env_(e)
        , h_(h) {}
    resume_handler(resume_handler&& o) noexcept
        : env_(o.env_)
        , h_(std::exchange(o.h_, {})) {}
    resume_handler& operator=(resume_handler&&) = delete;
    ~resume_handler() {
        if (h_)
            env_->abandon();
    }

    using allocator_type = resumption_allocator<void>;
    allocator_type get_allocator() const noexcept { return allocator_type(env_->allocator_here()); }

    void operator()() {
        typename Chain::resumption s(*env_);
        std::exchange(h_, {}).resume();
    }

private:
    Chain* env_;
    std::coroutine_handle<> h_;
};

} // namespace boost::affine::detail

#endif
