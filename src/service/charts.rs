//! The overview's charts, drawn on the server as SVG: the page shows them with no script, and a
//! screen reader reads each as one image with a title and a sentence that says what it shows
//! (`role="img"`, `<title>`, `<desc>`), every bar with its own `<title>`; the numbers are also
//! in a table beside it. Colours come from the stylesheet's classes, so dark mode applies.

use std::fmt::Write;

/// Days a chart spans.
pub const DAYS: usize = 30;

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 160.0;
/// Room under the bars for the first and last day's labels.
const AXIS: f64 = 18.0;

/// One day's bar: its label, and its parts from the bottom up (value, class, what it is).
pub struct Bar {
    pub label: String,
    pub parts: Vec<(i64, &'static str, String)>,
}

fn escape(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}

/// A bar chart of `bars` (one a day, oldest first), `id` making its ids unique on the page.
pub fn bars(id: &str, title: &str, description: &str, bars: &[Bar]) -> String {
    let highest = bars
        .iter()
        .map(|b| b.parts.iter().map(|p| p.0.max(0)).sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = WIDTH / bars.len().max(1) as f64;
    let plot = HEIGHT - AXIS;
    let mut svg = String::with_capacity(8 * 1024);
    let _ = write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-labelledby=\"{id}-title {id}-desc\" preserveAspectRatio=\"none\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>\
         <line class=\"axis\" x1=\"0\" y1=\"{plot}\" x2=\"{WIDTH}\" y2=\"{plot}\"/>",
        escape(title),
        escape(description)
    );
    for (i, bar) in bars.iter().enumerate() {
        let x = i as f64 * slot + slot * 0.15;
        let width = slot * 0.7;
        let mut top = plot;
        let said: Vec<String> = bar.parts.iter().map(|p| p.2.clone()).collect();
        let _ = write!(
            svg,
            "<g><title>{}: {}</title>",
            escape(&bar.label),
            escape(&said.join(", "))
        );
        for (value, class, _) in &bar.parts {
            let height = (*value).max(0) as f64 / highest * (plot - 4.0);
            if height <= 0.0 {
                continue;
            }
            top -= height;
            let _ = write!(
                svg,
                "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{top:.1}\" width=\"{width:.1}\" \
                 height=\"{height:.1}\"/>"
            );
        }
        svg.push_str("</g>");
    }
    if let (Some(first), Some(last)) = (bars.first(), bars.last()) {
        let _ = write!(
            svg,
            "<text class=\"label\" x=\"0\" y=\"{HEIGHT}\">{}</text>\
             <text class=\"label\" x=\"{WIDTH}\" y=\"{HEIGHT}\" text-anchor=\"end\">{}</text>",
            escape(&first.label),
            escape(&last.label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A share as one filled bar: `part` of `whole`.
pub fn share(id: &str, title: &str, description: &str, part: i64, whole: i64) -> String {
    let fraction = if whole > 0 {
        (part.max(0) as f64 / whole as f64).min(1.0)
    } else {
        0.0
    };
    let filled = WIDTH * fraction;
    format!(
        "<svg class=\"chart share\" viewBox=\"0 0 {WIDTH} 24\" role=\"img\" \
         aria-labelledby=\"{id}-title {id}-desc\" preserveAspectRatio=\"none\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>\
         <rect class=\"rest\" x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"24\"/>\
         <rect class=\"paid\" x=\"0\" y=\"0\" width=\"{filled:.1}\" height=\"24\"/></svg>",
        escape(title),
        escape(description)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_highest_day_and_say_what_they_show() {
        let days = vec![
            Bar {
                label: "Nov 6".into(),
                parts: vec![
                    (2, "paid", "2 paid".into()),
                    (2, "rest", "2 not paid".into()),
                ],
            },
            Bar {
                label: "Nov 7".into(),
                parts: vec![
                    (0, "paid", "0 paid".into()),
                    (0, "rest", "0 not paid".into()),
                ],
            },
            Bar {
                label: "Nov 8 <b>".into(),
                parts: vec![(1, "paid", "1 paid".into())],
            },
        ];
        let svg = bars("s", "Sessions", "5 sessions, 3 paid", &days);
        assert!(svg.starts_with("<svg class=\"chart\""));
        assert!(svg.contains("role=\"img\" aria-labelledby=\"s-title s-desc\""));
        assert!(svg.contains("<desc id=\"s-desc\">5 sessions, 3 paid</desc>"));
        assert!(svg.contains("<title>Nov 6: 2 paid, 2 not paid</title>"));
        // The highest day (4) fills the plot; a day of 1 is a quarter of it.
        assert_eq!(svg.matches("<rect").count(), 3, "no bar for an empty day");
        assert!(svg.contains("height=\"69.0\""), "{svg}");
        assert!(svg.contains("height=\"34.5\""), "{svg}");
        assert!(svg.contains("Nov 8 &lt;b&gt;"), "labels are escaped");
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn a_share_fills_its_fraction_and_an_empty_whole_fills_nothing() {
        assert!(
            share("p", "Paid", "1 of 4", 1, 4).contains("width=\"150.0\" height=\"24\"/></svg>")
        );
        assert!(share("p", "Paid", "none", 0, 0).contains("width=\"0.0\" height=\"24\"/></svg>"));
    }
}
