#pragma once
// Turns one raw CUPTI activity record into a plain struct (activity_types.h).
// The caller walks the buffer (cuptiActivityGetNextRecord) and hands each
// record's address here; tests hand it synthetic records built in memory.
#include "activity_types.h"

namespace flopscope::cupti {

/// Decodes the record at `record` (a CUpti_Activity of the CUDA 13 layout:
/// Kernel10, Memcpy6, MemcpyPtoP4, Memset4, Marker2, Device5). Kinds flopscope does not use
/// decode to std::monostate. `record` must not be null.
Activity decode_activity(const void* record);

/// "HtoD", "DtoH", ... for a CUpti_ActivityMemcpyKind value; "unknown" otherwise.
const char* memcpy_kind_name(int kind);

}  // namespace flopscope::cupti
