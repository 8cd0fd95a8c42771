// Raw counter files: a small sectioned binary container (docs/collector.md),
// and their evaluation with CUPTI's host API.
#include "flopscope/counter_file.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>
#include <utility>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "flopscope/error.h"
#include "flopscope/peaks.h"
#include "flopscope/precision.h"
#include "activity_names.h"
#include "activity_profile.h"
#include "cupti_callable.h"
#include "json_reader.h"  // profiler/core: the reader every flopscope file goes through
#include "flopscope/session.h"
#include "flopscope/stats.h"
#include "metric_plan_host.h"

namespace flopscope {
namespace {

// ---- bytes ------------------------------------------------------------------

constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8;  // magic, version, reserved, total length
constexpr size_t kSectionHeaderBytes = 4 + 8;   // tag, payload length
constexpr size_t kTrailerBytes = 4;             // CRC-32

uint32_t crc32(const char* data, size_t n) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) c = table[(c ^ uint8_t(data[i])) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(char((v >> (8 * i)) & 0xFF));
}

uint64_t get_le(const std::string& in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(uint8_t(in[at + i])) << (8 * i);
  return v;
}

void put_section(std::string& out, const char tag[5], const char* data, size_t n) {
  out.append(tag, 4);
  put_le(out, n, 8);
  out.append(data, n);
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// ---- metadata -----------------------------------------------------------------

nlohmann::json device_json(const DeviceInfo& d) {
  nlohmann::json j = {{"name", d.name},
          {"gpu_key", d.gpu_key},
          {"cc_major", d.cc_major},
          {"cc_minor", d.cc_minor},
          {"sm_count", d.sm_count},
          {"max_sm_clock_mhz", d.max_sm_clock_mhz},
          {"memory_bytes", d.memory_bytes},
          {"driver_version", d.driver_version},
          {"cuda_runtime_version", d.cuda_runtime_version}};
  if (!d.nvidia_driver.empty()) j["nvidia_driver"] = d.nvidia_driver;
  return j;
}

// An integer of the metadata as T. nlohmann's get<T> converts 1e300 to an int
// with undefined behaviour, and wraps -1 to a uint32_t: both are damage here.
template <class T>
T whole(const detail::JsonCursor& c) {
  const detail::Json& v = c.value();
  if (v.is_number_unsigned() && std::in_range<T>(v.get<uint64_t>())) return T(v.get<uint64_t>());
  if (v.is_number_integer() && !v.is_number_unsigned() && std::in_range<T>(v.get<int64_t>()))
    return T(v.get<int64_t>());
  c.fail("not a whole number in range");
}

template <class T>
T whole_or(const detail::JsonCursor& c, const char* key, T fallback) {
  const std::optional<detail::JsonCursor> v = c.maybe(key);
  return v ? whole<T>(*v) : fallback;
}

DeviceInfo device_from_json(const detail::JsonCursor& j) {
  DeviceInfo d;
  d.name = j.string("name");
  d.gpu_key = j.string_or("gpu_key", "");
  d.cc_major = whole_or(j, "cc_major", 0);
  d.cc_minor = whole_or(j, "cc_minor", 0);
  d.sm_count = whole_or(j, "sm_count", 0);
  d.max_sm_clock_mhz = j.maybe_non_negative("max_sm_clock_mhz").value_or(0.0);
  d.memory_bytes = j.maybe_non_negative("memory_bytes").value_or(0.0);
  d.driver_version = j.string_or("driver_version", "");
  d.cuda_runtime_version = j.string_or("cuda_runtime_version", "");
  d.nvidia_driver = j.string_or("nvidia_driver", "");
  return d;
}

std::string meta_text(const CounterFile& f) {
  nlohmann::json j;
  j["plan_version"] = f.plan_version;
  j["chip"] = f.chip;
  j["set"] = f.set;
  j["tensor"] = f.tensor;
  j["metrics"] = f.metrics;
  j["quantities"] = nlohmann::json::array();
  for (const auto& q : f.quantities) {
    nlohmann::json jq{{"key", q.key}, {"available", q.available}, {"terms", nlohmann::json::array()}};
    if (!q.note.empty()) jq["note"] = q.note;
    for (const auto& t : q.terms) jq["terms"].push_back({{"metric", t.metric}, {"factor", t.factor}});
    j["quantities"].push_back(jq);
  }
  if (f.device) j["device"] = device_json(*f.device);
  j["dropped_ranges"] = f.dropped_ranges;
  if (f.unsaved_ranges > 0) j["unsaved_ranges"] = f.unsaved_ranges;
  if (f.unreadable_ranges > 0) j["unreadable_ranges"] = f.unreadable_ranges;
  j["created"] = f.created;
  j["tool_version"] = f.tool_version;
  if (!f.tool_commit.empty()) j["tool_commit"] = f.tool_commit;
  j["ranges"] = nlohmann::json::array();
  for (const auto& r : f.ranges) {
    nlohmann::json jr{{"kernel", r.kernel},
                      {"nvtx", r.nvtx},
                      {"range_name", r.range_name},
                      {"image", r.image},
                      {"range_index", r.range_index},
                      {"launch", r.launch}};
    if (!r.run.id.empty()) {
      // The shape as [name, value] pairs: its order is the kernel's parameter order.
      nlohmann::json shape = nlohmann::json::array();
      for (const auto& [k, v] : r.run.shape) shape.push_back({k, v});
      jr["run"] = {{"id", r.run.id}, {"precision", r.run.precision}, {"shape", shape}};
    }
    j["ranges"].push_back(std::move(jr));
  }
  return j.dump();
}

// A quantity the fold turns into HwCounters (hw_counters_from_values), or a
// peak it leaves aside; a flops key must name a precision the results format
// knows, or the document it yields could not be written and read back.
bool known_quantity_key(const std::string& key) {
  static const std::set<std::string> plain{"duration_s", "sm_clock_hz", "dram_read_bytes", "dram_write_bytes",
                                           "l2_bytes", "l1_bytes"};
  if (key.rfind("flops.", 0) == 0) return parse_precision(key.substr(6)).has_value();
  return plain.count(key) || key.rfind("peak.", 0) == 0;
}

// Through the reader results files go through: a key given twice (which value
// was meant?), nesting past 64 levels, and a wrong type named by where it is
// ("$.ranges[0].kernel: expected a string"), not by nlohmann's exception text.
void read_meta(CounterFile& f, const std::string& text, const std::string& origin) {
  const std::string damaged = origin + ": damaged counter-file metadata";
  const detail::Json doc = detail::parse_json_text(text, damaged);
  const detail::JsonCursor j(doc, "$", damaged);
  f.plan_version = whole<int>(j.at("plan_version"));
  f.chip = j.string("chip");
  f.set = j.string("set");
  for (const detail::JsonCursor& t : j.at("tensor").items()) f.tensor.push_back(t.string());
  for (const detail::JsonCursor& m : j.at("metrics").items()) f.metrics.push_back(m.string());
  // Sets, not scans: a damaged file of 200,000 quantities took 90 s to refuse.
  const std::set<std::string> metrics(f.metrics.begin(), f.metrics.end());
  if (metrics.size() != f.metrics.size()) throw_bad_input(damaged + " (a metric is listed twice)");
  std::set<std::string> keys;
  for (const detail::JsonCursor& jq : j.at("quantities").items()) {
    Quantity q;
    q.key = jq.string("key");
    q.available = jq.at("available").boolean();
    q.note = jq.string_or("note", "");
    for (const detail::JsonCursor& jt : jq.at("terms").items())
      q.terms.push_back({jt.string("metric"), jt.number("factor")});
    if (!known_quantity_key(q.key)) throw_bad_input(damaged + " (unknown quantity '" + q.key + "')");
    // A repeated key would add its FLOPs (or bytes) into the totals twice.
    if (!keys.insert(q.key).second) throw_bad_input(damaged + " (quantity '" + q.key + "' given twice)");
    // Plans scale counts by 1e-9 (ns -> s) to 4 (packed FMA): a factor past
    // 1e6 (or negative) would only make values the results format refuses.
    for (const MetricTerm& t : q.terms)
      if (!(t.factor >= 0 && t.factor <= 1e6))
        throw_bad_input(damaged + " (quantity '" + q.key + "' scales " + t.metric + " by " +
                        std::to_string(t.factor) + ")");
    // Every metric an available quantity sums is one the file recorded:
    // another would leave that quantity, and the FLOP total, silently short.
    if (q.available)
      for (const MetricTerm& t : q.terms)
        if (!metrics.count(t.metric))
          throw_bad_input(damaged + " (quantity '" + q.key + "' sums " + t.metric +
                          ", which the file does not record)");
    f.quantities.push_back(std::move(q));
  }
  if (const auto d = j.maybe("device")) f.device = device_from_json(*d);
  f.dropped_ranges = whole_or(j, "dropped_ranges", uint64_t(0));
  f.unsaved_ranges = whole_or(j, "unsaved_ranges", uint64_t(0));
  f.unreadable_ranges = whole_or(j, "unreadable_ranges", uint64_t(0));
  f.created = j.string_or("created", "");
  f.tool_version = j.string_or("tool_version", "");
  f.tool_commit = j.string_or("tool_commit", "");
  for (const detail::JsonCursor& jr : j.at("ranges").items()) {
    CounterRange r;
    r.kernel = jr.string_or("kernel", "");
    r.nvtx = jr.string_or("nvtx", "");
    r.range_name = jr.string_or("range_name", "");
    r.image = whole<uint32_t>(jr.at("image"));
    r.range_index = whole<uint32_t>(jr.at("range_index"));
    r.launch = whole_or(jr, "launch", uint64_t(0));
    if (const auto run = jr.maybe("run")) {
      r.run.id = run->string("id");
      r.run.precision = run->string_or("precision", "");
      for (const detail::JsonCursor& kv : run->at("shape").items()) {
        const std::vector<detail::JsonCursor> pair = kv.items();
        if (pair.size() != 2) kv.fail("expected [name, value]");
        r.run.shape.emplace_back(pair[0].string(), whole<int64_t>(pair[1]));
      }
      if (r.run.id.empty()) throw_bad_input(damaged + " (a run without an id)");
    }
    f.ranges.push_back(std::move(r));
  }
}

// "range L refers to counter image I of N" for the first range that names an
// image the file lacks; "" when every one is there. Parser, writer and reader
// each say it in their own words around this.
std::string missing_image(const CounterFile& f) {
  for (const CounterRange& r : f.ranges)
    if (r.image >= f.counter_images.size())
      return "range " + std::to_string(r.launch) + " refers to counter image " + std::to_string(r.image) + " of " +
             std::to_string(f.counter_images.size());
  return "";
}

}  // namespace

uint64_t counter_image_bytes(const std::vector<uint8_t>& image) { return kSectionHeaderBytes + image.size(); }

uint64_t counter_range_bytes_bound(const CounterRange& r) {
  // JSON escapes a byte as at most 6 ("\u001f"); keys, punctuation and
  // 20-digit numbers take under 160 per range and 48 per run.
  auto text = [](const std::string& v) { return uint64_t(6) * v.size(); };
  uint64_t n = 160 + text(r.kernel) + text(r.nvtx) + text(r.range_name);
  if (!r.run.id.empty()) {
    n += 48 + text(r.run.id) + text(r.run.precision);
    for (const auto& [name, value] : r.run.shape) n += 32 + text(name);
  }
  return n;
}

std::string serialize_counter_file(const CounterFile& f, size_t max_bytes) {
  // Never a file the parser refuses: a range must name an image the file holds.
  if (const std::string missing = missing_image(f); !missing.empty())
    throw_bad_input("counter file not written: " + missing);
  const std::string meta = meta_text(f);
  uint64_t size = kHeaderBytes + 2 * kSectionHeaderBytes + meta.size() + f.config_image.size() + kTrailerBytes;
  for (const auto& img : f.counter_images) size += kSectionHeaderBytes + img.size();
  if (size > max_bytes)
    throw_bad_input("the counter file would be " + std::to_string(size) + " bytes (" +
                    std::to_string(f.ranges.size()) + " ranges), over the " + std::to_string(max_bytes) +
                    " that flopscope reads back; profile fewer launches (--launch-count, --kernel-regex)");
  std::string out;
  out.reserve(size);
  out.append(kCounterFileMagic, 8);
  put_le(out, kCounterFileVersion, 4);
  put_le(out, 0, 4);  // reserved
  put_le(out, 0, 8);  // total length, patched below
  put_section(out, "META", meta.data(), meta.size());
  put_section(out, "CONF", reinterpret_cast<const char*>(f.config_image.data()), f.config_image.size());
  for (const auto& img : f.counter_images)
    put_section(out, "CDAT", reinterpret_cast<const char*>(img.data()), img.size());
  const uint64_t total = out.size() + kTrailerBytes;
  for (int i = 0; i < 8; ++i) out[16 + i] = char((total >> (8 * i)) & 0xFF);
  put_le(out, crc32(out.data(), out.size()), 4);
  return out;
}

CounterFile parse_counter_file(const std::string& in, const std::string& origin) {
  if (in.size() < 8 || std::memcmp(in.data(), kCounterFileMagic, 8) != 0)
    throw_bad_input(origin + ": not a flopscope counter file (it does not start with '" +
                    std::string(kCounterFileMagic) + "')");
  if (in.size() < kHeaderBytes + kTrailerBytes)
    throw_bad_input(origin + ": truncated counter file: " + std::to_string(in.size()) +
                    " bytes, shorter than its header; copy the whole file again");
  // Whether the bytes present end in their own CRC: a whole file, damaged or
  // not in its header (a truncated one does not).
  const auto whole_and_sound = [&] {
    return uint32_t(get_le(in, in.size() - kTrailerBytes, 4)) == crc32(in.data(), in.size() - kTrailerBytes);
  };
  const uint64_t version = get_le(in, 8, 4);
  if (version != kCounterFileVersion) {
    // A flipped bit reads as a version that never existed (0, or far ahead):
    // say "corrupted". Near ahead with a CRC that does not match, it may be
    // either (a newer format could end otherwise): say both.
    const bool sound = whole_and_sound();
    if (version == 0 || (!sound && version > kCounterFileVersion + 16))
      throw_bad_input(origin + ": counter file is corrupted (its header reads format version " +
                      std::to_string(version) + (version == 0 ? ", which no flopscope writes" : ", and its CRC-32 does not match") +
                      "); copy it again from the machine that recorded it");
    throw_bad_input(origin + ": counter file format version " + std::to_string(version) + " (this flopscope reads version " +
                    std::to_string(kCounterFileVersion) + "); use the flopscope that wrote it, or a newer one" +
                    (sound ? "" : " (unless it is corrupted: its CRC-32 does not match as this version's would)"));
  }
  const uint64_t total = get_le(in, 16, 8);
  // No counter file is written larger than an input may be read.
  if (total > kMaxInputBytes)
    throw_bad_input(origin + ": counter file is corrupted (its header records " + std::to_string(total) +
                    " bytes, more than any counter file holds); copy it again from the machine that recorded it");
  if (in.size() < total)
    throw_bad_input(origin + ": truncated counter file: " + std::to_string(in.size()) + " of " +
                    std::to_string(total) + " bytes; copy the whole file again");
  if (in.size() > total)
    throw_bad_input(origin + ": counter file has " + std::to_string(in.size() - total) +
                    " bytes after its end; it was damaged or appended to");
  const uint32_t stored = uint32_t(get_le(in, in.size() - kTrailerBytes, 4));
  const uint32_t computed = crc32(in.data(), in.size() - kTrailerBytes);
  if (stored != computed)
    throw_bad_input(origin + ": counter file is corrupted (CRC-32 " + hex32(computed) +
                    ", stored " + hex32(stored) + "); copy it again from the machine that recorded it");

  CounterFile f;
  bool have_meta = false, have_conf = false;
  size_t at = kHeaderBytes;
  const size_t end = in.size() - kTrailerBytes;
  while (at < end) {
    if (end - at < kSectionHeaderBytes)
      throw_bad_input(origin + ": damaged counter file: section header cut short at byte " +
                      std::to_string(at));
    const std::string tag = in.substr(at, 4);
    const uint64_t len = get_le(in, at + 4, 8);
    at += kSectionHeaderBytes;
    if (len > end - at)
      throw_bad_input(origin + ": damaged counter file: section " + tag + " claims " +
                      std::to_string(len) + " bytes, " + std::to_string(end - at) + " remain");
    const char* p = in.data() + at;
    // One META and one CONF: a second META would append its quantities and
    // ranges to the first's (FLOPs counted twice), a second CONF replace it.
    if ((tag == "META" && have_meta) || (tag == "CONF" && have_conf))
      throw_bad_input(origin + ": damaged counter file: a second " + tag + " section");
    if (tag == "META") {
      read_meta(f, in.substr(at, len), origin);
      have_meta = true;
    } else if (tag == "CONF") {
      f.config_image.assign(p, p + len);
      have_conf = true;
    } else if (tag == "CDAT") {
      f.counter_images.emplace_back(p, p + len);
    }  // unknown tags: skipped, so later versions may add sections
    at += len;
  }
  if (!have_meta || !have_conf)
    throw_bad_input(origin + ": damaged counter file: no " + std::string(have_meta ? "CONF" : "META") +
                    " section");
  if (const std::string missing = missing_image(f); !missing.empty())
    throw_bad_input(origin + ": damaged counter file: " + missing);
  // Each recorded range once: a range listed twice would be summed twice.
  std::set<std::pair<uint32_t, uint32_t>> named;
  for (const auto& r : f.ranges) {
    if (!named.emplace(r.image, r.range_index).second)
      throw_bad_input(origin + ": damaged counter file: range " + std::to_string(r.range_index) + " of counter image " +
                      std::to_string(r.image) + " is listed twice (its counters would be summed twice)");
  }
  if (f.plan_version > kMetricPlanVersion)
    throw_bad_input(origin + ": written with metric plan version " + std::to_string(f.plan_version) +
                    " (this flopscope knows " + std::to_string(kMetricPlanVersion) +
                    "); use a newer flopscope");
  return f;
}

void write_counter_file(const std::string& path, const CounterFile& f) {
  write_file_atomic(path, serialize_counter_file(f));
}

CounterFile read_counter_file(const std::string& path) {
  return parse_counter_file(read_file(path), path);
}

bool is_counter_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char buf[8] = {};
  if (!in.read(buf, 8)) return false;
  return std::memcmp(buf, kCounterFileMagic, 8) == 0;
}

namespace {

// CUPTI reads a counter-data image without checking it: a malformed one
// crashes the process (seen with CUDA 13.0 on an arbitrary payload), or makes
// it spin for ever (8 bytes changed in a recorded H200 image, CRC fixed). A
// file's CRC catches damage in transit, not a payload that was never a CUPTI
// image, so each image is first read in a child process; a crash or a child
// that does not finish becomes a clear error here. Used for files only: images
// the session just decoded are CUPTI's own.
// Whether this process runs one thread (/proc/self/status); false where that cannot be read.
bool single_threaded() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("Threads:", 0) == 0) return std::strtol(line.c_str() + 8, nullptr, 10) == 1;
  return false;
}

void probe_counter_image(const CounterFile& f, uint32_t image_index) {
  const auto& image = f.counter_images[image_index];
  std::vector<uint32_t> wanted;
  for (const auto& r : f.ranges)
    if (r.image == image_index) wanted.push_back(r.range_index);
  const bool alone = single_threaded();  // before the fork: the child must not read /proc before its alarm
  const pid_t pid = ::fork();
  if (pid < 0) return;  // cannot probe; evaluate directly
  constexpr int kReadable = 0, kCuptiError = 77;  // anything else: the child crashed
  // Reading a recorded image takes milliseconds; a child that has not finished
  // in this time never will, unless it inherited a lock another thread of
  // this process held at the fork (see below).
  constexpr unsigned kProbeSeconds = 30;
  if (pid == 0) {
    ::alarm(kProbeSeconds);
    // The child's own crash report (a sanitizer's, say) would only be noise.
    if (const int null_fd = ::open("/dev/null", O_WRONLY); null_fd >= 0) ::dup2(null_fd, 2);
    int code = kReadable;
    try {
      cupti::HostObject host(f.chip, {});
      const size_t n = cupti::counter_data_ranges(image);
      for (uint32_t r : wanted)
        if (r < n) host.evaluate(image, r, f.metrics);
    } catch (...) {
      code = kCuptiError;  // CUPTI said no: the parent reports it properly
    }
    ::_exit(code);
  }
  int status = 0;
  bool timed_out = false;
  const timespec pause{0, 10 * 1000 * 1000};  // 10 ms
  for (unsigned waited_ms = 0;; waited_ms += 10) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return;
    if (waited_ms >= (kProbeSeconds + 5) * 1000) {  // the alarm did not end it
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      timed_out = true;
      break;
    }
    ::nanosleep(&pause, nullptr);
  }
  timed_out = timed_out || (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM);
  // Killed by someone else (the OOM killer): says nothing of the image; read
  // unprobed, as when fork fails.
  if (!timed_out && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) return;
  // A process with other threads (a GPU test reading back its session's file)
  // may have handed the child a lock one of them held: read here unprobed, as
  // when fork fails. Alone (the CLI), the image never finishes: evaluated here
  // it would hang this process, so it is refused.
  if (timed_out && !alone) return;
  if (timed_out)
    throw_bad_input("counter image " + std::to_string(image_index) + " is not a valid CUPTI counter-data image for chip " +
                    f.chip + " (CUPTI did not finish reading it in " + std::to_string(kProbeSeconds) +
                    " s); the file is damaged");
  const bool clean = WIFEXITED(status) &&
                     (WEXITSTATUS(status) == kReadable || WEXITSTATUS(status) == kCuptiError);
  if (!clean)
    throw_bad_input("counter image " + std::to_string(image_index) +
                    " is not a valid CUPTI counter-data image for chip " + f.chip +
                    " (CUPTI crashed reading it); the file was not written by a flopscope session");
}

}  // namespace

std::set<uint32_t> counter_images_read(const CounterFile& f) {
  // A CounterFile built in code, not parsed (the parser refuses this itself).
  if (const std::string missing = missing_image(f); !missing.empty()) throw_bad_input(missing);
  std::set<uint32_t> read;
  for (const auto& r : f.ranges) {
    if (f.counter_images[r.image].empty())
      throw_bad_input("counter image " + std::to_string(r.image) +
                      " is empty: the session recorded no counter data for range " +
                      std::to_string(r.launch));
    read.insert(r.image);
  }
  return read;
}

std::vector<EvaluatedRange> evaluate_counter_file(const CounterFile& f) {
  if (!is_supported_chip(f.chip))
    throw_bad_input("counter file recorded on chip '" + f.chip +
                    "', which this CUPTI does not know; evaluate it with a newer CUDA toolkit");
  std::vector<EvaluatedRange> out;
  if (f.ranges.empty()) return out;
  cupti::require_cupti_callable();  // a CUPTI that needs a driver, where none answers: exit 3
  // Probed first, while this process may still be alone (the host API may start threads).
  for (uint32_t i : counter_images_read(f)) probe_counter_image(f, i);
  std::optional<cupti::HostObject> host;
  try {
    host.emplace(f.chip, std::vector<uint8_t>{});
  } catch (const Error&) {
    // Listed, but refused by the host API (GV11B): no session records such a file.
    throw_bad_input("counter file recorded on chip '" + f.chip +
                    "', which CUPTI's host API refuses (cuptiProfilerHostInitialize): no flopscope session "
                    "records such a file; is it damaged?");
  }
  for (const auto& r : f.ranges) {
    const auto& image = f.counter_images.at(r.image);
    const size_t n = cupti::counter_data_ranges(image);
    if (r.range_index >= n)
      throw_bad_input("counter image " + std::to_string(r.image) + " holds " + std::to_string(n) +
                      " ranges; range " + std::to_string(r.range_index) + " is not among them");
    const std::vector<double> v = host->evaluate(image, r.range_index, f.metrics);
    std::map<std::string, double> values;
    for (size_t i = 0; i < f.metrics.size(); ++i) {
      // Damage the CRC did not catch: a live session saves no such range.
      if (!readable_counter_value(v[i]))
        throw_bad_input("counter image " + std::to_string(r.image) + ", range " + std::to_string(r.range_index) +
                        ": " + f.metrics[i] + " evaluates to " + std::to_string(v[i]) +
                        ", which no counter reads; the file is damaged");
      values[f.metrics[i]] = v[i];
    }
    out.push_back({r, hw_counters_from_values(f.quantities, values)});
  }
  return out;
}

namespace {

std::string dominant_precision(const HwCounters& hw) { return cupti::dominant_precision(hw).value_or("fp32"); }

bool same_run(const CounterRun& a, const CounterRun& b) {
  return a.id == b.id && a.precision == b.precision && a.shape == b.shape;
}

/// Launches folded into one results run.
struct Fold {
  std::string kernel, nvtx;  // application folds: the key
  CounterRun run;            // benchmark folds: run.id is set
  std::vector<std::string> kernels;
  std::vector<HwCounters> hws;
};

RunRecord application_run(const Fold& fold) {
  RunRecord run;
  run.family = "app";
  run.name = demangle(fold.kernel);
  run.variant = kernel_short_name(run.name);
  run.hw = cupti::mean_counters(fold.hws);  // per launch
  run.precision = dominant_precision(*run.hw);
  run.dtype = run.precision.substr(0, run.precision.find('_'));
  run.id = run.family + "." + run.variant + "." + run.dtype;
  run.nvtx = fold.nvtx;
  run.launches = int64_t(fold.hws.size());
  std::vector<double> durations;
  for (const HwCounters& h : fold.hws)
    if (h.duration_s) durations.push_back(*h.duration_s);
  if (!durations.empty()) run.time_s = summarize(durations);
  return run;
}

RunRecord benchmark_run(const Fold& fold) {
  RunRecord run;
  run.id = fold.run.id;
  const size_t a = run.id.find('.'), b = run.id.rfind('.');
  if (a != std::string::npos && b > a) {
    run.family = run.id.substr(0, a);
    run.variant = run.id.substr(a + 1, b - a - 1);
    run.dtype = run.id.substr(b + 1);
  } else {
    run.family = "bench";
    run.variant = run.id;
  }
  std::vector<KernelCounters> launches(fold.hws.size());
  for (size_t i = 0; i < fold.hws.size(); ++i) launches[i].hw = fold.hws[i];
  run.hw = combine_launches(launches);  // summed over the run, as bench sums them
  run.precision = fold.run.precision.empty() ? dominant_precision(*run.hw) : fold.run.precision;
  if (run.dtype.empty()) run.dtype = run.precision.substr(0, run.precision.find('_'));
  run.shape = fold.run.shape;
  run.nvtx = fold.nvtx;
  const bool one_kernel = std::all_of(fold.kernels.begin(), fold.kernels.end(),
                                      [&](const std::string& k) { return k == fold.kernels.front(); });
  if (one_kernel && !fold.kernels.empty()) run.name = demangle(fold.kernels.front());
  run.launches = int64_t(fold.hws.size());
  if (run.hw->duration_s) run.time_s = summarize({*run.hw->duration_s});
  return run;
}

}  // namespace

ResultsDoc counter_file_to_results(const CounterFile& f) {
  ResultsDoc doc = evaluated_ranges_to_results(f.device, evaluate_counter_file(f));
  // The recording's provenance, not this reading's: a report set the time and
  // commit of the flopscope that read the file. Older files record no commit.
  if (!f.created.empty()) doc.created = f.created;
  if (!f.tool_version.empty()) doc.tool_version = f.tool_version;
  doc.tool_commit = f.tool_commit;
  return doc;
}

ResultsDoc evaluated_ranges_to_results(const std::optional<DeviceInfo>& device,
                                       const std::vector<EvaluatedRange>& ranges) {
  ResultsDoc doc = new_results_doc();
  doc.device = device;
  if (device) {
    if (const GpuSpec* g =
            find_gpu_for_record(device->gpu_key, device->name, device->sm_count, device->memory_bytes))
      doc.peaks.datasheet = datasheet_peaks(*g);
  }

  // In first-seen order: launches of the same kernel under the same NVTX path
  // (application kernels), or consecutive launches of the same benchmark run.
  std::map<std::tuple<std::string, std::string>, size_t> app_index;
  std::vector<Fold> folds;
  std::vector<size_t> first_range;  // per fold: the index of its first range, for messages
  for (size_t i = 0; i < ranges.size(); ++i) {
    const EvaluatedRange& r = ranges[i];
    const std::string kernel =
        !r.range.kernel.empty() ? r.range.kernel
                                : (r.range.range_name.empty() ? "range" : r.range.range_name);
    size_t at = folds.size();
    if (!r.range.run.id.empty()) {
      const bool continues = !folds.empty() && same_run(folds.back().run, r.range.run) &&
                             folds.back().nvtx == r.range.nvtx;
      if (continues) at = folds.size() - 1;
      else folds.push_back({"", r.range.nvtx, r.range.run, {}, {}});
    } else {
      auto [it, fresh] = app_index.try_emplace({kernel, r.range.nvtx}, folds.size());
      if (fresh) folds.push_back({kernel, r.range.nvtx, {}, {}, {}});
      at = it->second;
    }
    if (at == first_range.size()) first_range.push_back(i);
    folds[at].kernels.push_back(kernel);
    folds[at].hws.push_back(r.hw);
  }
  // flopscope bench records a run's launches together, once: a run that comes
  // back after others (a file made some other way) would be two runs with one
  // key, which no results file can hold.
  std::map<std::string, size_t> bench_fold;  // run_key -> fold
  for (size_t f = 0; f < folds.size(); ++f) {
    const Fold& fold = folds[f];
    RunRecord run = fold.run.id.empty() ? application_run(fold) : benchmark_run(fold);
    if (!fold.run.id.empty())
      if (const auto [it, fresh] = bench_fold.emplace(run_key(run), f); !fresh)
        throw_bad_input("range " + std::to_string(first_range[f]) + " repeats the benchmark run of range " +
                        std::to_string(first_range[it->second]) + " (" + run_key_label(run) +
                        ") after other runs, but `flopscope bench --counters` records each run once: "
                        "record the file again");
    // Every metric plan times its kernels: a run without a duration has no
    // place in a results document (found by fuzz_counter_file).
    if (run.time_s.samples.empty())
      throw_bad_input("range " + std::to_string(first_range[f]) + " (" + run_key_label(run) +
                      ") has no kernel duration, which every recording holds: is the file damaged?");
    // As profile does: zero-length (clock-resolution) durations keep the
    // smallest time the results format takes.
    run.time_s.median = std::max(run.time_s.median, 1e-9);
    if (run.hw->sm_clock_hz) run.sm_clock_mhz = *run.hw->sm_clock_hz / 1e6;
    compute_derived(run, doc.peaks.datasheet);  // no model FLOPs in a counter file: no MFU
    doc.runs.push_back(std::move(run));
  }
  cupti::disambiguate_profile_ids(doc.runs);  // template instances with one short name
  // Left only by ranges that name a benchmark id like an application kernel's.
  if (const auto rep = first_repeated_run(doc.runs))
    throw_bad_input("ranges " + std::to_string(first_range[rep->first]) + " and " +
                    std::to_string(first_range[rep->second]) + " fold into runs with one id, shape and NVTX path (" +
                    run_key_label(doc.runs[rep->second]) + "), which a results file cannot hold");
  return doc;
}

CounterFile merge_counter_files(const std::vector<CounterFile>& files,
                                const std::vector<std::string>& origins) {
  if (files.empty()) throw_bad_input("no counter files to merge");
  auto name = [&](size_t i) { return i < origins.size() ? origins[i] : "file " + std::to_string(i + 1); };
  CounterFile out = files.front();
  // Counts past 2^64 only come from a damaged file: refused, not wrapped into
  // ordinals and totals that look plausible.
  auto add = [&](uint64_t a, uint64_t b, size_t file) {
    uint64_t sum = 0;
    if (__builtin_add_overflow(a, b, &sum))
      throw_bad_input(name(file) + ": a launch ordinal or range count too large to merge (is the file damaged?)");
    return sum;
  };
  if (files.size() == 1) return out;
  uint64_t next_launch = 0;  // one past the largest ordinal so far
  for (const CounterRange& r : out.ranges) next_launch = std::max(next_launch, add(r.launch, 1, 0));
  for (size_t i = 1; i < files.size(); ++i) {
    const CounterFile& f = files[i];
    std::string differs;
    if (f.chip != out.chip) differs = "chip " + f.chip + " against " + out.chip;
    else if (f.set != out.set || f.tensor != out.tensor || f.metrics != out.metrics ||
             f.plan_version != out.plan_version)
      differs = "metric set, tensor types or metric list";
    else if (f.config_image != out.config_image)
      differs = "config image";
    if (!differs.empty())
      throw_bad_input(name(i) + " and " + name(0) + " were recorded with different metric plans (" + differs +
                      "), so they cannot share one counter file");
    const uint32_t image_base = uint32_t(out.counter_images.size());
    out.counter_images.insert(out.counter_images.end(), f.counter_images.begin(), f.counter_images.end());
    uint64_t last = next_launch;
    for (CounterRange r : f.ranges) {
      r.image += image_base;
      r.launch = add(r.launch, next_launch, i);
      last = std::max(last, add(r.launch, 1, i));
      out.ranges.push_back(std::move(r));
    }
    next_launch = last;
    out.dropped_ranges = add(out.dropped_ranges, f.dropped_ranges, i);
    out.unsaved_ranges = add(out.unsaved_ranges, f.unsaved_ranges, i);
    out.unreadable_ranges = add(out.unreadable_ranges, f.unreadable_ranges, i);
  }
  return out;
}

}  // namespace flopscope
