#pragma once
// What the stand-in libcupti.so.13 (fake_cupti.cpp) reports, for the tests.
#include <cstdint>

/// cuptiGetVersion's answer: no real CUPTI has it.
inline constexpr uint32_t kFakeCuptiVersion = 990001;
