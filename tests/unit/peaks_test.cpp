#include <gtest/gtest.h>

#include <utility>

#include "flopscope/error.h"
#include "flopscope/peaks.h"

using namespace flopscope;

static double tf(const PeakTable& t, const char* key) { return t.flops_per_s.at(key) / 1e12; }

// Vendor datasheet figures, dense, TFLOP/s (NVIDIA H100 Tensor Core GPU datasheet, SXM).
TEST(Peaks, H100SxmDatasheet) {
  const PeakTable p = datasheet_peaks(require_gpu("h100-sxm"));
  EXPECT_NEAR(tf(p, "fp64"), 33.5, 0.05);
  EXPECT_NEAR(tf(p, "fp64_tensor"), 66.9, 0.05);
  EXPECT_NEAR(tf(p, "fp32"), 66.9, 0.05);
  EXPECT_NEAR(tf(p, "tf32_tensor"), 494.7, 0.05);
  EXPECT_NEAR(tf(p, "bf16_tensor"), 989.4, 0.05);
  EXPECT_NEAR(tf(p, "fp16_tensor"), 989.4, 0.05);
  EXPECT_NEAR(tf(p, "fp8_tensor"), 1978.9, 0.1);
  EXPECT_NEAR(tf(p, "int8_tensor"), 1978.9, 0.1);
  EXPECT_NEAR(tf(p, "fp16"), 133.8, 0.05);
  EXPECT_NEAR(p.dram_bytes_per_s / 1e12, 3.35, 1e-9);
}

TEST(Peaks, H200Datasheet) {
  const PeakTable p = datasheet_peaks(require_gpu("h200"));
  EXPECT_NEAR(tf(p, "bf16_tensor"), 989.4, 0.05);
  EXPECT_NEAR(tf(p, "fp32"), 66.9, 0.05);
  EXPECT_NEAR(p.dram_bytes_per_s / 1e12, 4.8, 1e-9);
}

TEST(Peaks, OtherDatasheets) {
  struct Case {
    const char* gpu;
    const char* key;
    double tflops;
    double tol;
  };
  const Case cases[] = {
      {"a100-sxm", "fp32", 19.5, 0.1},       {"a100-sxm", "bf16_tensor", 312, 0.5},
      {"a100-sxm", "tf32_tensor", 156, 0.5}, {"a100-sxm", "fp64", 9.7, 0.1},
      {"a100-pcie", "bf16_tensor", 312, 0.5},
      {"h100-pcie", "fp32", 51.2, 0.1},      {"h100-pcie", "bf16_tensor", 756, 1.0},
      {"h100-pcie", "fp8_tensor", 1513, 1.0},
      {"gh200", "bf16_tensor", 989.4, 0.05}, {"gh200", "fp32", 67, 0.2},
      {"l4", "fp32", 30.3, 0.1},             {"l4", "fp16_tensor", 121, 0.5},
      {"l4", "fp8_tensor", 242.5, 0.5},      {"l40s", "fp32", 91.6, 0.1},
      {"l40s", "fp8_tensor", 733, 1.0},      {"rtx4090", "fp32", 82.6, 0.1},
      {"rtx4090", "bf16_tensor", 165.2, 0.2}, {"rtx4090", "fp8_tensor", 330.3, 0.3},
      {"rtx4090", "int8_tensor", 660.6, 0.6}, {"b200", "bf16_tensor", 2250, 2},
      {"b200", "fp8_tensor", 4500, 4},       {"b200", "fp32", 75, 0.1},
  };
  for (const auto& c : cases)
    EXPECT_NEAR(tf(datasheet_peaks(require_gpu(c.gpu)), c.key), c.tflops, c.tol)
        << c.gpu << " " << c.key;
}

// The A100 40GB, H100 NVL, GH200 144GB and L40 entries against their datasheets'
// printed totals, TFLOP/s: dense where the sheet prints it, else the sparse figure
// (the H100 NVL's tensor rows are printed with sparsity only).
TEST(Peaks, AddedDatasheets) {
  struct Case {
    const char* gpu;
    const char* key;
    bool sparse;
    double tflops;
    double tol;
  };
  const Case cases[] = {
      // A100 datasheet (JUN21): the 40GB columns print the 80GB parts' compute.
      {"a100-sxm-40gb", "fp64", false, 9.7, 0.1},
      {"a100-sxm-40gb", "fp64_tensor", false, 19.5, 0.1},
      {"a100-sxm-40gb", "fp32", false, 19.5, 0.1},
      {"a100-sxm-40gb", "tf32_tensor", false, 156, 0.5},
      {"a100-sxm-40gb", "bf16_tensor", false, 312, 0.5},
      {"a100-sxm-40gb", "bf16_tensor", true, 624, 1},
      {"a100-sxm-40gb", "int8_tensor", false, 624, 1},
      {"a100-pcie-40gb", "fp32", false, 19.5, 0.1},
      {"a100-pcie-40gb", "tf32_tensor", false, 156, 0.5},
      {"a100-pcie-40gb", "fp16_tensor", false, 312, 0.5},
      // H100 datasheet, NVL column.
      {"h100-nvl", "fp64", false, 30, 0.5},
      {"h100-nvl", "fp64_tensor", false, 60, 0.5},
      {"h100-nvl", "fp32", false, 60, 0.5},
      {"h100-nvl", "tf32_tensor", true, 835, 0.5},
      {"h100-nvl", "bf16_tensor", true, 1671, 0.5},
      {"h100-nvl", "fp16_tensor", true, 1671, 0.5},
      {"h100-nvl", "fp8_tensor", true, 3341, 0.5},
      {"h100-nvl", "int8_tensor", true, 3341, 0.5},
      {"h100-nvl", "bf16_tensor", false, 835.5, 0.25},  // one-half the sparse figure
      // GH200 datasheet (prints dense | sparse). Its FP64 34 is H100 SXM's 33.5 rounded.
      {"gh200-144g", "fp64", false, 34, 0.6},
      {"gh200-144g", "fp64_tensor", false, 67, 0.5},
      {"gh200-144g", "fp32", false, 67, 0.5},
      {"gh200-144g", "tf32_tensor", false, 494, 1},
      {"gh200-144g", "bf16_tensor", false, 990, 1},
      {"gh200-144g", "bf16_tensor", true, 1979, 0.5},
      {"gh200-144g", "fp8_tensor", false, 1979, 0.5},
      {"gh200-144g", "fp8_tensor", true, 3958, 0.5},
      // L40 datasheet: half the L40S's tensor rates.
      {"l40", "fp32", false, 90.5, 0.1},
      {"l40", "tf32_tensor", false, 90.5, 0.1},
      {"l40", "tf32_tensor", true, 181, 0.5},
      {"l40", "bf16_tensor", false, 181.05, 0.05},
      {"l40", "fp16_tensor", false, 181.05, 0.05},
      {"l40", "bf16_tensor", true, 362.1, 0.1},
      {"l40", "fp8_tensor", false, 362, 0.5},
      {"l40", "fp8_tensor", true, 724, 0.5},
      {"l40", "int8_tensor", false, 362, 0.5},
      // A40 datasheet (dense | sparse).
      {"a40", "fp32", false, 37.4, 0.05},
      {"a40", "tf32_tensor", false, 74.8, 0.05},
      {"a40", "tf32_tensor", true, 149.6, 0.2},
      {"a40", "bf16_tensor", false, 149.7, 0.05},
      {"a40", "fp16_tensor", true, 299.4, 0.1},
      {"a40", "int8_tensor", false, 299.3, 0.1},
  };
  for (const auto& c : cases) {
    const PeakTable p = datasheet_peaks(require_gpu(c.gpu));
    const auto& t = c.sparse ? p.sparse_flops_per_s : p.flops_per_s;
    EXPECT_NEAR(t.at(c.key) / 1e12, c.tflops, c.tol) << c.gpu << " " << c.key << (c.sparse ? " sparse" : "");
  }
  struct Memory {
    const char* gpu;
    double tb_per_s;
    double gb;
  };
  const Memory memories[] = {{"a100-sxm-40gb", 1.555, 40}, {"a100-pcie-40gb", 1.555, 40},
                             {"h100-nvl", 3.938, 94},      {"gh200-144g", 4.9, 144},
                             {"l40", 0.864, 48},           {"a40", 0.696, 48}};
  for (const auto& m : memories) {
    const GpuSpec& g = require_gpu(m.gpu);
    EXPECT_NEAR(datasheet_peaks(g).dram_bytes_per_s / 1e12, m.tb_per_s, 1e-9) << m.gpu;
    EXPECT_NEAR(g.memory_bytes / (1 << 30), m.gb, 1e-9) << m.gpu;  // the datasheet's "GB" of HBM, as GiB
  }
}

TEST(Peaks, SparseKeptApartAndDoubled) {
  const PeakTable p = datasheet_peaks(require_gpu("h100-sxm"));
  EXPECT_DOUBLE_EQ(p.sparse_flops_per_s.at("bf16_tensor"), 2 * p.flops_per_s.at("bf16_tensor"));
  EXPECT_FALSE(p.sparse_flops_per_s.count("fp32"));
  EXPECT_FALSE(p.sparse_flops_per_s.count("fp64_tensor"));
}

TEST(Peaks, AmpereHasNoFp8) {
  const PeakTable p = datasheet_peaks(require_gpu("a100-sxm"));
  EXPECT_FALSE(p.dense({DType::fp8, Pipe::tensor}));
  EXPECT_TRUE(p.dense({DType::bf16, Pipe::tensor}));
}

TEST(Peaks, DerivedNotTypedIn) {
  // Every dense peak is FLOP/clk/SM x SMs x clock.
  for (const auto& g : gpu_database()) {
    const PeakTable p = datasheet_peaks(g);
    const double fp32 = p.flops_per_s.at("fp32");
    EXPECT_NEAR(fp32 / (g.sm_count * g.vector_clock_mhz * 1e6), 128.0 * (g.arch == "sm_80" ? 1 : 2),
                1e-6)
        << g.key;
  }
}

TEST(Peaks, FindByDeviceName) {
  EXPECT_EQ(find_gpu("nonexistent"), nullptr);
  EXPECT_EQ(find_gpu(""), nullptr);
  // A key read from a file is matched exactly: a newer flopscope's key is not
  // another product's name ("h200-sxm-144gb" read loosely was h200).
  for (const GpuSpec& g : gpu_database()) EXPECT_EQ(find_gpu_key(g.key), &g) << g.key;
  EXPECT_NE(find_gpu("h200-sxm-144gb"), nullptr);
  EXPECT_EQ(find_gpu_key("h200-sxm-144gb"), nullptr);
  EXPECT_EQ(find_gpu_key("H200"), nullptr);
  // CUDA device names, and names as a user types them for --gpu, with the entry each is.
  const std::pair<const char*, const char*> named[] = {
      {"NVIDIA H100 80GB HBM3", "h100-sxm"},
      {"NVIDIA H100 PCIe", "h100-pcie"},
      {"NVIDIA H200", "h200"},
      {"NVIDIA A100-SXM4-80GB", "a100-sxm"},
      {"NVIDIA A100 80GB PCIe", "a100-pcie"},
      {"NVIDIA GeForce RTX 4090", "rtx4090"},
      {"NVIDIA GH200 480GB", "gh200"},
      {"NVIDIA L40S", "l40s"},
      {"H200", "h200"},
      {"NVIDIA L4", "l4"},
      {"NVIDIA B200", "b200"},
      // CUDA names of the 40GB A100s hold the 80GB entries' patterns too
      // ("A100-SXM", "A100-PCIE"); the 40GB patterns are longer and win.
      {"NVIDIA A100-SXM4-40GB", "a100-sxm-40gb"},
      {"NVIDIA A100-PCIE-40GB", "a100-pcie-40gb"},
      {"NVIDIA H100 NVL", "h100-nvl"},
      {"NVIDIA GH200 144G HBM3e", "gh200-144g"},
      {"NVIDIA L40", "l40"},
      {"NVIDIA L40S", "l40s"},  // "nvidia l40" + "s" is another product
      {"NVIDIA A40", "a40"},
      // A variant word the entry's own name has is its own: the H200 is an SXM part.
      {"h200 sxm", "h200"},
      {"a100 sxm", "a100-sxm"},
      {"h100 pcie", "h100-pcie"},
      // The 40GB A100s as a user types them (they took the 80GB entries' peaks and size).
      {"a100 sxm 40gb", "a100-sxm-40gb"},
      {"A100 SXM4 40GB", "a100-sxm-40gb"},
      {"a100 pcie 40gb", "a100-pcie-40gb"},
  };
  for (const auto& [name, key] : named) {
    const GpuSpec* g = find_gpu(name);
    ASSERT_NE(g, nullptr) << name;
    EXPECT_EQ(g->key, key) << name;
  }
  // Other products whose names hold an entry's pattern: another GPU, other
  // peaks (the L40 once took the L4's 30 TFLOP/s, a third of its own).
  for (const char* other : {"NVIDIA L40G", "NVIDIA GB200", "NVIDIA H200 NVL", "NVIDIA GeForce RTX 4090 D",
                            "NVIDIA GeForce RTX 4090 Laptop GPU", "NVIDIA GeForce RTX 4090 Max-Q",
                            // as a user types them for --gpu: the variant word still counts
                            "h200-nvl", "h200_nvl", "rtx-4090-d", "b200-nvl",
                            // a form factor or tier the entry is not: another product
                            "nvidia h200 pcie", "h100 sxm pcie", "rtx 4090 ti", "rtx 4090 super",
                            // workstation cards whose names begin like the A40's
                            "NVIDIA RTX A4000", "NVIDIA RTX A400", "NVIDIA A400"})
    EXPECT_EQ(find_gpu(other), nullptr) << other;
}

// A device is its datasheet's product only with the datasheet's SMs and about
// its memory: a MIG slice gets peaks derived from itself.
TEST(Peaks, FindForDeviceChecksSmsAndMemory) {
  EXPECT_EQ(find_gpu_for_device("NVIDIA H200", 132, 150.0e9)->key, "h200");  // as the runtime reports it
  EXPECT_EQ(find_gpu_for_device("NVIDIA H100 80GB HBM3", 132, 85.0e9)->key, "h100-sxm");
  EXPECT_EQ(find_gpu_for_device("NVIDIA H200", 0, 0)->key, "h200");  // not known: the name decides
  EXPECT_EQ(find_gpu_for_device("NVIDIA H100 80GB HBM3 MIG 1g.10gb", 16, 10.7e9), nullptr);
  // Devices as CUDA reports them (deviceQuery, nvidia-smi in public logs): SMs, bytes.
  EXPECT_EQ(find_gpu_for_device("NVIDIA A100-SXM4-40GB", 108, 42298834944.0)->key, "a100-sxm-40gb");
  EXPECT_EQ(find_gpu_for_device("NVIDIA A100-SXM4-80GB", 108, 85.1e9)->key, "a100-sxm");
  EXPECT_EQ(find_gpu_for_device("NVIDIA H100 NVL", 132, 95830.0 * 1048576)->key, "h100-nvl");
  EXPECT_EQ(find_gpu_for_device("NVIDIA GH200 144G HBM3e", 132, 153008209920.0)->key, "gh200-144g");
  EXPECT_EQ(find_gpu_for_device("NVIDIA GH200 480GB", 132, 97280.0 * 1048576)->key, "gh200");
  EXPECT_EQ(find_gpu_for_device("NVIDIA L40", 142, 46068.0 * 1048576)->key, "l40");
  EXPECT_EQ(find_gpu_for_device("NVIDIA L40", 142, 49140.0 * 1048576)->key, "l40");  // ECC off
  // An 80GB name with 40GB behind it is not the 80GB entry.
  EXPECT_EQ(find_gpu_for_device("NVIDIA A100-SXM4-80GB", 108, 42298834944.0), nullptr);
}

TEST(Peaks, UnknownGpuListsKnown) {
  auto message = [](const char* name) {
    try {
      require_gpu(name);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::bad_input);
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message("h300").find("known GPUs: a100-sxm"), std::string::npos) << message("h300");
  // A family name lists its products only.
  EXPECT_EQ(message("h100"), "unknown GPU 'h100'; it could be: h100-sxm h100-pcie h100-nvl (see `flopscope specs`)");
  // Every word typed, in any order: "A100 80GB" listed all sixteen GPUs.
  EXPECT_EQ(message("A100 80GB"), "unknown GPU 'A100 80GB'; it could be: a100-sxm a100-pcie (see `flopscope specs`)");
  EXPECT_EQ(message("40gb a100"), "unknown GPU '40gb a100'; it could be: a100-sxm-40gb a100-pcie-40gb (see `flopscope specs`)");
  // '-', '_' and ' ' are one separator.
  for (const char* typed : {"rtx-4090", "rtx_4090", "RTX 4090", "h100_sxm", "H100 SXM"})
    EXPECT_NE(find_gpu(typed), nullptr) << typed;
  EXPECT_EQ(find_gpu("h100_sxm")->key, "h100-sxm");
  // Bandwidths are typed in GB/s, so they are exact ("2.039 * TB" read 2039000000000.0002).
  EXPECT_EQ(require_gpu("a100-sxm").dram_bytes_per_s, 2039e9);
}

TEST(Peaks, DerivedForUnknownDevice) {
  const ArchRates* hopper = find_arch(9, 0);
  ASSERT_NE(hopper, nullptr);
  const PeakTable p = derived_peaks(*hopper, 100, 1000, 1e12);
  EXPECT_DOUBLE_EQ(p.flops_per_s.at("bf16_tensor"), 4096.0 * 100 * 1e9);
  EXPECT_NE(p.source.find("derived"), std::string::npos);
  EXPECT_THROW(derived_peaks(*hopper, 0, 1000, 0), Error);
  EXPECT_EQ(find_arch(7, 5), nullptr);
}

// A GeForce Ada card other than the RTX 4090 got the professional parts'
// tensor rates: twice its FP16/BF16/TF32/FP8 peaks with FP32 accumulation.
TEST(Peaks, DerivedForGeForceAdaHalvesTensorRates) {
  const ArchRates* ada = find_arch(8, 9);
  ASSERT_NE(ada, nullptr);
  const GpuSpec& rtx4090 = require_gpu("rtx4090");
  const PeakTable geforce = derived_peaks(*ada, rtx4090.sm_count, rtx4090.vector_clock_mhz, 0, true);
  const PeakTable sheet = datasheet_peaks(rtx4090);
  for (const auto& [key, value] : sheet.flops_per_s) EXPECT_DOUBLE_EQ(geforce.flops_per_s.at(key), value) << key;
  EXPECT_EQ(geforce.flops_per_s.size(), sheet.flops_per_s.size());
  EXPECT_NE(geforce.source.find("sm_89 GeForce rates"), std::string::npos) << geforce.source;
  const PeakTable pro = derived_peaks(*ada, rtx4090.sm_count, rtx4090.vector_clock_mhz, 0);
  EXPECT_DOUBLE_EQ(pro.flops_per_s.at("bf16_tensor"), 2 * geforce.flops_per_s.at("bf16_tensor"));
  EXPECT_DOUBLE_EQ(pro.flops_per_s.at("int8_tensor"), geforce.flops_per_s.at("int8_tensor"));
  // GA102 whitepaper, RTX 3090 (82 SMs, 1695 MHz boost): 35.6 TF FP32 and TF32
  // tensor, 71 TF FP16/BF16 tensor with FP32 accumulate, 284 TOPS INT8.
  const ArchRates* ampere = find_arch(8, 6);
  ASSERT_NE(ampere, nullptr);
  const PeakTable rtx3090 = derived_peaks(*ampere, 82, 1695, 0, true);
  EXPECT_NEAR(rtx3090.flops_per_s.at("fp32") / 1e12, 35.6, 0.05);
  EXPECT_NEAR(rtx3090.flops_per_s.at("tf32_tensor") / 1e12, 35.6, 0.05);
  EXPECT_NEAR(rtx3090.flops_per_s.at("bf16_tensor") / 1e12, 71.2, 0.1);
  EXPECT_NEAR(rtx3090.flops_per_s.at("int8_tensor") / 1e12, 284.7, 0.3);
  EXPECT_EQ(rtx3090.flops_per_s.count("fp8_tensor"), 0u);
  // Hopper has no GeForce parts: the flag changes nothing there.
  const ArchRates* hopper = find_arch(9, 0);
  ASSERT_NE(hopper, nullptr);
  EXPECT_EQ(derived_peaks(*hopper, 100, 1000, 0, true).flops_per_s, derived_peaks(*hopper, 100, 1000, 0).flops_per_s);
}
