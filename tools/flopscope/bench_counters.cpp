#include "bench_counters.h"

#include <cstdio>

#include "flopscope/error.h"
#include "flopscope/report.h"

namespace flopscope::cli {

std::vector<std::string> tensor_types(const kernels::KernelSpec& spec) {
  if (spec.precision.pipe != Pipe::tensor) return {};
  return {std::string(to_string(spec.precision.dtype))};
}

BenchCounters::BenchCounters(BenchCounterOptions opt) : opt_(std::move(opt)) {}

std::optional<HwCounters> BenchCounters::count(const kernels::KernelSpec& spec, const Shape& shape,
                                               const std::function<void()>& ready,
                                               const std::function<void()>& run_once) {
  if (!session_ && closed_by_failure_) return std::nullopt;
  if (!session_) {
    // Raw images only for a counter file: a long suite does not keep them
    // otherwise. The range profiler stays enabled between runs: disabled and
    // enabled again, it crashed the process at the second run on an H200
    // (CUPTI 13.0, bench/results/h200/2026-11-30), so the next kernel's timed
    // repetitions run with it enabled, not started.
    session_ = std::make_unique<Session>(SessionOptions{
        .set = opt_.set,
        .tensor = opt_.tensor,
        // A run is a few launches; an image is sized for this many (more
        // launches fill it, and the session goes on in a new one; with user
        // replay they are an error).
        .ranges_per_batch = opt_.ranges_per_image,
        .keep_raw = opt_.keep_file,
        .user_replay = opt_.user_replay});
    const std::vector<std::string> notes = session_->notes();
    for (const auto& n : notes) std::fprintf(stderr, "note: %s\n", n.c_str());
    session_notes_shown_ = notes.size();
  }
  if (!session_->counters_enabled()) return std::nullopt;
  // The run's identity and the NVTX range the harness opened for it go
  // with each range of the counter file.
  const CounterRun run{spec.id(), spec.precision.key(), shape};
  const std::string nvtx = bench_nvtx_range(spec.id(), shape_string(shape));
  ready();
  if (opt_.user_replay) {
    std::vector<KernelCounters> launches;
    try {
      launches = session_->replay(ready, run_once, run, nvtx);
    } catch (...) {
      close_after_failure();  // a pass that failed leaves it mid-batch
      throw;
    }
    if (launches.empty()) return std::nullopt;
    return combine_launches(launches);
  }
  session_->start(run, nvtx);
  // A run that fails here must not leave the session noting (and replaying)
  // the next kernel's timed runs: close it, then let bench report the failure.
  try {
    run_once();
  } catch (...) {
    try {
      session_->stop();
    } catch (...) {
      close_after_failure();  // unusable
    }
    throw;
  }
  std::vector<KernelCounters> launches;
  try {
    launches = session_->stop();
  } catch (...) {
    close_after_failure();
    throw;
  }
  if (launches.empty()) return std::nullopt;
  return combine_launches(launches);
}

void BenchCounters::keep(const CounterFile& f, const char* what) {
  try {
    kept_ = kept_ ? merge_counter_files({*kept_, f}, {"the runs before", what}) : f;
  } catch (const Error& e) {
    std::fprintf(stderr, "flopscope: error: counters of %s are not in the counter file: %s\n", what, e.what());
  }
}

void BenchCounters::drop_session() {
  if (opt_.keep_file && session_ && session_->counters_enabled()) keep(session_->raw(), "a session");
  session_.reset();
}

// No new session follows in this process: the range profiler disabled and
// enabled again on one context crashed the process at the next run on an H200
// (CUPTI 13.0, bench/results/h200/2026-11-30), which would take every later
// run's timing with it. The runs go on without counters.
void BenchCounters::close_after_failure() {
  drop_session();
  closed_by_failure_ = true;
  std::fprintf(stderr,
               "note: counters off for the remaining runs of this process: the range profiler's session was closed "
               "after that failure, and enabling it again on the same context crashed the process on an H200 "
               "(CUPTI 13.0)\n");
}

void BenchCounters::add(const CounterFile& f, const char* what) { keep(f, what); }

std::optional<CounterFile> BenchCounters::file() {
  if (!opt_.keep_file) return std::nullopt;
  std::vector<std::string> notes;  // those that arose during the runs (ranges not saved, graph launches)
  if (session_) notes = session_->notes();
  drop_session();
  if (kept_)
    for (size_t i = session_notes_shown_; i < notes.size(); ++i) std::fprintf(stderr, "note: %s\n", notes[i].c_str());
  return kept_;
}

}  // namespace flopscope::cli
