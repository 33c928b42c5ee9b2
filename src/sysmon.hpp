// sysmon.hpp -- the system monitor thread and the deadlock check (sysmon.cpp).
#pragma once

namespace gort::detail {

void sched_init_env();          // reads GORT_SCHEDTRACE at run()
void sysmon_start();
void sysmon_wake();             // teardown: sysmon exits
void sysmon_notify_syscall();   // entersyscall: a blocking call began; watch it
void checkdead_locked();        // an M went idle (sched.lock held)

}  // namespace gort::detail
