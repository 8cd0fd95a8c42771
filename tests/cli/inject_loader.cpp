// A stand-in for what the CUDA driver and the NVTX loader do with the
// injection variables, so the real libflopscope_inject.so can be exercised
// where there is no driver:
//   inject_loader cuda EXIT   dlopen($CUDA_INJECTION64_PATH), call InitializeInjection
//   inject_loader nvtx EXIT   nvtxRangePushA/Pop: the NVTX loader reads
//                             NVTX_INJECTION64_PATH and calls InitializeInjectionNvtx2
// then exit(EXIT). Without a driver, CUPTI refuses and the library records why.
#include <dlfcn.h>
#include <nvtx3/nvToolsExt.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: inject_loader cuda|nvtx EXIT\n");
    return 64;
  }
  if (std::strcmp(argv[1], "cuda") == 0) {
    const char* path = std::getenv("CUDA_INJECTION64_PATH");
    if (!path) return 65;
    void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      std::fprintf(stderr, "dlopen: %s\n", dlerror());
      return 66;
    }
    auto init = reinterpret_cast<int (*)()>(dlsym(h, "InitializeInjection"));
    if (!init || init() != 1) return 67;
  } else {
    nvtxRangePushA("outer");
    nvtxRangePop();
  }
  return std::atoi(argv[2]);
}
