//! A small SVG writer: the handful of elements the charts draw, with every
//! piece of text escaped (feature and model names are user text) and every
//! number written the same way on every run.

use std::fmt::Write;

/// Escapes `text` for XML and HTML text and attribute values.
///
/// ```
/// use firnml::report::svg::escape;
/// assert_eq!(escape(r#"<a href="x">&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline are not allowed in XML 1.0.
            c if c.is_control() && c != '\t' && c != '\n' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate or length with at most two decimals and no trailing zeros
/// (`12`, `3.5`, `-0.25`); a non-finite value is written as `0` so a bad
/// number can never make the document invalid.
pub fn num(value: f64) -> String {
    if !value.is_finite() {
        return "0".to_string();
    }
    let rounded = (value * 100.0).round() / 100.0;
    // -0 prints as "-0"; fold it.
    let rounded = if rounded == 0.0 { 0.0 } else { rounded };
    let text = format!("{rounded:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

/// Horizontal alignment of a text element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Anchor {
    /// Text starts at x.
    #[default]
    Start,
    /// Text is centred on x.
    Middle,
    /// Text ends at x.
    End,
}

/// How a text element looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextStyle {
    /// Alignment.
    pub anchor: Anchor,
    /// Font size in pixels.
    pub size: f64,
    /// Bold.
    pub bold: bool,
    /// Fill colour.
    pub fill: &'static str,
    /// Rotation in degrees around the text's anchor point.
    pub rotate: f64,
}

impl Default for TextStyle {
    fn default() -> Self {
        Self {
            anchor: Anchor::Start,
            size: 12.0,
            bold: false,
            fill: "#333",
            rotate: 0.0,
        }
    }
}

impl TextStyle {
    /// Default style, aligned by `anchor`.
    pub fn anchored(anchor: Anchor) -> Self {
        Self {
            anchor,
            ..Self::default()
        }
    }

    /// This style at `size` pixels.
    pub fn size(self, size: f64) -> Self {
        Self { size, ..self }
    }

    /// This style in bold.
    pub fn bold(self) -> Self {
        Self { bold: true, ..self }
    }

    /// This style in `fill`.
    pub fn fill(self, fill: &'static str) -> Self {
        Self { fill, ..self }
    }

    /// This style rotated by `degrees`.
    pub fn rotate(self, degrees: f64) -> Self {
        Self {
            rotate: degrees,
            ..self
        }
    }
}

/// Stroke and fill of a shape: colours are Firn's own constants or computed
/// `#rrggbb` strings, never user text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Paint {
    /// Fill colour (`none` when absent).
    pub fill: Option<String>,
    /// Stroke colour (none when absent).
    pub stroke: Option<String>,
    /// Stroke width in pixels.
    pub width: f64,
    /// A dash pattern such as `4 3`.
    pub dash: Option<&'static str>,
    /// Opacity of the fill, 0–1 (1 when absent).
    pub opacity: Option<f64>,
}

impl Paint {
    /// A filled shape without outline.
    pub fn fill(colour: impl Into<String>) -> Self {
        Self {
            fill: Some(colour.into()),
            ..Self::default()
        }
    }

    /// An outline `width` pixels wide, not filled.
    pub fn stroke(colour: impl Into<String>, width: f64) -> Self {
        Self {
            stroke: Some(colour.into()),
            width,
            ..Self::default()
        }
    }

    /// This paint dashed.
    pub fn dashed(self, pattern: &'static str) -> Self {
        Self {
            dash: Some(pattern),
            ..self
        }
    }

    /// This paint with fill opacity `opacity`.
    pub fn opacity(self, opacity: f64) -> Self {
        Self {
            opacity: Some(opacity),
            ..self
        }
    }

    fn attributes(&self) -> String {
        let mut out = format!(" fill=\"{}\"", self.fill.as_deref().unwrap_or("none"));
        if let Some(stroke) = &self.stroke {
            let _ = write!(
                out,
                " stroke=\"{stroke}\" stroke-width=\"{}\"",
                num(self.width)
            );
        }
        if let Some(dash) = self.dash {
            let _ = write!(out, " stroke-dasharray=\"{dash}\"");
        }
        if let Some(opacity) = self.opacity {
            let _ = write!(out, " fill-opacity=\"{}\"", num(opacity));
        }
        out
    }
}

/// The fonts charts ask for: the reader's system sans-serif.
const FONTS: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";

/// An SVG document being written.
#[derive(Debug, Clone)]
pub struct Svg {
    width: f64,
    height: f64,
    title: String,
    body: String,
}

impl Svg {
    /// An empty `width` × `height` picture titled `title` (shown as its accessible name).
    pub fn new(width: f64, height: f64, title: &str) -> Self {
        Self {
            width,
            height,
            title: title.to_string(),
            body: String::new(),
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> f64 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> f64 {
        self.height
    }

    /// A straight line.
    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), paint: &Paint) {
        let _ = writeln!(
            self.body,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"{}/>",
            num(x1),
            num(y1),
            num(x2),
            num(y2),
            paint.attributes()
        );
    }

    /// Connected line segments through `points` (nothing for fewer than two).
    pub fn polyline(&mut self, points: &[(f64, f64)], paint: &Paint) {
        if points.len() < 2 {
            return;
        }
        let coordinates: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{},{}", num(*x), num(*y)))
            .collect();
        let _ = writeln!(
            self.body,
            "<polyline points=\"{}\" stroke-linejoin=\"round\"{}/>",
            coordinates.join(" "),
            paint.attributes()
        );
    }

    /// A closed shape through `points` (nothing for fewer than three).
    pub fn polygon(&mut self, points: &[(f64, f64)], paint: &Paint) {
        if points.len() < 3 {
            return;
        }
        let coordinates: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{},{}", num(*x), num(*y)))
            .collect();
        let _ = writeln!(
            self.body,
            "<polygon points=\"{}\"{}/>",
            coordinates.join(" "),
            paint.attributes()
        );
    }

    /// A rectangle; `tooltip` (user text allowed) shows on hover.
    pub fn rect(&mut self, (x, y): (f64, f64), (w, h): (f64, f64), paint: &Paint, tooltip: &str) {
        let attributes = format!(
            "x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"{}",
            num(x),
            num(y),
            num(w.max(0.0)),
            num(h.max(0.0)),
            paint.attributes()
        );
        if tooltip.is_empty() {
            let _ = writeln!(self.body, "<rect {attributes}/>");
        } else {
            let _ = writeln!(
                self.body,
                "<rect {attributes}><title>{}</title></rect>",
                escape(tooltip)
            );
        }
    }

    /// A circle.
    pub fn circle(&mut self, (cx, cy): (f64, f64), r: f64, paint: &Paint) {
        let _ = writeln!(
            self.body,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{}\"{}/>",
            num(cx),
            num(cy),
            num(r),
            paint.attributes()
        );
    }

    /// Text at `(x, y)` (the baseline); `content` is escaped.
    pub fn text(&mut self, (x, y): (f64, f64), content: &str, style: TextStyle) {
        self.text_with_tooltip((x, y), content, "", style);
    }

    /// Text whose full form (`tooltip`, e.g. an untruncated name) shows on hover.
    pub fn text_with_tooltip(
        &mut self,
        (x, y): (f64, f64),
        content: &str,
        tooltip: &str,
        style: TextStyle,
    ) {
        let anchor = match style.anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let mut attributes = format!(
            "x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{}\" text-anchor=\"{anchor}\"",
            num(x),
            num(y),
            num(style.size),
            style.fill
        );
        if style.bold {
            attributes.push_str(" font-weight=\"bold\"");
        }
        if style.rotate != 0.0 {
            let _ = write!(
                attributes,
                " transform=\"rotate({} {} {})\"",
                num(style.rotate),
                num(x),
                num(y)
            );
        }
        let title = if tooltip.is_empty() {
            String::new()
        } else {
            format!("<title>{}</title>", escape(tooltip))
        };
        let _ = writeln!(
            self.body,
            "<text {attributes}>{title}{}</text>",
            escape(content)
        );
    }

    /// The finished document: an `<svg>` element with its namespace, usable
    /// as a file of its own or inline in HTML.
    pub fn finish(self) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" role=\"img\" font-family=\"{FONTS}\">\n\
             <title>{title}</title>\n\
             <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>\n\
             {body}</svg>\n",
            w = num(self.width),
            h = num(self.height),
            title = escape(&self.title),
            body = self.body
        )
    }
}

/// `text` cut to at most `max` characters, ending in `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// A rough width of `text` at `size` pixels in a proportional sans-serif font
/// (no font metrics are available; used to leave room for labels).
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.58
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("a<b & c>\"d\" 'e'"),
            "a&lt;b &amp; c&gt;&quot;d&quot; &#39;e&#39;"
        );
        assert_eq!(escape("plain_name"), "plain_name");
        assert_eq!(
            escape("bell\u{7}"),
            "bell\u{fffd}",
            "control characters are not XML"
        );
        assert_eq!(escape("日本語"), "日本語");
    }

    #[test]
    fn numbers_are_short_stable_and_finite() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(3.5), "3.5");
        assert_eq!(num(-0.251), "-0.25");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(1.0 / 3.0), "0.33");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num(f64::INFINITY), "0");
    }

    #[test]
    fn user_text_cannot_break_out_of_the_document() {
        let mut svg = Svg::new(100.0, 50.0, "m</title><script>");
        svg.text(
            (1.0, 2.0),
            "</text><script>alert(1)</script>",
            TextStyle::default(),
        );
        svg.rect((0.0, 0.0), (1.0, 1.0), &Paint::fill("#000"), "\"><x y=\"");
        let doc = svg.finish();
        assert!(!doc.contains("<script"), "{doc}");
        assert!(!doc.contains("<x "), "{doc}");
        assert!(doc.contains("&lt;/text&gt;&lt;script&gt;"));
        assert!(doc.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(doc.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn shapes_write_their_geometry() {
        let mut svg = Svg::new(10.0, 10.0, "t");
        svg.polyline(&[(0.0, 10.0), (10.0, 0.0)], &Paint::stroke("#123", 2.0));
        svg.polyline(&[(5.0, 5.0)], &Paint::stroke("#123", 2.0));
        svg.circle((1.0, 2.0), 3.0, &Paint::fill("#f00").opacity(0.5));
        svg.line(
            (0.0, 0.0),
            (1.0, 1.0),
            &Paint::stroke("#999", 1.0).dashed("4 3"),
        );
        svg.text(
            (5.0, 5.0),
            "x",
            TextStyle::anchored(Anchor::Middle).rotate(-90.0).bold(),
        );
        let doc = svg.finish();
        assert!(doc.contains("points=\"0,10 10,0\""));
        assert_eq!(
            doc.matches("<polyline").count(),
            1,
            "one point draws nothing"
        );
        assert!(
            doc.contains("<circle cx=\"1\" cy=\"2\" r=\"3\" fill=\"#f00\" fill-opacity=\"0.5\"/>")
        );
        assert!(doc.contains("stroke-dasharray=\"4 3\""));
        assert!(doc.contains("transform=\"rotate(-90 5 5)\""));
        assert!(doc.contains("text-anchor=\"middle\""));
    }

    #[test]
    fn truncates_long_names() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("a_very_long_feature_name", 10), "a_very_lo…");
        assert_eq!(truncate("日本語テキスト", 4), "日本語…");
    }
}
