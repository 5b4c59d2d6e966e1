//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_CHAIN_LOCAL_HPP
#define BOOST_AFFINE_CHAIN_LOCAL_HPP

#include <boost/affine/environment.hpp>
#include <boost/affine/detail/misuse.hpp>

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace boost::affine {

/** A value that belongs to a chain as a `thread_local` belongs to a thread.

    A task sets it with `emplace`; any task of the same chain reads it with `get()`, after any
    `co_await`, whatever thread the chain resumes on. The operands of `&&` and `||` are part of
    their chain: they see its values, and a value they set is the chain's. A chain started
    with `co_spawn`, even from a task, starts with none: to pass one on, read it in the task
    that spawns and set it in the spawned chain's first task (see the Diagnostics chapter).

    The storage of a chain's value is allocated once, from the chain's frame allocator, the
    first time the chain sets it; it is reused by later `emplace`s, and freed, with the value
    destroyed, when the chain's root is (after its last task, before the completion handler
    runs). `get()` allocates nothing: it looks the value up among the chain's values (a short
    list, one node per `chain_local` the chain has set).

    Declare a `chain_local` with static storage duration (at namespace scope, or `static`): a
    chain's value is found by the `chain_local`'s address, so the object must outlive every
    chain that sets it.

    @par Thread safety
    `get`, `emplace` and `reset` act on the chain running on the calling thread. The operands of
    an operator may run in parallel on a multi-threaded home executor: they may set values
    concurrently (each `chain_local` gets one node for the chain), but the value itself is one
    object for the whole chain, shared as any object is.
*/
template <class T>
class chain_local {
    static_assert(!std::is_reference_v<T> && !std::is_array_v<T> && std::is_destructible_v<T>,
                  "boost::affine::chain_local<T>: T is an object type (not a reference or an "
                  "array) with a destructor");
    static_assert(alignof(T) <= detail::chain_value_alignment,
                  "boost::affine::chain_local<T>: T is over-aligned (more than 16 bytes); frame "
                  "allocators hand out 16-byte aligned blocks");

public:
    constexpr chain_local() noexcept = default;
    chain_local(chain_local const&) = delete;
    chain_local& operator=(chain_local const&) = delete;

    /// The value of the chain running on the calling thread; null if it has none, or if no
    /// chain runs on this thread.
    T* get() const noexcept {
        detail::chain_value* v = find();
        return v && v->engaged_ ? static_cast<T*>(v->storage()) : nullptr;
    }

    /** Sets the value of the chain running on the calling thread to `T(args...)`, destroying
        the one it had. The first time the chain sets it, its storage is allocated from the
        chain's frame allocator.

        @throws std::logic_error if no chain runs on this thread (an assertion with a message
        where assertions are enabled); whatever the allocation or `T`'s constructor throws
        (the chain then has no value).
    */
    template <class... Args>
    T& emplace(Args&&... args) {
        environment* e = environment::current();
        if (!e)
            detail::report_misuse("boost::affine::chain_local: emplace outside a chain; call it "
                                  "in a task (or in code a task runs)");
        detail::environment_home& home = detail::environment_home::of(*e);
        detail::chain_value* v = home.find_value(this);
        if (!v)
            v = home.add_value(this, &type_tag, sizeof(T), &destroy, e->get_frame_allocator());
        BOOST_ASSERT_MSG(v->type_ == &type_tag, "boost::affine::chain_local: a chain_local of "
                                                "another type lived at this address; a "
                                                "chain_local must outlive the chains that set it");
        if (v->engaged_) {
            v->engaged_ = false;
            static_cast<T*>(v->storage())->~T();
        }
        T* p = ::new (v->storage()) T(std::forward<Args>(args)...);
        v->engaged_ = true;
        return *p;
    }

    /// Destroys the value of the chain running on the calling thread, if it has one (its
    /// storage stays with the chain, for a later `emplace`).
    void reset() noexcept {
        if (detail::chain_value* v = find(); v && v->engaged_) {
            v->engaged_ = false;
            static_cast<T*>(v->storage())->~T();
        }
    }

private:
    detail::chain_value* find() const noexcept {
        environment* e = environment::current();
        if (!e)
            return nullptr;
        detail::chain_value* v = detail::environment_home::of(*e).find_value(this);
        return v && v->type_ == &type_tag ? v : nullptr;
    }

    static void destroy(detail::chain_value* v) noexcept {
        if (v->engaged_) {
            v->engaged_ = false;
            static_cast<T*>(v->storage())->~T();
        }
    }

    // Names T: its address is unique to chain_local<T> (not a constant, which a compiler may
    // merge with another of the same value).
    static inline char type_tag = 0;
};

/** Sets the hooks of the chain running on the calling thread (`chain_hooks`, environment.hpp),
    replacing any; null removes them. The hooks belong to the whole chain, the operands of its
    operators included; a chain started with `co_spawn` has none until it sets some.

    The current slice counts: setting hooks calls the new ones' `on_resume` now (and the old
    ones' `on_suspend` first), so that every `on_resume` has its `on_suspend`.

    @throws std::logic_error if no chain runs on this thread (an assertion with a message where
    assertions are enabled).
*/
inline void set_chain_hooks(chain_hooks* hooks) {
    environment* e = environment::current();
    if (!e)
        detail::report_misuse("boost::affine::set_chain_hooks: outside a chain; call it in a task "
                              "(or in code a task runs)");
    detail::environment_home::of(*e).set_hooks(hooks);
    detail::thread_state& state = detail::this_thread_state();
    if (state.hooks != hooks) {
        if (chain_hooks* old = std::exchange(state.hooks, hooks))
            old->on_suspend();
        if (hooks)
            hooks->on_resume();
    }
}

/// The hooks of the chain running on the calling thread; null if it has none, or if no chain
/// runs on this thread.
inline chain_hooks* current_chain_hooks() noexcept {
    environment* e = environment::current();
    return e ? detail::environment_home::of(*e).hooks() : nullptr;
}

} // namespace boost::affine

#endif
