#include "bench_counters.h"

#include <cstdio>

#include "flopscope/error.h"
#include "flopscope/report.h"

namespace flopscope::cli {

std::vector<std::string> tensor_types(const kernels::KernelSpec& spec) {
  if (spec.precision.pipe != Pipe::tensor) return {};
  return {std::string(to_string(spec.precision.dtype))};
}

BenchCounters::BenchCounters(MetricSet set, bool keep_file, std::vector<std::string> tensor,
                             size_t ranges_per_image)
    : set_(set), keep_file_(keep_file), tensor_(std::move(tensor)), ranges_per_image_(ranges_per_image) {}

std::optional<HwCounters> BenchCounters::count(const kernels::KernelSpec& spec, const Shape& shape,
                                               const std::function<void()>& run_once) {
  if (!session_) {
    // Raw images only for a counter file: a long suite does not keep them
    // otherwise. The range profiler stays enabled between runs: disabled and
    // enabled again, it crashed the process at the second run on an H200
    // (CUPTI 13.0, bench/results/h200/2026-11-30), so the next kernel's timed
    // repetitions run with it enabled, not started.
    session_ = std::make_unique<Session>(SessionOptions{
        .set = set_,
        .tensor = tensor_,
        // A run is a few launches; an image is sized for this many (more
        // launches fill it, and the session goes on in a new one).
        .ranges_per_batch = ranges_per_image_,
        .keep_raw = keep_file_});
    const std::vector<std::string> notes = session_->notes();
    for (const auto& n : notes) std::fprintf(stderr, "note: %s\n", n.c_str());
    session_notes_shown_ = notes.size();
  }
  if (!session_->counters_enabled()) return std::nullopt;
  // The run's identity and the NVTX range the harness opened for it go
  // with each range of the counter file.
  session_->start({spec.id(), spec.precision.key(), shape}, spec.id() + " " + shape_string(shape));
  // A run that fails here must not leave the session noting (and replaying)
  // the next kernel's timed runs: close it, then let bench report the failure.
  try {
    run_once();
  } catch (...) {
    try {
      session_->stop();
    } catch (...) {
      drop_session();  // unusable: the next kernel builds a fresh one
    }
    throw;
  }
  std::vector<KernelCounters> launches;
  try {
    launches = session_->stop();
  } catch (...) {
    drop_session();
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
  if (keep_file_ && session_ && session_->counters_enabled()) keep(session_->raw(), "a session");
  session_.reset();
}

void BenchCounters::add(const CounterFile& f, const char* what) { keep(f, what); }

std::optional<CounterFile> BenchCounters::file() {
  if (!keep_file_) return std::nullopt;
  std::vector<std::string> notes;  // those that arose during the runs (ranges not saved, graph launches)
  if (session_) notes = session_->notes();
  drop_session();
  if (kept_)
    for (size_t i = session_notes_shown_; i < notes.size(); ++i) std::fprintf(stderr, "note: %s\n", notes[i].c_str());
  return kept_;
}

}  // namespace flopscope::cli
