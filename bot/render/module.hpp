#pragma once
// The entry point of libreflexbot_render.so (draw.cpp), which render/chart.cpp loads with dlopen
// on the first chart. Both sides are built together, by the same compiler, so C++ types may cross.

#include <string>

#include "core/chart.hpp"

namespace reflexbot::render {

/// The file name of the renderer.
inline constexpr const char* kRenderModuleFile = "libreflexbot_render.so";
/// Its one symbol.
inline constexpr const char* kRenderEntry = "reflexbot_render_chart_png";

/// Draws `chart` (not empty) as PNG into `png` and its size into `width` and `height`; 1 on
/// success, else 0 and the reason in `error`.
using RenderChartPng = int (*)(const core::ChartData* chart, std::string* png, int* width,
                               int* height, std::string* error);

}  // namespace reflexbot::render

extern "C" __attribute__((visibility("default"))) int reflexbot_render_chart_png(
    const reflexbot::core::ChartData* chart, std::string* png, int* width, int* height,
    std::string* error);
