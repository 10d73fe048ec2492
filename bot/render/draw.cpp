// The drawing itself, in a shared object of its own (libreflexbot_render.so, linked with
// pangocairo): render/chart.cpp loads it when the first chart is drawn, so the bot keeps Cairo,
// Pango, fontconfig and their libraries out of memory until then.

#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/chart.hpp"
#include "render/module.hpp"

namespace reflexbot::render {
namespace {

constexpr int kWidth = 800;
constexpr int kMargin = 28;
constexpr int kLabelMin = 280;  // the theme column
constexpr int kColumnMax = 104;
constexpr int kHeaderLines = 3;
constexpr int kCell = 48;
constexpr const char* kFont = "DejaVu Sans";

struct Rgb {
  double r, g, b;
};
constexpr Rgb kInk{0.106, 0.106, 0.106};
constexpr Rgb kMuted{0.36, 0.36, 0.36};
constexpr Rgb kCard{1.0, 1.0, 1.0};
constexpr Rgb kBar{0.184, 0.435, 0.561};  // #2f6f8f, the report's colour
constexpr Rgb kEmpty{0.93, 0.95, 0.96};

void set(cairo_t* cr, Rgb c, double alpha = 1.0) {
  cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}

using Layout = std::unique_ptr<PangoLayout, decltype(&g_object_unref)>;

// A layout of `text` in `width` pixels, wrapped (at words, inside a word only if it must), cut
// with "…" after `lines` lines.
Layout layout(cairo_t* cr, const std::string& text, int size, bool bold, int width, int lines,
              PangoAlignment align = PANGO_ALIGN_LEFT) {
  Layout l(pango_cairo_create_layout(cr), &g_object_unref);
  PangoFontDescription* font = pango_font_description_new();
  pango_font_description_set_family(font, kFont);
  pango_font_description_set_absolute_size(font, size * PANGO_SCALE);
  pango_font_description_set_weight(font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description(l.get(), font);
  pango_font_description_free(font);
  pango_layout_set_width(l.get(), width * PANGO_SCALE);
  pango_layout_set_wrap(l.get(), PANGO_WRAP_WORD_CHAR);
  pango_layout_set_ellipsize(l.get(), PANGO_ELLIPSIZE_END);
  pango_layout_set_height(l.get(), -lines);
  pango_layout_set_alignment(l.get(), align);
  pango_layout_set_text(l.get(), text.data(), static_cast<int>(text.size()));
  return l;
}

// The width the text needs on one line, unwrapped.
int natural_width(const Layout& l) {
  PangoRectangle ink{}, logical{};
  pango_layout_get_pixel_extents(l.get(), &ink, &logical);
  return logical.width;
}

int height_of(const Layout& l) {
  int w = 0, h = 0;
  pango_layout_get_pixel_size(l.get(), &w, &h);
  return h;
}

void draw(cairo_t* cr, const Layout& l, double x, double y, Rgb color) {
  set(cr, color);
  cairo_move_to(cr, x, y);
  pango_cairo_show_layout(cr, l.get());
}

void rounded(cairo_t* cr, double x, double y, double w, double h, double r) {
  cairo_new_sub_path(cr);
  cairo_arc(cr, x + w - r, y + r, r, -G_PI / 2, 0);
  cairo_arc(cr, x + w - r, y + h - r, r, 0, G_PI / 2);
  cairo_arc(cr, x + r, y + h - r, r, G_PI / 2, G_PI);
  cairo_arc(cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path(cr);
}

// Draws the chart at `cr` and returns the height it takes (on a 1×1 surface: only measures).
int paint(cairo_t* cr, const core::ChartData& chart) {
  const int columns = static_cast<int>(chart.columns.size());
  const int inner = kWidth - 2 * kMargin;
  const int column = std::min(kColumnMax, (inner - kLabelMin) / std::max(columns, 1));
  const int label = inner - column * columns;
  int y = kMargin;

  const Layout heading = layout(cr, chart.heading, 24, true, inner, 2);
  draw(cr, heading, kMargin, y, kInk);
  y += height_of(heading) + 18;

  int header = 0;
  std::vector<Layout> heads;
  for (const auto& city : chart.columns) {
    heads.push_back(layout(cr, city, 15, true, column - 6, kHeaderLines, PANGO_ALIGN_CENTER));
    header = std::max(header, height_of(heads.back()));
  }
  for (int c = 0; c < columns; ++c) {
    const int h = height_of(heads[static_cast<std::size_t>(c)]);
    draw(cr, heads[static_cast<std::size_t>(c)], kMargin + label + c * column + 3, y + header - h,
         kMuted);
  }
  y += header + 10;

  int most = 1;
  for (const auto& row : chart.rows) {
    for (const int n : row.counts) most = std::max(most, n);
  }
  // As wide as the largest count needs (a busy network week has four or five digits), at most
  // the column.
  const int cell = std::clamp(
      natural_width(layout(cr, std::to_string(most), 18, true, kWidth, 1)) + 16, kCell, column - 4);
  for (const auto& row : chart.rows) {
    const Layout title = layout(cr, row.title, 19, false, label - 12, 2);
    int text_height = height_of(title);
    std::optional<Layout> mark;
    if (!row.mark.empty()) {
      mark.emplace(layout(cr, row.mark, 14, false, label - 12, 1));
      text_height += height_of(*mark) + 2;
    }
    const int height = std::max(kCell + 12, text_height + 12);
    set(cr, kEmpty);
    cairo_rectangle(cr, kMargin, y + height - 1, inner, 1);
    cairo_fill(cr);
    const int top = y + (height - text_height) / 2;
    draw(cr, title, kMargin, top, kInk);
    if (mark) draw(cr, *mark, kMargin, top + height_of(title) + 2, kBar);
    for (int c = 0; c < columns; ++c) {
      const int n = row.counts[static_cast<std::size_t>(c)];
      const double x = kMargin + label + c * column + (column - cell) / 2.0;
      const double cy = y + (height - kCell) / 2.0;
      rounded(cr, x, cy, cell, kCell, 8);
      if (n == 0) {
        set(cr, kEmpty);
        cairo_fill(cr);
        continue;
      }
      const double alpha = 0.25 + 0.75 * n / most;
      set(cr, kBar, alpha);
      cairo_fill(cr);
      const Layout number = layout(cr, std::to_string(n), 18, true, cell, 1, PANGO_ALIGN_CENTER);
      draw(cr, number, x, cy + (kCell - height_of(number)) / 2.0, alpha > 0.55 ? kCard : kInk);
    }
    y += height;
  }
  return y + kMargin;
}

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

}  // namespace reflexbot::render

extern "C" int reflexbot_render_chart_png(const reflexbot::core::ChartData* chart, std::string* png,
                                          int* width, int* height, std::string* error) {
  using namespace reflexbot::render;
  // First measure on a small surface, then draw at the height the chart needs.
  cairo_surface_t* probe = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t* measure = cairo_create(probe);
  const int needed = paint(measure, *chart);
  cairo_destroy(measure);
  cairo_surface_destroy(probe);

  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, kWidth, needed);
  cairo_t* cr = cairo_create(surface);
  set(cr, kCard);
  cairo_paint(cr);
  paint(cr, *chart);
  cairo_status_t status = cairo_status(cr);
  png->clear();
  if (status == CAIRO_STATUS_SUCCESS) {
    cairo_surface_flush(surface);
    status = cairo_surface_write_to_png_stream(surface, append, png);
  }
  cairo_destroy(cr);
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS) {
    *error = std::string("cairo: ") + cairo_status_to_string(status);
    return 0;
  }
  *width = kWidth;
  *height = needed;
  return 1;
}
