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
#include <boost/affine/detail/handlers.hpp>
#include <boost/affine/detail/known_executors.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include <coroutine>
#include <memory>
#include <type_traits>
#include <utility>

namespace boost::affine::detail {

/** The concrete environment owned by a chain's root. */
template <class Executor>
class basic_environment final : public environment_home, public environment {
    using work_executor = std::decay_t<decltype(asio::prefer(
        std::declval<Executor const&>(), asio::execution::outstanding_work.tracked))>;

public:
    // `site`: where co_spawn was called. The chain is in the registry of live chains from here
    // until its root goes.
    basic_environment(Executor const& ex, any_frame_allocator alloc, asio::cancellation_slot parent,
                      site_ptr site)
        : environment(static_cast<environment_home&>(*this), alloc, parent)
        , ex_(ex)
        , work_(asio::prefer(ex, asio::execution::outstanding_work.tracked))
        , erased_(make_erased(ex))
        , handler_home_(make_handler_home(ex)) {
        register_chain(*this, asio::query(ex_, asio::execution::context),
                       static_cast<environment*>(this), site);
    }

    ~basic_environment() {
        unregister_chain(*this);
        release_values(get_frame_allocator());
        release_spares(get_frame_allocator());
    }

    basic_environment(basic_environment const&) = delete;
    basic_environment& operator=(basic_environment const&) = delete;

    Executor const& executor() const noexcept { return ex_; }

    using environment::set_root;

private:
    // Whether any_io_executor holds Executor inline (Asio keeps up to a
    // shared_ptr and a pointer in place; larger targets are shared on the
    // heap), so that get_executor() can make one without allocating.
    static constexpr bool erased_on_demand =
        std::is_base_of_v<asio::any_io_executor, Executor> ||
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

    // The copy handed to Asio is made on demand from ex_ when that is cheap and allocates
    // nothing (a concrete executor kept inline); otherwise it is made once and kept.
    static constexpr bool handler_home_on_demand = home_executor_copy::always_inline<Executor>();
    struct no_handler_home {}; // (a type of its own: two empty members of one type take space)
    using handler_home_type =
        std::conditional_t<handler_home_on_demand, no_handler_home, home_executor_copy>;

    static handler_home_type make_handler_home(Executor const& ex) {
        if constexpr (handler_home_on_demand)
            return {};
        else
            return home_executor_copy::make(ex);
    }

    home_executor_copy handler_home() const noexcept override {
        if constexpr (handler_home_on_demand)
            return home_executor_copy::make(ex_);
        else
            return handler_home_;
    }

    asio::any_io_executor home_executor() const override {
        if constexpr (erased_on_demand)
            return asio::any_io_executor(ex_);
        else
            return erased_;
    }

    bool home_is(asio::any_io_executor const& ex) const noexcept override {
        if constexpr (std::is_base_of_v<asio::any_io_executor, Executor>) {
            return ex == static_cast<asio::any_io_executor const&>(ex_);
        } else {
            auto const* p = ex.target<Executor>();
            return p && *p == ex_;
        }
    }

    asio::execution_context& home_context() const noexcept override {
        return asio::query(ex_, asio::execution::context);
    }

    void const* executor_if(void const* tag) const noexcept override {
        return tag == &executor_type_tag<Executor> ? &ex_ : nullptr;
    }

    bool home_running_in_this_thread() const noexcept override {
        return detail::running_in_this_thread(ex_);
    }

    site_ptr spawn_site() const noexcept override { return spawn_site_; } // chain_record's

    void home_post(environment& owner, std::coroutine_handle<> h) override {
        post_handler(resume_handler<environment>(&owner, h));
    }

    // Posts with the handler's allocator. any_io_executor cannot carry the
    // allocator property, so a known executor inside it is posted to directly.
    template <class Handler>
    void post_handler(Handler&& handler) {
        if constexpr (requires {
                          ex_.get_inner_executor();
                          ex_.get_frame_allocator();
                      }) {
            // An allocating_executor would impose its allocator, which has
            // no fallback: the handler's own allocator is the same one, with.
            asio::post(ex_.get_inner_executor(), std::move(handler));
            return;
        } else if constexpr (std::is_base_of_v<asio::any_io_executor, Executor>) {
            bool posted = for_known_targets(static_cast<asio::any_io_executor const&>(ex_),
                                            [&](auto const& e) {
                                                asio::post(e, std::move(handler));
                                                return true;
                                            });
            if (posted)
                return;
        }
        asio::post(ex_, std::move(handler));
    }

    Executor ex_;
    work_executor work_; // the chain keeps its home context running
    [[no_unique_address]] erased_type erased_;
    [[no_unique_address]] handler_home_type handler_home_;
};

} // namespace boost::affine::detail

#endif
