// worker_pool.cpp -- bounded parallelism, two ways.
//
//   1. A fixed pool: 3 worker goroutines receive jobs from one buffered channel and
//      send results on another (Go's classic "worker pools" program).
//   2. A goroutine per job, at most 3 running at once: a gort::Semaphore of 3 tokens,
//      taken before the work and given back by a defer (x/sync/semaphore's pattern).
//
// Both print facts that do not depend on scheduling: the results are summed, the
// peak parallelism is compared with the bound.
#include <gort/gort.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>

using namespace std::chrono_literals;

namespace {

constexpr int kJobs = 12;
constexpr int kWorkers = 3;

// Counts the goroutines inside a region and remembers the peak.
struct Gauge {
  std::atomic<int> now{0}, peak{0};
  void enter() {
    int n = now.fetch_add(1) + 1;
    int p = peak.load();
    while (n > p && !peak.compare_exchange_weak(p, n)) {
    }
  }
  void leave() { now.fetch_sub(1); }
};

int work(int job, Gauge& gauge) {
  gauge.enter();
  gort::sleep(10ms);  // the "work": parks the goroutine, holds no thread
  gauge.leave();
  return job * job;
}

void fixed_pool() {
  auto jobs = gort::make_chan<int>(kJobs);
  auto results = gort::make_chan<int>(kJobs);
  Gauge gauge;
  gort::WaitGroup workers;
  for (int w = 0; w < kWorkers; ++w)
    workers.go([jobs, results, &gauge] {
      for (int job : jobs) results.send(work(job, gauge));  // until jobs is closed and drained
    });
  for (int j = 1; j <= kJobs; ++j) jobs.send(j);
  jobs.close();                                   // no more jobs: the workers' loops end
  gort::go([&workers, results] {                  // close results once every worker is done
    workers.wait();
    results.close();
  });
  int sum = 0, count = 0;
  for (int r : results) sum += r, ++count;
  std::printf("fixed pool: %d jobs done by %d workers, sum of squares %d, at most %d at once: %s\n", count,
              kWorkers, sum, kWorkers, gauge.peak.load() <= kWorkers ? "yes" : "NO");
}

void semaphore_pool() {
  gort::Semaphore slots(kWorkers);
  Gauge gauge;
  std::atomic<int> sum{0};
  gort::WaitGroup wg;
  for (int j = 1; j <= kJobs; ++j) {
    slots.acquire();  // blocks while 3 jobs run: the loop itself is throttled
    wg.go([&](int job) {
      gort::defer give_back{[&] { slots.release(); }};
      sum += work(job, gauge);
    }, j);
  }
  wg.wait();
  std::printf("semaphore:  %d goroutines, sum of squares %d, at most %d at once: %s\n", kJobs, sum.load(),
              kWorkers, gauge.peak.load() <= kWorkers ? "yes" : "NO");
}

}  // namespace

int main() {
  return gort::run([] {
    fixed_pool();
    semaphore_pool();
  });
}
