#pragma once
/// The kernel registry: the one thing a new kernel adds. `flopscope list`,
/// `flopscope bench`, the harness and the tests pick every kernel up from here.
///
/// This header is host-only (no CUDA header), so the CLI, the tests and any
/// host tool can enumerate kernels and evaluate their models without nvcc.
/// A kernel id is "family.variant.dtype", e.g. "gemm.mma_sync.bf16".
///
/// Adding a kernel (docs/kernels.md):
///   1. write the kernel and a KernelInstance for it in kernels/<family>/;
///   2. describe it with a KernelSpec;
///   3. register it from the same file:
///        static const bool registered = flopscope::kernels::register_kernels({spec1, spec2});
///   The kernels library is linked whole (an OBJECT library), so these static
///   registrations are never dropped by the linker.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "flopscope/models.h"
#include "flopscope/precision.h"
#include "flopscope/results.h"
#include "common/status.h"

struct CUstream_st;  // cudaStream_t is CUstream_st*; declared here so no CUDA header is needed

namespace flopscope::kernels {

using StreamHandle = CUstream_st*;

/// One named problem dimension. Flags such as "causal" are 0 or 1.
struct ShapeParam {
  std::string name;           ///< "m", "n", "k", "heads", "causal", ...
  int64_t default_value = 0;  ///< the "default" preset
  std::string help;           ///< one short phrase for `flopscope list`
  int64_t min_value = 1;      ///< smallest accepted value (0 for flags)
};

/// A named set of values for every parameter, in the spec's parameter order.
struct ShapePreset {
  std::string name;             ///< "small", "large", ...
  std::vector<int64_t> values;  ///< one per ShapeParam
};

/// One prepared problem on the device: inputs, outputs and the CPU reference.
/// Created by KernelSpec::create; owns its device buffers (freed by the destructor).
/// Methods that touch the GPU throw flopscope::Error(failure) on a CUDA error.
class KernelInstance {
 public:
  virtual ~KernelInstance() = default;
  /// Fills the inputs with fresh random numbers drawn from `seed` and poisons
  /// every output element with NaN, so that an unwritten element fails.
  virtual void prepare(uint64_t seed) = 0;
  /// Enqueues one run of the kernel (all its launches) on `stream`. Does not
  /// synchronize. Returns the launch status; never exits.
  virtual Status run(StreamHandle stream) = 0;
  /// Copies the outputs back and compares them with the CPU reference
  /// (accumulating in double) on the inputs of the last prepare(). The
  /// reference may be evaluated on a sample of the outputs for large problems;
  /// every output element is still checked for NaN/Inf.
  virtual Validation validate() = 0;
  /// The kernel launches one run() makes (RunRecord::launches).
  virtual int launches() const { return 1; }
};

struct KernelSpec {
  std::string family;   ///< "gemm"
  std::string variant;  ///< "reg_tiled"
  std::string dtype;    ///< storage/math type name: "fp32", "tf32", "fp16", "bf16"
  /// The peak the kernel is judged against (MFU denominator), e.g. bf16_tensor.
  Precision precision;
  std::string description;  ///< one line: what this variant is
  std::vector<ShapeParam> params;
  std::vector<ShapePreset> presets;
  /// Part of the default `flopscope bench` suite, at its default shape.
  bool in_default_suite = false;
  /// Lowest compute capability (major*10+minor) it runs on; 0 = any.
  int min_cc = 0;
  /// The only compute capability it runs on (sm_90a code, say); 0 = no such limit.
  int only_cc = 0;
  /// Dynamic shared memory one block of it asks for, in bytes, where that is
  /// past the 48 KB every GPU gives (an opt-in); 0 = none past that, or an
  /// amount that depends on the shape (attention.flash_simt: SimtTiles<D>::kSmemBytes,
  /// 44,544 bytes at D = 64, 77,312 at 128), whose launcher names the bytes it could not reserve.
  int smem_bytes = 0;

  /// Analytic FLOPs and minimal DRAM bytes for a shape (profiler/models.h).
  std::function<Cost(const Shape&)> model;
  /// Empty when the kernel accepts the shape, else one line naming the
  /// constraint and the fix ("k must be a multiple of 8 (16-byte rows): ...").
  /// Called after the generic range checks of resolve_shape.
  std::function<std::string(const Shape&)> check_shape;
  /// Device bytes the instance will allocate for the shape (inputs, outputs,
  /// workspaces), used to refuse a problem before any allocation.
  std::function<double(const Shape&)> device_bytes;
  /// Peak host bytes the instance will hold for the shape (host_bytes_of), used
  /// to refuse a problem the host cannot hold before the OOM killer does.
  std::function<double(const Shape&)> host_bytes;
  /// Allocates the device buffers for a shape that passed check_shape.
  std::function<std::unique_ptr<KernelInstance>(const Shape&)> create;

  std::string id() const { return family + "." + variant + "." + dtype; }
};

/// The identity a variant file gives its family's spec builder (the families'
/// *SpecArgs extend it with what they need).
struct VariantInfo {
  std::string variant, dtype;
  Precision precision;
  std::string description;
  bool in_default_suite = false;
  int min_cc = 0;   ///< as KernelSpec::min_cc
  int only_cc = 0;  ///< as KernelSpec::only_cc
  int smem_bytes = 0;  ///< as KernelSpec::smem_bytes
};

/// A spec of `family` with the variant's identity filled in; the family's
/// builder adds the shape parameters, the model and the instance factory.
inline KernelSpec spec_for(std::string family, const VariantInfo& v) {
  KernelSpec s;
  s.family = std::move(family);
  s.variant = v.variant;
  s.dtype = v.dtype;
  s.precision = v.precision;
  s.description = v.description;
  s.in_default_suite = v.in_default_suite;
  s.min_cc = v.min_cc;
  s.only_cc = v.only_cc;
  s.smem_bytes = v.smem_bytes;
  return s;
}

/// Adds specs to the registry. Meant for static initializers in each family's
/// own file; always returns true. Duplicates are reported by all_kernels().
bool register_kernels(std::vector<KernelSpec> specs);

/// The lowest of CMAKE_CUDA_ARCHITECTURES (80 for "80;90a"); 0 where unknown
/// ("native", "all", or a build without CUDA).
#ifdef FLOPSCOPE_LOWEST_CUDA_ARCH
inline constexpr int kLowestBuiltCc = FLOPSCOPE_LOWEST_CUDA_ARCH;
#else
inline constexpr int kLowestBuiltCc = 0;
#endif

/// Empty when a GPU of compute capability `cc` (major*10+minor) whose blocks
/// may opt into `smem_optin_bytes` of shared memory
/// (cudaDevAttrMaxSharedMemoryPerBlockOptin) runs `spec`, else one line saying
/// why not (sm_86 and sm_89 give a block 99 KB, sm_90 227 KB).
/// `lowest_built_cc`: the oldest architecture this build has code for (0:
/// unknown): an older GPU has none to run, and each launch failed with "no
/// kernel image is available".
std::string device_refusal(const KernelSpec& spec, int cc, int smem_optin_bytes,
                           int lowest_built_cc = kLowestBuiltCc);

/// Every registered kernel, sorted by id. Throws Error(failure) when two
/// registrations share an id or a spec is incomplete (a programming error).
const std::vector<KernelSpec>& all_kernels();
/// nullptr when no kernel has that id.
const KernelSpec* find_kernel(std::string_view id);

/// Kernels whose id matches `id_regex` (ECMAScript, searched anywhere in the
/// id; empty matches all) and whose dtype is in `dtypes` (empty: any).
/// Throws bad_input for a bad regex, an unknown dtype, or when nothing matches,
/// listing the supported ids.
std::vector<const KernelSpec*> select_kernels(const std::string& id_regex,
                                              const std::vector<std::string>& dtypes);
/// Kernels in the default suite, sorted by id.
std::vector<const KernelSpec*> default_suite();

/// Resolves a --shape argument for `spec`:
///   ""                      the defaults;
///   "small", "large", ...   a preset of the spec;
///   "m=512,k=64"            named values, the rest from the defaults;
///   "512x512x64"            every value, in parameter order.
/// Then checks every value against its min_value and the spec's check_shape.
/// Throws bad_input with one line naming the problem and the fix.
Shape resolve_shape(const KernelSpec& spec, const std::string& arg);

/// Peak host bytes of an instance that keeps a float copy of every input (the
/// CPU reference reads them), stages one input as T while uploading it, and at
/// validation downloads the output as T, converts it to float, and holds a
/// double reference value and an index for each of `compared_elems` outputs
/// (left out, a softmax row of 2^26 columns peaked 772 MiB above the estimate),
/// and whatever scratch its reference takes (`reference_scratch`, bytes).
inline double host_bytes_of(double input_elems, double largest_input, double output_elems, double compared_elems,
                            double elem_size, double reference_scratch = 0) {
  const double staging = elem_size * largest_input,
               validation = (elem_size + 4.0) * output_elems + (8.0 + double(sizeof(size_t))) * compared_elems +
                            reference_scratch;
  return 4.0 * input_elems + (staging > validation ? staging : validation);
}

enum class Memory { device, host };

/// Empty when `needed` bytes fit in `free_bytes` with a safety margin, else one
/// line with both numbers ("gemm.naive.fp32 m=... needs 12.0 GiB of device
/// memory; 8.0 GiB is free: choose a smaller --shape").
std::string fit_problem(const std::string& what, double needed, double free_bytes, Memory where = Memory::device);

/// The host memory available for new allocations: MemAvailable in
/// /proc/meminfo, or what the cgroup's limit leaves if less (its usage less
/// the inactive page cache, which is reclaimed on demand); -1 when neither can
/// be read. `root` prefixes the paths (tests).
double available_host_bytes(const std::string& root = "");

/// "m=4096 n=4096 k=4096" without the NVTX-unfriendly spaces: "m4096_n4096_k4096".
std::string shape_tag(const Shape& s);

}  // namespace flopscope::kernels
