//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_DETAIL_CHAIN_REGISTRY_HPP
#define BOOST_AFFINE_DETAIL_CHAIN_REGISTRY_HPP

// The registry of live chains, for live_chains() and dump_chains() (live_chains.hpp) and the
// gdb command (tools/gdb/affine_chains.py), which walks the same structures in a process or a
// core file with no help from the program: keep the two in step.
//
// One list for the program, under one mutex: each chain's root links its record at co_spawn
// and unlinks it when it goes (two locks per chain, none per co_await). A dump walks a chain
// only while no slice of it runs on any thread, and keeps new slices from starting meanwhile:
// each thread publishes the chain whose slice it runs (thread_state::running_chain, stored
// before the chain's dumping_ flag is read), and the dumper sets the flag before it reads every
// thread's published chain; with both sequentially consistent, either the dumper sees the
// slice (the chain is running: its stack is left alone) or the slice sees the flag and waits
// until the walk is over. Threads are listed at their first slice and leave the list when they
// exit.
//
// BOOST_AFFINE_NO_CHAIN_REGISTRY, defined before any of the library's headers, compiles all of
// it out (live_chains.hpp is then an error): no record, no lock at co_spawn, nothing published
// per slice.

#include <boost/affine/detail/await_site.hpp>
#include <boost/affine/detail/thread_state.hpp>

#include <boost/config.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>

namespace boost::asio {
class execution_context;
} // namespace boost::asio

namespace boost::affine::detail {

// What the registry knows of a live chain: part of its root's environment_home, linked from
// co_spawn until the root goes.
struct chain_record {
    chain_record* prev_chain_ = nullptr; // the registry's list, under its mutex
    chain_record* next_chain_ = nullptr;
    asio::execution_context* context_ = nullptr; // the home executor's
    environment* root_ = nullptr;                // the root's environment
    site_ptr spawn_site_ = nullptr;              // where co_spawn was called
    std::chrono::steady_clock::rep started_ = 0; // steady_clock's count at co_spawn
    std::uint64_t id_ = 0;                       // 1 for the program's first chain, and so on
    std::atomic<bool> dumping_{false};           // a dump walks the chain: its slices wait
};

struct chain_registry {
    std::mutex mutex_;
    chain_record* chains_ = nullptr; // newest first
    thread_state* threads_ = nullptr;
    std::uint64_t spawned_ = 0;
};

// The program's registry (the gdb command finds it by this name).
inline constinit chain_registry chain_registry_instance;

#if defined(BOOST_AFFINE_NO_CHAIN_REGISTRY)
inline constexpr bool chain_registry_enabled = false;
#else
inline constexpr bool chain_registry_enabled = true;
#endif

inline void register_chain(chain_record& r, asio::execution_context& ctx, environment* root,
                           site_ptr site) noexcept {
    r.spawn_site_ = site;
    if constexpr (!chain_registry_enabled)
        return;
    r.context_ = &ctx;
    r.root_ = root;
    r.started_ = std::chrono::steady_clock::now().time_since_epoch().count();
    chain_registry& reg = chain_registry_instance;
    std::lock_guard<std::mutex> g(reg.mutex_);
    r.id_ = ++reg.spawned_;
    r.next_chain_ = reg.chains_;
    if (reg.chains_)
        reg.chains_->prev_chain_ = &r;
    reg.chains_ = &r;
}

inline void unregister_chain(chain_record& r) noexcept {
    if constexpr (!chain_registry_enabled)
        return;
    chain_registry& reg = chain_registry_instance;
    std::lock_guard<std::mutex> g(reg.mutex_);
    if (r.prev_chain_)
        r.prev_chain_->next_chain_ = r.next_chain_;
    else
        reg.chains_ = r.next_chain_;
    if (r.next_chain_)
        r.next_chain_->prev_chain_ = r.prev_chain_;
    r.prev_chain_ = r.next_chain_ = nullptr;
}

// Takes the thread's state out of the registry's list when the thread exits.
struct thread_registration {
    thread_registration() noexcept = default;
    thread_registration(thread_registration const&) = delete;
    thread_registration& operator=(thread_registration const&) = delete;
    BOOST_NOINLINE ~thread_registration() {
        thread_state& s = tls_thread_state;
        chain_registry& reg = chain_registry_instance;
        std::lock_guard<std::mutex> g(reg.mutex_);
        if (s.prev_thread)
            s.prev_thread->next_thread = s.next_thread;
        else
            reg.threads_ = s.next_thread;
        if (s.next_thread)
            s.next_thread->prev_thread = s.prev_thread;
        s.prev_thread = s.next_thread = nullptr;
        s.registered = false;
    }
};

// The thread's first slice: it joins the registry's list of threads.
BOOST_NOINLINE inline void register_thread(thread_state& s) noexcept {
    static thread_local thread_registration leave_at_exit;
    (void)leave_at_exit;
    chain_registry& reg = chain_registry_instance;
    std::lock_guard<std::mutex> g(reg.mutex_);
    s.next_thread = reg.threads_;
    if (reg.threads_)
        reg.threads_->prev_thread = &s;
    reg.threads_ = &s;
    s.registered = true;
}

// A dump walks the chain: its slice waits (a walk takes microseconds).
BOOST_NOINLINE inline void wait_for_dump(chain_record const& c) noexcept {
    while (c.dumping_.load(std::memory_order_acquire))
        std::this_thread::yield();
}

// A slice of the chain `c` starts on the thread of `s`: published before any of its code runs,
// and after any dump walking it. Returns what the thread published before (restored by
// end_published_slice: slices nest).
BOOST_FORCEINLINE chain_record const* publish_slice(thread_state& s,
                                                    chain_record const& c) noexcept {
    if constexpr (!chain_registry_enabled)
        return nullptr;
    chain_record const* prev = s.running_chain.load(std::memory_order_relaxed);
    if (!s.registered) [[unlikely]]
        register_thread(s);
    s.running_chain.store(&c, std::memory_order_seq_cst);
    if (c.dumping_.load(std::memory_order_seq_cst)) [[unlikely]]
        wait_for_dump(c);
    return prev;
}

BOOST_FORCEINLINE void end_published_slice(thread_state& s, chain_record const* prev) noexcept {
    if constexpr (!chain_registry_enabled)
        return;
    s.running_chain.store(prev, std::memory_order_release);
}

// For a scope in which a chain's frames are destroyed outside its resumptions (environment::
// abandon): a slice, for the registry.
class published_slice {
public:
    explicit published_slice(chain_record const& c) noexcept
        : s_(this_thread_state())
        , prev_(publish_slice(s_, c)) {}
    ~published_slice() { end_published_slice(s_, prev_); }
    published_slice(published_slice const&) = delete;
    published_slice& operator=(published_slice const&) = delete;

private:
    thread_state& s_;
    chain_record const* prev_;
};

// Whether a slice of the chain `c` runs on some thread; under the registry's mutex, with
// `c.dumping_` set (see above).
inline bool slice_running(chain_record const& c) noexcept {
    for (thread_state* t = chain_registry_instance.threads_; t; t = t->next_thread)
        if (t->running_chain.load(std::memory_order_seq_cst) == &c)
            return true;
    return false;
}

} // namespace boost::affine::detail

#endif
