// notify_list.hpp -- Go's notifyList (runtime/sema.go), the ticket queue under
// sync.Cond.  Design: notify_list.cpp.
#pragma once

#include <cstdint>

#include <gort/cond.hpp>

namespace gort::detail {

std::uint32_t notify_list_add(NotifyList* l);               // takes a ticket; before unlocking
void notify_list_wait(NotifyList* l, std::uint32_t ticket);  // sleeps until that ticket is notified
void notify_list_notify_one(NotifyList* l);
void notify_list_notify_all(NotifyList* l);

}  // namespace gort::detail
