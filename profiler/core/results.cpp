#include "flopscope/results.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <vector>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flopscope/error.h"
#include "flopscope/roofline.h"
#include "flopscope/version.h"
#include "flopscope_commit.h"

namespace flopscope {

std::string shape_string(const Shape& s) {
  std::string out;
  for (const auto& [k, v] : s) {
    if (!out.empty()) out.push_back(' ');
    out.append(k);
    out.push_back('=');
    out.append(std::to_string(v));
  }
  return out;
}

std::optional<int64_t> shape_get(const Shape& s, const std::string& key) {
  for (const auto& [k, v] : s)
    if (k == key) return v;
  return std::nullopt;
}

bool is_bench_nvtx_range(const std::string& nvtx, const std::string& id, const Shape& shape) {
  if (nvtx == bench_nvtx_range(id, shape_string(shape))) return true;  // as bench wrote it
  // A file whose shape keys were reordered since (`jq -S`, a JSON library that
  // sorts keys) still names bench's own range: the same "key=value" words in
  // another order. Only for keys that are words, as bench's are: a key with a
  // space or '=' in it makes the words ambiguous.
  if (shape.empty() || nvtx.size() <= id.size() || nvtx.compare(0, id.size(), id) != 0 || nvtx[id.size()] != ' ')
    return false;
  std::vector<std::string> pairs, words;
  for (const auto& [k, v] : shape) {
    if (k.empty() || k.find_first_of(" =") != std::string::npos) return false;
    pairs.push_back(k + "=" + std::to_string(v));
  }
  const std::string rest = nvtx.substr(id.size() + 1);
  for (size_t at = 0; at <= rest.size();) {
    const size_t space = std::min(rest.find(' ', at), rest.size());
    words.push_back(rest.substr(at, space - at));
    at = space + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::sort(words.begin(), words.end());
  return pairs == words;
}

std::string distinguishing_nvtx(const RunRecord& run) {
  return is_bench_nvtx_range(run.nvtx, run.id, run.shape) ? std::string() : run.nvtx;
}

std::string run_key(const RunRecord& run) {
  Shape s = run.shape;
  std::sort(s.begin(), s.end());
  // Every text length-prefixed: the key names one run. Joined as shape_string
  // joins them, {"m": 1, "n": 2} and {"m=1 n": 2} both read "m=1 n=2", so
  // compare paired two different runs (and a file holding both was refused).
  std::string key;
  auto text = [&key](const std::string& t) {
    key.append(std::to_string(t.size())).push_back(':');
    key.append(t);
  };
  text(run.id);
  for (const auto& [k, v] : s) {
    text(k);
    key.append(std::to_string(v)).push_back(';');
  }
  key.push_back('|');
  text(distinguishing_nvtx(run));
  return key;
}

std::optional<std::pair<std::size_t, std::size_t>> first_repeated_run(const std::vector<RunRecord>& runs) {
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < runs.size(); ++i)
    if (const auto [it, fresh] = seen.emplace(run_key(runs[i]), i); !fresh) return std::pair{it->second, i};
  return std::nullopt;
}

std::string run_key_text(const std::string& id, const Shape& shape, const std::string& nvtx) {
  std::string label = id;  // appended step by step: GCC 12 misreports "a" + b + c here (-Wrestrict)
  if (!shape.empty()) label.append(" ").append(shape_string(shape));
  if (!nvtx.empty()) label.append(" [").append(nvtx).append("]");
  return label;
}

std::string run_key_label(const RunRecord& run) { return run_key_text(run.id, run.shape, distinguishing_nvtx(run)); }

std::optional<double> HwCounters::dram_bytes() const {
  if (dram_read_bytes && dram_write_bytes) return *dram_read_bytes + *dram_write_bytes;
  return std::nullopt;
}

void compute_derived(RunRecord& run, const PeakTable& peaks) {
  const double t = run.time_s.median;
  if (!(t > 0)) throw_bad_input(run.id + ": median time must be positive");
  auto prec = parse_precision(run.precision);
  if (!prec) throw_bad_input(run.id + ": unknown precision '" + run.precision + "'");

  Derived d;
  d.tflops_model = run.model.flops / t / 1e12;
  d.peak_key = prec->key();
  d.peak_source = peaks.source;
  // Plain values with flags (not optionals): GCC 12 misreports optionals here.
  const bool have_hw_flops = run.hw && run.hw->flops_total;
  const double hw_flops = have_hw_flops ? *run.hw->flops_total : 0;
  if (have_hw_flops) d.tflops_hw = hw_flops / t / 1e12;
  if (auto u = utilization(run.model.flops, t, *prec, peaks)) {
    if (has_model(run)) d.mfu = u->value;  // a raw counter file's ranges have none
    d.peak_tflops = u->peak_flops_per_s / 1e12;
    if (have_hw_flops) d.hfu = hw_flops / t / u->peak_flops_per_s;
  }
  d.ai_dram = run.model.bytes > 0 ? run.model.flops / run.model.bytes : 0;
  const double hw_bytes = run.hw ? run.hw->dram_bytes().value_or(0) : 0;
  if (have_hw_flops && hw_bytes > 0) d.ai_dram_hw = hw_flops / hw_bytes;

  // Place the kernel with the measured quantities when we have them.
  const bool use_hw = d.ai_dram_hw.has_value();
  const double flops = use_hw ? hw_flops : run.model.flops;
  const double bytes = use_hw ? hw_bytes : run.model.bytes;
  d.bound = "unknown";
  if (d.peak_tflops > 0 && peaks.dram_bytes_per_s > 0 && bytes > 0) {
    const RooflinePoint p = roofline(flops, bytes, t, d.peak_tflops * 1e12, peaks.dram_bytes_per_s);
    d.bound = to_string(p.bound);
    d.pct_of_roof = p.pct_of_roof;
  }
  run.derived = d;
}

void compute_profile_derived(RunRecord& run, const PeakTable& peaks) {
  Derived d;
  d.peak_key = run.precision;
  d.peak_source = peaks.source;
  d.bound = "unknown";
  auto it = peaks.flops_per_s.find(run.precision);
  const double peak = it != peaks.flops_per_s.end() ? it->second : 0;
  d.peak_tflops = peak / 1e12;
  const double t = run.time_s.median;
  if (run.hw && run.hw->flops_total && t > 0) {
    d.tflops_hw = *run.hw->flops_total / t / 1e12;
    if (peak > 0) d.hfu = *run.hw->flops_total / t / peak;
    if (auto bytes = run.hw->dram_bytes(); bytes && *bytes > 0) {
      d.ai_dram_hw = *run.hw->flops_total / *bytes;
      if (peak > 0 && peaks.dram_bytes_per_s > 0) {
        // As bench places its runs (compute_derived), from the counted FLOPs and bytes.
        const RooflinePoint p = roofline(*run.hw->flops_total, *bytes, t, peak, peaks.dram_bytes_per_s);
        d.bound = to_string(p.bound);
        d.pct_of_roof = p.pct_of_roof;
      }
    }
  }
  run.derived = d;
}

void recompute_derived(ResultsDoc& doc) {
  for (RunRecord& r : doc.runs) {
    if (r.family == "app")
      compute_profile_derived(r, doc.peaks.datasheet);
    else
      compute_derived(r, doc.peaks.datasheet);
  }
}

bool derived_is_finite(const Derived& d) {
  for (const double v : {d.tflops_model, d.peak_tflops, d.ai_dram, d.pct_of_roof})
    if (!std::isfinite(v)) return false;
  for (const std::optional<double>& v : {d.tflops_hw, d.mfu, d.hfu, d.ai_dram_hw})
    if (v && !std::isfinite(*v)) return false;
  return true;
}

const char* build_commit() { return FLOPSCOPE_GIT_COMMIT; }

std::string driver_text(const DeviceInfo& d) {
  if (!d.nvidia_driver.empty())
    return "NVIDIA driver " + d.nvidia_driver + (d.driver_version.empty() ? "" : " (CUDA " + d.driver_version + ")");
  return d.driver_version.empty() ? "unknown driver" : "CUDA " + d.driver_version + " driver";
}

std::string device_label(const DeviceInfo& d, bool sm_count) {
  std::vector<std::string> notes;
  if (!d.gpu_key.empty()) notes.push_back(d.gpu_key);
  if (sm_count && d.sm_count > 0) notes.push_back(std::to_string(d.sm_count) + " SMs");
  if (notes.empty()) return d.name;
  std::string s = d.name + " (" + notes[0];
  for (size_t i = 1; i < notes.size(); ++i) s += ", " + notes[i];
  return s + ")";
}

std::string device_label(const std::optional<DeviceInfo>& d) { return d ? device_label(*d) : "not recorded"; }

bool same_gpu(const DeviceInfo& a, const DeviceInfo& b) {
  const bool model = !a.gpu_key.empty() && !b.gpu_key.empty() ? a.gpu_key == b.gpu_key : a.name == b.name;
  return model && (a.sm_count <= 0 || b.sm_count <= 0 || a.sm_count == b.sm_count);
}

ResultsDoc new_results_doc() {
  ResultsDoc doc;
  doc.tool_version = FLOPSCOPE_VERSION;
  doc.tool_commit = build_commit();
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  doc.created = buf;
  return doc;
}

namespace {
// The directory an output lands in: its temporary file and probe go there too.
std::filesystem::path dir_of(const std::filesystem::path& target) {
  return target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
}

// Where write_file_atomic's rename lands, checked as check_output_path says.
std::filesystem::path output_target(const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty()) throw_bad_input("output path is empty");
  fs::path target(path);
  std::error_code ec;
  // The rename replaces what it lands on: write through a symbolic link (such
  // as /dev/stdout) to where it points, never over the link itself.
  if (fs::is_symlink(fs::symlink_status(target, ec))) {
    target = fs::canonical(target, ec);
    if (ec) throw_bad_input(path + ": a symbolic link to no file (nothing, or a pipe); give a file path");
  }
  const fs::path dir = dir_of(target);
  if (!fs::is_directory(dir, ec))
    throw_bad_input(path + (fs::exists(dir, ec) ? ": '" + dir.string() + "' is not a directory"
                                                : ": directory '" + dir.string() + "' does not exist"));
  // The rename would replace whatever is there: never a device such as
  // /dev/null, a pipe or a directory.
  if (const fs::file_status st = fs::status(target, ec); fs::exists(st) && !fs::is_regular_file(st))
    throw_bad_input(path + ": not a regular file (a device, pipe or directory); give a file path");
  struct stat out_st {}, target_st {}, dir_st {};
  const bool exists = ::stat(target.c_str(), &target_st) == 0;
  // In a sticky directory (/tmp, a shared folder) only a file's owner, or
  // the directory's, may replace it: the rename would fail after earlier
  // outputs of the same command were already replaced.
  if (exists && ::stat(dir.c_str(), &dir_st) == 0 && (dir_st.st_mode & S_ISVTX) && ::geteuid() != 0 &&
      target_st.st_uid != ::geteuid() && dir_st.st_uid != ::geteuid())
    throw_bad_input(path + ": owned by another user in a sticky directory, so it cannot be replaced; give "
                           "another file");
  // A file something is mounted on (a bind-mounted file, as containers give
  // one): the rename would fail with EBUSY after earlier outputs of the same
  // command were already replaced. Kernels before 5.8 do not say; then the
  // rename still fails cleanly.
  struct statx mount_st {};
  if (exists && ::statx(AT_FDCWD, target.c_str(), 0, STATX_BASIC_STATS, &mount_st) == 0 &&
      (mount_st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
      (mount_st.stx_attributes & STATX_ATTR_MOUNT_ROOT))
    throw_bad_input(path +
                    ": something is mounted on this file, so it cannot be replaced; give another file");
  // A file this process's stdout or stderr is redirected to (--csv /dev/stdout
  // > f): the rename would unlink it, and what was printed there with it.
  if (exists)
    for (const int fd : {STDOUT_FILENO, STDERR_FILENO})
      if (::fstat(fd, &out_st) == 0 && out_st.st_dev == target_st.st_dev && out_st.st_ino == target_st.st_ino)
        throw_bad_input(path + ": this command's standard " + (fd == STDOUT_FILENO ? "output" : "error") +
                        " goes there too; give another file");
  return target;
}

// A new file `<dir>/<prefix><random>`, made by this call: O_EXCL and
// O_NOFOLLOW, with a name no one can guess ahead, so that a file or symbolic
// link someone planted there is never written through (a predictable name
// once let another user aim a report at any file). -1 with errno on failure.
// O_CLOEXEC: a profiled application writes these too, and the programs it
// starts meanwhile must not inherit them.
int create_new_file(const std::filesystem::path& dir, const std::string& prefix, std::filesystem::path& made) {
  // One generator a thread: the injection library writes from its helper
  // thread and from exit handlers.
  thread_local std::mt19937_64 random{std::random_device{}() ^ uint64_t(::getpid())};
  for (int attempt = 0; attempt < 16; ++attempt) {
    char suffix[17];
    std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(random()));
    std::string name = prefix;
    name.append(suffix);
    made = dir / name;
    const int fd = ::open(made.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;  // errno EEXIST: sixteen names taken
}
}  // namespace

void check_output_path(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target = output_target(path);
  if (target.filename().string().size() > 255)  // NAME_MAX of Linux file systems
    throw_bad_input(path + ": file name longer than 255 bytes; give a shorter one");
  // Permissions, a read-only mount or a pseudo file system show only when a
  // file is made: make one now, before any work, as the write will.
  const fs::path dir = dir_of(target);
  fs::path probe;
  const int fd = create_new_file(dir, ".flopscope-probe.", probe);
  if (fd < 0) {
    const int err = errno;
    // ENOENT in a directory that exists: one that makes no new files (/proc).
    const std::string why = err == ENOENT ? "it does not accept new files" : std::strerror(err);
    throw_bad_input(path + ": cannot write in directory '" + dir.string() + "' (" + why + ")");
  }
  ::close(fd);
  ::unlink(probe.c_str());
}

void write_file_atomic(const std::string& path, const std::string& content) {
  write_files_atomic({{path, content}});
}

namespace {
// Every byte of `s` to `fd`, through short writes and signals.
bool write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}
}  // namespace

namespace {
// Ctrl-C, kill and a closed terminal wait while files are staged and renamed
// into place, and end the process once they are: stopped in between, hidden
// temporary files were left behind, and some outputs new beside others old.
// Held for this thread only (the injection library writes from its own).
class InterruptsHeld {
 public:
  InterruptsHeld() {
    sigset_t held;
    sigemptyset(&held);
    for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&held, sig);
    active_ = ::pthread_sigmask(SIG_BLOCK, &held, &before_) == 0;
  }
  ~InterruptsHeld() {
    if (active_) ::pthread_sigmask(SIG_SETMASK, &before_, nullptr);
  }
  InterruptsHeld(const InterruptsHeld&) = delete;
  InterruptsHeld& operator=(const InterruptsHeld&) = delete;

 private:
  sigset_t before_{};
  bool active_ = false;
};
}  // namespace

void write_files_atomic(const std::vector<FileToWrite>& files) {
  namespace fs = std::filesystem;
  const InterruptsHeld held;
  struct Staged {
    fs::path tmp, target;
  };
  std::vector<Staged> staged;
  std::error_code ec;
  auto remove_staged = [&] {
    for (const Staged& s : staged) fs::remove(s.tmp, ec);
  };
  for (const FileToWrite& f : files) {
    const fs::path target = output_target(f.path);
    // Same directory, so the rename is atomic. The name is cut so that a
    // target near the 255-byte name limit still has one.
    std::string prefix = ".";
    prefix.append(target.filename().string().substr(0, 200)).append(".tmp.");
    fs::path tmp;
    const int fd = create_new_file(dir_of(target), prefix, tmp);
    if (fd < 0) {
      const std::string why = std::strerror(errno);
      remove_staged();
      throw_bad_input(f.path + ": cannot write (" + why + ")");
    }
    staged.push_back({tmp, target});
    // A file of ours replaced keeps its permissions (a private report stayed
    // private only until rewritten: the new one had the umask's). Another
    // user's keeps the umask's: its mode on a file now ours could shut them out.
    struct stat target_st {};
    if (::stat(target.c_str(), &target_st) == 0 && target_st.st_uid == ::geteuid())
      (void)::fchmod(fd, target_st.st_mode & 0777);
    const bool written = write_all(fd, f.content);
    if (::close(fd) != 0 || !written) {
      remove_staged();
      throw Error(ErrorKind::failure, f.path + ": write failed (disk full?)");
    }
  }
  for (size_t i = 0; i < staged.size(); ++i) {
    fs::rename(staged[i].tmp, staged[i].target, ec);
    if (ec) {
      const std::string why = ec.message();  // before remove() reuses ec
      for (size_t j = i; j < staged.size(); ++j) fs::remove(staged[j].tmp, ec);
      throw_bad_input(files[i].path + ": cannot replace file (" + why + ")");
    }
  }
}

bool same_file(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code ea, eb;
  if (fs::exists(a, ea) && fs::exists(b, eb)) return fs::equivalent(a, b, ea) && !ea;
  const fs::path ca = fs::weakly_canonical(fs::absolute(a, ea), ea);
  const fs::path cb = fs::weakly_canonical(fs::absolute(b, eb), eb);
  return !ea && !eb && ca == cb;
}

namespace {
std::string size_text(std::uintmax_t bytes) {
  constexpr std::uintmax_t kMiB = std::uintmax_t(1) << 20;
  return bytes >= kMiB ? std::to_string(bytes / kMiB) + " MiB" : std::to_string(bytes) + " bytes";
}
}  // namespace

void check_outputs_apart(const std::vector<std::string>& outputs, const std::vector<std::string>& inputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (outputs[i].empty()) continue;
    for (const std::string& in : inputs)
      if (!in.empty() && same_file(outputs[i], in))
        throw_bad_input(outputs[i] + ": this output is the input '" + in +
                        "'; writing it would replace the input, give another output path");
    for (size_t j = 0; j < i; ++j)
      if (!outputs[j].empty() && same_file(outputs[i], outputs[j]))
        throw_bad_input(outputs[i] + ": the same file as the output '" + outputs[j] +
                        "'; give each output its own path");
  }
}

std::string read_file(const std::string& path, std::size_t max_bytes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::is_directory(st)) throw_bad_input(path + ": is a directory, expected a file");
  auto too_large = [&](const std::string& size) {
    throw_bad_input(path + ": " + size + "more than the " + size_text(max_bytes) +
                    " flopscope reads from one input (results files are far smaller); is this the right file?");
  };
  // A regular file says its size; a pipe or device (/dev/zero) is read until
  // the limit, never further.
  if (fs::is_regular_file(st))
    if (const std::uintmax_t size = fs::file_size(path, ec); !ec && size > max_bytes) too_large(size_text(size) + ", ");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const std::string hint = path == "-" ? "; standard input is read as /dev/stdin" : "";
    throw_bad_input(path + ": cannot open (" + std::strerror(errno) + ")" + hint);
  }
  std::string text;
  std::vector<char> chunk(std::size_t(1) << 20);
  while (in) {
    in.read(chunk.data(), std::streamsize(chunk.size()));
    const auto got = std::size_t(in.gcount());
    if (got > max_bytes - text.size()) too_large("");
    text.append(chunk.data(), got);
  }
  if (in.bad()) throw_bad_input(path + ": read failed (" + std::strerror(errno) + ")");
  return text;
}

void write_results(const std::string& path, const ResultsDoc& doc) {
  write_file_atomic(path, to_json_text(doc));
}

ResultsDoc read_results(const std::string& path) { return parse_results(read_file(path), path); }

}  // namespace flopscope
