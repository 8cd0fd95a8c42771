#pragma once
// Raw counter files as the tests build them (counter_file_test.cpp,
// collector_fuzz_test.cpp): a sample recording, and the container itself
// (docs/collector.md: header, sections, CRC-32), so that a test frames damaged
// metadata or lying section lengths with a valid length and checksum and they
// reach the checks behind them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flopscope/counter_file.h"
#include "flopscope/metric_plan.h"

namespace flopscope::test {

/// A recording with a real config image (built offline by CUPTI's host API)
/// and opaque counter payloads (a real counter-data image needs a GPU).
inline CounterFile sample_counter_file() {
  const MetricPlan plan = build_metric_plan("GH100", MetricSet::roofline, {"bf16"});
  CounterFile f;
  f.chip = plan.chip;
  f.set = std::string(to_string(plan.set));
  f.tensor = plan.tensor;
  f.metrics = plan.metrics;
  f.quantities = plan.quantities;
  f.config_image = plan.config_image;
  DeviceInfo d;
  d.name = "NVIDIA H200";
  d.gpu_key = "h200";
  d.cc_major = 9;
  d.sm_count = 132;
  f.device = d;
  f.dropped_ranges = 3;
  f.created = "2026-11-28T00:00:00Z";
  f.tool_version = "0.1.0";
  f.tool_commit = "fe0961a0c0de";
  std::vector<uint8_t> a(4096), b(333);
  for (size_t i = 0; i < a.size(); ++i) a[i] = uint8_t(i * 7 + 1);
  for (size_t i = 0; i < b.size(); ++i) b[i] = uint8_t(255 - i);
  f.counter_images = {a, b};
  f.ranges = {{"gemm_kernel", "step/fwd", "0", 0, 0, 0, {}},
              {"gemm_kernel", "step/fwd", "1", 0, 1, 1, {}},
              {"softmax", "", "0", 1, 0, 2, {}}};
  return f;
}

struct Section {
  std::string tag, payload;
  std::optional<uint64_t> claimed;  ///< a length field that lies
};

inline uint64_t read_le(const std::string& s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(uint8_t(s[at + i])) << (8 * i);
  return v;
}

inline void append_le(std::string& s, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s.push_back(char(v >> (8 * i)));
}

// Bit by bit (the library uses a table): the standard reflected CRC-32.
inline uint32_t crc32_bitwise(const std::string& s) {
  uint32_t c = 0xFFFFFFFFu;
  for (const char byte : s) {
    c ^= uint8_t(byte);
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

/// The sections of a well-formed file.
inline std::vector<Section> sections_of(const std::string& file) {
  std::vector<Section> out;
  for (size_t at = 24; at + 4 < file.size();) {
    const uint64_t len = read_le(file, at + 4, 8);
    out.push_back({file.substr(at, 4), file.substr(at + 12, len), std::nullopt});
    at += 12 + len;
  }
  return out;
}

/// A file of `sections` with its total length and a valid CRC-32;
/// `claimed_total` is a total length that lies.
inline std::string framed(const std::vector<Section>& sections, uint64_t version = kCounterFileVersion,
                          std::optional<uint64_t> claimed_total = std::nullopt) {
  std::string out(kCounterFileMagic, 8);
  append_le(out, version, 4);
  append_le(out, 0, 4);
  append_le(out, 0, 8);
  for (const Section& s : sections) {
    out += s.tag;
    append_le(out, s.claimed.value_or(s.payload.size()), 8);
    out += s.payload;
  }
  const uint64_t total = claimed_total.value_or(out.size() + 4);
  for (int i = 0; i < 8; ++i) out[16 + i] = char(total >> (8 * i));
  append_le(out, crc32_bitwise(out), 4);
  return out;
}

}  // namespace flopscope::test
