//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_DETAIL_THREAD_STATE_HPP
#define BOOST_AFFINE_DETAIL_THREAD_STATE_HPP

#include <boost/affine/detail/config.hpp>

#include <boost/config.hpp>

#include <atomic>
#include <utility>

namespace boost::affine {

class any_frame_allocator;
class chain_hooks;
class environment;

namespace detail {

struct chain_record;

/** What the library keeps per thread: the chain running on it, that chain's
    frame allocator, the operation whose initiation runs on it, and (where
    frames may be elided) the last frame it handed out.

    Read and written only through the functions of this header (the one
    exception, which reads and records a frame in one step where thread-locals
    must be reached out of line, is allocate_frame in frame_allocation.hpp).
*/
struct thread_state {
    // The environment of the chain running on this thread, and its frame
    // allocator: set while a chain's coroutine runs (re-established on every
    // resume, restored after); null outside a chain.
    environment* chain = nullptr;
    any_frame_allocator const* allocator = nullptr;
    // The last frame handed out on this thread, so that a promise can tell
    // whether its own frame came from operator new (P2477's elided()).
    void* last_frame = nullptr;
    // The operation whose initiation runs on this thread (use_affine.hpp), and
    // whether its completion handler ran inside that initiation.
    void* starting_operation = nullptr;
    bool completed_inside_initiation = false;
    // The hooks of the slice of a chain running on this thread (chain_hooks): called when it
    // ends (environment::resumption, end_slice).
    chain_hooks* hooks = nullptr;
    // An exception an operator of the library rethrows, already noted where it came from
    // (async_backtrace.hpp: exception_origins).
    void const* rethrowing_noted = nullptr;

    // For the chain registry (chain_registry.hpp): the chain a slice of which runs on this
    // thread (its root's environment_home), published for dump_chains to see; this thread's
    // entry in the registry's list of threads, made at its first slice.
    std::atomic<chain_record const*> running_chain{nullptr};
    thread_state* next_thread = nullptr;
    thread_state* prev_thread = nullptr;
    bool registered = false;
};

// The variable itself. It is named directly only by functions that are never
// inlined into a coroutine body.
inline constinit thread_local thread_state tls_thread_state;

// The only way to the thread state from code that may be part of a coroutine
// body, which may resume on another thread. Where the compiler may keep a
// thread-local's address across a suspension (clang 16 does: ThreadSanitizer
// saw two threads write one "thread-local"; detail/config.hpp), it is out of
// line, with a barrier so that two calls are never merged, and every access
// finds the state of the thread it runs on. With GCC it is inline.
#if BOOST_AFFINE_DETAIL_TLS_INLINE
BOOST_FORCEINLINE thread_state& this_thread_state() noexcept {
    return tls_thread_state;
}
#else
BOOST_NOINLINE inline thread_state& this_thread_state() noexcept {
    __asm__ __volatile__("" ::: "memory");
    return tls_thread_state;
}
#endif

// The chain running on this thread, if any.
inline environment* current_environment() noexcept {
    return this_thread_state().chain;
}

// The frame allocator of the chain running on this thread, if any.
inline any_frame_allocator const* current_frame_allocator_pointer() noexcept {
    return this_thread_state().allocator;
}

// Makes a chain (its environment and frame allocator) current on this thread
// for a scope: what every resumption of a chain does.
class chain_scope {
public:
    chain_scope(environment* e, any_frame_allocator const* a) noexcept {
        thread_state& state = this_thread_state();
        prev_env_ = std::exchange(state.chain, e);
        prev_alloc_ = std::exchange(state.allocator, a);
    }
    ~chain_scope() {
        thread_state& state = this_thread_state();
        state.chain = prev_env_;
        state.allocator = prev_alloc_;
    }
    chain_scope(chain_scope const&) = delete;
    chain_scope& operator=(chain_scope const&) = delete;

private:
    environment* prev_env_;
    any_frame_allocator const* prev_alloc_;
};

// Makes a chain current on this thread without restoring what was: for a
// symmetric transfer between two environments of one chain.
inline void make_chain_current(environment* e, any_frame_allocator const* a) noexcept {
    thread_state& state = this_thread_state();
    state.chain = e;
    state.allocator = a;
}

// Nothing current on this thread belongs to a chain any more: its root has
// finished, and what runs next on this thread (its completion handler) is
// not part of it.
inline void leave_chains() noexcept {
    make_chain_current(nullptr, nullptr);
}

// Marks this thread as running the initiation of the operation `op`, for a
// scope; nested initiations restore the outer one's mark. Holds the state of
// the thread it was made on (the operation may be resumed on another thread
// before the scope ends).
class initiation_mark {
public:
    explicit initiation_mark(void* op) noexcept
        : state_(this_thread_state())
        , op_(std::exchange(state_.starting_operation, op))
        , completed_(std::exchange(state_.completed_inside_initiation, false)) {}
    ~initiation_mark() {
        state_.starting_operation = op_;
        state_.completed_inside_initiation = completed_;
    }
    initiation_mark(initiation_mark const&) = delete;
    initiation_mark& operator=(initiation_mark const&) = delete;

    // True if the operation's handler ran inside the initiation, on this thread.
    bool completed_inside() const noexcept { return state_.completed_inside_initiation; }

private:
    thread_state& state_;
    void* op_;
    bool completed_;
};

// True if the initiation of `op` runs on this thread.
inline bool initiating(void const* op) noexcept {
    return this_thread_state().starting_operation == op;
}

// Called by the handler of `op`: if `op`'s initiation runs on this thread,
// records that the handler ran inside it and returns true.
inline bool complete_inside_initiation(void const* op) noexcept {
    thread_state& state = this_thread_state();
    if (state.starting_operation != op)
        return false;
    state.completed_inside_initiation = true;
    return true;
}

#if BOOST_AFFINE_DETAIL_MAY_ELIDE_FRAMES
// Records `frame` as the frame most recently handed out on this thread.
inline void record_frame(void* frame) noexcept {
    this_thread_state().last_frame = frame;
}

// True if `frame` is the frame most recently handed out on this thread;
// consumes the record. Only where frames may be elided: elsewhere no record is
// kept.
inline bool take_frame_allocated(void* frame) noexcept {
    thread_state& state = this_thread_state();
    bool allocated = state.last_frame == frame;
    state.last_frame = nullptr;
    return allocated;
}
#endif

} // namespace detail
} // namespace boost::affine

#endif
