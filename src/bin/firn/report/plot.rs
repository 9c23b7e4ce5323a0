//! How the card draws: every chart goes through plotters' SVG backend here,
//! with one set of sizes, fonts and greys, a title and subtitle above the
//! plot, an accessible `<title>`, and user text made safe for XML first
//! (plotters escapes markup; control characters are replaced here).
//!
//! plotters writes integer pixel coordinates and no randomness, so the same
//! data gives the same bytes.

use std::error::Error;

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::{RangedCoordf64, RangedCoordi32};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::color::{OPERATING, REFERENCE};
use super::format::{escape, format_fixed, truncate};
use super::roc::OperatingPoint;

/// The area a chart draws on.
pub type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
/// A chart with two numeric axes.
pub type XyChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
/// A chart with a numeric x axis and one named row per entry (bars, beeswarm).
pub type RowsChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, SegmentedCoord<RangedCoordi32>>>;
/// What drawing returns: plotters' errors, boxed.
pub type Drawn<T = ()> = Result<T, Box<dyn Error>>;

/// Size of the square curve charts (ROC, precision-recall, gains, …).
pub const CURVE_CHART: (u32, u32) = (440, 460);
/// Height of the title block above every plot.
const HEADING: u32 = 54;

/// Text, axes and grid.
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Axis labels and ticks.
pub const AXIS: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(0xe3, 0xe6, 0xea);

/// Sans-serif text of `px` pixels in `colour` (plotters writes `font-size` as size / 1.24).
fn text_style(px: f64, colour: RGBColor, style: FontStyle) -> TextStyle<'static> {
    TextStyle {
        font: FontDesc::new(FontFamily::SansSerif, px * 1.24, style),
        color: colour.to_backend_color(),
        pos: Pos::new(HPos::Left, VPos::Top),
    }
}

/// Text of `px` pixels in the ink colour.
pub fn font(px: f64) -> TextStyle<'static> {
    text_style(px, INK, FontStyle::Normal)
}

/// Text of `px` pixels in `colour`.
pub fn font_in(px: f64, colour: RGBColor) -> TextStyle<'static> {
    text_style(px, colour, FontStyle::Normal)
}

/// Bold text of `px` pixels in `colour`.
pub fn bold(px: f64, colour: RGBColor) -> TextStyle<'static> {
    text_style(px, colour, FontStyle::Bold)
}

/// `style` anchored at `h` / `v`.
pub fn anchored(style: TextStyle<'static>, h: HPos, v: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, v))
}

/// User text as a chart shows it: at most `max` characters, control
/// characters replaced (plotters escapes `<`, `>`, `&` and quotes itself).
pub fn plain(text: &str, max: usize) -> String {
    truncate(text, max)
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// A chart of `size` pixels drawn by `draw`, as an SVG document whose
/// `<title>` is `description`. A drawing error gives a small document saying so.
pub fn render(
    size: (u32, u32),
    description: &str,
    draw: impl FnOnce(&Area<'_>) -> Drawn,
) -> String {
    let mut document = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut document, size).into_drawing_area();
        let drawn = root
            .fill(&WHITE)
            .map_err(|e| Box::new(e) as Box<dyn Error>)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(|e| Box::new(e) as Box<dyn Error>));
        drop(root);
        drawn
    };
    match drawn {
        Ok(()) => with_title(&document, description),
        Err(e) => failed(size, description, &e.to_string()),
    }
}

/// `document` with a `<title>` as the first child of its root element.
fn with_title(document: &str, description: &str) -> String {
    let title = format!("<title>{}</title>\n", escape(description));
    match document
        .find("<svg")
        .and_then(|start| document[start..].find('>').map(|end| start + end + 1))
    {
        Some(at) => format!(
            "{}\n{title}{}",
            &document[..at],
            document[at..].trim_start()
        ),
        None => document.to_string(),
    }
}

/// The document shown when a chart cannot be drawn.
fn failed((width, height): (u32, u32), description: &str, reason: &str) -> String {
    format!(
        "<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         xmlns=\"http://www.w3.org/2000/svg\">\n<title>{}</title>\n<text x=\"12\" y=\"24\" \
         font-family=\"sans-serif\" font-size=\"13\">This chart could not be drawn: {}</text>\n</svg>\n",
        escape(description),
        escape(reason)
    )
}

/// Draws `title` (bold) and `subtitle` at the top of `root`; returns the area below.
pub fn heading<'a>(root: &Area<'a>, title: &str, subtitle: &str) -> Drawn<Area<'a>> {
    root.draw(&Text::new(plain(title, 60), (14, 10), bold(16.0, INK)))?;
    root.draw(&Text::new(
        plain(subtitle, 90),
        (14, 32),
        font_in(12.0, AXIS),
    ))?;
    Ok(root.split_vertically(HEADING).1)
}

/// Short tick labels: up to three decimals, no trailing zeros, thousands separated.
pub fn tick(value: &f64) -> String {
    let value = if value.abs() < 1e-12 { 0.0 } else { *value };
    if value.abs() >= 1000.0 {
        return super::format::format_fixed(value, 0);
    }
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// An x/y chart on `area` over `x` × `y`, with grid, ticks and axis names.
pub fn xy_chart<'a, 'b>(
    area: &'a Area<'b>,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    x_desc: &str,
    y_desc: &str,
) -> Drawn<XyChart<'a, 'b>> {
    let mut chart = ChartBuilder::on(area)
        .margin_left(6)
        .margin_right(22)
        .margin_top(6)
        .margin_bottom(4)
        .x_label_area_size(44)
        .y_label_area_size(54)
        .build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .x_desc(plain(x_desc, 60))
        .y_desc(plain(y_desc, 60))
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .bold_line_style(GRID)
        .light_line_style(WHITE.mix(0.0))
        .axis_style(AXIS)
        .label_style(font_in(11.0, AXIS))
        .axis_desc_style(font(12.0))
        .draw()?;
    Ok(chart)
}

/// A chart on `area` over `x` with one row per name, the first on top; with
/// `row_lines`, a grid line through each row.
pub fn rows_chart<'a, 'b>(
    area: &'a Area<'b>,
    x: std::ops::Range<f64>,
    names: &[String],
    x_desc: &str,
    row_lines: bool,
) -> Drawn<RowsChart<'a, 'b>> {
    let count = names.len().max(1);
    let mut chart = ChartBuilder::on(area)
        .margin_top(8)
        .margin_right(14)
        .x_label_area_size(42)
        .y_label_area_size(name_room(names))
        .build_cartesian_2d(x, (0..count as i32).into_segmented())?;
    let name_of = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(at) => usize::try_from(*at)
            .ok()
            .and_then(|at| names.get(count - 1 - at.min(count - 1)))
            .cloned()
            .unwrap_or_default(),
        _ => String::new(),
    };
    let mut mesh = chart.configure_mesh();
    if !row_lines {
        mesh.disable_y_mesh();
    }
    mesh.x_desc(plain(x_desc, 70))
        .x_labels(6)
        .y_labels(count)
        .x_label_formatter(&tick)
        .y_label_formatter(&name_of)
        .bold_line_style(GRID)
        .light_line_style(WHITE.mix(0.0))
        .axis_style(AXIS)
        .label_style(font(12.0))
        .axis_desc_style(font(12.0))
        .draw()?;
    Ok(chart)
}

/// The y of row `i` (0 on top) of a rows chart of `count` rows.
pub fn row(i: usize, count: usize) -> i32 {
    count.max(1) as i32 - 1 - i as i32
}

/// Room on the left for row names (12 px text, at most 230 px).
pub fn name_room(names: &[String]) -> u32 {
    let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(4);
    (longest as u32 * 7 + 16).clamp(60, 230)
}

/// A dashed grey reference line through `points` (chance, base rate,
/// perfect calibration), named `label` in the legend.
pub fn reference_line(chart: &mut XyChart<'_, '_>, points: [(f64, f64); 2], label: &str) -> Drawn {
    chart
        .draw_series(DashedLineSeries::new(
            points,
            5,
            4,
            REFERENCE.stroke_width(1),
        ))?
        .label(label)
        .legend(line_mark(REFERENCE.stroke_width(1)));
    Ok(())
}

/// The operating point (the decision threshold) on a curve, with its legend entry.
pub fn operating_point(chart: &mut XyChart<'_, '_>, point: OperatingPoint) -> Drawn {
    chart
        .draw_series([Circle::new((point.x, point.y), 5, OPERATING.filled())])?
        .label(format!("threshold {}", format_fixed(point.threshold, 2)))
        .legend(|(x, y)| Circle::new((x + 9, y), 4, OPERATING.filled()));
    Ok(())
}

/// Draws the legend of `chart`'s labelled series in `corner`.
pub fn legend<'a, 'b: 'a>(chart: &mut XyChart<'a, 'b>, corner: SeriesLabelPosition) -> Drawn {
    chart
        .configure_series_labels()
        .position(corner)
        .margin(8)
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .label_font(font(11.0))
        .draw()?;
    Ok(())
}

/// The legend mark of a line in `style`.
pub fn line_mark(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style)
}

/// The points of a curve in data space without those closer than
/// `min_distance` (in both directions) to the last one kept; the first and
/// last are always kept. A curve over a million rows becomes a few hundred
/// points, identical on screen.
pub fn thin(points: &[(f64, f64)], min_distance: f64) -> Vec<(f64, f64)> {
    let mut kept: Vec<(f64, f64)> = Vec::new();
    for (i, &(x, y)) in points.iter().enumerate() {
        let last = i + 1 == points.len();
        match kept.last() {
            Some(&(kx, ky))
                if !last && (x - kx).abs() < min_distance && (y - ky).abs() < min_distance => {}
            _ => kept.push((x, y)),
        }
    }
    kept
}

/// The lowest and highest finite value of `values`, widened when equal;
/// `(0, 1)` when there is none.
pub fn extent(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        (0.0, 1.0)
    } else if lo == hi {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        (lo - pad, hi + pad)
    } else {
        (lo, hi)
    }
}

/// Whether `svg` has a text element reading exactly `text` (tests).
#[cfg(test)]
pub fn has_text(svg: &str, text: &str) -> bool {
    svg.contains(&format!(">\n{}\n</text>", escape(text)))
}

/// The y of the text element reading exactly `text` (tests).
#[cfg(test)]
pub fn text_y(svg: &str, text: &str) -> Option<i32> {
    let end = svg.find(&format!(">\n{}\n</text>", escape(text)))?;
    let start = svg[..end].rfind("<text ")?;
    let y = svg[start..end].split(" y=\"").nth(1)?.split('"').next()?;
    y.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_cannot_break_out_of_the_document() {
        let svg = render((200, 100), "m</title><script>", |root| {
            let area = heading(root, "</text><script>alert(1)</script>", "a\u{7}b \"q\"")?;
            area.draw(&Text::new("<x y=\"1\">", (5, 5), font(12.0)))?;
            Ok(())
        });
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("<x "), "{svg}");
        assert!(svg.contains("&lt;/text&gt;&lt;script&gt;"), "{svg}");
        assert!(
            svg.contains("<title>m&lt;/title&gt;&lt;script&gt;</title>"),
            "{svg}"
        );
        assert!(
            svg.contains("a\u{fffd}b"),
            "control character replaced: {svg}"
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn the_same_chart_twice_is_the_same_bytes() {
        let draw = || {
            render(CURVE_CHART, "t", |root| {
                let area = heading(root, "Title", "subtitle")?;
                let mut chart = xy_chart(&area, 0.0..1.0, 0.0..1.0, "x", "y")?;
                chart
                    .draw_series(LineSeries::new(
                        vec![(0.0, 0.0), (0.5, 0.7), (1.0, 1.0)],
                        &BLUE,
                    ))?
                    .label("curve")
                    .legend(line_mark(BLUE.stroke_width(2)));
                legend(&mut chart, SeriesLabelPosition::LowerRight)
            })
        };
        let svg = draw();
        assert_eq!(svg, draw());
        assert!(svg.contains("<polyline"), "{svg}");
        assert!(has_text(&svg, "curve"), "{svg}");
    }

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(&0.2), "0.2");
        assert_eq!(tick(&1.0), "1");
        assert_eq!(tick(&-0.0000000000001), "0");
        assert_eq!(tick(&12345.0), "12,345");
    }

    #[test]
    fn thinning_keeps_ends_and_shape() {
        let dense: Vec<(f64, f64)> = (0..=1000).map(|i| (i as f64 / 1000.0, 0.0)).collect();
        let thinned = thin(&dense, 0.01);
        assert_eq!(thinned.first(), Some(&(0.0, 0.0)));
        assert_eq!(thinned.last(), Some(&(1.0, 0.0)));
        assert!(thinned.len() <= 102, "{}", thinned.len());
        let corner = thin(&[(0.0, 0.0), (0.0, 0.5), (0.001, 0.5), (0.5, 0.5)], 0.01);
        assert_eq!(corner, vec![(0.0, 0.0), (0.0, 0.5), (0.5, 0.5)]);
        assert!(thin(&[], 1.0).is_empty());
    }

    #[test]
    fn extents_are_never_empty() {
        assert_eq!(extent([1.0, f64::NAN, 3.0].into_iter()), (1.0, 3.0));
        assert_eq!(extent([f64::NAN].into_iter()), (0.0, 1.0));
        assert_eq!(extent([0.0].into_iter()), (-1.0, 1.0));
    }
}
