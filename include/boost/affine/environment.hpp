//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_ENVIRONMENT_HPP
#define BOOST_AFFINE_ENVIRONMENT_HPP

#include <boost/affine/frame_allocator.hpp>
#include <boost/affine/detail/await_site.hpp>
#include <boost/affine/detail/chain_registry.hpp>
#include <boost/affine/detail/handlers.hpp>
#include <boost/affine/detail/thread_state.hpp>
#include <boost/affine/detail/unique_coroutine.hpp>

#include <boost/assert.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/execution_context.hpp>

#include <atomic>
#include <cstddef>
#include <coroutine>
#include <memory>
#include <new>
#include <utility>

namespace boost::affine {

class environment;

template <class T, class Executor, class Awaits>
class basic_task;

/** Code a chain runs around each slice of its execution on a thread: `on_resume` each time
    the chain resumes on a thread (a resumption posted to its home executor, or run there
    inline from outside the chain), before any of its code runs; `on_suspend` when that slice
    ends (the chain suspended, or completed), after the last of its code. What a tracing
    system or a logger needs to restore its own thread-local context around every slice. Set
    on a chain with `set_chain_hooks` (chain_local.hpp); the object must outlive the chain or
    be unset first.

    Both are called on the thread of the slice, with the chain current on it (so a
    `chain_local` value is readable), and must not throw. Slices nest when a chain resumes
    another inline (an operation of one completing in a handler of the other): the calls are
    then nested too.
*/
class chain_hooks {
public:
    virtual void on_resume() noexcept = 0;
    virtual void on_suspend() noexcept = 0;

protected:
    chain_hooks() noexcept = default;
    chain_hooks(chain_hooks const&) noexcept = default;
    chain_hooks& operator=(chain_hooks const&) noexcept = default;
    ~chain_hooks() = default;
};

namespace detail {

class environment_home;
template <class Executor>
class basic_environment;
class branch_environment;

// A task object, while the task it owns runs in a chain (from its start until the awaiting
// coroutine resumes): what the chain needs to destroy its task frames innermost first, one at a
// time, in constant stack (environment::abandon). The task's handle, and the chain's innermost
// task before this one started (the one that awaits it, unless a coroutine of another kind is
// between). The task object lives in the awaiting frame, which outlives the await.
//
// Also where the task is: the site of its latest co_await, which its await_transform writes
// (environment_home::note_site), for async_backtrace().
struct task_link {
    task_link() noexcept = default;
    explicit task_link(std::coroutine_handle<> h) noexcept
        : h_(h) {}
    task_link(task_link&& o) noexcept
        : h_(std::move(o.h_)) {}
    task_link& operator=(task_link&& o) noexcept {
        h_ = std::move(o.h_);
        return *this;
    }

#if defined(BOOST_AFFINE_NO_AWAIT_SITES)
    site_ptr site() const noexcept { return nullptr; }
#else
    site_ptr site() const noexcept { return site_; }
#endif

    unique_coroutine<> h_;
    task_link* outer_; // written when the task starts, read only after
#if !defined(BOOST_AFFINE_NO_AWAIT_SITES)
    site_ptr site_ = nullptr; // written at each co_await of the task, read by async_backtrace
#endif
};

// What encloses an environment, for async_backtrace(): nothing for a chain's root; for the
// branch of an awaitable operator, the environment of the coroutine awaiting the operator,
// which operand the branch runs, and which operator it is.
struct trace_outer {
    environment* parent = nullptr;
    unsigned operand = 0;
    bool cancel_on_success = false; // ||; && otherwise
};

// A branch of an awaitable operator while its environment exists: on its chain's list of
// branches (for dump_chains, which walks a chain from its root, and the gdb command), with what
// encloses it.
struct branch_record {
    branch_record* next_ = nullptr; // under the root's lock
    branch_record* prev_ = nullptr;
    environment* env_ = nullptr; // the branch's environment
    trace_outer outer_;
};

// A cancellation handler that does nothing: put in a slot in place of a
// finished operation's handler, so the slot keeps its memory but never calls
// into what is gone.
struct inert_cancellation_handler {
    void operator()(asio::cancellation_type_t) const noexcept {}
};

// The inert handler is smaller than any it replaces, so it takes the slot's memory; should that
// ever need an allocation that fails, the slot is cleared instead.
inline void make_slot_inert(asio::cancellation_slot slot) noexcept {
    if (slot.is_connected() && slot.has_handler()) {
        try {
            slot.template emplace<inert_cancellation_handler>();
        } catch (...) {
            slot.clear();
        }
    }
}

// Names an executor type without RTTI: its address is unique in the program (not a constant,
// which a compiler may merge with another of the same value).
template <class Executor>
inline char executor_type_tag = 0;

// Something a chain recycles for its operators (the cancellation of a branch of `&&` and `||`:
// detail/parallel.hpp), on its root's list of spares. `free_` destroys it and frees its memory.
struct recycled {
    recycled* next_ = nullptr;
    void (*free_)(recycled*, any_frame_allocator const&) noexcept = nullptr;
};

// The value of one chain_local (chain_local.hpp) in one chain: a node of the chain's list,
// allocated from the chain's frame allocator, the value's storage after it. Nodes are only
// added (under the root's lock: operands may run in parallel) and freed with the root.
inline constexpr std::size_t chain_value_alignment = 16;

struct alignas(chain_value_alignment) chain_value {
    std::atomic<chain_value*> next_{nullptr};
    void const* key_ = nullptr;  // the chain_local
    void const* type_ = nullptr; // its value type's tag
    void (*destroy_)(chain_value*) noexcept = nullptr;
    std::size_t block_ = 0; // bytes allocated
    bool engaged_ = false;

    void* storage() noexcept { return this + 1; }
};

// What the root of a chain has once for all its environments: the home
// executor, the means to post to it, and the chain's recycled objects. What the
// library's handlers and coroutines need of an environment beyond its public
// members, they ask of the home (the static members, defined below environment).
//
// Its chain_record base is what the registry of live chains knows of the chain
// (chain_registry.hpp).
class environment_home : public chain_record {
public:
    environment_home(environment_home const&) = delete;
    environment_home& operator=(environment_home const&) = delete;

    // A copy of the home executor that does not depend on the chain (for what is handed to
    // Asio, and for work that arrives from elsewhere).
    virtual home_executor_copy handler_home() const noexcept = 0;

    // The home executor, type-erased: made on demand from the concrete one when
    // any_io_executor holds that inline (no allocation), a copy kept otherwise.
    virtual asio::any_io_executor home_executor() const = 0;
    // True if `ex` is the home executor (as any_io_executor's ==, without making one).
    virtual bool home_is(asio::any_io_executor const& ex) const noexcept = 0;
    virtual asio::execution_context& home_context() const noexcept = 0;
    // The home executor as it is kept, if its type is the one `tag` names
    // (executor_type_tag<Executor>); null otherwise.
    virtual void const* executor_if(void const* tag) const noexcept = 0;
    virtual bool home_running_in_this_thread() const noexcept = 0;
    // Post for `owner`: the environment whose chain the handler belongs to
    // (which it abandons if destroyed without being invoked).
    virtual void home_post(environment& owner, std::coroutine_handle<> h) = 0;

    // The home of the chain `e` belongs to.
    static environment_home& of(environment& e) noexcept;
    // Gives up the chain at once (see environment::abandon).
    static void abandon(environment& e) noexcept;
    // Gives up the chain on its home executor: what a handler of it destroyed elsewhere does.
    static void abandon_at_home(environment& e) noexcept;
    // Makes `e` current on this thread, without restoring what was: for a symmetric transfer
    // between two environments of one chain.
    static void make_current(environment& e) noexcept;

    // For async_backtrace (async_backtrace.hpp): the innermost task of `e`'s chain or branch,
    // what encloses `e`, the co_spawn site of a root's environment (null otherwise); and the
    // record of a task's co_await site, on the innermost task of `e` (the one awaiting).
    static task_link const* innermost(environment const& e) noexcept;
    static trace_outer outer(environment const& e) noexcept;
    static site_ptr spawn_site(environment const& e) noexcept;
    static void note_site(environment& e, site_ptr site) noexcept;

    // A recycled object, or null. Branches of an operator may run in parallel on a
    // multi-threaded home, hence the lock.
    recycled* take_spare() noexcept {
        lock_guard g(lock_);
        recycled* r = spare_;
        if (r)
            spare_ = r->next_;
        return r;
    }
    void put_spare(recycled* r) noexcept {
        lock_guard g(lock_);
        r->next_ = spare_;
        spare_ = r;
    }

    // The branches of the chain's operators whose environments exist (dump_chains).
    void add_branch(branch_record& b) noexcept {
        if constexpr (!chain_registry_enabled)
            return;
        lock_guard g(lock_);
        b.next_ = branches_;
        b.prev_ = nullptr;
        if (branches_)
            branches_->prev_ = &b;
        branches_ = &b;
    }
    void remove_branch(branch_record& b) noexcept {
        if constexpr (!chain_registry_enabled)
            return;
        lock_guard g(lock_);
        if (b.prev_)
            b.prev_->next_ = b.next_;
        else
            branches_ = b.next_;
        if (b.next_)
            b.next_->prev_ = b.prev_;
    }
    // Calls f(branch_record const&) for each branch, under the lock (f must not take it).
    template <class F>
    void for_each_branch(F f) const noexcept {
        lock_guard g(lock_);
        for (branch_record const* b = branches_; b; b = b->next_)
            f(*b);
    }

    // The chain's hooks (chain_hooks), or null.
    chain_hooks* hooks() const noexcept { return hooks_.load(std::memory_order_relaxed); }
    void set_hooks(chain_hooks* h) noexcept { hooks_.store(h, std::memory_order_relaxed); }

    // The chain's value of the chain_local `key`, or null (chain_local.hpp).
    chain_value* find_value(void const* key) const noexcept {
        for (chain_value* v = values_.load(std::memory_order_acquire); v;
             v = v->next_.load(std::memory_order_acquire))
            if (v->key_ == key)
                return v;
        return nullptr;
    }

    // The node of `key`, made (empty) if the chain has none: from `alloc`, the chain's frame
    // allocator, with room for `size` bytes of value.
    chain_value* add_value(void const* key, void const* type, std::size_t size,
                           void (*destroy)(chain_value*) noexcept,
                           any_frame_allocator const& alloc) {
        std::size_t const block = sizeof(chain_value) + size;
        void* p = alloc.allocate(block);
        auto* fresh = ::new (p) chain_value;
        fresh->key_ = key;
        fresh->type_ = type;
        fresh->destroy_ = destroy;
        fresh->block_ = block;
        {
            lock_guard g(lock_);
            // Another operand of the chain may have added it meanwhile.
            if (chain_value* v = find_value(key)) {
                fresh->~chain_value();
                alloc.deallocate(p, block);
                return v;
            }
            fresh->next_.store(values_.load(std::memory_order_relaxed), std::memory_order_relaxed);
            values_.store(fresh, std::memory_order_release);
        }
        return fresh;
    }

protected:
    environment_home() noexcept = default;

    ~environment_home() {
        BOOST_ASSERT_MSG(!branches_, "boost::affine: environment_home destroyed with live "
                                     "branches");
        BOOST_ASSERT_MSG(!spare_, "boost::affine: environment_home destroyed with spare "
                                  "objects; the root must call release_spares");
        BOOST_ASSERT_MSG(!values_.load(std::memory_order_relaxed),
                         "boost::affine: environment_home destroyed with chain values; the "
                         "root must call release_values");
    }

    /// Destroys the chain's values and frees their nodes; called by the root before it goes.
    void release_values(any_frame_allocator const& alloc) noexcept {
        chain_value* v = values_.exchange(nullptr, std::memory_order_acquire);
        while (v) {
            chain_value* next = v->next_.load(std::memory_order_relaxed);
            v->destroy_(v);
            std::size_t const block = v->block_;
            v->~chain_value();
            alloc.deallocate(v, block);
            v = next;
        }
    }

    /// Frees the recycled objects; called by the root before it goes.
    void release_spares(any_frame_allocator const& alloc) noexcept {
        while (recycled* r = spare_) {
            spare_ = r->next_;
            r->free_(r, alloc);
        }
    }

private:
    struct lock_guard {
        std::atomic_flag& f_;
        explicit lock_guard(std::atomic_flag& f) noexcept
            : f_(f) {
            while (f_.test_and_set(std::memory_order_acquire)) {
            }
        }
        ~lock_guard() { f_.clear(std::memory_order_release); }
    };

    recycled* spare_ = nullptr;
    branch_record* branches_ = nullptr;
    std::atomic<chain_value*> values_{nullptr};
    std::atomic<chain_hooks*> hooks_{nullptr};
    mutable std::atomic_flag lock_;
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
        if (detail::current_environment() == this) [[likely]]
            return h;
        return dispatch_elsewhere(h);
    }

private:
    // dispatch() when this thread is not running this chain: out of line, so
    // that the usual case inlines into every final suspension.
    BOOST_NOINLINE std::coroutine_handle<> dispatch_elsewhere(std::coroutine_handle<> h) {
        if (running_in_this_thread()) {
            resumption s(*this);
            h.resume();
        } else {
            post(h);
        }
        return std::noop_coroutine();
    }

public:
    /** Posts the resumption of `h` to the home executor.

        The operation's storage comes from the chain's frame allocator.
    */
    void post(std::coroutine_handle<> h) { home_->home_post(*this, h); }

    /// True if the calling thread is running on the home executor.
    bool running_in_this_thread() const noexcept { return home_->home_running_in_this_thread(); }

    /** The home executor, type-erased.

        Made on demand from the concrete home executor, which the chain keeps:
        no allocation when `any_io_executor` holds it inline (an `io_context`'s
        executor or a strand of one); a copy made when the chain was spawned
        otherwise.
    */
    asio::any_io_executor get_executor() const { return home_->home_executor(); }

    /// True if `ex` is the home executor (`ex == get_executor()`, without making one).
    bool is_home(asio::any_io_executor const& ex) const noexcept { return home_->home_is(ex); }

    /// The chain's frame allocator.
    any_frame_allocator const& get_frame_allocator() const noexcept { return allocator_; }

    /// The execution context of the home executor.
    asio::execution_context& context() const noexcept { return home_->home_context(); }

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
        state_replaced_ = true;
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
        explicit scope(environment& e) noexcept
            : s_(&e, &e.allocator_) {}

    private:
        detail::chain_scope s_;
    };

    /** A resumption of the chain on the calling thread from outside it, for a scope: a slice
        of its execution. Makes it current, as `scope` does, and runs the chain's hooks
        (`chain_hooks`): `on_resume` now, `on_suspend` at the end of the scope unless the
        slice ended before (the chain completed: its root ends the slice before the completion
        handler runs). Unused, a test of the chain's hooks at each end.
    */
    class resumption {
    public:
        explicit resumption(environment& e) noexcept
            : state_(detail::this_thread_state())
            , prev_env_(std::exchange(state_.get().chain, &e))
            , prev_alloc_(std::exchange(state_.get().allocator, &e.allocator_))
            , prev_hooks_(std::exchange(state_.get().hooks, e.home_->hooks()))
            , prev_running_(detail::publish_slice(state_.get(), *e.home_)) {
            if (chain_hooks* h = state_.get().hooks) [[unlikely]]
                h->on_resume();
        }
        ~resumption() {
            detail::thread_state& state = state_.get();
            if (chain_hooks* h = std::exchange(state.hooks, prev_hooks_)) [[unlikely]]
                h->on_suspend();
            detail::end_published_slice(state, prev_running_);
            state.chain = prev_env_;
            state.allocator = prev_alloc_;
        }
        resumption(resumption const&) = delete;
        resumption& operator=(resumption const&) = delete;

    private:
        // Where thread-locals are reached out of line, the thread state is found once and kept
        // (this object lives in a handler's frame, not a coroutine's, and the coroutine it
        // resumes returns to it on the same thread); inline, finding it again costs less.
        struct state_ref {
#if BOOST_AFFINE_DETAIL_TLS_INLINE
            explicit state_ref(detail::thread_state&) noexcept {}
            detail::thread_state& get() const noexcept { return detail::this_thread_state(); }
#else
            detail::thread_state* s_;
            explicit state_ref(detail::thread_state& s) noexcept
                : s_(&s) {}
            detail::thread_state& get() const noexcept { return *s_; }
#endif
        };

        state_ref state_;
        environment* prev_env_;
        any_frame_allocator const* prev_alloc_;
        chain_hooks* prev_hooks_;
        detail::chain_record const* prev_running_;
    };

    /** The allocator for what is allocated for this chain on the calling thread outside its
        frames (a resumption to post, a handler's state): the chain's frame allocator while
        this chain runs on the calling thread, or wherever that allocator is thread-safe
        (`is_thread_safe_frame_allocator`); `frame_pool::shared()` otherwise. So a chain's own
        allocator is called only where the chain runs, and need not be thread-safe.
    */
    any_frame_allocator allocator_here() const noexcept {
        if (detail::current_environment() == this)
            return allocator_;
        return detail::thread_safe_or_shared_pool(allocator_);
    }

protected:
    ~environment() = default;

private:
    // The environment of a chain's root, attached to the slot of co_spawn's
    // completion handler.
    environment(detail::environment_home& home, any_frame_allocator alloc,
                asio::cancellation_slot parent)
        : home_(&home)
        , allocator_(alloc)
        , parent_slot_(parent)
        , cancellation_state_(parent) {}

    // The environment of a branch of an awaitable operator: the home and
    // allocator of its chain, its own cancellation.
    environment(environment const& parent, asio::cancellation_slot slot,
                asio::cancellation_state state) noexcept
        : home_(parent.home_)
        , allocator_(parent.allocator_)
        , parent_slot_(slot)
        , cancellation_state_(state) {}

    // The root coroutine, which owns this environment.
    void set_root(std::coroutine_handle<> root) noexcept { root_ = root; }

    /** Gives up the chain when a handler of it was destroyed without being
        invoked: a root environment destroys its root coroutine, and with it
        every frame of the chain.
    */
    virtual void do_abandon() noexcept {
        if (std::coroutine_handle<> root = std::exchange(root_, {}))
            root.destroy();
    }

    // What encloses this environment, and where its chain was spawned (a root's): for
    // async_backtrace.
    virtual detail::trace_outer trace_outer() const noexcept { return {}; }
    virtual detail::site_ptr spawn_site() const noexcept { return nullptr; }

    bool state_replaced() const noexcept { return state_replaced_; }

    friend class detail::environment_home;
    template <class>
    friend class detail::basic_environment;  // a root's environment
    friend class detail::branch_environment; // an operator's branch's
    template <class>
    friend class detail::resume_handler;
    template <class, class, class>
    friend class basic_task;

    // A task starts in this chain: it is now the chain's innermost.
    void enter(detail::task_link& link) noexcept {
        link.outer_ = innermost_;
        innermost_ = &link;
    }

    // The task whose frame is `frame` has completed (the frame is at its final suspension; the
    // task object that owns it destroys it once the awaiting coroutine has resumed): it leaves
    // the chain, if it is the innermost task. It is, unless it was started through its handle
    // without entering the chain (building on the protocol by hand): then it was never in the
    // list, and nothing else is taken out of it.
    void leave(void* frame) noexcept {
        if (innermost_ && innermost_->h_.get().address() == frame) [[likely]]
            innermost_ = innermost_->outer_;
    }

    // What happens when Asio destroys the handler of a pending operation
    // without invoking it (its execution context was destroyed, or shut down,
    // with the operation in flight): every frame is freed and every local
    // destroyed, as with asio::awaitable; co_spawn's completion handler is
    // destroyed without being invoked. For a root this destroys *this.
    //
    // The task frames go first, innermost first, each on its own: its task
    // object's handle is emptied before the frame is destroyed, so that
    // destroying the frame above does not destroy it again, recursively (a
    // chain 10^6 frames deep would overflow the stack). A coroutine of
    // another kind between two tasks goes with the task frame that owns it,
    // after the frames below it.
    void abandon() noexcept {
        detail::published_slice s(*home_); // for the registry: frames go, as in a slice
        while (detail::task_link* l = innermost_) {
            innermost_ = l->outer_;
            l->h_.reset();
        }
        do_abandon();
    }

    detail::environment_home* home_;
    any_frame_allocator allocator_;
    asio::cancellation_slot parent_slot_;
    asio::cancellation_state cancellation_state_;
    std::coroutine_handle<> root_;
    detail::task_link* innermost_ = nullptr;
    bool throw_if_cancelled_ = true;
    bool state_replaced_ = false;
};

namespace detail {

inline environment_home& environment_home::of(environment& e) noexcept {
    return *e.home_;
}

inline void environment_home::abandon(environment& e) noexcept {
    e.abandon();
}

// The chain running on this thread completes: its slice ends now, while it is still there
// (its hooks may read its chain_local values), before its root goes.
inline void end_slice() noexcept {
    thread_state& state = this_thread_state();
    if (chain_hooks* h = std::exchange(state.hooks, nullptr)) [[unlikely]]
        h->on_suspend();
    // Another chain may take the root's place in memory: it is not this thread's.
    if constexpr (chain_registry_enabled)
        state.running_chain.store(nullptr, std::memory_order_release);
}

inline void environment_home::make_current(environment& e) noexcept {
    make_chain_current(&e, &e.allocator_);
}

inline task_link const* environment_home::innermost(environment const& e) noexcept {
    return e.innermost_;
}

inline trace_outer environment_home::outer(environment const& e) noexcept {
    return e.trace_outer();
}

inline site_ptr environment_home::spawn_site(environment const& e) noexcept {
    return e.spawn_site();
}

inline void environment_home::note_site([[maybe_unused]] environment& e,
                                        [[maybe_unused]] site_ptr site) noexcept {
#if !defined(BOOST_AFFINE_NO_AWAIT_SITES)
    if (task_link* l = e.innermost_) [[likely]]
        l->site_ = site;
#endif
}

// Gives up a chain when run, or when destroyed without having run.
class abandonment {
public:
    explicit abandonment(environment* e) noexcept
        : e_(e) {}
    void operator()() noexcept { e_.reset(); }

private:
    struct give_up {
        void operator()(environment* e) const noexcept { environment_home::abandon(*e); }
    };
    std::unique_ptr<environment, give_up> e_;
};

inline void environment_home::abandon_at_home(environment& e) noexcept {
    // Posted, never run inline: the chain's frames and locals are destroyed on its home
    // executor, as its code runs there, even when the handler is destroyed on another thread
    // (the execution context of an operation of the chain going away elsewhere). If the home
    // is not running, the posted abandonment is destroyed with the home's queue, which gives
    // up the chain then, on the thread that destroys the home context. If it cannot be posted
    // (no memory), the chain is given up here.
    try {
        e.home_->handler_home().send(make_function_node(abandonment{&e}), true);
    } catch (...) {
        e.abandon();
    }
}

} // namespace detail

} // namespace boost::affine

#endif
