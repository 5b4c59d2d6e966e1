//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_LIVE_CHAINS_HPP
#define BOOST_AFFINE_LIVE_CHAINS_HPP

#include <boost/affine/async_backtrace.hpp>
#include <boost/affine/environment.hpp>
#include <boost/affine/detail/chain_registry.hpp>

#include <boost/asio/execution_context.hpp>

#if defined(BOOST_AFFINE_NO_CHAIN_REGISTRY)
#error                                                                                             \
    "boost/affine/live_chains.hpp: the registry of live chains is compiled out (BOOST_AFFINE_NO_CHAIN_REGISTRY is defined)"
#endif

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <ostream>
#include <source_location>
#include <string_view>
#include <vector>

namespace boost::affine {

/// What a live chain is doing when `live_chains` looks at it.
enum class chain_state {
    suspended, ///< no slice of it runs: its stacks are where it waits
    running,   ///< a slice of it runs on another thread: its stacks are not taken
    calling    ///< it is the chain that called `live_chains`: its stack is the caller's
};

/** A live chain, as `live_chains` saw it: which one, where it was spawned, how long ago, what
    it is doing and, unless it runs on another thread, where it is.
*/
struct chain_info {
    /// The chain's number: 1 for the program's first `co_spawn`, and so on.
    std::uint64_t id = 0;
    /// Where its `co_spawn` was called.
    std::source_location spawned_at;
    /// How long ago.
    std::chrono::steady_clock::duration age{};
    chain_state state = chain_state::suspended;
    /** Where it is: one async backtrace per place it waits (more than one while it awaits
        `&&` or `||` with several operands pending), innermost first, each up to the
        `co_spawn`. Empty while it runs on another thread.
    */
    std::vector<async_stack> stacks;

    /// The function of its outermost task, if known (`session(tcp::socket)`); empty otherwise.
    std::string_view function() const noexcept {
        for (async_stack const& s : stacks)
            for (std::size_t i = s.size(); i-- > 0;)
                if (s[i].kind() == async_frame_kind::task && !s[i].function().empty())
                    return s[i].function();
        return {};
    }
};

namespace detail {

// The stacks of a chain no slice of which runs: from each environment that waits and encloses no
// other (its root, unless branches of its operators exist; each branch with a task, unless it
// encloses a branch), under the registry's mutex and with the chain's dumping_ flag set.
inline void suspended_stacks(environment_home const& home, std::vector<async_stack>& out) {
    environment* root = home.root_;
    bool root_waits = true;
    home.for_each_branch([&](branch_record const& b) {
        if (b.outer_.parent == root)
            root_waits = false;
    });
    if (root_waits) {
        out.push_back(backtrace_from(root, nullptr));
        return;
    }
    // (The list cannot change meanwhile: branches come and go in slices of the chain.)
    std::vector<branch_record const*> branches;
    home.for_each_branch([&](branch_record const& b) { branches.push_back(&b); });
    std::reverse(branches.begin(), branches.end()); // the oldest (outermost) first
    for (branch_record const* b : branches) {
        if (!environment_home::innermost(*b->env_))
            continue; // finished: its operator waits for the other operand
        bool encloses = false;
        for (branch_record const* o : branches)
            if (o->outer_.parent == b->env_)
                encloses = true;
        if (!encloses)
            out.push_back(backtrace_from(b->env_, nullptr));
    }
}

inline std::vector<chain_info> collect_chains(asio::execution_context const* ctx, site_ptr here) {
    std::vector<chain_info> out;
    environment* const current = environment::current();
    auto const now = std::chrono::steady_clock::now().time_since_epoch().count();
    chain_registry& reg = chain_registry_instance;
    std::lock_guard<std::mutex> g(reg.mutex_);
    for (chain_record* r = reg.chains_; r; r = r->next_chain_) {
        if (ctx && r->context_ != ctx)
            continue;
        auto& home = static_cast<environment_home&>(*r);
        chain_info info;
        info.id = r->id_;
        info.spawned_at = location_of(r->spawn_site_);
        info.age = std::chrono::steady_clock::duration(now - r->started_);
        if (current && &environment_home::of(*current) == &home) {
            info.state = chain_state::calling;
            info.stacks.push_back(backtrace_from(current, here));
        } else {
            r->dumping_.store(true, std::memory_order_seq_cst);
            if (slice_running(*r)) {
                info.state = chain_state::running;
            } else {
                try {
                    suspended_stacks(home, info.stacks);
                } catch (...) {
                    r->dumping_.store(false, std::memory_order_release);
                    throw;
                }
            }
            r->dumping_.store(false, std::memory_order_release);
        }
        out.push_back(std::move(info));
    }
    std::reverse(out.begin(), out.end()); // oldest first
    return out;
}

} // namespace detail

/** The live chains of an execution context: every chain spawned with a home executor of `ctx`
    whose root has not gone, oldest first, each with where it was spawned, its age, and where it
    waits (`chain_info`).

    Safe to call from any thread, at any time the context exists: from a handler or a task
    running on it, from another thread while it runs (on any number of threads), and while it is
    stopped. A chain a slice of which runs on another thread at that moment is reported
    `running`, without its stacks (they change as it runs); the others' stacks are taken while
    none of their slices runs: a chain resumed meanwhile waits the few microseconds the walk
    takes. The calling chain, if any, is reported `calling`, with the caller's async backtrace.

    The registry costs each chain two locks of one mutex (at `co_spawn` and when its root goes)
    and its record in the root; each slice (a resumption from outside the chain) publishes the
    chain on its thread.

    @throws std::bad_alloc
*/
inline std::vector<chain_info> live_chains(asio::execution_context const& ctx,
                                           detail::site_ptr here = BOOST_AFFINE_DETAIL_HERE) {
    return detail::collect_chains(&ctx, here);
}

/// The live chains of every execution context.
inline std::vector<chain_info> live_chains(detail::site_ptr here = BOOST_AFFINE_DETAIL_HERE) {
    return detail::collect_chains(nullptr, here);
}

/** Writes a chain: a line for the chain, then its stacks, a frame a line, indented.

    @code
    chain 7 session(tcp::socket): suspended, age 2.503 s
      #0 session(tcp::socket) at echo_server.cpp:58
      #1 co_spawn at echo_server.cpp:131 in listener(tcp::acceptor&)
    @endcode
*/
inline std::ostream& operator<<(std::ostream& os, chain_info const& c) {
    using ms = std::chrono::milliseconds;
    auto const age = std::chrono::duration_cast<ms>(c.age).count();
    os << "chain " << c.id;
    if (std::string_view const f = c.function(); !f.empty())
        os << ' ' << f;
    os << ": "
       << (c.state == chain_state::suspended ? "suspended"
           : c.state == chain_state::running ? "running on another thread"
                                             : "running (the calling chain)")
       << ", age " << age / 1000 << '.' << char('0' + age % 1000 / 100)
       << char('0' + age % 100 / 10) << char('0' + age % 10) << " s";
    if (c.stacks.empty() && c.spawned_at.line() != 0)
        os << ", spawned at " << c.spawned_at.file_name() << ':' << c.spawned_at.line();
    os << '\n';
    bool first = true;
    for (async_stack const& s : c.stacks) {
        if (!first)
            os << "  --\n";
        first = false;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (i + 1 == s.size() && s.omitted() != 0)
                os << "     ... " << s.omitted() << " frames omitted\n";
            os << "  #" << (i + 1 == s.size() ? i + s.omitted() : i) << ' ' << s[i] << '\n';
        }
    }
    return os;
}

/** Writes the live chains of `ctx` (`live_chains`), oldest first, and how many there are: what
    a server prints on a signal to see where each connection is waiting.
*/
inline void dump_chains(asio::execution_context const& ctx, std::ostream& os,
                        detail::site_ptr here = BOOST_AFFINE_DETAIL_HERE) {
    std::vector<chain_info> const chains = live_chains(ctx, here);
    for (chain_info const& c : chains)
        os << c;
    os << chains.size() << (chains.size() == 1 ? " live chain\n" : " live chains\n");
}

/// Writes the live chains of every execution context.
inline void dump_chains(std::ostream& os, detail::site_ptr here = BOOST_AFFINE_DETAIL_HERE) {
    std::vector<chain_info> const chains = live_chains(here);
    for (chain_info const& c : chains)
        os << c;
    os << chains.size() << (chains.size() == 1 ? " live chain\n" : " live chains\n");
}

} // namespace boost::affine

#endif
