#pragma once
// cuBLAS and cuBLASLt, opened on first use (dlopen) instead of linked. The two
// libraries are 600 MB: linked, the loader mapped them into every process that
// links the kernels, which cost each one about 150 ms at start, `flopscope
// report` and every test included, though only the vendor baselines call them.
#include <cublasLt.h>
#include <cublas_v2.h>

namespace flopscope::kernels {

/// The cuBLAS entry points the vendor baselines call, with the header's types.
struct CublasApi {
  decltype(&cublasCreate) create;
  decltype(&cublasDestroy) destroy;
  decltype(&cublasSetStream) set_stream;
  decltype(&cublasSetWorkspace) set_workspace;
  // cublasGemmEx is overloaded in C++ (an inline wrapper takes a cudaDataType
  // compute type); the cast picks the exported one, and fails to build without it.
  decltype(static_cast<cublasStatus_t (*)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
                                          const void*, const void*, cudaDataType, int, const void*,
                                          cudaDataType, int, const void*, void*, cudaDataType, int,
                                          cublasComputeType_t, cublasGemmAlgo_t)>(&cublasGemmEx)) gemm_ex;
  decltype(&cublasGetStatusString) status_string;
  decltype(&cublasLtCreate) lt_create;
  decltype(&cublasLtDestroy) lt_destroy;
  decltype(&cublasLtMatmulDescCreate) lt_desc_create;
  decltype(&cublasLtMatmulDescDestroy) lt_desc_destroy;
  decltype(&cublasLtMatrixLayoutCreate) lt_layout_create;
  decltype(&cublasLtMatrixLayoutDestroy) lt_layout_destroy;
  decltype(&cublasLtMatmulPreferenceCreate) lt_preference_create;
  decltype(&cublasLtMatmulPreferenceDestroy) lt_preference_destroy;
  decltype(&cublasLtMatmulPreferenceSetAttribute) lt_preference_set_attribute;
  decltype(&cublasLtMatmulAlgoGetHeuristic) lt_algo_get_heuristic;
  decltype(&cublasLtMatmul) lt_matmul;
};

/// Opens libcublasLt and libcublas of the major version built against (found
/// as linked libraries are: LD_LIBRARY_PATH, the binary's RUNPATH, the
/// loader's cache) and resolves every entry, once. Throws Error(failure)
/// naming what is missing and the fix; a later call tries again.
const CublasApi& cublas_api();

}  // namespace flopscope::kernels
