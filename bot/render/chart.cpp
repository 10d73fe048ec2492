#include "render/chart.hpp"

#include <dlfcn.h>

#include "common/shared_object.hpp"
#include "render/module.hpp"

namespace reflexbot::render {
namespace {

/// The loaded renderer.
struct Renderer {
  RenderChartPng draw = nullptr;
};

/// The renderer, loaded on the first call; the error says why it cannot be.
Expected<Renderer, std::string> load() {
  auto handle = open_shared_object(kRenderModuleFile);
  if (!handle) return Unexpected("the chart renderer " + handle.error());
  Renderer renderer{reinterpret_cast<RenderChartPng>(::dlsym(*handle, kRenderEntry))};
  if (renderer.draw == nullptr)
    return Unexpected(std::string("the chart renderer ") + kRenderModuleFile + " lacks " +
                      kRenderEntry);
  return renderer;
}

}  // namespace

Expected<Png, std::string> chart_png(const core::ChartData& chart) {
  if (chart.empty()) return Unexpected{std::string("no theme with contributions from a city")};
  static const Expected<Renderer, std::string> renderer = load();
  if (!renderer) return Unexpected{renderer.error()};
  Png png;
  std::string error;
  if (renderer->draw(&chart, &png.bytes, &png.width, &png.height, &error) == 0)
    return Unexpected{std::move(error)};
  return png;
}

}  // namespace reflexbot::render
