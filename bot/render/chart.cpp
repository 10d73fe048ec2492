#include "render/chart.hpp"

#include <dlfcn.h>

#include "common/shared_object.hpp"
#include "render/module.hpp"

namespace reflexbot::render {
namespace {

/// The renderer's entry point, loaded once; the error says why it cannot be.
Expected<RenderChartPng, std::string> renderer() {
  static const Expected<RenderChartPng, std::string> loaded =
      []() -> Expected<RenderChartPng, std::string> {
    auto handle = open_shared_object(kRenderModuleFile);
    if (!handle) return Unexpected("the chart renderer " + handle.error());
    auto entry = reinterpret_cast<RenderChartPng>(::dlsym(*handle, kRenderEntry));
    if (entry == nullptr)
      return Unexpected(std::string("the chart renderer ") + kRenderModuleFile + " lacks " +
                        kRenderEntry);
    return entry;
  }();
  return loaded;
}

}  // namespace

Expected<Png, std::string> chart_png(const core::ChartData& chart) {
  if (chart.empty()) return Unexpected{std::string("no theme with contributions from a city")};
  auto draw = renderer();
  if (!draw) return Unexpected{draw.error()};
  Png png;
  std::string error;
  if ((*draw)(&chart, &png.bytes, &png.width, &png.height, &error) == 0)
    return Unexpected{std::move(error)};
  return png;
}

}  // namespace reflexbot::render
