#include "nvtx_ranges.h"

#include <algorithm>

namespace flopscope::cupti {

PathTable::PathTable() { intern(""); }

PathId PathTable::intern(const std::string& path) {
  auto it = ids_.find(path);
  if (it != ids_.end()) return it->second;
  const PathId id = PathId(paths_.size());
  paths_.push_back(path);
  ids_.emplace(path, id);
  return id;
}

const std::string& PathTable::path(PathId id) const {
  return id < paths_.size() ? paths_[id] : paths_[0];
}

void NvtxTracker::push(uint64_t thread, const std::string& name, NvtxDomain domain) {
  Thread& t = threads_[thread];
  t.stacks[domain].push_back({++seq_, path_part(name)});
  ++t.stack_version;
}

void NvtxTracker::pop(uint64_t thread, NvtxDomain domain) {
  auto t = threads_.find(thread);
  if (t != threads_.end()) {
    auto& stacks = t->second.stacks;
    auto s = stacks.find(domain);
    if (s != stacks.end()) {
      s->second.pop_back();
      if (s->second.empty()) stacks.erase(s);
      ++t->second.stack_version;
      if (stacks.empty()) threads_.erase(t);  // nothing open: current() needs no entry
      return;
    }
  }
  ++unmatched_pops_;
}

void NvtxTracker::start(uint64_t range_id, const std::string& name) {
  started_[range_id] = {++seq_, path_part(name)};
  ++global_version_;
}

void NvtxTracker::end(uint64_t range_id) {
  if (started_.erase(range_id) == 0) {
    ++unmatched_ends_;
    return;
  }
  ++global_version_;
}

PathId NvtxTracker::current(uint64_t thread) {
  // A thread with no push/pop range open gets no entry (every launching
  // thread of a long run would otherwise keep one): its path is the start/end
  // ranges', cached once for all such threads.
  const auto found = threads_.find(thread);
  Thread* t = found == threads_.end() ? nullptr : &found->second;
  if (t ? t->cached_stack_version == t->stack_version && t->cached_global_version == global_version_
        : no_stack_cached_version_ == global_version_)
    return t ? t->cached : no_stack_cached_;
  // The thread's stacks of every domain and the process's start/end ranges,
  // merged by when each range began.
  std::vector<const Open*> open;
  if (t)
    for (const auto& [domain, stack] : t->stacks)
      for (const Open& o : stack) open.push_back(&o);
  for (const auto& [id, o] : started_) open.push_back(&o);
  std::sort(open.begin(), open.end(), [](const Open* a, const Open* b) { return a->seq < b->seq; });
  std::string path;
  for (const Open* o : open) {
    if (!path.empty()) path.push_back('/');
    path += o->name;
  }
  const PathId id = paths_.intern(path);
  if (!t) {
    no_stack_cached_ = id;
    no_stack_cached_version_ = global_version_;
    return id;
  }
  t->cached = id;
  t->cached_stack_version = t->stack_version;
  t->cached_global_version = global_version_;
  return id;
}

void MarkerTimeline::add(const MarkerActivity& m) {
  if (m.phase == MarkerActivity::Phase::instant) return;
  Range& r = ranges_[m.id];
  if (m.phase == MarkerActivity::Phase::start) {
    r.name = path_part(m.name);
    r.thread_scoped = m.thread_scoped;
    r.thread = m.thread_id;
    r.start = m.timestamp_ns;
    r.have_start = true;
  } else {
    r.end = m.timestamp_ns;
  }
}

std::string MarkerTimeline::path_at(uint64_t thread, uint64_t t) const {
  std::vector<const Range*> open;
  for (const auto& [id, r] : ranges_) {
    if (!r.have_start || r.start > t) continue;
    if (r.end && *r.end <= t) continue;
    if (r.thread_scoped && r.thread != thread) continue;
    open.push_back(&r);
  }
  // Earlier start first; on a tie (same timestamp) the outer range is the one
  // that ends later.
  std::stable_sort(open.begin(), open.end(), [](const Range* a, const Range* b) {
    if (a->start != b->start) return a->start < b->start;
    const uint64_t ae = a->end.value_or(~0ull), be = b->end.value_or(~0ull);
    return ae > be;
  });
  std::string path;
  for (const Range* r : open) {
    if (!path.empty()) path.push_back('/');
    path += r->name;
  }
  return path;
}

std::string utf8_from_wide(const wchar_t* text) {
  std::string out;
  if (!text) return out;
  for (; *text; ++text) {
    const uint32_t c = uint32_t(*text);
    if (c < 0x80) {
      out.push_back(char(c));
    } else if (c < 0x800) {
      out.push_back(char(0xC0 | (c >> 6)));
      out.push_back(char(0x80 | (c & 0x3F)));
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      out += "\xEF\xBF\xBD";  // a surrogate (UTF-16 wchar_t) is no character of its own
    } else if (c < 0x10000) {
      out.push_back(char(0xE0 | (c >> 12)));
      out.push_back(char(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(char(0x80 | (c & 0x3F)));
    } else if (c < 0x110000) {
      out.push_back(char(0xF0 | (c >> 18)));
      out.push_back(char(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(char(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(char(0x80 | (c & 0x3F)));
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD for values outside Unicode
    }
  }
  return out;
}

std::string path_part(const std::string& name) {
  if (name.empty()) return std::string(kUnnamedRange);
  const std::string valid = valid_utf8(name);
  std::string out;
  out.reserve(valid.size());
  for (const char c : valid) {
    if (c == '/') out += "\xE2\x88\x95";  // U+2215 DIVISION SLASH
    else out += c;
  }
  return out;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  if (path.empty()) return out;
  size_t begin = 0;
  for (;;) {
    const size_t slash = path.find('/', begin);
    out.push_back(path.substr(begin, slash == std::string::npos ? std::string::npos : slash - begin));
    if (slash == std::string::npos) break;
    begin = slash + 1;
  }
  return out;
}

bool nvtx_path_matches(const std::string& path, const std::string& pattern) {
  const std::vector<std::string> p = split_path(path), q = split_path(pattern);
  if (q.empty()) return true;
  if (q.size() > p.size()) return false;
  for (size_t i = 0; i + q.size() <= p.size(); ++i)
    if (std::equal(q.begin(), q.end(), p.begin() + long(i))) return true;
  return false;
}

}  // namespace flopscope::cupti
