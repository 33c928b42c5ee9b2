// sysmon.hpp -- the system monitor thread and the deadlock check (sysmon.cpp).
#pragma once

#include "runtime2.hpp"

namespace gort::detail {

void sched_init_env(int hog_warn_ms);  // reads GORT_SCHEDTRACE, GORT_HOGWARN at run()
void sysmon_start();
void sysmon_wake();             // teardown: sysmon exits
void sysmon_notify_work();     // a blocking call began, or a first I/O wait: watch them
void checkdead_locked() GORT_REQUIRES(sched.lock);  // an M went idle

}  // namespace gort::detail
