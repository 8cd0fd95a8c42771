// Regular expressions from the command line (`bench --kernel`, `profile
// --kernel-regex`: UserRegex), then searched in kernel ids and
// names as `bench` searches them, on the calling thread.
#include "flopscope/user_regex.h"
#include "fuzz_target.h"

using namespace flopscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string pattern = fuzz::text_of(data, size);
  fuzz::loaded_or_refused("--kernel '", [&] {
    const UserRegex re(pattern, "--kernel");
    for (const char* name : {"gemm.mma_sync.bf16", "attention.flash.fp16", "memory.copy.fp32",
                             "void gemm_kernel<128>(float const*, float const*, float*, int, int, int)"})
      re.found_in(name);
  });
  return 0;
}
