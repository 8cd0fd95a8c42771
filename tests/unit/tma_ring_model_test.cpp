// The TMA ring's handshake (gemm/wgmma.cuh: init_ring, produce; the consumers
// of gemm.wgmma and gemm.mma_sync_tma), model-checked on the CPU: mbarriers
// with the PTX semantics (a phase completes when its pending arrivals and its
// transaction bytes both reach zero; try_wait.parity(p) passes once the phase
// of parity p has completed), one producer, the TMA engine finishing loads in
// any order, and the consumers, interleaved at random over many schedules.
// Checked: no stage is overwritten while a consumer still reads it, every
// consumer reads exactly the k-tile it expects and only after it landed, and
// nobody deadlocks. The ring arithmetic (stage_of, phase_of, kStages), the
// release counts and a stage's transaction bytes on n tails (b_boxes,
// stage_tx_bytes, landed box by box) are the kernels' own; the order of the calls is restated here
// from the kernels, as their comments describe it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gemm/mma_tma_layout.h"
#include "gemm/wgmma_tile.h"

namespace wt = flopscope::kernels::gemm::wgmma_tile;
namespace mt = flopscope::kernels::gemm::mma_tma;

namespace {

/// An mbarrier: `init` arrivals and the expected transaction bytes complete a phase.
struct Mbarrier {
  int init = 0, pending = 0;
  int64_t tx = 0;
  uint32_t completed = 0;  // phases completed so far
  bool over_arrived = false;

  explicit Mbarrier(int count) : init(count), pending(count) {}
  void complete_if_done() {
    if (pending == 0 && tx == 0) {
      ++completed;
      pending = init;
    }
  }
  void arrive(int n) {
    if (n > pending) over_arrived = true;  // undefined behaviour on the GPU
    pending -= n;
    complete_if_done();
  }
  void arrive_expect_tx(int64_t bytes) {
    tx += bytes;
    arrive(1);
  }
  void complete_tx(int64_t bytes) {
    tx -= bytes;
    complete_if_done();
  }
  /// mbarrier.try_wait.parity: the phase of parity `parity` has completed
  /// (the current phase has the other parity).
  bool try_wait(uint32_t parity) const { return (completed & 1u) != parity; }
};

/// How the consumers hand stages back.
struct Protocol {
  int consumers;          // agents that consume every k-tile (warps, or warpgroups)
  int arrivals_each;      // arrivals one consumer makes per release
  int empty_count;        // the empty barriers' initial count
  bool release_after_next;  // wgmma: a stage is released after the next k-tile's MMAs are issued
};

/// gemm.mma_sync_tma: 8 warps, every thread arrives once (32 a warp), right after its MMAs.
constexpr Protocol kMmaSyncTma{mt::kConsumerWarps, 32, mt::kConsumerThreads, false};
/// gemm.wgmma: 2 warpgroups, thread 0 of each arrives once, for k-tile t after
/// issuing k-tile t + 1 (wgmma_wait<1>) or at the tile's end (wgmma_wait<0>).
constexpr Protocol kWgmma{wt::kConsumers, 1, wt::kConsumers, true};

struct Outcome {
  std::string violation;  // empty: none
};

/// How the producer sizes a stage: the kernels' stage_tx_bytes(b_boxes(bn, n)),
/// or (for the mistake the model must catch) the full stage whatever the tail.
enum class Expect { boxes_issued, full_stage };

/// Runs one random schedule of `tiles` tiles of `ktiles` k-tiles through the
/// ring. Tile t starts at column t * kBN of a B with `n` columns: a last tile
/// past n loads fewer B boxes (b_boxes), and the TMA lands each box on its own.
Outcome run_schedule(const Protocol& p, int tiles, int ktiles, uint32_t seed, int n,
                     Expect expect = Expect::boxes_issued) {
  const int total = tiles * ktiles;
  std::vector<Mbarrier> full(wt::kStages, Mbarrier(1)), empty(wt::kStages, Mbarrier(p.empty_count));
  struct Stage {
    int64_t tag = -1;  // the k-tile whose bytes it holds
    bool writing = false;
    int readers = 0;
  };
  std::vector<Stage> stage(wt::kStages);
  struct Load {
    int s;
    int64_t tag;
    int64_t bytes;  // one box's
    bool last;      // the stage's last box still in flight lands the tile
  };
  std::vector<Load> in_flight;
  int produced = 0;
  struct Consumer {
    int next = 0;                 // the next k-tile to wait for
    std::vector<int> reading;     // k-tiles whose stage it still reads (not yet released)
  };
  std::vector<Consumer> cons(size_t(p.consumers));
  auto boxes_of = [&](int k_tile) { return wt::b_boxes((k_tile / ktiles) * wt::kBN, n); };
  std::mt19937 rng(seed);

  auto release = [&](Consumer& c, size_t at) -> std::string {
    const int t = c.reading[at];
    Stage& st = stage[size_t(wt::stage_of(uint32_t(t)))];
    if (st.tag != t || st.writing) return "k-tile " + std::to_string(t) + " was overwritten while read";
    --st.readers;
    c.reading.erase(c.reading.begin() + std::ptrdiff_t(at));
    empty[size_t(wt::stage_of(uint32_t(t)))].arrive(p.arrivals_each);
    return "";
  };

  for (int step = 0;; ++step) {
    // Every action enabled now: the producer's, each load's landing, the consumers'.
    enum Kind { produce, land, wait_and_read, release_one };
    struct Action {
      Kind kind;
      size_t who;
    };
    std::vector<Action> enabled;
    if (produced < total &&
        empty[size_t(wt::stage_of(uint32_t(produced)))].try_wait(wt::phase_of(uint32_t(produced)) ^ 1))
      enabled.push_back({produce, 0});
    for (size_t i = 0; i < in_flight.size(); ++i) enabled.push_back({land, i});
    for (size_t c = 0; c < cons.size(); ++c) {
      const Consumer& k = cons[c];
      // mma_sync_tma reads one k-tile at a time; wgmma issues the next k-tile of
      // the same tile before it releases the last (never across tiles).
      const bool may_wait = k.reading.empty() || (p.release_after_next && k.reading.size() == 1 &&
                                                  (k.reading.front() + 1) % ktiles != 0);
      if (k.next < total && may_wait &&
          full[size_t(wt::stage_of(uint32_t(k.next)))].try_wait(wt::phase_of(uint32_t(k.next))))
        enabled.push_back({wait_and_read, c});
      if (!k.reading.empty()) {
        const int first = k.reading.front();
        // Released on its own (mma_sync_tma); after the next k-tile of the same tile
        // was issued, or at the tile's end (wgmma).
        const bool tile_end = (first + 1) % ktiles == 0;
        if (!p.release_after_next || k.reading.size() == 2 || tile_end) enabled.push_back({release_one, c});
      }
    }
    if (enabled.empty()) {
      bool done = produced == total && in_flight.empty();
      for (const Consumer& k : cons) done = done && k.next == total && k.reading.empty();
      if (done) return {};
      return {"deadlock at step " + std::to_string(step)};
    }
    const Action a = enabled[std::uniform_int_distribution<size_t>(0, enabled.size() - 1)(rng)];
    switch (a.kind) {
      case produce: {
        const int s = wt::stage_of(uint32_t(produced));
        if (stage[size_t(s)].readers > 0)
          return {"stage " + std::to_string(s) + " reloaded while a consumer reads it"};
        const int boxes = boxes_of(produced);
        full[size_t(s)].arrive_expect_tx(
            int64_t(wt::stage_tx_bytes(expect == Expect::boxes_issued ? boxes : wt::kBoxesB)));
        stage[size_t(s)].writing = true;
        // The A box, then one per B box (wgmma.cuh's produce).
        in_flight.push_back({s, produced, int64_t(wt::kABytes), false});
        for (int j = 0; j < boxes; ++j) in_flight.push_back({s, produced, int64_t(wt::kBBoxBytes), false});
        ++produced;
        break;
      }
      case land: {
        const Load l = in_flight[a.who];
        in_flight.erase(in_flight.begin() + std::ptrdiff_t(a.who));
        const bool stage_done = std::none_of(in_flight.begin(), in_flight.end(),
                                             [&](const Load& o) { return o.s == l.s && o.tag == l.tag; });
        if (stage_done) {
          stage[size_t(l.s)].tag = l.tag;
          stage[size_t(l.s)].writing = false;
        }
        full[size_t(l.s)].complete_tx(l.bytes);
        break;
      }
      case wait_and_read: {
        Consumer& k = cons[a.who];
        Stage& st = stage[size_t(wt::stage_of(uint32_t(k.next)))];
        if (st.tag != k.next || st.writing)
          return {"consumer " + std::to_string(a.who) + " passed the full barrier of k-tile " +
                  std::to_string(k.next) + " before it landed"};
        ++st.readers;
        k.reading.push_back(k.next++);
        break;
      }
      case release_one:
        if (std::string v = release(cons[a.who], 0); !v.empty()) return {v};
        break;
    }
    for (const Mbarrier& b : empty)
      if (b.over_arrived) return {"more arrivals than an empty barrier's phase expects"};
  }
}

/// The first violation over `schedules` random schedules, "" when none. Each
/// shape runs with n a whole number of tiles, and with a last tile of 70
/// columns (two B boxes of four).
std::string check(const Protocol& p, int schedules, Expect expect = Expect::boxes_issued) {
  for (uint32_t seed = 1; seed <= uint32_t(schedules); ++seed)
    for (const auto& [tiles, ktiles] : {std::pair{1, 1}, std::pair{1, 3}, std::pair{3, 5}, std::pair{2, 9}})
      for (const int n : {tiles * wt::kBN, (tiles - 1) * wt::kBN + 70}) {
        const Outcome o = run_schedule(p, tiles, ktiles, seed, n, expect);
        if (!o.violation.empty())
          return o.violation + " (" + std::to_string(tiles) + " tiles of " + std::to_string(ktiles) +
                 " k-tiles, n " + std::to_string(n) + ", seed " + std::to_string(seed) + ")";
      }
  return "";
}

}  // namespace

TEST(TmaRingModel, MmaSyncTmaHandshakeIsSafeAndLive) { EXPECT_EQ(check(kMmaSyncTma, 300), ""); }

TEST(TmaRingModel, WgmmaHandshakeIsSafeAndLive) { EXPECT_EQ(check(kWgmma, 300), ""); }

// The model finds the mistakes it is there for: an empty barrier one warp short
// lets the producer reload a stage a warp still reads; so does one arrival a
// warp against a count of 2 (gemm.wgmma's count on mma_sync_tma's 8
// unsynchronized warps); a count never reached deadlocks.
TEST(TmaRingModel, CatchesWrongReleaseCounts) {
  Protocol one_warp_short = kMmaSyncTma;
  one_warp_short.empty_count = mt::kConsumerThreads - 32;
  EXPECT_NE(check(one_warp_short, 300), "");

  Protocol warpgroup_count = kMmaSyncTma;
  warpgroup_count.arrivals_each = 1;
  warpgroup_count.empty_count = wt::kConsumers;
  EXPECT_NE(check(warpgroup_count, 300), "");

  Protocol too_many = kMmaSyncTma;
  too_many.empty_count = mt::kConsumerThreads + 32;  // never completes: deadlock
  EXPECT_NE(check(too_many, 50).find("deadlock"), std::string::npos);
}

// A full barrier that expects a whole stage's bytes where an n tail loads
// fewer B boxes never completes: the model deadlocks on the tail, and only there.
TEST(TmaRingModel, CatchesTransactionBytesThatDisagreeWithTheBoxesLoaded) {
  static_assert(wt::b_boxes(0, 70) == 2 && wt::b_boxes(0, wt::kBN) == wt::kBoxesB);
  EXPECT_NE(check(kMmaSyncTma, 5, Expect::full_stage).find("deadlock"), std::string::npos);
  EXPECT_EQ(run_schedule(kMmaSyncTma, 2, 3, 1, 2 * wt::kBN, Expect::full_stage).violation, "");
}
