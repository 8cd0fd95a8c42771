#include "cli/run_cli.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace flopscope::test {

static std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CliResult run_cli(const std::vector<std::string>& args, const std::vector<std::string>& env,
                  const std::string& stdout_to) {
  return finish_cli(start_cli(args, env, stdout_to));
}

RunningCli start_cli(const std::vector<std::string>& args, const std::vector<std::string>& env,
                     const std::string& stdout_to) {
  const std::string dir = temp_dir();
  const std::string out_path = stdout_to.empty() ? dir + "/stdout" : stdout_to, err_path = dir + "/stderr";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  int pipe_fds[2] = {-1, -1};
  if (stdout_to == kClosedPipe) {
    if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
    ::close(pipe_fds[0]);  // no reader: the first write gets EPIPE (and SIGPIPE)
    posix_spawn_file_actions_adddup2(&fa, pipe_fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, pipe_fds[1]);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);

  std::vector<std::string> argv_s{FLOPSCOPE_CLI_PATH};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  // `env` overrides: a variable it sets is dropped from this process's copy
  // (getenv returns the first of two).
  auto name_of = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) {
    const std::string kv = *e;
    const bool overridden =
        std::any_of(env.begin(), env.end(), [&](const std::string& o) { return name_of(o) == name_of(kv); });
    if (!overridden) env_s.push_back(kv);
  }
  env_s.insert(env_s.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = 0;
  if (posix_spawn(&pid, FLOPSCOPE_CLI_PATH, &fa, nullptr, argv.data(), envp.data()) != 0)
    throw std::runtime_error("cannot start " FLOPSCOPE_CLI_PATH);
  posix_spawn_file_actions_destroy(&fa);
  if (pipe_fds[1] >= 0) ::close(pipe_fds[1]);
  return RunningCli{int(pid), out_path, err_path, stdout_to.empty()};
}

CliResult finish_cli(const RunningCli& running) {
  int status = 0;
  waitpid(pid_t(running.pid), &status, 0);
  CliResult r;
  // A crash shows as 128 + signal, like a shell would, so tests can tell.
  r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + r.signal;
  if (running.capture_out) r.out = slurp(running.out_path);
  r.err = slurp(running.err_path);
  return r;
}

namespace {
std::filesystem::path make_temp_root() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "flopscope-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}
}  // namespace

bool nvidia_device_node_present() {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/dev", ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 6 && name.rfind("nvidia", 0) == 0 &&
        std::all_of(name.begin() + 6, name.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return true;
  }
  return false;
}

std::string temp_dir() {
  namespace fs = std::filesystem;
  static const fs::path root = make_temp_root();
  // Registered once root is built, so it runs before root is destroyed (exit
  // handlers run in reverse order): registering it inside root's initializer
  // ran it on a destroyed path, and every test process left its directory.
  static const bool removed_at_exit = [] {
    return std::atexit([] {
             std::error_code ec;
             fs::remove_all(root, ec);
           }) == 0;
  }();
  (void)removed_at_exit;
  static int counter = 0;
  fs::path p = root / std::to_string(counter++);
  fs::create_directories(p);
  return p.string();
}

}  // namespace flopscope::test
