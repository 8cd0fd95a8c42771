// cublas_api (cublas_api.h): cuBLAS through dlopen, as NVML in nvml_sampler.cpp.
#include "harness/cublas_api.h"

#include <dlfcn.h>

#include <string>

#include "flopscope/error.h"

namespace flopscope::kernels {
namespace {

// cublas_v2.h renames some entry points (cublasCreate is cublasCreate_v2):
// the second step expands that macro before the name becomes a string.
#define FLOPSCOPE_CUBLAS_NAME(f) #f
#define FLOPSCOPE_CUBLAS_SYMBOL(f) FLOPSCOPE_CUBLAS_NAME(f)

const std::string kMajor = std::to_string(CUBLAS_VER_MAJOR);
// Literal sonames: scripts/device-check.sh finds them in the binary.
constexpr const char* kCublas = "libcublas.so." FLOPSCOPE_CUBLAS_SYMBOL(CUBLAS_VER_MAJOR);
constexpr const char* kCublasLt = "libcublasLt.so." FLOPSCOPE_CUBLAS_SYMBOL(CUBLAS_VER_MAJOR);

void* open_library(const char* soname) {
  void* lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (lib) return lib;
  const char* why = dlerror();
  throw Error(ErrorKind::failure, std::string("cannot load ") + soname + " (" + (why ? why : "not found") +
                                      "): the cuBLAS baselines need the CUDA " + kMajor +
                                      " toolkit's cuBLAS; add its lib directory to LD_LIBRARY_PATH");
}

template <class Fn>
void resolve(void* lib, const char* soname, const char* symbol, Fn& into) {
  into = reinterpret_cast<Fn>(dlsym(lib, symbol));
  if (!into)
    throw Error(ErrorKind::failure, std::string(soname) + " has no " + symbol +
                                        ": flopscope was built against cuBLAS " + kMajor + "." +
                                        std::to_string(CUBLAS_VER_MINOR) +
                                        "; put that version first in LD_LIBRARY_PATH");
}

CublasApi load() {
  // libcublas needs libcublasLt: opened first, it is the copy libcublas binds to.
  void* lt = open_library(kCublasLt);
  void* blas = open_library(kCublas);
  CublasApi api{};
#define FLOPSCOPE_RESOLVE(lib, soname, field, f) resolve(lib, soname, FLOPSCOPE_CUBLAS_SYMBOL(f), api.field)
  FLOPSCOPE_RESOLVE(blas, kCublas, create, cublasCreate);
  FLOPSCOPE_RESOLVE(blas, kCublas, destroy, cublasDestroy);
  FLOPSCOPE_RESOLVE(blas, kCublas, set_stream, cublasSetStream);
  FLOPSCOPE_RESOLVE(blas, kCublas, set_workspace, cublasSetWorkspace);
  FLOPSCOPE_RESOLVE(blas, kCublas, gemm_ex, cublasGemmEx);
  FLOPSCOPE_RESOLVE(blas, kCublas, status_string, cublasGetStatusString);
  FLOPSCOPE_RESOLVE(lt, kCublasLt, lt_create, cublasLtCreate);
  FLOPSCOPE_RESOLVE(lt, kCublasLt, lt_destroy, cublasLtDestroy);
  FLOPSCOPE_RESOLVE(lt, kCublasLt, lt_desc_create, cublasLtMatmulDescCreate);
  FLOPSCOPE_RESOLVE(lt, kCublasLt, lt_desc_destroy, cublasLtMatmulDescDestroy);
  FLOPSCOPE_RESOLVE(lt, kCublasLt, lt_layout_create, cublasLtMatrixLayoutCreate);
  FLOPSCOPE_RESOLVE(lt, kCublasLt, lt_layout_destroy, cublasLtMatrixLayoutDestroy);
  FLOPSCOPE_RESOLVE(lt, kCublasLt, lt_preference_create, cublasLtMatmulPreferenceCreate);
  FLOPSCOPE_RESOLVE(lt, kCublasLt, lt_preference_destroy, cublasLtMatmulPreferenceDestroy);
  FLOPSCOPE_RESOLVE(lt, kCublasLt, lt_preference_set_attribute, cublasLtMatmulPreferenceSetAttribute);
  FLOPSCOPE_RESOLVE(lt, kCublasLt, lt_algo_get_heuristic, cublasLtMatmulAlgoGetHeuristic);
  FLOPSCOPE_RESOLVE(lt, kCublasLt, lt_matmul, cublasLtMatmul);
#undef FLOPSCOPE_RESOLVE
  return api;  // the libraries stay open for the life of the process, as linked ones do
}

}  // namespace

const CublasApi& cublas_api() {
  static const CublasApi api = load();  // thread-safe; a throw leaves it to the next call
  return api;
}

}  // namespace flopscope::kernels
