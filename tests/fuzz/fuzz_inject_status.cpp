// The injection library's per-process status files, as `profile` reads them
// back (parse_inject_status): written again they read the same, and `profile`
// judges the run from them (judge_profile).
#include "activity_profile.h"
#include "fuzz_target.h"
#include "inject_report.h"

using namespace flopscope;
using namespace flopscope::cupti;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::text_of(data, size);
  fuzz::loaded_or_refused("x.status", [&] {
    const InjectStatus s = parse_inject_status(text, "x.status");
    fuzz::round_trips(to_text(s), [](const std::string& t) {
      return to_text(parse_inject_status(t, "written.status"));
    });
    ProfileCollection c;
    c.statuses = {s, s};
    judge_profile(c, AppExit{}, "app");
  });
  return 0;
}
