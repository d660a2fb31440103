//! A small SVG plotting kit for the HTML report: escaping, linear and
//! logarithmic scales, tick positions and a [`Chart`] frame with a title,
//! labelled axes and a text alternative.
//!
//! Charts are written as inline `<svg>` strings: no script, no external
//! font or style, so the report opens offline. Every chart carries
//! `role="img"`, a `<title>` and a `<desc>` (read by screen readers), and
//! is wrapped in a `<figure>` whose `<figcaption>` repeats the description
//! for readers who see it. Series are told apart by luminance and dash
//! pattern, never by hue alone, so the charts read in grey scale.

use std::fmt::Write as _;

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML and SVG text and attribute
/// values.
///
/// ```
/// use preflight::report::svg::escape;
/// assert_eq!(escape("<P7 & \"O1\">"), "&lt;P7 &amp; &quot;O1&quot;&gt;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A map from a data interval onto a pixel interval, linear or in
/// `log10`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
    log: bool,
}

impl Scale {
    /// Linear: `d0 → r0`, `d1 → r1`.
    pub fn linear(domain: (f64, f64), range: (f64, f64)) -> Scale {
        Scale {
            d0: domain.0,
            d1: domain.1,
            r0: range.0,
            r1: range.1,
            log: false,
        }
    }

    /// Logarithmic: `log10(d0) → r0`, `log10(d1) → r1`; the domain must
    /// be positive. Values at or below 0 map to `r0`.
    pub fn log(domain: (f64, f64), range: (f64, f64)) -> Scale {
        Scale {
            d0: domain.0.max(f64::MIN_POSITIVE).log10(),
            d1: domain.1.max(f64::MIN_POSITIVE).log10(),
            r0: range.0,
            r1: range.1,
            log: true,
        }
    }

    /// The pixel position of `value`; an empty domain maps to the middle.
    pub fn map(&self, value: f64) -> f64 {
        let v = if self.log {
            if value > 0.0 {
                value.log10()
            } else {
                return self.r0;
            }
        } else {
            value
        };
        if self.d1 == self.d0 {
            return (self.r0 + self.r1) / 2.0;
        }
        self.r0 + (v - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }
}

/// About `count` round tick values (steps of 1, 2 or 5 × 10^k) covering
/// `[lo, hi]`; empty when the interval is not finite or `count` is 0.
///
/// ```
/// use preflight::report::svg::linear_ticks;
/// assert_eq!(linear_ticks(0.0, 1.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
/// ```
pub fn linear_ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || count == 0 || hi < lo {
        return Vec::new();
    }
    if hi == lo {
        return vec![lo];
    }
    let raw = (hi - lo) / count as f64;
    let exp = raw.log10().floor() as i32;
    let magnitude = 10f64.powi(exp);
    let mult = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|m| m * magnitude >= raw)
        .unwrap_or(10.0);
    let step = mult * magnitude;
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    // k × mult is an integer; scaling it by an exact power of ten rounds
    // once, so 0.6 comes out as 0.6.
    (first..=last)
        .map(|k| {
            let units = k as f64 * mult;
            if exp < 0 {
                units / 10f64.powi(-exp)
            } else {
                units * magnitude
            }
        })
        .collect()
}

/// The powers of ten within `[lo, hi]` (both positive), every `every`
/// decades.
///
/// ```
/// use preflight::report::svg::log_ticks;
/// assert_eq!(log_ticks(0.5, 2000.0, 1), vec![1.0, 10.0, 100.0, 1000.0]);
/// ```
pub fn log_ticks(lo: f64, hi: f64, every: usize) -> Vec<f64> {
    if !(lo > 0.0 && hi >= lo && hi.is_finite()) {
        return Vec::new();
    }
    let every = every.max(1) as i32;
    let first = (lo.log10() - 1e-9).ceil() as i32;
    let last = (hi.log10() + 1e-9).floor() as i32;
    (first..=last)
        .filter(|e| (e - first) % every == 0)
        .map(|e| 10f64.powi(e))
        .collect()
}

/// A tick label: integers plainly, small or large magnitudes as powers of
/// ten, others with up to 3 significant digits.
///
/// ```
/// use preflight::report::svg::tick_label;
/// assert_eq!(tick_label(20.0), "20");
/// assert_eq!(tick_label(1e-3), "10⁻³");
/// assert_eq!(tick_label(0.25), "0.25");
/// ```
pub fn tick_label(value: f64) -> String {
    if value == 0.0 {
        return "0".to_string();
    }
    let e = value.abs().log10();
    if (e - e.round()).abs() < 1e-9 && !(-1.0..=4.0).contains(&e.round()) {
        let sign = if value < 0.0 { "−" } else { "" };
        return format!("{sign}10{}", superscript(e.round() as i32));
    }
    if value.fract() == 0.0 && value.abs() < 1e7 {
        return format!("{value:.0}");
    }
    let digits = (2 - e.floor() as i32).clamp(0, 6) as usize;
    let text = format!("{value:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

fn superscript(n: i32) -> String {
    let digits = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut s = String::new();
    if n < 0 {
        s.push('⁻');
    }
    for c in n.unsigned_abs().to_string().chars() {
        if let Some(d) = c.to_digit(10) {
            s.push(digits[d as usize]);
        }
    }
    s
}

/// A chart's frame: size, the plot area inside the margins, title, axis
/// labels and the text alternative. Marks are appended to
/// [`Chart::body`] in pixel coordinates; [`Chart::finish`] wraps them.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Width, px.
    pub width: f64,
    /// Height, px.
    pub height: f64,
    /// Left edge of the plot area, px.
    pub left: f64,
    /// Right edge of the plot area, px.
    pub right: f64,
    /// Top edge of the plot area, px.
    pub top: f64,
    /// Bottom edge of the plot area, px.
    pub bottom: f64,
    title: String,
    x_label: String,
    y_label: String,
    desc: String,
    /// SVG elements drawn so far.
    pub body: String,
}

impl Chart {
    /// A `width` × `height` chart with room for a title, tick labels and
    /// axis labels. `desc` is the text alternative: what the chart shows,
    /// in words.
    pub fn new(width: f64, height: f64, title: &str, x_label: &str, y_label: &str) -> Chart {
        Chart {
            width,
            height,
            left: 62.0,
            right: width - 14.0,
            top: 30.0,
            bottom: height - 42.0,
            title: title.to_string(),
            x_label: x_label.to_string(),
            y_label: y_label.to_string(),
            desc: String::new(),
            body: String::new(),
        }
    }

    /// Sets the text alternative.
    pub fn describe(&mut self, desc: &str) {
        self.desc = desc.to_string();
    }

    /// Ticks and grid lines of the x axis at `ticks`, labelled by
    /// `label`.
    pub fn x_axis(&mut self, scale: &Scale, ticks: &[f64], label: impl Fn(f64) -> String) {
        let (b, t) = (self.bottom, self.top);
        let _ = write!(
            self.body,
            r##"<line x1="{:.1}" y1="{b:.1}" x2="{:.1}" y2="{b:.1}" stroke="#333"/>"##,
            self.left, self.right
        );
        for &v in ticks {
            let x = scale.map(v);
            let _ = write!(
                self.body,
                "<line x1=\"{x:.1}\" y1=\"{t:.1}\" x2=\"{x:.1}\" y2=\"{b:.1}\" stroke=\"#ddd\"/>\
                 <line x1=\"{x:.1}\" y1=\"{b:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#333\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                b + 4.0,
                b + 16.0,
                escape(&label(v))
            );
        }
    }

    /// Ticks and grid lines of the y axis at `ticks`, labelled by
    /// `label`.
    pub fn y_axis(&mut self, scale: &Scale, ticks: &[f64], label: impl Fn(f64) -> String) {
        let l = self.left;
        let _ = write!(
            self.body,
            r##"<line x1="{l:.1}" y1="{:.1}" x2="{l:.1}" y2="{:.1}" stroke="#333"/>"##,
            self.top, self.bottom
        );
        for &v in ticks {
            let y = scale.map(v);
            let _ = write!(
                self.body,
                "<line x1=\"{l:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
                 <line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{l:.1}\" y2=\"{y:.1}\" stroke=\"#333\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                self.right,
                l - 4.0,
                l - 6.0,
                y + 4.0,
                escape(&label(v))
            );
        }
    }

    /// A polyline through `points` (px) with a stroke colour and an
    /// optional dash pattern.
    pub fn line(&mut self, points: &[(f64, f64)], stroke: &str, width: f64, dash: Option<&str>) {
        if points.is_empty() {
            return;
        }
        let mut d = String::new();
        for (i, (x, y)) in points.iter().enumerate() {
            let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { " L" });
        }
        let dash = dash.map_or(String::new(), |p| format!(r#" stroke-dasharray="{p}""#));
        let _ = write!(
            self.body,
            "<path class=\"series\" d=\"{d}\" fill=\"none\" stroke=\"{stroke}\" \
             stroke-width=\"{width}\"{dash}/>"
        );
    }

    /// A rectangle (px), with the text of a tooltip.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, tip: &str) {
        let _ = write!(
            self.body,
            "<rect class=\"mark\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
             fill=\"{fill}\" stroke=\"#222\" stroke-width=\"0.5\">\
             <title>{}</title>\
             </rect>",
            w.max(0.0),
            h.max(0.0),
            escape(tip)
        );
    }

    /// Text at (x, y) px, anchored `start`, `middle` or `end`.
    pub fn text(&mut self, x: f64, y: f64, anchor: &str, text: &str) {
        let _ = write!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}">{}</text>"#,
            escape(text)
        );
    }

    /// A legend entry at (x, y): a short line in the series' style and
    /// its name.
    pub fn legend(
        &mut self,
        x: f64,
        y: f64,
        stroke: &str,
        width: f64,
        dash: Option<&str>,
        name: &str,
    ) {
        let dash = dash.map_or(String::new(), |p| format!(r#" stroke-dasharray="{p}""#));
        let _ = write!(
            self.body,
            "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" \
             stroke=\"{stroke}\" stroke-width=\"{width}\"{dash}/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            x + 22.0,
            x + 26.0,
            y + 4.0,
            escape(name)
        );
    }

    /// The chart as a `<figure>` holding the `<svg>` and a caption.
    pub fn finish(self, id: &str) -> String {
        let (w, h) = (self.width, self.height);
        let id = escape(id);
        let mut s = String::new();
        let _ = write!(
            s,
            "<figure class=\"chart\">\
             <svg id=\"{id}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" viewBox=\"0 0 \
             {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\">\
             <title id=\"{id}-t\">{}</title>\
             <desc id=\"{id}-d\">{}</desc>",
            escape(&self.title),
            escape(&self.desc)
        );
        let _ = write!(
            s,
            r#"<text class="title" x="{:.1}" y="18">{}</text>"#,
            self.left,
            escape(&self.title)
        );
        s.push_str(&self.body);
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            (self.left + self.right) / 2.0,
            h - 6.0,
            escape(&self.x_label)
        );
        let cy = (self.top + self.bottom) / 2.0;
        let _ = write!(
            s,
            "<text x=\"14\" y=\"{cy:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 14 \
             {cy:.1})\">{}</text>",
            escape(&self.y_label)
        );
        let _ = write!(
            s,
            "</svg><figcaption>{}</figcaption></figure>",
            escape(&self.desc)
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(escape("a<b>&'c'"), "a&lt;b&gt;&amp;&#39;c&#39;");
        assert_eq!(escape("µV Fp1"), "µV Fp1");
    }

    #[test]
    fn log_scale_puts_decades_at_equal_distances() {
        let s = Scale::log((1e-3, 1e6), (0.0, 900.0));
        assert!((s.map(1e-3) - 0.0).abs() < 1e-9);
        assert!((s.map(1.0) - 300.0).abs() < 1e-9);
        assert!((s.map(1e6) - 900.0).abs() < 1e-9);
        assert_eq!(s.map(0.0), 0.0);
        assert_eq!(s.map(-5.0), 0.0);
    }

    #[test]
    fn linear_scale_can_be_flipped_for_the_y_axis() {
        let s = Scale::linear((0.0, 1.0), (200.0, 0.0));
        assert_eq!(s.map(0.0), 200.0);
        assert_eq!(s.map(0.25), 150.0);
        assert_eq!(Scale::linear((3.0, 3.0), (0.0, 10.0)).map(3.0), 5.0);
    }

    #[test]
    fn linear_ticks_are_round_and_inside() {
        assert_eq!(linear_ticks(0.0, 100.0, 4), vec![0.0, 50.0, 100.0]);
        assert_eq!(linear_ticks(0.0, 0.924, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8]);
        assert_eq!(linear_ticks(45.0, 75.0, 3), vec![50.0, 60.0, 70.0]);
        assert!(linear_ticks(1.0, f64::NAN, 5).is_empty());
        assert_eq!(linear_ticks(2.0, 2.0, 5), vec![2.0]);
    }

    #[test]
    fn log_ticks_skip_decades_when_asked() {
        assert_eq!(log_ticks(1e-3, 1e6, 3), vec![1e-3, 1.0, 1e3, 1e6]);
        assert!(log_ticks(0.0, 10.0, 1).is_empty());
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(1e6), "10⁶");
        assert_eq!(tick_label(1000.0), "1000");
        assert_eq!(tick_label(0.1), "0.1");
        assert_eq!(tick_label(-1e-2), "−10⁻²");
        assert_eq!(tick_label(0.924), "0.924");
    }

    #[test]
    fn a_chart_carries_its_title_description_and_escaped_text() {
        let mut c = Chart::new(300.0, 200.0, "Fp1 <raw>", "amplitude (µV)", "share");
        c.describe("what & why");
        c.line(&[(0.0, 0.0), (10.0, 5.0)], "#000", 1.0, Some("4 2"));
        let svg = c.finish("h-1");
        assert!(svg.starts_with("<figure"));
        assert!(svg.contains(r#"<title id="h-1-t">Fp1 &lt;raw&gt;</title>"#));
        assert!(svg.contains(r#"<desc id="h-1-d">what &amp; why</desc>"#));
        assert!(svg.contains(r#"d="M0.0,0.0 L10.0,5.0""#));
        assert!(svg.contains("stroke-dasharray=\"4 2\""));
        assert!(svg.contains("<figcaption>what &amp; why</figcaption>"));
        assert!(!svg.contains("<raw>"));
    }
}
