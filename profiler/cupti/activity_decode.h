#pragma once
// Turns raw CUPTI activity records into plain structs (activity_types.h): one
// record, or a whole completed buffer; tests hand them synthetic records built
// in memory.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "activity_types.h"

namespace flopscope::cupti {

/// Decodes the record at `record` (a CUpti_Activity of the CUDA 13 layout:
/// Kernel10, Memcpy6, MemcpyPtoP4, Memset4, Marker2, Device5). Kinds flopscope does not use
/// decode to std::monostate. `record` must not be null.
Activity decode_activity(const void* record);

/// The records of a completed buffer, in order (cuptiActivityGetNextRecord).
struct DecodedBuffer {
  std::vector<Activity> records;
  /// The walk stopped before the end of the valid bytes: at an incomplete or
  /// invalid record (CUPTI gives no way past it), or out of host memory. The
  /// records after it are lost, and CUPTI does not count them as dropped.
  bool cut_short = false;
};
DecodedBuffer decode_buffer(uint8_t* buffer, size_t valid_bytes);

/// "HtoD", "DtoH", ... for a CUpti_ActivityMemcpyKind value; "unknown" otherwise.
const char* memcpy_kind_name(int kind);

}  // namespace flopscope::cupti
