// gort.hpp -- the whole public API (../shared/API.md).  One header per concept is
// also available under <gort/...>.
#pragma once

#include "blocking.hpp"
#include "chan.hpp"
#include "cond.hpp"
#include "context.hpp"
#include "coroutine.hpp"
#include "generator.hpp"
#include "go.hpp"
#include "group.hpp"
#include "mutex.hpp"
#include "net.hpp"
#include "once.hpp"
#include "panic.hpp"
#include "runtime.hpp"
#include "rwmutex.hpp"
#include "select.hpp"
#include "semaphore.hpp"
#include "stats.hpp"
#include "time.hpp"
#include "waitgroup.hpp"
