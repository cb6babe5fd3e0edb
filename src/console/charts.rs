//! The Reports page's charts, drawn on the server as SVG with `plotters`: a line chart (one or
//! more series, gaps where a bucket has no value) and a stacked bar chart, over the report's
//! buckets of time. Colours are the console's dark theme; the SVG scales to its container
//! (`width` and `height` give way to the view box) so a 360 px phone sees the whole chart.
//! No script and no font file: text is SVG text in the page's own sans-serif.

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

/// The drawing's size in SVG units; the page scales it to its width.
const SIZE: (u32, u32) = (520, 260);
const TEXT: RGBColor = RGBColor(0xb8, 0xc2, 0xcc);
const GRID: RGBColor = RGBColor(0x2c, 0x33, 0x3a);
const AXIS: RGBColor = RGBColor(0x5c, 0x66, 0x70);

/// The console's colours for series, most alarming first.
pub const RED: RGBColor = RGBColor(0xff, 0x6b, 0x6b);
pub const YELLOW: RGBColor = RGBColor(0xff, 0xd4, 0x3b);
pub const GREEN: RGBColor = RGBColor(0x51, 0xcf, 0x66);
pub const BLUE: RGBColor = RGBColor(0x8e, 0xc5, 0xff);
pub const GREY: RGBColor = RGBColor(0x86, 0x8e, 0x96);

/// One series: its name (the legend, in HTML beside the chart), colour and a value per bucket.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub color: RGBColor,
    pub values: Vec<Option<f64>>,
}

/// What the values are, for the axis: its label and how a tick reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    Count,
    /// A share in 0..=1, shown as a percentage on a 0–100 % axis.
    Share,
    PerThousand,
    Minutes,
}

impl Unit {
    fn axis(self) -> &'static str {
        match self {
            Self::Count => "tickets",
            Self::Share => "% on time",
            Self::PerThousand => "per 1,000 tickets",
            Self::Minutes => "minutes",
        }
    }

    fn tick(self, v: f64) -> String {
        match self {
            Self::Share => format!("{:.0}%", v * 100.0),
            Self::Count if v >= 10_000.0 => format!("{:.0}k", v / 1000.0),
            Self::Count => format!("{v:.0}"),
            Self::PerThousand | Self::Minutes if v < 10.0 => format!("{v:.1}"),
            _ => format!("{v:.0}"),
        }
    }
}

/// How the series are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Lines,
    StackedBars,
}

/// A chart over buckets labelled `labels`.
#[derive(Debug, Clone)]
pub struct Chart {
    pub labels: Vec<String>,
    pub series: Vec<Series>,
    pub unit: Unit,
    pub shape: Shape,
}

#[derive(Debug, thiserror::Error)]
#[error("the chart could not be drawn: {0}")]
pub struct ChartError(String);

fn failed(e: impl std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

impl Chart {
    /// The chart as an SVG document that scales to its container.
    pub fn svg(&self) -> Result<String, ChartError> {
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(failed)?;
        }
        Ok(scalable(&out))
    }

    fn top(&self) -> f64 {
        let top = match self.shape {
            Shape::StackedBars => (0..self.labels.len())
                .map(|i| {
                    self.series
                        .iter()
                        .filter_map(|s| s.values.get(i).copied().flatten())
                        .sum::<f64>()
                })
                .fold(0.0, f64::max),
            Shape::Lines => self
                .series
                .iter()
                .flat_map(|s| s.values.iter().flatten().copied())
                .fold(0.0, f64::max),
        };
        match self.unit {
            Unit::Share => 1.0,
            Unit::Count => (top * 1.1).max(10.0),
            Unit::PerThousand | Unit::Minutes => (top * 1.15).max(1.0),
        }
    }

    fn draw(&self, root: &DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), ChartError> {
        let n = self.labels.len().max(1);
        let label_style = ("sans-serif", 15).into_font().color(&TEXT);
        let mut chart = ChartBuilder::on(root)
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(52)
            .build_cartesian_2d((0..n).into_segmented(), 0.0..self.top())
            .map_err(failed)?;
        let (labels, unit) = (&self.labels, self.unit);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .axis_style(AXIS)
            .label_style(label_style.clone())
            .axis_desc_style(label_style)
            .y_desc(unit.axis())
            .x_labels(n.min(6))
            .y_labels(5)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                    labels.get(*i).cloned().unwrap_or_default()
                }
                SegmentValue::Last => String::new(),
            })
            .y_label_formatter(&|v| unit.tick(*v))
            .draw()
            .map_err(failed)?;
        match self.shape {
            Shape::Lines => {
                for s in &self.series {
                    for run in runs(&s.values) {
                        let points = run.iter().map(|&(i, v)| (SegmentValue::CenterOf(i), v));
                        chart
                            .draw_series(LineSeries::new(points, s.color.stroke_width(3)))
                            .map_err(failed)?;
                    }
                    let dots = s.values.iter().enumerate().filter_map(|(i, v)| {
                        v.map(|v| Circle::new((SegmentValue::CenterOf(i), v), 3, s.color.filled()))
                    });
                    chart.draw_series(dots).map_err(failed)?;
                }
            }
            Shape::StackedBars => {
                chart.draw_series(self.stacks()).map_err(failed)?;
            }
        }
        Ok(())
    }

    /// Each bucket's bar: the series stacked from zero in their order.
    fn stacks(&self) -> Vec<Rectangle<(SegmentValue<usize>, f64)>> {
        // A gap between bars while they are wide enough to spare one.
        let gap = if self.labels.len() <= 60 { 2 } else { 0 };
        let mut bars = Vec::new();
        for i in 0..self.labels.len() {
            let mut base = 0.0;
            for s in &self.series {
                let v = s.values.get(i).copied().flatten().unwrap_or(0.0);
                if v > 0.0 {
                    let mut bar = Rectangle::new(
                        [
                            (SegmentValue::Exact(i), base),
                            (SegmentValue::Exact(i + 1), base + v),
                        ],
                        s.color.filled(),
                    );
                    bar.set_margin(0, 0, gap, gap);
                    bars.push(bar);
                    base += v;
                }
            }
        }
        bars
    }
}

/// The runs of consecutive buckets that have a value, each as (bucket, value).
fn runs(values: &[Option<f64>]) -> Vec<Vec<(usize, f64)>> {
    let mut out: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => current.push((i, *v)),
            None if !current.is_empty() => out.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A reliability diagram: each series' bins as (mean predicted, observed rate), over the
/// diagonal a perfectly calibrated model would follow; both axes share one range.
#[derive(Debug, Clone)]
pub struct Reliability {
    pub series: Vec<Curve>,
}

/// One curve of a reliability diagram: its name, colour and (predicted, observed) points.
pub type Curve = (String, RGBColor, Vec<(f64, f64)>);

impl Reliability {
    pub fn svg(&self) -> Result<String, ChartError> {
        let top = self
            .series
            .iter()
            .flat_map(|(_, _, points)| points.iter().flat_map(|(x, y)| [*x, *y]))
            .fold(0.0f64, f64::max)
            .max(1e-3)
            * 1.1;
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
            let style = ("sans-serif", 15).into_font().color(&TEXT);
            let mut chart = ChartBuilder::on(&root)
                .margin(8)
                .x_label_area_size(40)
                .y_label_area_size(56)
                .build_cartesian_2d(0.0..top, 0.0..top)
                .map_err(failed)?;
            chart
                .configure_mesh()
                .bold_line_style(GRID)
                .light_line_style(TRANSPARENT)
                .axis_style(AXIS)
                .label_style(style.clone())
                .axis_desc_style(style)
                .x_desc("predicted")
                .y_desc("observed")
                .x_labels(5)
                .y_labels(5)
                .x_label_formatter(&|v| format!("{:.1}%", v * 100.0))
                .y_label_formatter(&|v| format!("{:.1}%", v * 100.0))
                .draw()
                .map_err(failed)?;
            chart
                .draw_series(LineSeries::new(
                    [(0.0, 0.0), (top, top)],
                    GREY.stroke_width(1),
                ))
                .map_err(failed)?;
            for (_, color, points) in &self.series {
                chart
                    .draw_series(LineSeries::new(
                        points.iter().copied(),
                        color.stroke_width(3),
                    ))
                    .map_err(failed)?;
                chart
                    .draw_series(points.iter().map(|p| Circle::new(*p, 4, color.filled())))
                    .map_err(failed)?;
            }
            root.present().map_err(failed)?;
        }
        Ok(scalable(&out))
    }
}

/// The document with its fixed size replaced by a view box the page scales.
fn scalable(svg: &str) -> String {
    let fixed = format!("<svg width=\"{}\" height=\"{}\" ", SIZE.0, SIZE.1);
    svg.replacen(
        &fixed,
        "<svg class=\"chart\" preserveAspectRatio=\"xMidYMid meet\" ",
        1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `(y, height)` of every rectangle filled with `color`.
    fn rects(svg: &str, color: RGBColor) -> Vec<(f64, f64)> {
        let fill = format!("fill=\"#{:02X}{:02X}{:02X}\"", color.0, color.1, color.2);
        svg.split("<rect ")
            .skip(1)
            .filter(|r| r.contains(&fill))
            .map(|r| {
                let attr = |name: &str| -> f64 {
                    let at = r.find(&format!(" {name}=\"")).map(|i| i + name.len() + 3);
                    at.and_then(|i| r[i..].split('"').next())
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(f64::NAN)
                };
                (attr("y"), attr("height"))
            })
            .collect()
    }

    #[test]
    fn stacked_bars_are_as_tall_as_their_values_and_sit_on_each_other() {
        let chart = Chart {
            labels: vec!["Jan 26".into(), "Feb 26".into()],
            series: vec![
                Series {
                    name: "conflict".into(),
                    color: RED,
                    values: vec![Some(100.0), Some(0.0)],
                },
                Series {
                    name: "clear".into(),
                    color: GREEN,
                    values: vec![Some(300.0), Some(200.0)],
                },
            ],
            unit: Unit::Count,
            shape: Shape::StackedBars,
        };
        let svg = chart.svg().unwrap();
        let red = rects(&svg, RED);
        let green = rects(&svg, GREEN);
        // A zero draws nothing: one red bar, two green ones.
        assert_eq!((red.len(), green.len()), (1, 2), "{svg}");
        let (ry, rh) = red[0];
        let (gy, gh) = green[0];
        // Whole pixels: each edge rounds by at most one.
        assert!((gh - 3.0 * rh).abs() <= 3.0, "300 on 100: {gh} / {rh}");
        assert!(
            (gy + gh - ry).abs() <= 1.0,
            "clear sits on conflict: {gy}+{gh} vs {ry}"
        );
        assert!((green[1].1 - 2.0 * rh).abs() <= 3.0, "200 on 100");
    }

    #[test]
    fn the_svg_scales_to_its_container_and_labels_its_buckets() {
        let chart = Chart {
            labels: vec!["Jan 26".into(), "Feb 26".into(), "Mar 26".into()],
            series: vec![Series {
                name: "per 1,000".into(),
                color: RED,
                values: vec![Some(2.0), None, Some(1.5)],
            }],
            unit: Unit::PerThousand,
            shape: Shape::Lines,
        };
        let svg = chart.svg().unwrap();
        assert!(svg.starts_with("<svg class=\"chart\""), "{svg}");
        assert!(!svg.contains("width=\"520\""), "no fixed width");
        assert!(svg.contains("viewBox=\"0 0 520 260\""));
        for label in ["Jan 26", "Feb 26", "Mar 26", "per 1,000 tickets"] {
            assert!(svg.contains(label), "{label} in {svg}");
        }
        // The gap in February splits the line: two runs of one point draw no segment between.
        assert_eq!(
            runs(&[Some(2.0), None, Some(1.5)]),
            vec![vec![(0, 2.0)], vec![(2, 1.5)]]
        );
    }
}
