// Measurements as JSON: how a `flopscope ceilings --resumed` process (the one
// that runs what a lost CUDA context left) hands its results to the first one.
// Host-only; a private format between two runs of one binary, still read as
// untrusted input: every field is checked and a problem names its place.
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ceilings/ceilings.h"
#include "json_reader.h"

namespace flopscope::ceilings {

namespace {
constexpr const char* kFormatKey = "flopscope_ceilings_measurements";
constexpr int kFormatVersion = 1;
}  // namespace

std::string measurements_to_json(const std::vector<Measurement>& ms) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const Measurement& m : ms) {
    nlohmann::ordered_json j;
    j["id"] = info(m.bench).id;
    j["ran"] = m.ran;
    j["skipped"] = m.skipped;
    j["after_lost_context"] = m.after_lost_context;
    j["failed"] = m.failed;
    j["shape"] = {{"blocks", m.shape.blocks}, {"threads", m.shape.threads}, {"trips", m.shape.trips},
                  {"bytes", m.shape.bytes}};
    j["work"] = m.work;
    j["times_s"] = m.times_s;
    j["sm_clock_mhz"] = m.sm_clock_mhz ? nlohmann::ordered_json(*m.sm_clock_mhz) : nlohmann::ordered_json();
    j["note"] = m.note;
    list.push_back(std::move(j));
  }
  nlohmann::ordered_json doc;
  doc[kFormatKey] = kFormatVersion;
  doc["measurements"] = std::move(list);
  return doc.dump(1) + "\n";
}

std::vector<Measurement> measurements_from_json(const std::string& text, const std::string& origin) {
  using detail::JsonCursor;
  const detail::Json j = detail::parse_json_text(text, origin);
  const JsonCursor root(j, "$", origin);
  root.require_object();
  if (!root.has(kFormatKey)) root.fail(std::string("not a ceilings measurements file (no '") + kFormatKey + "')");
  root.at(kFormatKey).integer_in(kFormatVersion, kFormatVersion, "format version " + std::to_string(kFormatVersion));
  std::vector<Measurement> out;
  for (const JsonCursor& c : root.at("measurements").items()) {
    Measurement m;
    const JsonCursor id = c.at("id");
    const std::optional<Bench> bench = find_bench(id.string());
    if (!bench) id.fail("no ceiling benchmark has the id '" + id.string() + "'");
    for (const Measurement& seen : out)
      if (seen.bench == *bench) id.fail("'" + id.string() + "' is given twice");
    m.bench = *bench;
    m.ran = c.at("ran").boolean();
    m.skipped = c.string("skipped");
    m.after_lost_context = c.at("after_lost_context").boolean();
    m.failed = c.string("failed");
    const JsonCursor shape = c.at("shape");
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    m.shape.blocks = shape.at("blocks").integer_in(0, kMax, "an integer >= 0");
    m.shape.threads = shape.at("threads").integer_in(0, kMax, "an integer >= 0");
    m.shape.trips = shape.at("trips").integer_in(0, kMax, "an integer >= 0");
    m.shape.bytes = shape.at("bytes").integer_in(0, kMax, "an integer >= 0");
    m.work = c.non_negative("work");
    for (const JsonCursor& t : c.at("times_s").items()) m.times_s.push_back(t.positive());
    if (const auto clock = c.maybe("sm_clock_mhz")) m.sm_clock_mhz = clock->positive();
    m.note = c.string("note");
    // What the table divides by: a run has its work and its times.
    if (m.ran && (m.times_s.empty() || !(m.work > 0))) c.fail("a benchmark that ran needs work > 0 and times");
    if (m.ran && !std::isfinite(m.best_rate())) c.fail("work over its shortest time is not a finite rate");
    if (int(m.ran) + int(!m.skipped.empty()) + int(!m.failed.empty()) != 1)
      c.fail("expected exactly one of: ran, skipped, failed");
    if (m.after_lost_context && m.skipped.empty()) c.fail("after_lost_context without a reason it was skipped");
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace flopscope::ceilings
