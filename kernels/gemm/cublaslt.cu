// gemm.cublaslt: the same baselines as gemm.cublas through cuBLASLt directly:
// the heuristic's first algorithm for the exact (m, n, k), chosen once per
// instance, with a 32 MiB workspace. Same dtypes, compute types and column-major
// trick (C^T = B^T * A^T) as cublas.cu.
#include <cublasLt.h>

#include <memory>

#include "common/cublas_util.cuh"
#include "gemm/instance.cuh"
#include "gemm/vendor.cuh"

namespace flopscope::kernels::gemm {
namespace {

Status lt_status(cublasStatus_t st, const char* what) {
  return cublas_status(st, std::string("gemm.cublaslt: ") + what);
}

/// Handle, descriptors and the chosen algorithm for one problem size.
struct LtPlan {
  const CublasApi& api = cublas_api();  // every cuBLASLt call below goes through it
  cublasLtHandle_t handle = nullptr;
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;  // of the column-major view
  cublasLtMatmulHeuristicResult_t algo{};
  DeviceBuffer<unsigned char> workspace{kCublasWorkspaceBytes};
  int m = -1, n = -1, k = -1;

  LtPlan() {
    const cublasStatus_t st = api.lt_create(&handle);
    if (st != CUBLAS_STATUS_SUCCESS)
      throw Error(ErrorKind::failure, std::string("cublasLtCreate failed: ") + api.status_string(st));
  }
  ~LtPlan() {
    release();
    api.lt_destroy(handle);
  }
  LtPlan(const LtPlan&) = delete;
  LtPlan& operator=(const LtPlan&) = delete;

  void release() {
    if (a) api.lt_layout_destroy(a);
    if (b) api.lt_layout_destroy(b);
    if (c) api.lt_layout_destroy(c);
    if (op) api.lt_desc_destroy(op);
    a = b = c = nullptr;
    op = nullptr;
  }

  Status prepare(int m_, int n_, int k_, cudaDataType_t type, cublasComputeType_t compute) {
    if (m_ == m && n_ == n && k_ == k) return Status::success();
    release();
    m = n = k = -1;
    if (Status s = lt_status(api.lt_desc_create(&op, compute, CUDA_R_32F), "MatmulDescCreate"); !s.ok())
      return s;
    // Column-major view: "A" is B^T (n x k, ld n), "B" is A^T (k x m, ld k), C^T (n x m, ld n).
    if (Status s = lt_status(api.lt_layout_create(&a, type, uint64_t(n_), uint64_t(k_), n_), "layout B"); !s.ok())
      return s;
    if (Status s = lt_status(api.lt_layout_create(&b, type, uint64_t(k_), uint64_t(m_), k_), "layout A"); !s.ok())
      return s;
    if (Status s = lt_status(api.lt_layout_create(&c, type, uint64_t(n_), uint64_t(m_), n_), "layout C"); !s.ok())
      return s;
    cublasLtMatmulPreference_t pref = nullptr;
    if (Status s = lt_status(api.lt_preference_create(&pref), "PreferenceCreate"); !s.ok()) return s;
    const size_t ws = workspace.bytes();
    if (Status s = lt_status(api.lt_preference_set_attribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                             &ws, sizeof ws),
                             "PreferenceSetAttribute");
        !s.ok()) {
      api.lt_preference_destroy(pref);
      return s;
    }
    int found = 0;
    const cublasStatus_t st = api.lt_algo_get_heuristic(handle, op, a, b, c, c, pref, 1, &algo, &found);
    api.lt_preference_destroy(pref);
    if (Status s = lt_status(st, "AlgoGetHeuristic"); !s.ok()) return s;
    if (found == 0)
      return Status::error(int(CUBLAS_STATUS_NOT_SUPPORTED), "gemm.cublaslt: no algorithm for this size");
    m = m_;
    n = n_;
    k = k_;
    return Status::success();
  }
};

template <class T>
Launch<T> make_lt_launch(cudaDataType_t type, cublasComputeType_t compute) {
  auto plan = std::make_shared<LtPlan>();
  return [plan, type, compute](const T* a, const T* b, T* c, int m, int n, int k,
                               cudaStream_t stream) -> Status {
    // Planned on the first (validation or warm-up) run, never inside a timed one
    // after that: the dims of an instance do not change.
    if (Status s = plan->prepare(m, n, k, type, compute); !s.ok()) return s;
    const float alpha = 1.f, beta = 0.f;
    return lt_status(plan->api.lt_matmul(plan->handle, plan->op, &alpha, b, plan->a, a, plan->b, &beta, c,
                                         plan->c, c, plan->c, &plan->algo.algo, plan->workspace.get(),
                                         plan->workspace.bytes(), stream),
                     "cublasLtMatmul");
  };
}

[[maybe_unused]] const bool registered = register_kernels(vendor_specs(
    "cublaslt", "cublasLtMatmul", false, [](auto tag, cudaDataType_t type, cublasComputeType_t compute) {
      return make_lt_launch<decltype(tag)>(type, compute);
    }));

}  // namespace
}  // namespace flopscope::kernels::gemm
