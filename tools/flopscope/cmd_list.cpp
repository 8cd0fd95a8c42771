// `flopscope list [--json]`: every registered kernel with its shape parameters.
// Needs no GPU: the registry and the models are host code.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "exit_codes.h"
#include "flopscope/error.h"
#include "flopscope/table.h"
#ifdef FLOPSCOPE_HAS_KERNELS
#include "registry.h"
#endif

namespace flopscope::cli {
namespace {

#ifdef FLOPSCOPE_HAS_KERNELS
std::string params_text(const kernels::KernelSpec& s) {
  std::string out;
  for (const auto& p : s.params)
    out += (out.empty() ? "" : " ") + p.name + "=" + std::to_string(p.default_value);
  return out;
}

nlohmann::json spec_json(const kernels::KernelSpec& s) {
  nlohmann::json params = nlohmann::json::array();
  for (const auto& p : s.params)
    params.push_back({{"name", p.name}, {"default", p.default_value}, {"min", p.min_value},
                      {"help", p.help}});
  nlohmann::json presets = nlohmann::json::object();
  for (const auto& p : s.presets) presets[p.name] = p.values;
  return {{"id", s.id()},
          {"family", s.family},
          {"variant", s.variant},
          {"dtype", s.dtype},
          {"precision", s.precision.key()},
          {"description", s.description},
          {"params", params},
          {"presets", presets},
          {"default_suite", s.in_default_suite},
          {"min_cc", s.min_cc},
          {"only_cc", s.only_cc},
          {"smem_bytes", s.smem_bytes}};
}
#endif

void add_list_command(Command app) {
  auto json = std::make_shared<bool>(false);
  Command sub = app.add_subcommand("list", "List the reference kernels and their shape parameters");
  sub.add_flag("--json", *json, "Print JSON instead of a table");
  set_action(sub, [json]() -> int {
#ifndef FLOPSCOPE_HAS_KERNELS
    throw Error(ErrorKind::bad_input,
                "this flopscope was built without kernels (FLOPSCOPE_KERNELS=OFF); rebuild with it on");
#else
    const auto& all = kernels::all_kernels();
    if (*json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& s : all) out.push_back(spec_json(s));
      std::cout << out.dump(2) << "\n";
      return kOk;
    }
    Table t;
    t.add_column("kernel", Align::left);
    t.add_column("peak", Align::left);
    t.add_column("shape (defaults)", Align::left);
    t.add_column("suite", Align::left);
    t.add_column("description", Align::left, true);
    for (const auto& s : all)
      t.add_row({s.id(), s.precision.key(), params_text(s), s.in_default_suite ? "yes" : "",
                 s.description});
    // Into a pipe or file (`| grep`), whole descriptions: cut, three GEMM
    // tilings read alike and the wgmma FFN lost its "(sm_90a)".
    std::cout << t.render(stdout_width(), stdout_is_color_tty())
              << all.size() << " kernels. Run one: flopscope bench --kernel ID [--shape "
                 "PRESET|NAME=V,...|AxBxC]\n";
    return kOk;
#endif
  });
}

}  // namespace

static const bool registered = register_command(35, add_list_command);

}  // namespace flopscope::cli
