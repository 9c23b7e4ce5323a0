//! The frame every x/y chart shares: a plot area inside margins, its two
//! scales, grid lines, ticks, axis labels and a title.

use super::scale::{Linear, tick_labels};
use super::svg::{Anchor, Paint, Svg, TextStyle};

/// Light grey of grid lines.
pub const GRID: &str = "#e6e6e6";
/// Colour of axis lines and tick labels.
pub const AXIS: &str = "#666";
/// Colour of titles and other dark text.
pub const INK: &str = "#222";

/// Space around the plot area, in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Margins {
    /// Left (room for y tick labels and the y label).
    pub left: f64,
    /// Right.
    pub right: f64,
    /// Top (room for the title).
    pub top: f64,
    /// Bottom (room for x tick labels and the x label).
    pub bottom: f64,
}

impl Default for Margins {
    fn default() -> Self {
        Self {
            left: 62.0,
            right: 20.0,
            top: 52.0,
            bottom: 52.0,
        }
    }
}

/// A plot area with linear scales whose domains are the ticks' ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Left edge of the plot area.
    pub left: f64,
    /// Top edge of the plot area.
    pub top: f64,
    /// Width of the plot area.
    pub width: f64,
    /// Height of the plot area.
    pub height: f64,
    /// Data x → pixel x.
    pub x: Linear,
    /// Data y → pixel y (upwards).
    pub y: Linear,
    x_ticks: Vec<f64>,
    y_ticks: Vec<f64>,
}

/// The first and last tick, or (0, 1) without ticks.
fn ends(ticks: &[f64]) -> (f64, f64) {
    match (ticks.first(), ticks.last()) {
        (Some(a), Some(b)) => (*a, *b),
        _ => (0.0, 1.0),
    }
}

impl Frame {
    /// The plot area of `svg` inside `margins`, spanning `x_ticks` and `y_ticks`.
    pub fn new(svg: &Svg, margins: Margins, x_ticks: Vec<f64>, y_ticks: Vec<f64>) -> Self {
        let width = (svg.width() - margins.left - margins.right).max(1.0);
        let height = (svg.height() - margins.top - margins.bottom).max(1.0);
        let x = Linear::new(ends(&x_ticks), (margins.left, margins.left + width));
        let y = Linear::new(ends(&y_ticks), (margins.top + height, margins.top));
        Self {
            left: margins.left,
            top: margins.top,
            width,
            height,
            x,
            y,
            x_ticks,
            y_ticks,
        }
    }

    /// The pixel position of the data point `(x, y)`.
    pub fn point(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (self.x.map(x), self.y.map(y))
    }

    /// Bottom edge of the plot area.
    pub fn bottom(&self) -> f64 {
        self.top + self.height
    }

    /// Right edge of the plot area.
    pub fn right(&self) -> f64 {
        self.left + self.width
    }

    /// Grid lines at the ticks, the two axes, tick labels and axis labels.
    pub fn draw(&self, svg: &mut Svg, x_label: &str, y_label: &str) {
        let grid = Paint::stroke(GRID, 1.0);
        let tick_style = TextStyle::anchored(Anchor::Middle).size(11.0).fill(AXIS);
        for (tick, label) in self.x_ticks.iter().zip(tick_labels(&self.x_ticks)) {
            let x = self.x.map(*tick);
            svg.line((x, self.top), (x, self.bottom()), &grid);
            svg.text((x, self.bottom() + 16.0), &label, tick_style);
        }
        let tick_style = TextStyle::anchored(Anchor::End).size(11.0).fill(AXIS);
        for (tick, label) in self.y_ticks.iter().zip(tick_labels(&self.y_ticks)) {
            let y = self.y.map(*tick);
            svg.line((self.left, y), (self.right(), y), &grid);
            svg.text((self.left - 6.0, y + 4.0), &label, tick_style);
        }
        let axis = Paint::stroke(AXIS, 1.0);
        svg.line(
            (self.left, self.bottom()),
            (self.right(), self.bottom()),
            &axis,
        );
        svg.line((self.left, self.top), (self.left, self.bottom()), &axis);
        let label = TextStyle::anchored(Anchor::Middle).size(12.0).fill(INK);
        svg.text(
            (self.left + self.width / 2.0, self.bottom() + 38.0),
            x_label,
            label,
        );
        svg.text(
            (self.left - 44.0, self.top + self.height / 2.0),
            y_label,
            label.rotate(-90.0),
        );
    }
}

/// The chart's title (bold) and a smaller subtitle under it, at the top left.
pub fn title(svg: &mut Svg, title: &str, subtitle: &str) {
    svg.text(
        (14.0, 22.0),
        title,
        TextStyle::default().size(15.0).bold().fill(INK),
    );
    if !subtitle.is_empty() {
        svg.text(
            (14.0, 39.0),
            subtitle,
            TextStyle::default().size(12.0).fill(AXIS),
        );
    }
}

/// What a legend entry shows before its text.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// A short line: colour and optional dash pattern.
    Line(&'static str, Option<&'static str>),
    /// A dot of this colour.
    Dot(&'static str),
}

/// Where a legend sits inside the plot area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corner {
    /// Top left (for data along the diagonal).
    TopLeft,
    /// Bottom right (for curves that rise to the top left).
    BottomRight,
}

/// A legend box in `corner` of `frame`'s plot area.
pub fn legend(svg: &mut Svg, frame: &Frame, corner: Corner, entries: &[(Mark, String)]) {
    let longest = entries
        .iter()
        .map(|(_, text)| super::svg::text_width(text, 11.0))
        .fold(0.0, f64::max);
    let width = longest + 40.0;
    let height = entries.len() as f64 * 17.0 + 8.0;
    let (left, top) = match corner {
        Corner::TopLeft => (frame.left + 8.0, frame.top + 8.0),
        Corner::BottomRight => (frame.right() - 8.0 - width, frame.bottom() - 8.0 - height),
    };
    svg.rect(
        (left, top),
        (width, height),
        &Paint {
            fill: Some("#ffffff".into()),
            stroke: Some("#d0d0d0".into()),
            width: 1.0,
            dash: None,
            opacity: Some(0.9),
        },
        "",
    );
    for (i, (mark, text)) in entries.iter().enumerate() {
        let y = top + 16.0 + i as f64 * 17.0;
        match mark {
            Mark::Line(colour, dash) => {
                let mut paint = Paint::stroke(*colour, 2.0);
                paint.dash = *dash;
                svg.line((left + 8.0, y - 4.0), (left + 28.0, y - 4.0), &paint);
            }
            Mark::Dot(colour) => svg.circle((left + 18.0, y - 4.0), 4.0, &Paint::fill(*colour)),
        }
        svg.text(
            (left + 34.0, y),
            text,
            TextStyle::default().size(11.0).fill(INK),
        );
    }
}

/// The points of a pixel path without those closer than `min_distance` (in
/// both directions) to the last one kept; the first and last are always kept.
/// A curve over a million rows becomes a few hundred points, identical on screen.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::scale::nice_ticks;

    #[test]
    fn frame_maps_ticks_to_the_plot_area() {
        let svg = Svg::new(400.0, 300.0, "t");
        let margins = Margins {
            left: 50.0,
            right: 10.0,
            top: 40.0,
            bottom: 60.0,
        };
        let frame = Frame::new(&svg, margins, nice_ticks(0.0, 1.0, 5), vec![0.0, 10.0]);
        assert_eq!(frame.point((0.0, 0.0)), (50.0, 240.0));
        assert_eq!(frame.point((1.0, 10.0)), (390.0, 40.0));
        let mut svg = svg;
        frame.draw(&mut svg, "False-positive rate", "y & z");
        let doc = svg.finish();
        assert!(doc.contains(">0.4</text>"));
        assert!(doc.contains(">y &amp; z</text>"));
        assert_eq!(
            doc.matches("<line").count(),
            6 + 2 + 2,
            "grid, y grid, axes"
        );
    }

    #[test]
    fn thinning_keeps_ends_and_shape() {
        let dense: Vec<(f64, f64)> = (0..=1000).map(|i| (i as f64 / 10.0, 0.0)).collect();
        let thinned = thin(&dense, 1.0);
        assert_eq!(thinned.first(), Some(&(0.0, 0.0)));
        assert_eq!(thinned.last(), Some(&(100.0, 0.0)));
        assert!(thinned.len() <= 102, "{}", thinned.len());
        // A corner is kept: the vertical move is larger than the threshold.
        let corner = thin(&[(0.0, 0.0), (0.0, 50.0), (0.1, 50.0), (50.0, 50.0)], 1.0);
        assert_eq!(corner, vec![(0.0, 0.0), (0.0, 50.0), (50.0, 50.0)]);
        assert!(thin(&[], 1.0).is_empty());
    }
}
