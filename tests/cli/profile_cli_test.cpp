// `flopscope profile` on the CPU: argument handling and applications that never
// touch CUDA (the injection library is only loaded by CUDA, so they simply run).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli/fake_cupti.h"
#include "cli/run_cli.h"
#include "cupti_callable.h"     // driver_answers: the injection library's question
#include "flopscope/results.h"  // read_file

using flopscope::test::run_cli;

namespace {

int lines(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }

void expect_usage_error(const flopscope::test::CliResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

}  // namespace

TEST(ProfileCli, Help) {
  auto r = run_cli({"profile", "--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* s : {"--set", "--kernel-regex", "--launch-skip", "--launch-count", "--nvtx-include", "--out",
                        "timing"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
  EXPECT_NE(run_cli({"--help"}).out.find("profile"), std::string::npos);
}

TEST(ProfileCli, MissingApplicationIsUsageError) {
  expect_usage_error(run_cli({"profile"}), "command");
  expect_usage_error(run_cli({"profile", "--"}), "command");
}

TEST(ProfileCli, ApplicationNotFound) {
  expect_usage_error(run_cli({"profile", "--", "/nonexistent/flopscope-no-such-app"}), "not found");
  expect_usage_error(run_cli({"profile", "--", "flopscope-no-such-app-in-path"}), "not found");
  expect_usage_error(run_cli({"profile", "--", "/tmp"}), "a directory, not a program");
  // Scripts: one without a '#!' line (bash runs it through sh, posix_spawn
  // does not) read as "Exec format error"; one whose interpreter is missing
  // as "not found", though it exists (a reviewer's cases).
  const std::string dir = flopscope::test::temp_dir();
  std::ofstream(dir + "/no_shebang.sh") << "exit 0\n";
  std::ofstream(dir + "/bad_shebang.sh") << "#!/nonexistent/python\nprint(1)\n";
  for (const char* s : {"/no_shebang.sh", "/bad_shebang.sh"})
    std::filesystem::permissions(dir + s, std::filesystem::perms::owner_all);
  expect_usage_error(
      run_cli({"profile", "--", dir + "/no_shebang.sh"}),
      "not a program this system can start (a script without a '#!' line? run it as: flopscope "
      "profile -- sh " +
          dir + "/no_shebang.sh)");
  expect_usage_error(run_cli({"profile", "--", dir + "/bad_shebang.sh"}),
                     "it exists, but the interpreter its '#!' line names was not found");
}

TEST(ProfileCli, BadOptionsAreUsageErrors) {
  expect_usage_error(run_cli({"profile", "--kernel-regex", "gemm(", "--", "/bin/true"}), "--kernel-regex");
  expect_usage_error(run_cli({"profile", "--set", "fast", "--", "/bin/true"}), "--set");
  expect_usage_error(run_cli({"profile", "--set", "flops", "--tensor", "bf17", "--", "/bin/true"}), "bf17");
  expect_usage_error(run_cli({"profile", "--launch-count", "0", "--", "/bin/true"}), "--launch-count");
  expect_usage_error(run_cli({"profile", "--launch-skip", "-1", "--", "/bin/true"}), "--launch-skip");
  // --tensor only chooses counters: under the default --set timing it was ignored, exit 0.
  expect_usage_error(run_cli({"profile", "--tensor", "bf16", "--", "/bin/true"}), "--tensor");
  expect_usage_error(run_cli({"profile", "--set", "timing", "--tensor", "bf16", "--", "/bin/true"}), "--set flops");
  // Integers are decimal (CLI11 alone read 010 as 8, 08 not at all).
  expect_usage_error(run_cli({"profile", "--top", "0x10", "--", "/bin/true"}), "--top");
}

// Its processes' files go to a private temporary directory: a TMPDIR naming
// none is one line and exit 1 before the application starts (it once escaped
// as an internal error).
TEST(ProfileCli, NoTemporaryDirectoryIsOneLine) {
  auto r = run_cli({"profile", "--", "/bin/sh", "-c", "echo app-ran"}, {"TMPDIR=/nonexistent-flopscope-tmpdir"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("cannot find a temporary directory (check TMPDIR)"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("app-ran"), std::string::npos) << r.out;
}

// flopscope started with SIGCHLD ignored (a daemon's or supervisor's child):
// the kernel reaped the application itself, waitpid failed, and profile lost
// the exit status and the report ("waitpid: No child processes", exit 1).
TEST(ProfileCli, ExitCodeIsPassedOnWhenStartedWithSigchldIgnored) {
  const std::string err_path = flopscope::test::temp_dir() + "/stderr";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGCHLD, SIG_IGN);  // inherited across exec, as from such a parent
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err < 0 || ::dup2(err, 2) < 0) ::_exit(120);
    const char* argv[] = {FLOPSCOPE_CLI_PATH, "profile", "--", "/bin/sh", "-c", "exit 7", nullptr};
    ::execv(argv[0], const_cast<char**>(argv));
    ::_exit(121);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  const std::string err = flopscope::read_file(err_path);
  ASSERT_TRUE(WIFEXITED(status)) << err;
  EXPECT_EQ(WEXITSTATUS(status), 7) << err;
  EXPECT_NE(err.find("exited with status 7"), std::string::npos) << err;
  EXPECT_EQ(err.find("waitpid"), std::string::npos) << err;
}

TEST(ProfileCli, NonCudaAppRunsAndItsExitCodeIsPassedOn) {
  auto r = run_cli({"profile", "--", "/bin/sh", "-c", "echo hello from app; exit 7"});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_NE(r.out.find("hello from app"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("no CUDA activity was seen"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("exited with status 7"), std::string::npos) << r.err;

  auto ok = run_cli({"profile", "--set", "roofline", "--tensor", "bf16", "--", "/bin/sh", "-c",
                     "test \"$FLOPSCOPE_PROFILE_SET\" = roofline && test \"$FLOPSCOPE_PROFILE_TENSOR\" = bf16"});
  EXPECT_EQ(ok.exit_code, flopscope::test::profile_exit_without_cuda()) << ok.err;
  EXPECT_NE(ok.err.find("no CUDA activity was seen"), std::string::npos) << ok.err;
}

// Without CUDA activity, where a GPU is present, profiling could run: the
// results file holds no runs (a `check` of it must not read an earlier run's
// file after profile exited 0), and a line says so. Where none is, profile
// exits 3 and writes nothing.
TEST(ProfileCli, WithoutCudaActivityTheResultsFileHoldsNoRunsOrIsNotWritten) {
  const std::string out = flopscope::test::temp_dir() + "/none.json";
  std::ofstream(out) << "earlier";
  auto none = run_cli({"profile", "--out", out, "--", "/bin/true"});
  EXPECT_EQ(none.exit_code, flopscope::test::profile_exit_without_cuda()) << none.err;
  EXPECT_NE(none.err.find("no CUDA activity was seen"), std::string::npos) << none.err;
  if (flopscope::test::profile_exit_without_cuda() == 0) {
    EXPECT_TRUE(flopscope::read_results(out).runs.empty());
    EXPECT_NE(none.err.find("the results file " + out + " holds no runs: nothing was kept"),
              std::string::npos)
        << none.err;
  } else {
    EXPECT_EQ(flopscope::read_file(out), "earlier");
    EXPECT_NE(none.err.find("no results file written to " + out + ": nothing was profiled"),
              std::string::npos)
        << none.err;
  }
}

// The application gets profile's own FLOPSCOPE_PROFILE_* variables: one left
// in the user's shell is replaced, not read (a stale one once failed the run),
// except the period, which profile takes from there (docs/profile.md).
TEST(ProfileCli, StaleVariablesAreReplacedAndOnlyThePeriodIsRead) {
  auto r = run_cli({"profile", "--", "/bin/sh", "-c", "test -z \"$FLOPSCOPE_PROFILE_LAUNCH_COUNT\""},
                   {"FLOPSCOPE_PROFILE_LAUNCH_COUNT=-1", "FLOPSCOPE_PROFILE_LAUNCH_SKIP=x"});
  EXPECT_EQ(r.exit_code, flopscope::test::profile_exit_without_cuda()) << r.err;
  auto bad = run_cli({"profile", "--", "/bin/true"}, {"FLOPSCOPE_PROFILE_PERIOD_MS=-5"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("FLOPSCOPE_PROFILE_PERIOD_MS='-5' is not a whole number"), std::string::npos) << bad.err;
}

// The program and the files its arguments name are inputs: an output there
// would replace them (`--out train.py -- python train.py`).
TEST(ProfileCli, AnOutputThatIsTheProgramOrItsArgumentIsRefused) {
  const std::string dir = flopscope::test::temp_dir();
  const std::string app = dir + "/app.sh", script = dir + "/train.py";
  std::ofstream(app) << "#!/bin/sh\nexit 0\n";
  std::filesystem::permissions(app, std::filesystem::perms::owner_all);
  std::ofstream(script) << "print(1)\n";
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"profile", "--out", app, "--", app},
           {"profile", "--out", script, "--", "/bin/sh", script},
           {"profile", "--set", "flops", "--counters", script, "--", "/bin/cat", script},
           {"profile", "--out", dir + "/../" + std::filesystem::path(dir).filename().string() + "/train.py", "--",
            "/bin/cat", script}}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args[2] << ": " << r.err;
    EXPECT_NE(r.err.find("this output is the input"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;  // refused before the application ran
  }
  EXPECT_EQ(flopscope::read_file(script), "print(1)\n");
  EXPECT_EQ(flopscope::read_file(app), "#!/bin/sh\nexit 0\n");
  // A program found on PATH is its file there, not a file of that name here.
  const auto r = run_cli({"profile", "--out", dir + "/true", "--", "true"});
  EXPECT_NE(r.exit_code, 2) << r.err;
}

// Everything after the application is its own, with or without "--": flopscope
// took `--out x` after the program for itself, and replaced x.
TEST(ProfileCli, OptionsAfterTheProgramAreItsOwn) {
  const std::string out = flopscope::test::temp_dir() + "/model.pt";
  std::ofstream(out) << "weights";
  const auto r = run_cli({"profile", "/bin/echo", "hello", "--out", out, "--top", "5"});
  EXPECT_NE(r.out.find("hello --out " + out + " --top 5"), std::string::npos) << r.out;
  EXPECT_EQ(flopscope::read_file(out), "weights");
  // Not refused (2) nor complained about; without a driver, exit 3 says why.
  EXPECT_NE(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.find("--out"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("--top"), std::string::npos) << r.err;
  // Words that would be misplaced values for flopscope are the application's
  // too (they were checked as flopscope's, and the run refused).
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--counters"}, {"--out", "--set"},
                                               {"--out="}, {"--help=x"}}) {
    std::vector<std::string> cmd{"profile", "/bin/echo", "app:"};
    cmd.insert(cmd.end(), args.begin(), args.end());
    const auto a = run_cli(cmd);
    EXPECT_EQ(a.exit_code, flopscope::test::profile_exit_without_cuda()) << a.err;
    EXPECT_NE(a.out.find("app: " + args.front()), std::string::npos) << a.out << a.err;
  }
  // Before the application they are still flopscope's.
  const auto before = run_cli({"profile", "--out", "--set", "/bin/echo"});
  EXPECT_EQ(before.exit_code, 2);
  EXPECT_NE(before.err.find("--out needs a value, but the next word is '--set'"), std::string::npos) << before.err;
}

TEST(ProfileCli, AppSeesTheInjectionEnvironment) {
  // The variables reach the application (and so its children) unchanged.
  auto r = run_cli({"profile", "--kernel-regex", "gemm", "--nvtx-include", "step", "--", "/bin/sh", "-c",
                    "echo \"cuda=$CUDA_INJECTION64_PATH\"; echo \"nvtx=$NVTX_INJECTION64_PATH\"; "
                    "echo \"re=$FLOPSCOPE_PROFILE_KERNEL_REGEX\"; sh -c 'echo \"child_dir=$FLOPSCOPE_PROFILE_DIR\"'"},
                   {"CUDA_INJECTION64_PATH=/some/other/tool.so"});
  EXPECT_EQ(r.exit_code, flopscope::test::profile_exit_without_cuda()) << r.err;
  EXPECT_NE(r.out.find("libflopscope_inject.so"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("/some/other/tool.so"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("re=gemm"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("child_dir=/"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("replacing CUDA_INJECTION64_PATH"), std::string::npos) << r.err;
  auto period = run_cli({"profile", "--", "/bin/sh", "-c", "echo \"period=$FLOPSCOPE_PROFILE_PERIOD_MS\""},
                        {"FLOPSCOPE_PROFILE_PERIOD_MS=250"});
  EXPECT_NE(period.out.find("period=250"), std::string::npos) << period.out;
  const size_t at = r.out.find("cuda=") + 5;
  const std::string lib = r.out.substr(at, r.out.find('\n', at) - at);
  EXPECT_TRUE(std::filesystem::exists(lib)) << lib;
}

// `nohup flopscope profile -- APP`: a signal flopscope ignores stays ignored
// for the application (a forwarding handler of ours became its default action
// across exec, and SIGHUP killed it).
TEST(ProfileCli, ASignalFlopscopeIgnoresStaysIgnoredForTheApp) {
  struct sigaction ignore {}, before {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGHUP, &ignore, &before), 0);
  auto r = run_cli({"profile", "--", "/bin/sh", "-c", "kill -HUP $$; exit 7"});
  ::sigaction(SIGHUP, &before, nullptr);
  EXPECT_EQ(r.exit_code, 7) << r.err;
}

// SIGUSR1, SIGUSR2 and SIGALRM are passed on too: their default action ended
// flopscope alone, leaving the application running and its temporary
// directory behind.
TEST(ProfileCli, UserSignalsArePassedOnAndNothingIsLeftBehind) {
  for (int sig : {SIGUSR1, SIGALRM}) {
    SCOPED_TRACE(sig);
    const std::string dir = flopscope::test::temp_dir(), tmp = dir + "/tmp";
    std::filesystem::create_directory(tmp);
    const auto running = flopscope::test::start_cli(
        {"profile", "--", "/bin/sh", "-c", "echo > '" + dir + "/ready'; exec sleep 30"}, {"TMPDIR=" + tmp});
    for (int i = 0; i < 1000 && !std::filesystem::exists(dir + "/ready"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(std::filesystem::exists(dir + "/ready"));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // sh has exec'd sleep
    ::kill(running.pid, sig);
    const auto r = flopscope::test::finish_cli(running);
    EXPECT_EQ(r.signal, sig) << r.err;  // once the application died of it and flopscope reported
    EXPECT_EQ(r.exit_code, 128 + sig) << r.err;
    EXPECT_NE(r.err.find("killed by signal " + std::to_string(sig)), std::string::npos) << r.err;
    EXPECT_TRUE(std::filesystem::is_empty(tmp));
  }
}

// flopscope ends by the signal that ended the application, once it has
// reported: a shell then sees the signal (bash ends a loop at a child's death
// by SIGINT, not at an exit with 130).
TEST(ProfileCli, KilledAppReportsSignalExitStatus) {
  for (int sig : {SIGTERM, SIGINT, SIGSEGV}) {
    SCOPED_TRACE(sig);
    const std::string tmp = flopscope::test::temp_dir();
    auto r = run_cli({"profile", "--", "/bin/sh", "-c", "kill -" + std::to_string(sig) + " $$"},
                     {"TMPDIR=" + tmp});
    EXPECT_EQ(r.signal, sig) << r.err;
    EXPECT_EQ(r.exit_code, 128 + sig) << r.err;
    EXPECT_NE(r.err.find("killed by signal " + std::to_string(sig)), std::string::npos) << r.err;
    EXPECT_TRUE(std::filesystem::is_empty(tmp));  // and its temporary directory is gone
  }
}

// The real injection library, loaded as CUDA and NVTX load it. Where there is
// no driver CUPTI refuses (CUPTI_ERROR_UNKNOWN): profile says so and exits 3
// when the application itself succeeded, or passes on the application's code.
// NVTX is not handed to CUPTI where no driver answers (CUPTI 13.2 crashes
// there, tests/cli/cupti_13_2_without_driver.sh): the library never starts, and
// profile says that no driver was found and passes on the application's code.
TEST(ProfileCli, InjectionWithoutDriverSaysSo) {
  const bool driver = flopscope::cupti::driver_answers();
  for (const char* mode : {"cuda", "nvtx"}) {
    auto r = run_cli({"profile", "--", FLOPSCOPE_INJECT_LOADER, mode, "0"});
    auto failing = run_cli({"profile", "--", FLOPSCOPE_INJECT_LOADER, mode, "5"});
    EXPECT_EQ(failing.exit_code, 5) << failing.err;
    if (!driver && std::string(mode) == "nvtx") {
      EXPECT_EQ(r.exit_code, 3) << r.err;  // no driver: profiling was impossible
      EXPECT_NE(r.err.find("no CUDA activity was seen: the injection library never started"), std::string::npos)
          << r.err;
      // The line that decides exit 3 is an error line (it was a plain note).
      EXPECT_NE(r.err.find("flopscope: error: no NVIDIA driver found"), std::string::npos) << r.err;
      EXPECT_EQ(failing.err.find("flopscope: error: no NVIDIA driver"), std::string::npos) << failing.err;
      EXPECT_EQ(r.err.find("CUPTI used"), std::string::npos) << "CUPTI was not to be called\n" << r.err;
      continue;
    }
    if (r.err.find("CUPTI cannot reach a GPU") == std::string::npos) {
      // A machine with a working driver: the library started and saw no kernel.
      EXPECT_TRUE(driver) << mode << ": " << r.err;
      EXPECT_EQ(r.exit_code, 0) << mode << ": " << r.err;
      EXPECT_NE(r.err.find("no kernel ran"), std::string::npos) << mode << ": " << r.err;
      continue;
    }
    EXPECT_EQ(r.exit_code, 3) << mode << ": " << r.err;
    EXPECT_NE(r.err.find("driver"), std::string::npos) << r.err;
    // Nothing was profiled: an earlier results file is not replaced by one of no runs.
    const std::string out = flopscope::test::temp_dir() + "/earlier.json";
    std::ofstream(out) << "earlier";
    const auto again = run_cli({"profile", "--out", out, "--", FLOPSCOPE_INJECT_LOADER, mode, "0"});
    EXPECT_EQ(again.exit_code, 3) << again.err;
    EXPECT_EQ(flopscope::read_file(out), "earlier");
    EXPECT_NE(again.err.find("no results file written to " + out + ": nothing was profiled"), std::string::npos)
        << again.err;
    EXPECT_NE(r.err.find("flopscope: CUPTI used: /"), std::string::npos) << r.err;  // the toolkit's, by RUNPATH
    EXPECT_EQ(r.err.find("no CUDA activity was seen"), std::string::npos) << r.err;
  }
}

// A malformed variable reaching the library (set by the application itself, past
// the CLI's checks) leaves that process unprofiled with one line: it never
// throws out of InitializeInjection into the application.
TEST(ProfileCli, MalformedVariableInTheAppLeavesItUnprofiled) {
  auto r = run_cli({"profile", "--", "/bin/sh", "-c",
                    std::string("FLOPSCOPE_PROFILE_PERIOD_MS=4294967297 ") + FLOPSCOPE_INJECT_LOADER + " cuda 7"});
  EXPECT_EQ(r.exit_code, 7) << r.err;  // the application's own status, passed on
  EXPECT_NE(r.err.find("flopscope-inject: not profiling: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("FLOPSCOPE_PROFILE_PERIOD_MS"), std::string::npos) << r.err;
}

// A profile directory this process cannot see (the environment carried to
// another node, or a process started after profile ended): one line, and the
// library does not start (it once subscribed, paying for callbacks whose
// writes it then said went to a directory that was "gone").
TEST(ProfileCli, AProfileDirectoryNotHereLeavesTheProcessUnprofiled) {
  auto r = run_cli({"profile", "--", "/bin/sh", "-c",
                    std::string("FLOPSCOPE_PROFILE_DIR=/nonexistent-flopscope-dir ") + FLOPSCOPE_INJECT_LOADER +
                        " cuda 7"},
                   {std::string("INJECT_LOADER_CUPTI=") + FLOPSCOPE_FAKE_CUPTI});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_NE(r.err.find("flopscope-inject: not profiling: FLOPSCOPE_PROFILE_DIR=/nonexistent-flopscope-dir is not a "
                       "directory on this host"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("is gone"), std::string::npos) << r.err;
}

// ---- the injection library past CUPTI's start, without a GPU -----------------------
// The application loads a stand-in libcupti.so.13 first (fake_cupti.cpp), as
// PyTorch loads its wheel's: the library binds to it and starts, so its exit
// handler, signal handlers and helper thread run. Periodic writes are off
// unless a test asks for them, so what the stand-in logs is deterministic.

namespace {

flopscope::test::CliResult profile_with_fake_cupti(const std::vector<std::string>& loader_args,
                                                   std::vector<std::string> env = {}) {
  std::vector<std::string> args{"profile", "--", FLOPSCOPE_INJECT_LOADER};
  args.insert(args.end(), loader_args.begin(), loader_args.end());
  env.push_back(std::string("INJECT_LOADER_CUPTI=") + FLOPSCOPE_FAKE_CUPTI);
  env.push_back("FLOPSCOPE_PROFILE_PERIOD_MS=0");  // getenv takes the first: a test's own comes before
  return run_cli(args, env);
}

// The injection library started in the application and wrote its status: a
// test that checks only an exit code of 0 passed where the application never
// ran at all.
void expect_library_ran(const flopscope::test::CliResult& r) {
  EXPECT_NE(r.err.find(std::string("flopscope: CUPTI used: ") + FLOPSCOPE_FAKE_CUPTI), std::string::npos) << r.err;
}

}  // namespace

// CUDA started and no kernel was kept: `--out` is this run's, with no runs,
// not an earlier run's left in place while profile exits 0.
TEST(ProfileCliFakeCupti, NothingKeptWritesAResultsFileOfNoRuns) {
  const std::string out = flopscope::test::temp_dir() + "/r.json";
  std::ofstream(out) << "earlier";
  auto r =
      run_cli({"profile", "--out", out, "--", FLOPSCOPE_INJECT_LOADER, "cuda", "0"},
              {std::string("INJECT_LOADER_CUPTI=") + FLOPSCOPE_FAKE_CUPTI, "FLOPSCOPE_PROFILE_PERIOD_MS=0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  expect_library_ran(r);
  EXPECT_TRUE(flopscope::read_results(out).runs.empty());
  EXPECT_NE(r.err.find("the results file " + out + " holds no runs: nothing was kept"), std::string::npos)
      << r.err;
}

TEST(ProfileCliFakeCupti, LibraryStartsAndWritesAtExit) {
  auto r = profile_with_fake_cupti({"cuda", "0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("CUDA was initialised but no kernel ran"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("ended without running its exit handlers"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("CUPTI cannot reach a GPU"), std::string::npos) << r.err;
  // The libcupti the application loaded first is the one used, and named.
  EXPECT_NE(r.err.find(std::string("flopscope: CUPTI used: ") + FLOPSCOPE_FAKE_CUPTI + " (API version " +
                       std::to_string(kFakeCuptiVersion) + "; flopscope was built with "),
            std::string::npos)
      << r.err;
}

TEST(ProfileCliFakeCupti, NoPipeIsInherited) {
  auto r = profile_with_fake_cupti({"cuda", "0", "fds"});
  EXPECT_EQ(r.exit_code, 0) << r.err;  // 69: a pipe without FD_CLOEXEC
  expect_library_ran(r);
}

// An application started with stdout and stderr closed: nothing of the
// library's may take those numbers (signal pipes once did, and the
// application's writes to stderr read as signals).
TEST(ProfileCliFakeCupti, NothingTakesClosedStandardDescriptors) {
  auto r = run_cli({"profile", "--", "/bin/sh", "-c",
                    std::string("exec ") + FLOPSCOPE_INJECT_LOADER + " cuda 0 fds >&- 2>&-"},
                   {std::string("INJECT_LOADER_CUPTI=") + FLOPSCOPE_FAKE_CUPTI, "FLOPSCOPE_PROFILE_PERIOD_MS=0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;  // 73: a pipe took fd 1 or 2
  expect_library_ran(r);
}

// An application that closes descriptors it did not open (signal pipes once
// went with them: the helper spun on POLLNVAL and the signal was lost) still
// has its signal flushed: the handoff is a semaphore and an atomic.
TEST(ProfileCliFakeCupti, ClosingEveryDescriptorKeepsSignalsFlushed) {
  auto r = profile_with_fake_cupti({"cuda", "0", "close-fds"}, {"FLOPSCOPE_PROFILE_PERIOD_MS=50"});
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
  EXPECT_NE(r.err.find("received signal 15"), std::string::npos) << r.err;
}

// A signal whose default action ends the process, other than the four that
// always flush (SIGUSR1 here, one flopscope passes on), is flushed too where
// the application left it at its default: it killed the process with no
// write, "ended without running its exit handlers" (a reviewer's case).
TEST(ProfileCliFakeCupti, ADefaultDeadlySignalIsFlushed) {
  auto r = profile_with_fake_cupti({"cuda", "0", "usr1"}, {"FLOPSCOPE_PROFILE_PERIOD_MS=0"});
  EXPECT_EQ(r.exit_code, 128 + SIGUSR1) << r.err;
  EXPECT_NE(r.err.find("received signal " + std::to_string(SIGUSR1)), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("ended without running its exit handlers"), std::string::npos) << r.err;
}

// A relative TMPDIR reaches the application as an absolute path: one that
// changes directory still finds its directory (its files were lost).
TEST(ProfileCliFakeCupti, RelativeTmpdirSurvivesAChangeOfDirectory) {
  auto r = profile_with_fake_cupti({"cuda", "0", "chdir"}, {"TMPDIR=."});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("CUDA was initialised but no kernel ran"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("is gone"), std::string::npos) << r.err;
}

// A program exec()ed by a profiled process keeps its pid and runs no exit
// handler: each program writes its own files (the second overwrote the
// first's), and the first is reported as ending without its exit handlers.
TEST(ProfileCliFakeCupti, AnExecutedProgramKeepsTheFirstOnesFiles) {
  auto r = profile_with_fake_cupti({"cuda", "0", "exec"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("ended without running its exit handlers (killed, crashed, _exit() or exec())"),
            std::string::npos)
      << r.err;
}

// A process the application leaves running is named as such, not as one that
// was killed; the directory is sealed before it is read, so it writes no more.
TEST(ProfileCliFakeCupti, AProcessLeftRunningIsSaidToBe) {
  const std::string dir = flopscope::test::temp_dir();
  const std::string loader = FLOPSCOPE_INJECT_LOADER, ready = dir + "/ready";
  auto r = run_cli({"profile", "--", "/bin/sh", "-c",
                    "INJECT_LOADER_READY=" + ready + " " + loader + " cuda 0 linger >/dev/null 2>&1 & " +
                        "while [ ! -e " + ready + " ]; do sleep 0.05; done; exec " + loader + " cuda 0"},
                   {std::string("INJECT_LOADER_CUPTI=") + FLOPSCOPE_FAKE_CUPTI, "FLOPSCOPE_PROFILE_PERIOD_MS=0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("was still running when '/bin/sh' ended"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("ended without running its exit handlers"), std::string::npos) << r.err;
}

// A forced flush hands CUPTI's records of kernels still running over for good:
// a signal the application survives gets a normal flush, and the exit handler
// the forced one; a signal that ends the process, the forced one.
TEST(ProfileCliFakeCupti, OnlyAFatalSignalForcesTheFlush) {
  const std::string dir = flopscope::test::temp_dir();
  auto survived = profile_with_fake_cupti({"cuda", "0", "sigterm-handled"}, {"FAKE_CUPTI_LOG=" + dir + "/survived"});
  EXPECT_EQ(survived.exit_code, 0) << survived.err;  // 68: the application's own handler did not run
  // CUPTI_ACTIVITY_FLAG_FLUSH_FORCED is 1: the signal's write, then the exit's (a
  // follow-up write, 200 ms after the signal's, may come between on a slow machine).
  const std::string survived_log = flopscope::read_file(dir + "/survived");
  EXPECT_TRUE(survived_log == "flush 0\nflush 1\n" || survived_log == "flush 0\nflush 0\nflush 1\n") << survived_log;

  auto died = profile_with_fake_cupti({"cuda", "0", "sigterm"}, {"FAKE_CUPTI_LOG=" + dir + "/died"});
  EXPECT_EQ(died.exit_code, 128 + 15) << died.err;
  EXPECT_NE(died.err.find("received signal 15"), std::string::npos) << died.err;
  EXPECT_EQ(flopscope::read_file(dir + "/died"), "flush 1\n");
}

// CPython ends an uncaught KeyboardInterrupt by restoring SIGINT's default and
// raising it again: no exit handler, so no forced flush. Follow-up writes after
// the signal's (200 ms, then 800 ms after that) deliver what kernels still
// running kept in CUPTI; it was the signal's normal flush alone.
TEST(ProfileCliFakeCupti, AHandledSignalIsFollowedByMoreWrites) {
  const std::string dir = flopscope::test::temp_dir();
  auto r = profile_with_fake_cupti({"cuda", "0", "sigint-reraise"}, {"FAKE_CUPTI_LOG=" + dir + "/python"});
  EXPECT_EQ(r.exit_code, 128 + SIGINT) << r.err;
  EXPECT_NE(r.err.find("received signal 2"), std::string::npos) << r.err;
  const std::string log = flopscope::read_file(dir + "/python");
  EXPECT_EQ(log.rfind("flush 0\nflush 0\n", 0), 0u) << log;  // the signal's write and one more at least
  EXPECT_EQ(log.find("flush 1"), std::string::npos) << log;  // never forced: the process went on
}

// A signal sent to the process group reaches the application twice (directly,
// and passed on by flopscope): the second copy, taken by another thread while
// the first's flush still runs, waits for the write (it ended the process in
// the middle of it: no flush, and "ended without running its exit handlers").
TEST(ProfileCliFakeCupti, ARepeatedSignalWaitsForTheFirstOnesWrite) {
  const std::string dir = flopscope::test::temp_dir();
  // A write of 0.3 s ends while the repeat waits; one of 4 s outlasts the first
  // handler's 1 s, which then leaves it to the helper, and the repeat is dropped
  // (it waited its 3 s and ended the process mid-write).
  for (const char* ms : {"300", "4000"}) {
    const std::string log = dir + "/twice" + ms;
    auto r = profile_with_fake_cupti({"cuda", "0", "sigterm-twice"},
                                     {"FAKE_CUPTI_LOG=" + log, std::string("FAKE_CUPTI_FLUSH_MS=") + ms});
    EXPECT_EQ(r.exit_code, 128 + SIGTERM) << ms << "\n" << r.err;
    EXPECT_NE(r.err.find("received signal 15"), std::string::npos) << ms << "\n" << r.err;
    EXPECT_EQ(flopscope::read_file(log), "flush 1\n") << ms;
  }
}

// A SIGTERM that comes while the write of a SIGINT the application handles
// is still going (past the handler's 1 s) ends the process: only a repeat of
// a signal the helper will end the process for is dropped (it was dropped for
// good, and the application ran on).
TEST(ProfileCliFakeCupti, ASignalAfterAHandledOneStillEndsTheProcess) {
  auto r = profile_with_fake_cupti({"cuda", "0", "int-then-term"}, {"FAKE_CUPTI_FLUSH_MS=2500"});
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
}

// A SIGTERM (its default action) well after a SIGINT the application handled,
// past that write's follow-ups: it gets a forced write of its own, and is the
// one reported (the process once died with no write, named as the SIGINT's).
TEST(ProfileCliFakeCupti, ASignalLongAfterAHandledOneGetsItsOwnWrite) {
  const std::string dir = flopscope::test::temp_dir();
  auto r = profile_with_fake_cupti({"cuda", "0", "int-then-term-late"}, {"FAKE_CUPTI_LOG=" + dir + "/log"});
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
  EXPECT_NE(r.err.find("received signal 15"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("received signal 2"), std::string::npos) << r.err;
  const std::string log = flopscope::read_file(dir + "/log");
  EXPECT_EQ(log.substr(log.size() - 8), "flush 1\n") << log;  // the SIGTERM's forced flush, last
}

// A fault the application's handler recovers from (a JVM's or Julia's
// safepoint poll) is written without forcing the flush, and the writes go on:
// it once counted as the end of the process, forcing the flush (the records
// of kernels still running lost) and switching off every later write.
TEST(ProfileCliFakeCupti, ARecoveredFaultDoesNotEndTheWrites) {
  const std::string dir = flopscope::test::temp_dir();
  auto r = profile_with_fake_cupti({"cuda", "0", "segv-recovered"}, {"FAKE_CUPTI_LOG=" + dir + "/log"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The fault's write and its follow-ups, unforced; then the exit's, forced.
  const std::string log = flopscope::read_file(dir + "/log");
  EXPECT_EQ(log.rfind("flush 0\n", 0), 0u) << log;
  EXPECT_EQ(log.substr(log.size() - 8), "flush 1\n") << log;
  EXPECT_EQ(r.err.find("received signal"), std::string::npos) << r.err;
}

// A SIGTERM after a recovered fault gets its write (forced), though a fault
// came first: once the fault's write and follow-ups were done, no later signal
// was written at all, and the SIGTERM lost every record since. A second
// recovered fault gets no write of its own (a safepoint poll each time).
TEST(ProfileCliFakeCupti, ASigtermAfterARecoveredFaultIsWritten) {
  const std::string dir = flopscope::test::temp_dir();
  auto r = profile_with_fake_cupti({"cuda", "0", "segv-then-term"},
                                   {"FAKE_CUPTI_LOG=" + dir + "/log", "FLOPSCOPE_PROFILE_PERIOD_MS=0"});
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
  EXPECT_NE(r.err.find("received signal 15"), std::string::npos) << r.err;
  // The first fault's write and three follow-ups, unforced; the SIGTERM's, forced.
  EXPECT_EQ(flopscope::read_file(dir + "/log"), "flush 0\nflush 0\nflush 0\nflush 0\nflush 1\n");
}

// A fault while a SIGTERM's write goes on, after its handler has left it to
// the helper, waits for the write before the fault's action (it ended the
// process at once, without the write). Either signal may be the one that ends
// the process; the write is there.
TEST(ProfileCliFakeCupti, AFaultDuringASignalsWriteWaitsForIt) {
  const std::string dir = flopscope::test::temp_dir();
  auto r = profile_with_fake_cupti({"cuda", "0", "term-then-segv"},
                                   {"FAKE_CUPTI_LOG=" + dir + "/fault", "FAKE_CUPTI_FLUSH_MS=3000"});
  EXPECT_TRUE(r.exit_code == 128 + SIGTERM || r.exit_code == 128 + SIGSEGV) << r.exit_code << "\n" << r.err;
  EXPECT_NE(r.err.find("received signal 15"), std::string::npos) << r.err;
  EXPECT_EQ(flopscope::read_file(dir + "/fault"), "flush 1\n");
}

// Ctrl-\ (SIGQUIT) ends an application with a core dump, as SIGTERM ends it:
// the results are written first (forced flush), and profile reports the
// signal (it once left them to the last periodic write).
TEST(ProfileCliFakeCupti, SigquitIsFlushedBeforeItEndsTheApplication) {
  const std::string dir = flopscope::test::temp_dir();
  auto r = profile_with_fake_cupti({"cuda", "0", "sigquit"}, {"FAKE_CUPTI_LOG=" + dir + "/quit"});
  EXPECT_EQ(r.exit_code, 128 + SIGQUIT) << r.err;
  EXPECT_NE(r.err.find("received signal 3"), std::string::npos) << r.err;
  EXPECT_EQ(flopscope::read_file(dir + "/quit"), "flush 1\n");
}

// A SIGQUIT or SIGTERM sent to `flopscope` alone (not from the terminal) is
// passed on to the application, which writes its results and dies of it;
// flopscope reports that, then dies of the same signal. SIGQUIT once killed
// flopscope itself, leaving the application running and its folder behind.
TEST(ProfileCliFakeCupti, SignalsSentToFlopscopeArePassedOn) {
  for (int sig : {SIGQUIT, SIGTERM}) {
    SCOPED_TRACE(sig);
    const std::string dir = flopscope::test::temp_dir();
    const auto running = flopscope::test::start_cli(
        {"profile", "--", FLOPSCOPE_INJECT_LOADER, "cuda", "0", "wait-signal"},
        {"INJECT_LOADER_READY=" + dir + "/ready", "FAKE_CUPTI_LOG=" + dir + "/log",
         std::string("INJECT_LOADER_CUPTI=") + FLOPSCOPE_FAKE_CUPTI, "FLOPSCOPE_PROFILE_PERIOD_MS=0"});
    for (int i = 0; i < 1000 && !std::filesystem::exists(dir + "/ready"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(std::filesystem::exists(dir + "/ready"));
    ::kill(running.pid, sig);
    const auto r = flopscope::test::finish_cli(running);
    EXPECT_EQ(r.signal, sig) << r.err;  // once the application died of it and flopscope reported
    EXPECT_EQ(r.exit_code, 128 + sig) << r.err;
    EXPECT_NE(r.err.find("received signal " + std::to_string(sig)), std::string::npos) << r.err;
    EXPECT_EQ(flopscope::read_file(dir + "/log"), "flush 1\n");
  }
}

// The application's crash handler runs as the kernel would have run it: with
// SA_RESETHAND a handler that returns faults again into the default action
// (it once faulted forever), and with SA_NODEFER one that raises the signal
// dies of it (it once lived on to _exit(1)).
TEST(ProfileCliFakeCupti, TheApplicationsCrashHandlerKeepsItsFlags) {
  auto r = profile_with_fake_cupti({"cuda", "0", "segv-resethand"});
  EXPECT_EQ(r.exit_code, 128 + SIGSEGV) << r.err;  // 142: it faulted until the alarm
  r = profile_with_fake_cupti({"cuda", "0", "segv-nodefer"});
  EXPECT_EQ(r.exit_code, 128 + SIGSEGV) << r.err;
}

// A signal the application ignores stays ignored (nohup): it once got our
// handler, whose write then used up the one a later SIGTERM needed.
TEST(ProfileCliFakeCupti, AnIgnoredSignalStaysIgnored) {
  auto r = profile_with_fake_cupti({"cuda", "0", "hup-ignored"});
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
  EXPECT_NE(r.err.find("received signal 15"), std::string::npos) << r.err;
}

// SIGTERM reaching a thread inside the collector's NVTX callback: the write
// needs a lock that thread holds, so the handler stops waiting after 1 s and
// the helper ends the process once written (it once waited 10 s, and then died
// without the write).
TEST(ProfileCliFakeCupti, ASignalInsideACallbackIsWrittenWithoutAStall) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = profile_with_fake_cupti({"cuda", "0", "nvtx-sigterm"});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
  EXPECT_NE(r.err.find("received signal 15"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("ended without running its exit handlers"), std::string::npos) << r.err;
  // The stall was the 10 s handler wait; under the sanitizers on a loaded CI
  // machine the run itself has taken 7 s, so the bound sits just under 10.
  EXPECT_LT(seconds, 9.5) << r.err;
}

// The same with the signal twice (to the process group, and passed on): the
// second copy reaches the thread inside the callback once the first handler
// has deferred to the helper, and is dropped there, so the helper can take the
// lock and write (it waited 3 s for a write that could not start, then ended
// the process without it).
TEST(ProfileCliFakeCupti, ARepeatInsideACallbackDoesNotStallTheWrite) {
  auto r = profile_with_fake_cupti({"cuda", "0", "nvtx-sigterm-twice"});
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
  EXPECT_NE(r.err.find("received signal 15"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("ended without running its exit handlers"), std::string::npos) << r.err;
}

// A handler of the application's that calls exit() on SIGTERM, taken inside
// the collector's NVTX callback: the exit handler's write needed the lock that
// thread held, and the process hung for good (here until its 20 s alarm). Its
// results are now those of its last write, and it says so. Whether the
// handler was installed before CUDA started (the library's handler runs first,
// and its helper waits on that lock too) or after (it replaced the library's).
TEST(ProfileCliFakeCupti, ExitFromASignalHandlerInsideACallbackDoesNotHang) {
  for (const char* action : {"nvtx-sigterm-exit", "nvtx-sigterm-exit-late"}) {
    SCOPED_TRACE(action);
    auto r = profile_with_fake_cupti({"cuda", "0", action});
    EXPECT_EQ(r.exit_code, 0) << r.err;  // 142: the alarm ended a hung process
    expect_library_ran(r);
  }
}

// An output that cannot be written once the application has run (its
// directory removed meanwhile) is one line: the application's exit status and
// the notes on how it ended still come (it once exited 2 with neither).
TEST(ProfileCliFakeCupti, AnOutputLostAfterTheRunKeepsTheAppsStatus) {
  const std::string dir = flopscope::test::temp_dir() + "/gone";
  std::filesystem::create_directory(dir);
  auto r = run_cli({"profile", "--out", dir + "/r.json", "--", "/bin/sh", "-c",
                    "rm -rf '" + dir + "'; exec \"$0\" cuda 5", FLOPSCOPE_INJECT_LOADER},
                   {std::string("INJECT_LOADER_CUPTI=") + FLOPSCOPE_FAKE_CUPTI});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("flopscope: error: " + dir + "/r.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("exited with status 5"), std::string::npos) << r.err;
}

// CUPTI refusing a step after the subscription (here the third record kind,
// MEMSET) leaves nothing on: the kinds already enabled are disabled and the
// subscriber is unsubscribed, so no callback feeds a profile nobody reads and
// another tool can attach. The status names the call; with nothing started,
// nothing is flushed.
TEST(ProfileCliFakeCupti, AFailedStartUndoesWhatItDid) {
  const std::string dir = flopscope::test::temp_dir();
  auto r = profile_with_fake_cupti({"cuda", "0"},
                                   {"FAKE_CUPTI_REFUSE=cuptiActivityEnable:3", "FAKE_CUPTI_LOG=" + dir + "/log"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("cuptiActivityEnable(MEMSET) returned CUPTI_ERROR_INVALID_PARAMETER"), std::string::npos)
      << r.err;
  EXPECT_EQ(flopscope::read_file(dir + "/log"), "cuptiActivityDisable\ncuptiActivityDisable\ncuptiUnsubscribe\n");
}

// The library's own start failing (not a CUPTI refusal: here a filter the
// application's environment spoiled after flopscope checked its own) leaves the
// process unprofiled: it was reported as "CUDA was initialised but no kernel
// ran", exit 0, and an empty results file replaced --out.
TEST(ProfileCliFakeCupti, ALibraryThatCouldNotStartIsNotReportedAsProfiled) {
  const std::string dir = flopscope::test::temp_dir();
  const std::string out = dir + "/r.json";
  auto r = run_cli({"profile", "--out", out, "--", "/bin/sh", "-c",
                    std::string("FLOPSCOPE_PROFILE_NVTX_INCLUDE='a//b' exec ") + FLOPSCOPE_INJECT_LOADER + " cuda 0"},
                   {std::string("INJECT_LOADER_CUPTI=") + FLOPSCOPE_FAKE_CUPTI, "FLOPSCOPE_PROFILE_PERIOD_MS=0"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("flopscope-inject: --nvtx-include 'a//b'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the injection library could not start (its message is above): nothing of it was profiled"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("no kernel ran"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no results file written to " + out + ": nothing was profiled"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

// The status a fatal signal wrote is the last word: the helper's periodic
// write (every 10 ms here) must not replace it while the application's crash
// handler takes its time (300 ms) before the process dies.
TEST(ProfileCliFakeCupti, PeriodicWriteKeepsTheFatalSignalsStatus) {
  auto r = profile_with_fake_cupti({"cuda", "0", "abort-slow"}, {"FLOPSCOPE_PROFILE_PERIOD_MS=10"});
  EXPECT_EQ(r.exit_code, 128 + 6) << r.err;
  EXPECT_NE(r.err.find("received signal 6"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("ended without running its exit handlers"), std::string::npos) << r.err;
}
