// What `flopscope bench` and `flopscope ceilings` use to go on in a new
// process after a fault that leaves their CUDA context unusable (the fault
// itself needs a GPU).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <cstdlib>
#include <string>
#include <vector>

#include "new_process.h"
#include "flopscope/error.h"

using namespace flopscope::cli;

// Its stdout is discarded (the parent prints the one table), its exit code
// and a deadly signal come back.
TEST(NewProcess, RunsQuietlyAndReturnsTheExitCode) {
  testing::internal::CaptureStdout();
  EXPECT_EQ(run_quietly("/bin/sh", {"-c", "echo not-shown; exit 3"}), 3);
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "");
  EXPECT_EQ(run_quietly("/bin/sh", {"-c", "kill -TERM $$"}), 128 + 15);
  EXPECT_THROW(run_quietly("/nonexistent/flopscope", {}), flopscope::Error);
}

TEST(NewProcess, FindsItsOwnExecutable) {
  const std::string self = self_executable();
  EXPECT_NE(self.find("new_process_test"), std::string::npos) << self;
}

// Made private (0700), fresh each time, and removed with its files.
TEST(NewProcess, PrivateTempDirIsFreshPrivateAndRemoved) {
  namespace fs = std::filesystem;
  fs::path kept;
  {
    const PrivateTempDir a("flopscope-test"), b("flopscope-test");
    kept = a.path();
    EXPECT_NE(a.path(), b.path());
    ASSERT_TRUE(fs::is_directory(a.path()));
    EXPECT_EQ(fs::status(a.path()).permissions() & fs::perms::all, fs::perms::owner_all);
    EXPECT_EQ(a.path().filename().string().rfind("flopscope-test-", 0), 0u) << a.path();
    std::ofstream(a.path() / "rest.json") << "{}";
  }
  EXPECT_FALSE(fs::exists(kept)) << kept;
}

// Sealed, the directory moves (its old name is free: a process writing there
// fails) and is still removed at the end.
TEST(NewProcess, SealedTempDirMovesAndIsRemoved) {
  namespace fs = std::filesystem;
  fs::path old_name, sealed;
  {
    PrivateTempDir d("flopscope-test");
    old_name = d.path();
    std::ofstream(d.path() / "kept.json") << "{}";
    d.seal();
    sealed = d.path();
    EXPECT_NE(sealed, old_name);
    EXPECT_FALSE(fs::exists(old_name));
    EXPECT_TRUE(fs::exists(sealed / "kept.json"));
  }
  EXPECT_FALSE(fs::exists(sealed)) << sealed;
}

// A relative TMPDIR gives an absolute path: the profiled processes that are
// handed it may change directory.
TEST(NewProcess, PrivateTempDirIsAbsoluteUnderARelativeTmpdir) {
  namespace fs = std::filesystem;
  const char* old = std::getenv("TMPDIR");
  const std::string saved = old ? old : "";
  const std::string rel = "flopscope-relative-tmpdir";
  fs::create_directory(rel);
  ::setenv("TMPDIR", rel.c_str(), 1);
  {
    const PrivateTempDir d("flopscope-test");
    EXPECT_TRUE(d.path().is_absolute()) << d.path();
    EXPECT_TRUE(fs::is_directory(d.path())) << d.path();
    EXPECT_EQ(d.path().parent_path(), fs::absolute(rel)) << d.path();
  }
  if (old) ::setenv("TMPDIR", saved.c_str(), 1);
  else ::unsetenv("TMPDIR");
  fs::remove_all(rel);
}

// A TMPDIR that names no directory is a flopscope Error (the caller reports
// what came back and goes on), not a filesystem_error escaping to main.
TEST(NewProcess, PrivateTempDirWithoutATemporaryDirectoryIsAnError) {
  const char* old = std::getenv("TMPDIR");
  const std::string saved = old ? old : "";
  ::setenv("TMPDIR", "/nonexistent-flopscope-tmpdir", 1);
  try {
    const PrivateTempDir d("flopscope-test");
    ADD_FAILURE() << "made " << d.path();
  } catch (const flopscope::Error& e) {
    EXPECT_NE(std::string(e.what()).find("temporary directory"), std::string::npos) << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a flopscope::Error: " << e.what();
  }
  if (old) ::setenv("TMPDIR", saved.c_str(), 1);
  else ::unsetenv("TMPDIR");
}
