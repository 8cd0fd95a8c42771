// The only place that reads CUPTI activity record layouts.
#include "activity_decode.h"

#include <cupti_activity.h>

namespace flopscope::cupti {

const char* memcpy_kind_name(int kind) {
  switch (kind) {
    case CUPTI_ACTIVITY_MEMCPY_KIND_HTOD: return "HtoD";
    case CUPTI_ACTIVITY_MEMCPY_KIND_DTOH: return "DtoH";
    case CUPTI_ACTIVITY_MEMCPY_KIND_HTOA: return "HtoA";
    case CUPTI_ACTIVITY_MEMCPY_KIND_ATOH: return "AtoH";
    case CUPTI_ACTIVITY_MEMCPY_KIND_ATOA: return "AtoA";
    case CUPTI_ACTIVITY_MEMCPY_KIND_ATOD: return "AtoD";
    case CUPTI_ACTIVITY_MEMCPY_KIND_DTOA: return "DtoA";
    case CUPTI_ACTIVITY_MEMCPY_KIND_DTOD: return "DtoD";
    case CUPTI_ACTIVITY_MEMCPY_KIND_HTOH: return "HtoH";
    case CUPTI_ACTIVITY_MEMCPY_KIND_PTOP: return "PtoP";
    default: return "unknown";
  }
}

namespace {

KernelActivity decode_kernel(const CUpti_ActivityKernel10& k) {
  KernelActivity a;
  a.name = k.name ? k.name : "";
  a.start_ns = k.start;
  a.end_ns = k.end;
  a.device = k.deviceId;
  a.context = k.contextId;
  a.stream = k.streamId;
  a.correlation = k.correlationId;
  a.graph_id = k.graphId;
  a.graph_node_id = k.graphNodeId;
  a.grid[0] = k.gridX, a.grid[1] = k.gridY, a.grid[2] = k.gridZ;
  a.block[0] = k.blockX, a.block[1] = k.blockY, a.block[2] = k.blockZ;
  a.device_launched = k.isDeviceLaunched != 0;
  return a;
}

// The fields copies and memsets share, by the same names in every record.
template <class Activity, class Record>
void decode_transfer(Activity& a, const Record& m) {
  a.bytes = m.bytes;
  a.start_ns = m.start;
  a.end_ns = m.end;
  a.device = m.deviceId;
  a.context = m.contextId;
  a.stream = m.streamId;
  a.correlation = m.correlationId;
  a.graph_id = m.graphId;
}

// Memcpy6 and the peer-to-peer MemcpyPtoP4 (cudaMemcpyPeer) share these fields.
template <class Record>
MemcpyActivity decode_copy(const Record& m) {
  MemcpyActivity a;
  a.kind = memcpy_kind_name(m.copyKind);
  decode_transfer(a, m);
  return a;
}

MemcpyActivity decode_memcpy(const CUpti_ActivityMemcpy6& m) {
  MemcpyActivity a = decode_copy(m);
  a.runtime_correlation = m.runtimeCorrelationId;
  return a;
}

MemsetActivity decode_memset(const CUpti_ActivityMemset4& m) {
  MemsetActivity a;
  decode_transfer(a, m);
  return a;
}

MarkerActivity decode_marker(const CUpti_ActivityMarker2& m) {
  MarkerActivity a;
  const unsigned flags = unsigned(m.flags);
  if (flags & CUPTI_ACTIVITY_FLAG_MARKER_START)
    a.phase = MarkerActivity::Phase::start;
  else if (flags & CUPTI_ACTIVITY_FLAG_MARKER_END)
    a.phase = MarkerActivity::Phase::end;
  else
    a.phase = MarkerActivity::Phase::instant;
  a.timestamp_ns = m.timestamp;
  a.id = m.id;
  a.thread_scoped = m.objectKind == CUPTI_ACTIVITY_OBJECT_THREAD;
  a.process_id = m.objectId.pt.processId;
  a.thread_id = a.thread_scoped ? m.objectId.pt.threadId : 0;
  a.name = m.name ? m.name : "";
  a.domain = m.domain ? m.domain : "";
  return a;
}

DeviceActivity decode_device(const CUpti_ActivityDevice5& d) {
  DeviceActivity a;
  a.id = d.id;
  a.name = d.name ? d.name : "";
  a.cc_major = int(d.computeCapabilityMajor);
  a.cc_minor = int(d.computeCapabilityMinor);
  a.sm_count = int(d.numMultiprocessors);
  a.core_clock_mhz = double(d.coreClockRate) / 1000.0;  // CUPTI reports kHz
  a.memory_bytes = d.globalMemorySize;
  return a;
}

}  // namespace

Activity decode_activity(const void* record) {
  const auto* base = static_cast<const CUpti_Activity*>(record);
  switch (base->kind) {
    case CUPTI_ACTIVITY_KIND_KERNEL:
    case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
      return decode_kernel(*static_cast<const CUpti_ActivityKernel10*>(record));
    case CUPTI_ACTIVITY_KIND_MEMCPY:
      return decode_memcpy(*static_cast<const CUpti_ActivityMemcpy6*>(record));
    case CUPTI_ACTIVITY_KIND_MEMCPY2:
      return decode_copy(*static_cast<const CUpti_ActivityMemcpyPtoP4*>(record));  // one correlation id
    case CUPTI_ACTIVITY_KIND_MEMSET:
      return decode_memset(*static_cast<const CUpti_ActivityMemset4*>(record));
    case CUPTI_ACTIVITY_KIND_MARKER:
      return decode_marker(*static_cast<const CUpti_ActivityMarker2*>(record));
    case CUPTI_ACTIVITY_KIND_DEVICE:
      return decode_device(*static_cast<const CUpti_ActivityDevice5*>(record));
    default:
      return std::monostate{};
  }
}

DecodedBuffer decode_buffer(uint8_t* buffer, size_t valid_bytes) {
  DecodedBuffer out;
  if (!buffer) return out;
  CUpti_Activity* rec = nullptr;
  CUptiResult r = CUPTI_SUCCESS;
  try {
    while ((r = cuptiActivityGetNextRecord(buffer, valid_bytes, &rec)) == CUPTI_SUCCESS)
      out.records.push_back(decode_activity(rec));
  } catch (...) {  // out of host memory: keep what was decoded
  }
  out.cut_short = r != CUPTI_ERROR_MAX_LIMIT_REACHED;  // MAX_LIMIT_REACHED: no more records
  return out;
}

}  // namespace flopscope::cupti
