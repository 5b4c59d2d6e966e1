//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_DETAIL_PARALLEL_HPP
#define BOOST_AFFINE_DETAIL_PARALLEL_HPP

#include <boost/affine/environment.hpp>
#include <boost/affine/frame_allocator.hpp>
#include <boost/affine/detail/frame_allocation.hpp>
#include <boost/affine/task.hpp>
#include <boost/affine/detail/await_transform.hpp>
#include <boost/affine/detail/result.hpp>
#include <boost/affine/detail/unique_coroutine.hpp>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/cancellation_type.hpp>

#include <atomic>
#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace boost::affine::detail {

// Two tasks run side by side on the awaiting chain's home executor, each in
// an environment of its own (the chain's executor and allocator, its own
// cancellation), joined when both have finished. The awaitable operators
// are built on this.

// When the join cancels the other branch: on the first failure (&&), or on
// the first success (||).
enum class parallel_mode { cancel_on_failure, cancel_on_success };

class parallel_join;

// The cancellation of one branch of an awaitable operator: the signal the
// operator emits into, and the cancellation state the branch's operations
// attach to (terminal cancellation only, as a spawned asio::awaitable has).
// Recycled within a chain (on its root's spares), so the memory Asio attaches
// to their slots stays.
struct branch_cancellation : recycled {
    asio::cancellation_signal signal_;
    asio::cancellation_state state_;

    branch_cancellation()
        : recycled{nullptr, &free}
        , state_(signal_.slot()) {}

    // A branch cancellation with nothing emitted and no live handler, for a parallel await:
    // a spare of the chain's, or a new one from `alloc`, the chain's frame allocator (the root
    // environment's; called where the chain runs).
    static branch_cancellation* acquire(environment_home& home, any_frame_allocator const& alloc) {
        if (recycled* r = home.take_spare())
            return static_cast<branch_cancellation*>(r);
        void* p = alloc.allocate(sizeof(branch_cancellation));
        try {
            return ::new (p) branch_cancellation();
        } catch (...) {
            alloc.deallocate(p, sizeof(branch_cancellation));
            throw;
        }
    }

    // Gives `c` back to the chain once nothing can emit into it. `replaced`: the branch
    // replaced its cancellation state.
    static void release(branch_cancellation* c, bool replaced, environment_home& home,
                        any_frame_allocator const& alloc) noexcept {
        try {
            if (replaced)
                c->state_ = asio::cancellation_state(c->signal_.slot());
            else
                make_slot_inert(c->state_.slot());
        } catch (...) {
            free(c, alloc); // could not be made reusable
            return;
        }
        c->state_.clear();
        home.put_spare(c);
    }

private:
    static void free(recycled* r, any_frame_allocator const& alloc) noexcept {
        auto* c = static_cast<branch_cancellation*>(r);
        c->~branch_cancellation();
        alloc.deallocate(c, sizeof(branch_cancellation));
    }
};

// The environment of one branch. If a handler of the branch is destroyed
// without being invoked, the branch counts as finished, abandoned; when the
// last branch has finished, an abandoned join abandons its parent in turn.
class branch_environment final : public environment {
public:
    // On its chain's list of branches while it exists (dump_chains).
    branch_environment(environment const& parent, branch_cancellation& c, parallel_join& j,
                       unsigned index) noexcept;
    ~branch_environment() { environment_home::of(*this).remove_branch(record_); }
    branch_environment(branch_environment const&) = delete;
    branch_environment& operator=(branch_environment const&) = delete;

    bool state_replaced() const noexcept { return environment::state_replaced(); }

private:
    void do_abandon() noexcept override;
    detail::trace_outer trace_outer() const noexcept override;

    parallel_join* join_;
    unsigned index_;
    branch_record record_;
};

class parallel_join {
public:
    explicit parallel_join(parallel_mode m) noexcept
        : mode_(m) {}
    parallel_join(parallel_join const&) = delete;
    parallel_join& operator=(parallel_join const&) = delete;

    // Branch `i` finished (`failed`: with an exception). Returns what to
    // resume: the awaiting coroutine if this was the last, else nothing.
    std::coroutine_handle<> complete(unsigned i, bool failed) noexcept {
        done_[i].store(true, std::memory_order_release);
        int none = -1;
        first_.compare_exchange_strong(none, static_cast<int>(i), std::memory_order_acq_rel);
        if (failed == (mode_ == parallel_mode::cancel_on_failure))
            cancel_other(i);
        return arrive();
    }

    // A handler of branch `i` was destroyed without being invoked.
    void abandon(unsigned i) noexcept {
        abandoned_.store(true, std::memory_order_release);
        done_[i].store(true, std::memory_order_release);
        (void)arrive();
    }

    // The awaiting chain was cancelled: so is every branch still running.
    void forward(asio::cancellation_type_t type) {
        for (unsigned i = 0; i < 2; ++i)
            if (!done_[i].load(std::memory_order_acquire))
                cancellation_[i]->signal_.emit(type);
    }

    // The branch that finished first.
    unsigned first() const noexcept {
        return static_cast<unsigned>(first_.load(std::memory_order_acquire));
    }

    // The environment of the coroutine awaiting the operator (set when it starts), and which
    // operator this is: for async_backtrace.
    environment* parent() const noexcept { return parent_; }
    parallel_mode mode() const noexcept { return mode_; }

protected:
    // Counts one arrival (a branch, or the starter); the last one resumes
    // the awaiting coroutine in its own environment, or abandons it.
    std::coroutine_handle<> arrive() noexcept {
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) != 1)
            return std::noop_coroutine();
        environment* parent = parent_;
        if (abandoned_.load(std::memory_order_acquire)) {
            // Posted, not inline: with operators nested 10^4 deep, giving up each level from
            // inside the one below would recurse as deep.
            environment_home::abandon_at_home(*parent);
            return std::noop_coroutine();
        }
        std::coroutine_handle<> c = continuation_;
        environment_home::make_current(*parent);
        return c;
    }

    void cancel_other(unsigned i) noexcept {
        unsigned j = 1 - i;
        if (!cancel_sent_.exchange(true, std::memory_order_acq_rel) &&
            !done_[j].load(std::memory_order_acquire))
            cancellation_[j]->signal_.emit(asio::cancellation_type::all);
    }

    parallel_mode mode_;
    std::atomic<unsigned> pending_{0};
    std::atomic<int> first_{-1};
    std::atomic<bool> done_[2] = {false, false};
    std::atomic<bool> cancel_sent_{false};
    std::atomic<bool> abandoned_{false};
    environment* parent_ = nullptr;
    std::coroutine_handle<> continuation_;
    branch_cancellation* cancellation_[2] = {nullptr, nullptr};
};

inline void branch_environment::do_abandon() noexcept {
    join_->abandon(index_);
}

inline branch_environment::branch_environment(environment const& parent, branch_cancellation& c,
                                              parallel_join& j, unsigned index) noexcept
    : environment(parent, c.signal_.slot(), c.state_)
    , join_(&j)
    , index_(index) {
    record_.env_ = this;
    record_.outer_ = {j.parent(), index, j.mode() == parallel_mode::cancel_on_success};
    environment_home::of(*this).add_branch(record_);
}

inline detail::trace_outer branch_environment::trace_outer() const noexcept {
    return record_.outer_;
}

// The coroutine that runs one branch: it awaits the task in the branch's
// environment and reports to the join when done.
template <class T>
class branch {
public:
    class promise_type : public frame_allocating_promise,
                         public awaits_in_chain<promise_type>,
                         public promise_result<T> {
    public:
        branch get_return_object() noexcept {
            return branch(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        std::suspend_always initial_suspend() noexcept { return {}; }

        final_transfer<promise_type> final_suspend() noexcept { return {}; }
        std::coroutine_handle<> on_final_suspend(std::coroutine_handle<promise_type>) noexcept {
            return join_->complete(index_, this->result_.has_exception());
        }

        // Where affine awaitables resume this coroutine (affine_awaiter<A>).
        environment* dispatcher() const noexcept { return env_; }

        void attach(environment& e, parallel_join& j, unsigned index) noexcept {
            env_ = &e;
            join_ = &j;
            index_ = index;
        }

    private:
        environment* env_ = nullptr;
        parallel_join* join_ = nullptr;
        unsigned index_ = 0;
    };

    using handle_type = std::coroutine_handle<promise_type>;

    branch(branch&&) noexcept = default;
    branch& operator=(branch&&) = delete;

    void reset() noexcept { h_.reset(); }

    handle_type handle() const noexcept { return h_.get(); }

    std::exception_ptr exception() const noexcept { return handle().promise().result_.exception(); }
    T value() { return handle().promise().result_.get(); }

private:
    explicit branch(handle_type h) noexcept
        : h_(h) {}
    unique_coroutine<promise_type> h_;
};

template <class T, class Task>
branch<T> make_branch(Task t) {
    if constexpr (std::is_void_v<T>)
        co_await std::move(t);
    else
        co_return co_await std::move(t);
}

// Passes the awaiting chain's cancellation on to the branches.
struct forward_cancellation {
    parallel_join* join_;
    void operator()(asio::cancellation_type_t type) const { join_->forward(type); }
};

// The affine awaitable that runs two branches and joins them. Its result is
// the two finished branches (the order is in `first()`).
template <class T0, class T1>
class parallel_awaiter : public parallel_join {
public:
    parallel_awaiter(parallel_mode m, branch<T0> b0, branch<T1> b1) noexcept
        : parallel_join(m)
        , b0_(std::move(b0))
        , b1_(std::move(b1)) {}

    ~parallel_awaiter() {
        // Not started, or destroyed with its chain: the branch frames go
        // first, then what they used.
        b0_.reset();
        b1_.reset();
        release();
    }

    bool await_ready() const noexcept { return false; }

    std::coroutine_handle<> await_suspend(std::coroutine_handle<> h, environment& env) {
        environment_home& home = environment_home::of(env);
        parent_ = &env;
        continuation_ = h;
        try {
            cancellation_[0] = branch_cancellation::acquire(home, env.get_frame_allocator());
            cancellation_[1] = branch_cancellation::acquire(home, env.get_frame_allocator());
            asio::cancellation_slot slot = env.cancellation_slot();
            if (slot.is_connected()) {
                slot.template emplace<forward_cancellation>(forward_cancellation{this});
                forwarding_ = true;
            }
        } catch (...) {
            release();
            throw;
        }
        for (unsigned i = 0; i < 2; ++i)
            env_[i].emplace(env, *cancellation_[i], *this, i);
        b0_.handle().promise().attach(*env_[0], *this, 0);
        b1_.handle().promise().attach(*env_[1], *this, 1);
        pending_.store(3, std::memory_order_relaxed);
        start(b0_.handle(), *env_[0]);
        start(b1_.handle(), *env_[1]);
        return arrive();
    }

    struct outcome {
        branch<T0> b0_;
        branch<T1> b1_;
        unsigned first_;

        unsigned first() const noexcept { return first_; }
        std::exception_ptr exception(unsigned i) const noexcept {
            return i == 0 ? b0_.exception() : b1_.exception();
        }
    };

    outcome await_resume() {
        release();
        return outcome{std::move(b0_), std::move(b1_), first()};
    }

private:
    static void start(std::coroutine_handle<> b, environment& e) noexcept {
        environment::scope s(e);
        b.resume();
    }

    // Once both branches are finished or destroyed: nothing may emit into
    // their cancellations any more.
    void release() noexcept {
        if (forwarding_) {
            forwarding_ = false;
            make_slot_inert(parent_->cancellation_slot());
        }
        if (parent_) {
            environment_home& home = environment_home::of(*parent_);
            for (unsigned i = 0; i < 2; ++i)
                if (cancellation_[i])
                    branch_cancellation::release(std::exchange(cancellation_[i], nullptr),
                                                 env_[i] && env_[i]->state_replaced(), home,
                                                 parent_->get_frame_allocator());
        }
    }

    branch<T0> b0_;
    branch<T1> b1_;
    std::optional<branch_environment> env_[2];
    bool forwarding_ = false;
};

} // namespace boost::affine::detail

#endif
