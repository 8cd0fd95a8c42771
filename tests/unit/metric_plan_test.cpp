// Metric plans through CUPTI's host API, which runs without a GPU: these are
// real config images and real pass counts, not a model of them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "flopscope/error.h"
#include "flopscope/metric_plan.h"

using namespace flopscope;

namespace {

const Quantity* find_q(const MetricPlan& p, const std::string& key) {
  for (const auto& q : p.quantities)
    if (q.key == key) return &q;
  return nullptr;
}

bool has_metric(const MetricPlan& p, const std::string& m) {
  return std::find(p.metrics.begin(), p.metrics.end(), m) != p.metrics.end();
}

}  // namespace

TEST(MetricPlan, ThirtyChipsListed) {
  const auto chips = supported_chips();
  EXPECT_GE(chips.size(), 30u);
  for (const char* c : {"GA100", "GH100", "AD102", "GB100", "GB202"})
    EXPECT_TRUE(is_supported_chip(c)) << c;
  EXPECT_FALSE(is_supported_chip("XX100"));
}

// At most this many listed chips are refused by the host API (GV11B with CUDA
// 13.0): a host API that refused every chip would leave the loops below
// nothing to check.
constexpr size_t kChipsRefused = 1;

TEST(MetricPlan, EveryChipGetsAPlanWithoutFailing) {
  size_t planned = 0;
  for (const auto& chip : supported_chips()) {
    SCOPED_TRACE(chip);
    MetricPlan p;
    ASSERT_NO_THROW(p = build_metric_plan(chip, MetricSet::roofline, tensor_types()));
    EXPECT_EQ(p.chip, chip);
    if (p.metrics.empty()) {
      // Only a chip the host API refuses gets an empty plan, and it says why.
      ASSERT_EQ(p.notes.size(), 1u);
      EXPECT_NE(p.notes[0].find("all counters"), std::string::npos) << p.notes[0];
      // Of the chip named: the plan is made offline, on no GPU.
      EXPECT_NE(p.notes[0].find("chip " + chip + " "), std::string::npos) << p.notes[0];
      EXPECT_EQ(p.notes[0].find("this GPU"), std::string::npos) << p.notes[0];
      EXPECT_EQ(p.passes, 0);
      continue;
    }
    ++planned;
    EXPECT_GE(p.passes, 1);
    EXPECT_FALSE(p.config_image.empty());
    // Every unavailable quantity is named in a note.
    for (const auto& q : p.quantities)
      if (!q.available) {
        EXPECT_FALSE(q.note.empty()) << q.key;
        const bool named = std::any_of(p.notes.begin(), p.notes.end(), [&](const std::string& n) {
          return n.rfind(q.key + ":", 0) == 0;
        });
        EXPECT_TRUE(named) << q.key;
      }
    // CUDA-core FP32 and the kernel duration exist on every profilable chip.
    ASSERT_NE(find_q(p, "flops.fp32"), nullptr);
    EXPECT_TRUE(find_q(p, "flops.fp32")->available);
    ASSERT_NE(find_q(p, "duration_s"), nullptr);
    EXPECT_TRUE(find_q(p, "duration_s")->available);
  }
  EXPECT_GE(planned + kChipsRefused, supported_chips().size()) << "chips with a plan: " << planned;
}

TEST(MetricPlan, GH100PassCounts) {
  // Measured offline with CUDA 13.0 (docs/collector.md): roofline without
  // tensor types is 2 passes; one tensor type adds at most one.
  const MetricPlan base = build_metric_plan("GH100", MetricSet::roofline, {});
  EXPECT_LE(base.passes, 2);
  EXPECT_GE(base.passes, 1);
  for (const auto& t : tensor_types()) {
    SCOPED_TRACE(t);
    const MetricPlan p = build_metric_plan("GH100", MetricSet::roofline, {t});
    EXPECT_LE(p.passes, base.passes + 1);
    ASSERT_NE(find_q(p, "flops." + t + "_tensor"), nullptr);
    EXPECT_TRUE(find_q(p, "flops." + t + "_tensor")->available);
  }
  // Types together are not additive (fp16 and bf16: 4, not 3 + 2 - 2), but
  // each costs at most one pass (a reviewer measured every subset).
  const std::vector<std::string> types = tensor_types();
  for (unsigned mask = 1; mask < (1u << types.size()); ++mask) {
    std::vector<std::string> subset;
    for (size_t i = 0; i < types.size(); ++i)
      if (mask & (1u << i)) subset.push_back(types[i]);
    SCOPED_TRACE(::testing::PrintToString(subset));
    EXPECT_LE(build_metric_plan("GH100", MetricSet::roofline, subset).passes,
              base.passes + int(subset.size()));
  }
  EXPECT_EQ(build_metric_plan("GH100", MetricSet::timing, {}).passes, 1);
  // Bytes alone fit one pass: kernel replay then runs each kernel once and
  // restores no memory between passes (docs/collector.md).
  EXPECT_EQ(build_metric_plan("GH100", MetricSet::bytes, {}).passes, 1);
}

// bytes: timing plus DRAM, L2 and L1 bytes and their peaks, no FLOPs, whatever
// the tensor types; never more passes than roofline on any chip.
TEST(MetricPlan, BytesSetHasBytesAndNoFlops) {
  size_t planned = 0;
  for (const auto& chip : supported_chips()) {
    SCOPED_TRACE(chip);
    const MetricPlan p = build_metric_plan(chip, MetricSet::bytes, tensor_types());
    if (p.metrics.empty()) continue;  // refused by the host API (EveryChipGetsAPlanWithoutFailing)
    ++planned;
    for (const char* key : {"duration_s", "sm_clock_hz", "dram_read_bytes", "dram_write_bytes", "l2_bytes", "l1_bytes",
                            "peak.dram_bytes_per_cycle", "peak.l2_bytes_per_cycle"})
      EXPECT_NE(find_q(p, key), nullptr) << key;
    for (const auto& q : p.quantities) EXPECT_NE(q.key.rfind("flops.", 0), 0u) << q.key;
    EXPECT_TRUE(p.tensor.empty());  // it counts no tensor types, whatever was asked
    // One pass on every chip: GV100 and Turing leave out the DRAM clock, which
    // would have made it two (PeaksAndClocksAddNoPass).
    EXPECT_EQ(p.passes, 1);
  }
  EXPECT_GE(planned + kChipsRefused, supported_chips().size()) << "chips with a plan: " << planned;
  EXPECT_EQ(parse_metric_set("bytes"), MetricSet::bytes);
  EXPECT_EQ(to_string(MetricSet::bytes), "bytes");
}

// Peaks and clocks give the counted quantities context; none may cost a replay
// pass. On GV100 the DRAM clock did (bytes: 2 passes, roofline: 3): it is left
// out with a note, and the other peaks stay.
TEST(MetricPlan, PeaksAndClocksAddNoPass) {
  for (const char* chip : {"GV100", "TU102"}) {
    SCOPED_TRACE(chip);
    const MetricPlan p = build_metric_plan(chip, MetricSet::roofline, tensor_types());
    EXPECT_EQ(p.passes, 2);
    const Quantity* clock = find_q(p, "peak.dram_clock_hz");
    ASSERT_NE(clock, nullptr);
    EXPECT_FALSE(clock->available);
    EXPECT_NE(clock->note.find("would add a replay pass"), std::string::npos) << clock->note;
    EXPECT_FALSE(has_metric(p, "dram__cycles_elapsed.avg.per_second"));
    EXPECT_TRUE(find_q(p, "peak.dram_bytes_per_cycle")->available);
    EXPECT_TRUE(find_q(p, "peak.l2_clock_hz")->available);
  }
  // Where it is free it stays.
  const MetricPlan h = build_metric_plan("GH100", MetricSet::roofline, tensor_types());
  EXPECT_TRUE(find_q(h, "peak.dram_clock_hz")->available);
  for (const auto& n : h.notes) EXPECT_EQ(n.find("would add a replay pass"), std::string::npos) << n;
}

TEST(MetricPlan, FlopFormulas) {
  const MetricPlan p = build_metric_plan("GH100", MetricSet::flops, {"bf16"});
  const Quantity* fp32 = find_q(p, "flops.fp32");
  ASSERT_NE(fp32, nullptr);
  ASSERT_EQ(fp32->terms.size(), 3u);
  EXPECT_EQ(fp32->terms[2].metric, "sm__sass_thread_inst_executed_op_ffma_pred_on.sum");
  EXPECT_EQ(fp32->terms[2].factor, 2);
  const Quantity* fp16 = find_q(p, "flops.fp16");
  EXPECT_EQ(fp16->terms[2].factor, 4);  // packed HFMA2: 2 lanes x 2 FLOPs
  const Quantity* bf16 = find_q(p, "flops.bf16_tensor");
  ASSERT_EQ(bf16->terms.size(), 1u);
  EXPECT_EQ(bf16->terms[0].metric, "sm__ops_path_tensor_src_bf16_dst_fp32.sum");
  // flops has no bytes.
  EXPECT_EQ(find_q(p, "dram_read_bytes"), nullptr);
}

// GB100 and GB110 count Blackwell's packed FP32 instructions apart from FFMA
// (the host API describes ffma as "FFMA and FHFMA"); nvcc emits FFMA2 for
// sm_100, so an FP32 formula without them reads short. Chips without the
// counters keep the three-term formula, and no pass is added.
TEST(MetricPlan, PackedFp32CountedWhereTheChipHasIt) {
  for (const char* chip : {"GB100", "GB102", "GB110"}) {
    const MetricPlan p = build_metric_plan(chip, MetricSet::flops, {});
    const Quantity* fp32 = find_q(p, "flops.fp32");
    ASSERT_NE(fp32, nullptr) << chip;
    ASSERT_EQ(fp32->terms.size(), 6u) << chip;
    EXPECT_EQ(fp32->terms[3].metric, "sm__sass_thread_inst_executed_op_fadd2_pred_on.sum");
    EXPECT_EQ(fp32->terms[3].factor, 2);
    EXPECT_EQ(fp32->terms[4].metric, "sm__sass_thread_inst_executed_op_fmul2_pred_on.sum");
    EXPECT_EQ(fp32->terms[4].factor, 2);
    EXPECT_EQ(fp32->terms[5].metric, "sm__sass_thread_inst_executed_op_ffma2_pred_on.sum");
    EXPECT_EQ(fp32->terms[5].factor, 4);  // two lanes x 2 FLOPs
    EXPECT_EQ(p.passes, 2) << chip;
  }
  for (const char* chip : {"GH100", "GB202", "GA100"})
    EXPECT_EQ(find_q(build_metric_plan(chip, MetricSet::flops, {}), "flops.fp32")->terms.size(), 3u) << chip;
}

TEST(MetricPlan, ChipSpecificNames) {
  // GH100 has one fp16 source counter; GA100 and AD102 split it by destination.
  const MetricPlan gh = build_metric_plan("GH100", MetricSet::flops, {"fp16"});
  ASSERT_EQ(find_q(gh, "flops.fp16_tensor")->terms.size(), 1u);
  EXPECT_TRUE(has_metric(gh, "sm__ops_path_tensor_src_fp16.sum"));
  for (const char* chip : {"GA100", "AD102"}) {
    const MetricPlan p = build_metric_plan(chip, MetricSet::flops, {"fp16"});
    EXPECT_TRUE(has_metric(p, "sm__ops_path_tensor_src_fp16_dst_fp16.sum")) << chip;
    EXPECT_TRUE(has_metric(p, "sm__ops_path_tensor_src_fp16_dst_fp32.sum")) << chip;
    EXPECT_EQ(find_q(p, "flops.fp16_tensor")->terms.size(), 2u) << chip;
  }
  // GB202 names DRAM traffic dram__bytes_op_read/write.
  const MetricPlan gb = build_metric_plan("GB202", MetricSet::roofline, {});
  EXPECT_TRUE(has_metric(gb, "dram__bytes_op_read.sum"));
  EXPECT_TRUE(has_metric(gb, "dram__bytes_op_write.sum"));
  EXPECT_TRUE(has_metric(build_metric_plan("GH100", MetricSet::roofline, {}), "dram__bytes_read.sum"));
}

TEST(MetricPlan, MissingQuantitiesAreNamedNotFatal) {
  // GA100 has no FP8 tensor counter.
  const MetricPlan p = build_metric_plan("GA100", MetricSet::flops, {"fp8"});
  const Quantity* fp8 = find_q(p, "flops.fp8_tensor");
  ASSERT_NE(fp8, nullptr);
  EXPECT_FALSE(fp8->available);
  EXPECT_NE(fp8->note.find("fp8"), std::string::npos) << fp8->note;
  EXPECT_GE(p.passes, 1);
  // GB10B (unified memory) has no DRAM counters.
  const MetricPlan gb = build_metric_plan("GB10B", MetricSet::roofline, {});
  EXPECT_FALSE(find_q(gb, "dram_read_bytes")->available);
  EXPECT_TRUE(find_q(gb, "l2_bytes")->available);
}

TEST(MetricPlan, UnknownChipAndBadWords) {
  try {
    build_metric_plan("XX100", MetricSet::roofline, {});
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    EXPECT_NE(std::string(e.what()).find("GH100"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_tensor_list("fp16,int3"), Error);
  EXPECT_EQ(parse_tensor_list("none").size(), 0u);
  EXPECT_EQ(parse_tensor_list("all"), tensor_types());
  try {
    parse_tensor_list("none,all");
    ADD_FAILURE() << "none,all accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'none' stands alone"), std::string::npos) << e.what();
  }
  EXPECT_EQ(parse_tensor_list("fp8,bf16,bf16"), (std::vector<std::string>{"bf16", "fp8"}));
  EXPECT_EQ(parse_tensor_list("bf16,"), (std::vector<std::string>{"bf16"}));
  for (const char* commas : {",", ",,"}) {
    try {
      parse_tensor_list(commas);
      ADD_FAILURE() << "'" << commas << "' accepted as none";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("names no type (use 'none'"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(parse_metric_set("roofline"), MetricSet::roofline);
  EXPECT_FALSE(parse_metric_set("everything"));
  // The library takes type names, not the CLI's list words; a repeat counts once.
  for (const char* word : {"all", "none", "", "int8"})
    EXPECT_THROW(build_metric_plan("GH100", MetricSet::flops, {word}), Error) << word;
  const MetricPlan twice = build_metric_plan("GH100", MetricSet::flops, {"bf16", "bf16"});
  EXPECT_EQ(twice.tensor, (std::vector<std::string>{"bf16"}));
  EXPECT_EQ(std::count_if(twice.quantities.begin(), twice.quantities.end(),
                          [](const Quantity& q) { return q.key == "flops.bf16_tensor"; }),
            1);
  EXPECT_TRUE(twice.notes.empty()) << twice.notes.front();
}

TEST(MetricPlan, CountersFromValues) {
  const MetricPlan p = build_metric_plan("GH100", MetricSet::roofline, {"bf16"});
  std::map<std::string, double> v;
  for (const auto& m : p.metrics) v[m] = 0;
  v["sm__sass_thread_inst_executed_op_ffma_pred_on.sum"] = 1000;
  v["sm__sass_thread_inst_executed_op_fadd_pred_on.sum"] = 10;
  v["sm__sass_thread_inst_executed_op_hfma_pred_on.sum"] = 5;
  v["sm__ops_path_tensor_src_bf16_dst_fp32.sum"] = 1e9;
  v["gpu__time_duration.sum"] = 2500;  // ns
  v["sm__cycles_elapsed.avg.per_second"] = 1.98e9;
  v["dram__bytes_read.sum"] = 4096;
  v["dram__bytes_write.sum"] = 1024;
  v["lts__t_bytes.sum"] = 8192;
  v["l1tex__t_bytes.sum"] = 16384;
  const HwCounters hw = hw_counters_from_values(p.quantities, v);
  EXPECT_DOUBLE_EQ(hw.flops_by_pipe.at("fp32"), 2010);
  EXPECT_DOUBLE_EQ(hw.flops_by_pipe.at("fp16"), 20);
  EXPECT_DOUBLE_EQ(hw.flops_by_pipe.at("bf16_tensor"), 1e9);
  EXPECT_DOUBLE_EQ(hw.flops_by_pipe.at("fp64"), 0);
  EXPECT_DOUBLE_EQ(*hw.flops_total, 1e9 + 2010 + 20);
  EXPECT_DOUBLE_EQ(*hw.duration_s, 2.5e-6);
  EXPECT_DOUBLE_EQ(*hw.sm_clock_hz, 1.98e9);
  EXPECT_DOUBLE_EQ(*hw.dram_bytes(), 5120);
  EXPECT_DOUBLE_EQ(*hw.l2_bytes, 8192);
  EXPECT_DOUBLE_EQ(*hw.l1_bytes, 16384);
  EXPECT_EQ(hw.metrics.size(), v.size());
  // A quantity whose metric was not evaluated stays absent.
  v.erase("lts__t_bytes.sum");
  EXPECT_FALSE(hw_counters_from_values(p.quantities, v).l2_bytes);
  // A pipe missing (a live session leaves out an unreadable value): the total
  // is unknown, not the sum of the others.
  v.erase("sm__ops_path_tensor_src_bf16_dst_fp32.sum");
  const HwCounters partial = hw_counters_from_values(p.quantities, v);
  EXPECT_FALSE(partial.flops_total);
  EXPECT_EQ(partial.flops_by_pipe.count("bf16_tensor"), 0u);
  EXPECT_DOUBLE_EQ(partial.flops_by_pipe.at("fp32"), 2010);
}

TEST(MetricPlan, OnlyFiniteNonNegativeValuesAreReadable) {
  // A live session leaves such a value out (and its range out of the counter
  // file); a file holding one is refused as damaged.
  EXPECT_TRUE(readable_counter_value(0));
  EXPECT_TRUE(readable_counter_value(1.5e18));
  EXPECT_FALSE(readable_counter_value(-1));
  EXPECT_FALSE(readable_counter_value(std::nan("")));
  EXPECT_FALSE(readable_counter_value(std::numeric_limits<double>::infinity()));
}

TEST(MetricPlan, SharedTensorCounterGoesToTheRealType) {
  // Turing folds fp16/bf16/tf32 (fp32 accumulate) into one counter; Turing has
  // only fp16 tensor cores, so the counter is fp16's, whatever the order asked.
  const MetricPlan p = build_metric_plan("TU102", MetricSet::flops, {"tf32", "fp16"});
  const Quantity* fp16 = find_q(p, "flops.fp16_tensor");
  ASSERT_NE(fp16, nullptr);
  EXPECT_EQ(fp16->terms.size(), 2u);
  const Quantity* tf32 = find_q(p, "flops.tf32_tensor");
  EXPECT_FALSE(tf32->available);
  EXPECT_NE(tf32->note.find("src_fp16_bf16_tf32_dst_fp32"), std::string::npos) << tf32->note;
  // Asked alone, bf16 still does not take fp16's counter: Turing's FP16 HMMA
  // would be reported as BF16 work.
  const MetricPlan alone = build_metric_plan("TU102", MetricSet::flops, {"bf16"});
  for (const char* key : {"flops.bf16_tensor", "peak.bf16_tensor_flops_per_cycle"}) {
    const Quantity* q = find_q(alone, key);
    ASSERT_NE(q, nullptr) << key;
    EXPECT_FALSE(q->available) << key;
    EXPECT_NE(q->note.find("counted as fp16 (ask for fp16)"), std::string::npos) << q->note;
  }
  EXPECT_FALSE(has_metric(alone, "sm__ops_path_tensor_src_fp16_bf16_tf32_dst_fp32.sum"));
  // fp16 asked too: no "ask for fp16" (a reviewer's case).
  EXPECT_EQ(find_q(p, "flops.tf32_tensor")->note.find("ask for"), std::string::npos) << tf32->note;
}

// Found by review: the plan named no FP4/FP6 tensor counter, though GB202's
// FP4 work is in none of its quantities and GB100's fp8 counter holds it.
TEST(MetricPlan, FP4AndFP6TensorCountersAreNamed) {
  auto notes_of = [](const char* chip) {
    std::string all;
    for (const std::string& n : build_metric_plan(chip, MetricSet::flops, tensor_types()).notes)
      all += n + "\n";
    return all;
  };
  EXPECT_NE(
      notes_of("GB202").find("sm__ops_path_tensor_src_fp4_dst_fp32: not collected (no tensor type counts "
                             "FP4/FP6 ops; flops_total leaves them out)"),
      std::string::npos)
      << notes_of("GB202");
  EXPECT_NE(notes_of("GB100").find("sm__ops_path_tensor_src_fp4_fp6_fp8_dst_fp32: counted as fp8_tensor"),
            std::string::npos)
      << notes_of("GB100");
  EXPECT_EQ(notes_of("GH100").find("fp4"), std::string::npos) << notes_of("GH100");
  // Without tensor types asked, nothing of them is said.
  for (const std::string& n : build_metric_plan("GB202", MetricSet::flops, {}).notes)
    EXPECT_EQ(n.find("fp4"), std::string::npos) << n;
}
