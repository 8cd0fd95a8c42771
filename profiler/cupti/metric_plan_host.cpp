#include "metric_plan_host.h"

#include <cupti_range_profiler.h>

#include "cupti_callable.h"
#include "flopscope/error.h"
#include "session_errors.h"

namespace flopscope::cupti {

HostObject::HostObject(const std::string& chip, const std::vector<uint8_t>& availability)
    : availability_(availability) {
  require_cupti_callable();
  auto p = cupti_params<CUpti_Profiler_Host_Initialize_Params>(CUpti_Profiler_Host_Initialize_Params_STRUCT_SIZE);
  p.profilerType = CUPTI_PROFILER_TYPE_RANGE_PROFILER;
  p.pChipName = chip.c_str();
  p.pCounterAvailabilityImage = availability_.empty() ? nullptr : availability_.data();
  const CUptiResult r = cuptiProfilerHostInitialize(&p);
  if (r != CUPTI_SUCCESS) throw_host_failure(r, "cuptiProfilerHostInitialize", "chip " + chip);
  obj_ = p.pHostObject;
}

HostObject::~HostObject() {
  if (!obj_) return;
  auto p = cupti_params<CUpti_Profiler_Host_Deinitialize_Params>(CUpti_Profiler_Host_Deinitialize_Params_STRUCT_SIZE);
  p.pHostObject = obj_;
  cuptiProfilerHostDeinitialize(&p);  // nothing useful to do on failure in a destructor
}

std::vector<std::string> HostObject::base_metrics() const {
  std::vector<std::string> out;
  for (CUpti_MetricType t : {CUPTI_METRIC_TYPE_COUNTER, CUPTI_METRIC_TYPE_RATIO,
                             CUPTI_METRIC_TYPE_THROUGHPUT}) {
    auto p = cupti_params<CUpti_Profiler_Host_GetBaseMetrics_Params>(CUpti_Profiler_Host_GetBaseMetrics_Params_STRUCT_SIZE);
    p.pHostObject = obj_;
    p.metricType = t;
    const CUptiResult r = cuptiProfilerHostGetBaseMetrics(&p);
    if (r != CUPTI_SUCCESS) throw_host_failure(r, "cuptiProfilerHostGetBaseMetrics");
    for (size_t i = 0; i < p.numMetrics; ++i) out.emplace_back(p.ppMetricNames[i]);
  }
  return out;
}

bool HostObject::has_metric(const std::string& name) const {
  auto p = cupti_params<CUpti_Profiler_Host_GetMetricProperties_Params>(CUpti_Profiler_Host_GetMetricProperties_Params_STRUCT_SIZE);
  p.pHostObject = obj_;
  p.pMetricName = name.c_str();
  return cuptiProfilerHostGetMetricProperties(&p) == CUPTI_SUCCESS;
}

std::vector<uint8_t> HostObject::config_image(const std::vector<std::string>& metrics) {
  std::vector<const char*> names;
  for (const auto& m : metrics) names.push_back(m.c_str());
  auto add = cupti_params<CUpti_Profiler_Host_ConfigAddMetrics_Params>(CUpti_Profiler_Host_ConfigAddMetrics_Params_STRUCT_SIZE);
  add.pHostObject = obj_;
  add.ppMetricNames = names.data();
  add.numMetrics = names.size();
  CUptiResult r = cuptiProfilerHostConfigAddMetrics(&add);
  if (r != CUPTI_SUCCESS) throw_host_failure(r, "cuptiProfilerHostConfigAddMetrics");

  auto sz = cupti_params<CUpti_Profiler_Host_GetConfigImageSize_Params>(CUpti_Profiler_Host_GetConfigImageSize_Params_STRUCT_SIZE);
  sz.pHostObject = obj_;
  r = cuptiProfilerHostGetConfigImageSize(&sz);
  if (r != CUPTI_SUCCESS) throw_host_failure(r, "cuptiProfilerHostGetConfigImageSize");
  std::vector<uint8_t> image(sz.configImageSize);
  auto gi = cupti_params<CUpti_Profiler_Host_GetConfigImage_Params>(CUpti_Profiler_Host_GetConfigImage_Params_STRUCT_SIZE);
  gi.pHostObject = obj_;
  gi.configImageSize = image.size();
  gi.pConfigImage = image.data();
  r = cuptiProfilerHostGetConfigImage(&gi);
  if (r != CUPTI_SUCCESS) throw_host_failure(r, "cuptiProfilerHostGetConfigImage");
  return image;
}

std::vector<double> HostObject::evaluate(const std::vector<uint8_t>& counter_data, size_t range,
                                         const std::vector<std::string>& metrics) const {
  std::vector<const char*> names;
  for (const auto& m : metrics) names.push_back(m.c_str());
  std::vector<double> values(metrics.size(), 0.0);
  auto p = cupti_params<CUpti_Profiler_Host_EvaluateToGpuValues_Params>(CUpti_Profiler_Host_EvaluateToGpuValues_Params_STRUCT_SIZE);
  p.pHostObject = obj_;
  p.pCounterDataImage = counter_data.data();
  p.counterDataImageSize = counter_data.size();
  p.rangeIndex = range;
  p.ppMetricNames = names.data();
  p.numMetrics = names.size();
  p.pMetricValues = values.data();
  const CUptiResult r = cuptiProfilerHostEvaluateToGpuValues(&p);
  if (r != CUPTI_SUCCESS)
    throw Error(ErrorKind::bad_input,
                "cannot evaluate counter data (range " + std::to_string(range) + "): " +
                    cupti_result_name(r) + " from cuptiProfilerHostEvaluateToGpuValues; the "
                    "counter image is damaged or was not recorded with this chip and metric list");
  return values;
}

int64_t config_passes(std::vector<uint8_t>& config_image) {
  auto p = cupti_params<CUpti_Profiler_Host_GetNumOfPasses_Params>(CUpti_Profiler_Host_GetNumOfPasses_Params_STRUCT_SIZE);
  p.configImageSize = config_image.size();
  p.pConfigImage = config_image.data();
  const CUptiResult r = cuptiProfilerHostGetNumOfPasses(&p);
  if (r != CUPTI_SUCCESS) throw_host_failure(r, "cuptiProfilerHostGetNumOfPasses");
  return int64_t(p.numOfPasses);
}

size_t counter_data_ranges(const std::vector<uint8_t>& counter_data) {
  auto p = cupti_params<CUpti_RangeProfiler_GetCounterDataInfo_Params>(CUpti_RangeProfiler_GetCounterDataInfo_Params_STRUCT_SIZE);
  p.pCounterDataImage = counter_data.data();
  p.counterDataImageSize = counter_data.size();
  const CUptiResult r = cuptiRangeProfilerGetCounterDataInfo(&p);
  if (r != CUPTI_SUCCESS)
    throw Error(ErrorKind::bad_input, "not a valid CUPTI counter-data image: " +
                                          cupti_result_name(r) +
                                          " from cuptiRangeProfilerGetCounterDataInfo");
  return p.numTotalRanges;
}

std::string counter_data_range_name(const std::vector<uint8_t>& counter_data, size_t range) {
  auto p = cupti_params<CUpti_RangeProfiler_CounterData_GetRangeInfo_Params>(CUpti_RangeProfiler_CounterData_GetRangeInfo_Params_STRUCT_SIZE);
  p.pCounterDataImage = counter_data.data();
  p.counterDataImageSize = counter_data.size();
  p.rangeIndex = range;
  p.rangeDelimiter = "/";
  const CUptiResult r = cuptiRangeProfilerCounterDataGetRangeInfo(&p);
  if (r != CUPTI_SUCCESS || !p.rangeName) return {};
  // The header does not say who owns rangeName (unlike the host API's
  // GetRangeName); NVIDIA's own helpers copy it and never free it, and so do we.
  return std::string(p.rangeName);
}

}  // namespace flopscope::cupti
