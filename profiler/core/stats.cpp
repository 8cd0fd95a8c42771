#include "flopscope/stats.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "flopscope/decimal.h"
#include "flopscope/error.h"

namespace flopscope {

namespace {
double percentile_of_sorted(const std::vector<double>& s, double q) {
  const double pos = q * double(s.size() - 1);
  const size_t lo = size_t(std::floor(pos));
  const size_t hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - double(lo));
}
}  // namespace

double percentile(std::vector<double> s, double q) {
  if (s.empty()) throw_bad_input("percentile of an empty sample");
  if (!(q >= 0.0 && q <= 1.0)) throw_bad_input("percentile q must lie in [0, 1]");
  std::sort(s.begin(), s.end());
  return percentile_of_sorted(s, q);
}

double seconds_of_event_ms(float ms) {
  char text[64];
  const auto [end, ec] = std::to_chars(text, text + sizeof(text), ms);  // shortest round trip
  const std::optional<double> seconds =
      std::isfinite(ms) && ec == std::errc()
          ? decimal_times_pow10(std::string_view(text, size_t(end - text)), -3)
          : std::nullopt;
  return seconds.value_or(double(ms) * 1e-3);
}

TimeStats summarize(std::vector<double> samples) {
  if (samples.empty()) throw_bad_input("percentile of an empty sample");
  std::vector<double> sorted = samples;  // once for the three percentiles; samples keep their order
  std::sort(sorted.begin(), sorted.end());
  TimeStats t;
  t.median = percentile_of_sorted(sorted, 0.5);
  t.p10 = percentile_of_sorted(sorted, 0.1);
  t.p90 = percentile_of_sorted(sorted, 0.9);
  t.samples = std::move(samples);
  return t;
}

std::vector<double> spread_of(std::vector<double> samples, size_t k) {
  if (samples.size() <= k) return samples;
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  std::vector<double> out(k);
  for (size_t i = 0; i < k; ++i) out[i] = samples[(2 * i + 1) * n / (2 * k)];
  return out;
}

TimeStats weighted_summary(std::vector<WeightedSample> samples, size_t k) {
  if (samples.empty() || k == 0) throw_bad_input("weighted summary of an empty sample");
  std::sort(samples.begin(), samples.end(),
            [](const WeightedSample& a, const WeightedSample& b) { return a.value < b.value; });
  double total = 0;
  for (const WeightedSample& s : samples) {
    if (!(s.weight > 0) || !std::isfinite(s.weight)) throw_bad_input("sample weights must be positive");
    total += s.weight;
  }
  auto at_share = [&](double q) {
    double cumulative = 0;
    for (const WeightedSample& s : samples)
      if ((cumulative += s.weight) >= q * total) return s.value;
    return samples.back().value;
  };
  TimeStats t;
  t.median = at_share(0.5);
  t.p10 = at_share(0.1);
  t.p90 = at_share(0.9);
  // k shares of total / k each; a sample's weight may fall into several.
  const double share = total / double(k);
  t.samples.assign(k, 0);
  size_t i = 0;
  double room = share;  // weight share i still takes
  for (const WeightedSample& s : samples) {
    double left = s.weight;
    while (left > 0 && i < k) {
      const double part = std::min(left, room);
      t.samples[i] += part * s.value;
      left -= part;
      room -= part;
      if (room <= share * 1e-12) {
        t.samples[i] /= share;
        ++i;
        room = share;
      }
    }
  }
  // Rounding may leave the last share a little short, or empty.
  if (i < k && share - room > share * 1e-9) t.samples[i++] /= share - room;
  t.samples.resize(i);
  // Rounding also moves a mean of equal values by an ulp: kept sorted, and
  // within the samples' range.
  for (double& v : t.samples) v = std::clamp(v, samples.front().value, samples.back().value);
  std::sort(t.samples.begin(), t.samples.end());
  return t;
}

TimeStats summarize_at_most(const std::vector<double>& samples, size_t k) {
  TimeStats t = summarize(samples);
  if (t.samples.size() > k) t.samples = equal_share_means(t.samples, k);
  return t;
}

std::vector<double> equal_share_means(const std::vector<double>& samples, size_t k) {
  if (samples.size() <= k) return samples;
  std::vector<WeightedSample> launches;
  launches.reserve(samples.size());
  for (double v : samples) launches.push_back({v, 1});
  return weighted_summary(std::move(launches), k).samples;
}

}  // namespace flopscope
