// Links the collector's API from the installed package (flopscope::cupti):
// built, not run (a Session needs a GPU).
#include <flopscope/counter_file.h>
#include <flopscope/session.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc > 1) {
    flopscope::Session s;
    s.start();
    flopscope::write_counter_file(argv[1], s.raw());
  }
  std::printf("%zu\n", flopscope::read_counter_file("/nonexistent").ranges.size());
  return 0;
}
