// The peak database: per-architecture FLOP per clock per SM, and per-product SM
// counts, clocks and memory bandwidth. Totals are never typed in; see peaks.cpp.
//
// Per-SM rates are dense (no structured sparsity) and come from NVIDIA's
// architecture whitepapers (A100, H100, Ada, Blackwell); products' SM counts,
// clocks and bandwidths from their datasheets (an SM count a datasheet omits is
// the one the device reports). Where a datasheet does not print the clock it
// assumed, the clock is the one that reproduces its figures; the comment says so.
// Tests (tests/unit/peaks_test.cpp) pin the datasheet totals.
#include "flopscope/peaks.h"

namespace flopscope {
namespace {

// GeForce Ampere GA10x (GA102 whitepaper v2.0, appendix A: RTX 3090 71 TF FP16
// and BF16 tensor with FP32 accumulate, 35.6 TF TF32) runs its tensor math at
// half the professional parts' rate (A40: 149.7 and 74.8 TF at nearly the
// same SM count and clock); INT8 at full rate.
const std::map<std::string, double> kAmpereGeForceTensor{
    {"tf32_tensor", 256}, {"fp16_tensor", 512}, {"bf16_tensor", 512}};

// GeForce Ada runs FP8/FP16/BF16/TF32 tensor math with FP32 accumulation at
// half rate; FP32 accumulation is what cuBLASLt's FP8 GEMMs use (its FP8
// matmul takes no FP16 compute type). INT8 accumulates in INT32 at full rate.
const std::map<std::string, double> kAdaGeForceTensor{
    {"tf32_tensor", 256}, {"fp16_tensor", 512}, {"bf16_tensor", 512}, {"fp8_tensor", 1024}};

}  // namespace

const std::vector<ArchRates>& arch_database() {
  static const std::vector<ArchRates> db{
      // Ampere GA100 (A100 whitepaper, table 1): 64 FP32 lanes, 32 FP64 lanes,
      // FP16 HFMA2 at 4x FP32, BF16 non-tensor at 2x FP32; 4 third-gen tensor cores.
      {"sm_80", 8, 0,
       {{"fp64", 64}, {"fp64_tensor", 128}, {"fp32", 128}, {"fp16", 512}, {"bf16", 256},
        {"tf32_tensor", 1024}, {"fp16_tensor", 2048}, {"bf16_tensor", 2048},
        {"int8_tensor", 4096}},
       {}},
      // Ampere GA10x (GA102 whitepaper v2.0, A40 datasheet): 128 FP32 lanes, 2
      // FP64 units, non-tensor FP16/BF16 at the FP32 rate; third-gen tensor
      // cores at half GA100's per-SM rate; no FP8.
      {"sm_86", 8, 6,
       {{"fp64", 4}, {"fp32", 256}, {"fp16", 256}, {"bf16", 256}, {"tf32_tensor", 512},
        {"fp16_tensor", 1024}, {"bf16_tensor", 1024}, {"int8_tensor", 2048}},
       kAmpereGeForceTensor},
      // Ada AD10x (Ada whitepaper, appendix): 128 FP32 lanes, 2 FP64 units,
      // non-tensor FP16/BF16 at the FP32 rate; fourth-gen tensor cores with FP8.
      {"sm_89", 8, 9,
       {{"fp64", 4}, {"fp32", 256}, {"fp16", 256}, {"bf16", 256}, {"tf32_tensor", 512},
        {"fp16_tensor", 1024}, {"bf16_tensor", 1024}, {"fp8_tensor", 2048},
        {"int8_tensor", 2048}},
       kAdaGeForceTensor},
      // Hopper GH100 (H100 whitepaper, table 2): 128 FP32 lanes, 64 FP64 lanes,
      // HFMA2 at 2x FP32; fourth-gen tensor cores: 2048 dense FP16 FMA/clk/SM.
      {"sm_90", 9, 0,
       {{"fp64", 128}, {"fp64_tensor", 256}, {"fp32", 256}, {"fp16", 512}, {"bf16", 512},
        {"tf32_tensor", 2048}, {"fp16_tensor", 4096}, {"bf16_tensor", 4096},
        {"fp8_tensor", 8192}, {"int8_tensor", 8192}},
       {}},
      // Blackwell GB100 (B200): fifth-gen tensor cores double Hopper's per-SM
      // tensor rate. NVIDIA's B200 datasheet lists no non-tensor FP16/BF16 rate,
      // so none is given here.
      {"sm_100", 10, 0,
       {{"fp64", 128}, {"fp64_tensor", 128}, {"fp32", 256}, {"tf32_tensor", 4096},
        {"fp16_tensor", 8192}, {"bf16_tensor", 8192}, {"fp8_tensor", 16384},
        {"int8_tensor", 16384}},
       {}},
  };
  return db;
}

const std::vector<GpuSpec>& gpu_database() {
  // Memory sizes: a datasheet's "80 GB" or "141 GB" of HBM is binary (an H100
  // 80GB reports 85.0e9 bytes, an H200 150.1e9); bandwidths are decimal.
  constexpr double GiB = kGiB, GB = 1e9;
  static const std::vector<GpuSpec> db{
      {"a100-sxm", "NVIDIA A100 SXM4 80GB", {"A100-SXM", "A100 SXM"}, "sm_80", 108, 1410, 1410,
       2039 * GB, 80 * GiB, {},
       "NVIDIA A100 Tensor Core GPU datasheet (80GB SXM): 19.5 TF FP32, 312 TF BF16, 2039 GB/s"},
      {"a100-pcie", "NVIDIA A100 PCIe 80GB", {"A100 80GB PCIe", "A100-PCIE", "A100 PCIe"}, "sm_80",
       108, 1410, 1410, 1935 * GB, 80 * GiB, {},
       "NVIDIA A100 Tensor Core GPU datasheet (80GB PCIe): 19.5 TF FP32, 312 TF BF16, 1935 GB/s"},
      // The 40GB parts: the same compute, HBM2 at 1555 GB/s. Their CUDA names
      // ("A100-SXM4-40GB", "A100-PCIE-40GB") also hold the 80GB entries' patterns;
      // the longer pattern wins. The spaced ones are as a user types them for --gpu.
      {"a100-sxm-40gb", "NVIDIA A100 SXM4 40GB", {"A100-SXM4-40GB", "A100 SXM4 40GB", "A100 SXM 40GB"}, "sm_80",
       108, 1410, 1410, 1555 * GB, 40 * GiB, {},
       "NVIDIA A100 Tensor Core GPU datasheet (JUN21, 40GB SXM): 19.5 TF FP32, 312 TF BF16, "
       "40 GB HBM2 at 1555 GB/s"},
      {"a100-pcie-40gb", "NVIDIA A100 PCIe 40GB", {"A100-PCIE-40GB", "A100 PCIe 40GB"}, "sm_80", 108, 1410,
       1410, 1555 * GB, 40 * GiB, {},
       "NVIDIA A100 Tensor Core GPU datasheet (JUN21, 40GB PCIe): 19.5 TF FP32, 312 TF BF16, "
       "40 GB HBM2 at 1555 GB/s"},
      {"h100-sxm", "NVIDIA H100 SXM5 80GB", {"H100 80GB HBM3", "H100 SXM", "H100-SXM"}, "sm_90",
       132, 1980, 1830, 3350 * GB, 80 * GiB, {},
       "NVIDIA H100 Tensor Core GPU datasheet (SXM): 66.9 TF FP32, 989.4 TF BF16, 3.35 TB/s; "
       "vector peaks at 1.98 GHz, tensor peaks at 1.83 GHz"},
      {"h100-pcie", "NVIDIA H100 PCIe 80GB", {"H100 PCIe", "H100-PCIE"}, "sm_90", 114, 1755, 1620,
       2000 * GB, 80 * GiB, {},
       "NVIDIA H100 Tensor Core GPU datasheet (PCIe): 51.2 TF FP32, 756 TF BF16, 2 TB/s; "
       "tensor clock 1.62 GHz reproduces the tensor figures"},
      // The datasheet prints the NVL's tensor figures with sparsity only, and notes
      // specifications are one-half lower without it. SMs as the device reports.
      {"h100-nvl", "NVIDIA H100 NVL 94GB", {"H100 NVL"}, "sm_90", 132, 1785, 1545, 3938 * GB,
       94 * GiB, {},
       "NVIDIA H100 Tensor Core GPU datasheet (NVL): 60 TF FP32, 1,671 TF BF16 with sparsity "
       "(835.5 dense); H100 NVL product brief PB-11773-001: 1,785 MHz boost, 94 GB HBM3 at "
       "3,938 GB/s; no tensor clock is printed: 1.545 GHz reproduces the tensor figures"},
      {"h200", "NVIDIA H200 SXM 141GB", {"H200"}, "sm_90", 132, 1980, 1830, 4800 * GB, 141 * GiB, {},
       "NVIDIA H200 Tensor Core GPU datasheet (SXM): compute as H100 SXM, 141 GB HBM3e at 4.8 TB/s"},
      {"gh200", "NVIDIA GH200 Grace Hopper (96GB HBM3)", {"GH200"}, "sm_90", 132, 1980, 1830,
       4000 * GB, 96 * GiB, {},
       "NVIDIA GH200 Grace Hopper Superchip datasheet: 67 TF FP32, 989 TF BF16, 96 GB HBM3 at "
       "4 TB/s (the 144 GB HBM3e version is gh200-144g)"},
      {"gh200-144g", "NVIDIA GH200 Grace Hopper (144GB HBM3e)", {"GH200 144G"}, "sm_90", 132,
       1980, 1830, 4900 * GB, 144 * GiB, {},
       "NVIDIA GH200 Grace Hopper Superchip datasheet (144GB HBM3e): 67 TF FP32, 990 TF BF16 "
       "dense (1,979 sparse), 144 GB HBM3e at 4.9 TB/s; no clock is printed: H100 SXM's "
       "1.98/1.83 GHz reproduce the figures"},
      {"a40", "NVIDIA A40", {"NVIDIA A40"}, "sm_86", 84, 1740, 1740, 696 * GB, 48 * GiB, {},
       "NVIDIA A40 datasheet: 10,752 CUDA cores (84 SMs), 37.4 TF FP32, 74.8 TF TF32 tensor, "
       "149.7 TF FP16/BF16 tensor dense (299.4 sparse), 299.3 TOPS INT8, 48 GB GDDR6 at 696 GB/s; "
       "no clock is printed: 1.74 GHz reproduces the figures"},
      {"l4", "NVIDIA L4", {"NVIDIA L4"}, "sm_89", 58, 2040, 2040, 300 * GB, 24 * GiB, {},
       "NVIDIA L4 datasheet: 30.3 TF FP32, 121 TF FP16 tensor dense (242 sparse), 300 GB/s"},
      {"l40", "NVIDIA L40", {"NVIDIA L40"}, "sm_89", 142, 2490, 2490, 864 * GB, 48 * GiB,
       // The L40 datasheet prints half the L40S's tensor rates at nearly its clock.
       {{"tf32_tensor", 256}, {"fp16_tensor", 512}, {"bf16_tensor", 512}, {"fp8_tensor", 1024},
        {"int8_tensor", 1024}},
       "NVIDIA L40 datasheet: 18,176 CUDA cores (142 SMs), 90.5 TF FP32, 181.05 TF BF16 tensor "
       "dense (362.1 sparse), 362 TF FP8 dense, 864 GB/s; no clock is printed: 2.49 GHz "
       "reproduces the figures"},
      {"l40s", "NVIDIA L40S", {"L40S"}, "sm_89", 142, 2520, 2520, 864 * GB, 48 * GiB, {},
       "NVIDIA L40S datasheet: 91.6 TF FP32, 733 TF FP16 tensor sparse (366 dense; the datasheet "
       "prints 362.05 dense), 864 GB/s"},
      {"rtx4090", "NVIDIA GeForce RTX 4090", {"RTX 4090"}, "sm_89", 128, 2520, 2520, 1008 * GB,
       24 * GiB, kAdaGeForceTensor,
       "NVIDIA Ada Lovelace whitepaper (updated edition), RTX 4090: 82.6 TF FP32, 165.2 TF FP16 "
       "tensor and 330.3 TF FP8 tensor with FP32 accumulate (660.6 with FP16 accumulate), "
       "660.6 TOPS INT8, 1008 GB/s"},
      {"b200", "NVIDIA B200 180GB", {"B200"}, "sm_100", 148, 1980, 1856, 8000 * GB, 180 * GiB, {},
       "NVIDIA HGX B200 datasheet, per GPU: 75 TF FP32, 2.25 PF BF16 dense (4.5 sparse), 8 TB/s; "
       "no clock is printed: 1.856 GHz reproduces the tensor figures, 1.98 GHz the FP32 figure"},
  };
  return db;
}

}  // namespace flopscope
