//! The poll history chart, drawn on the server as SVG: one line per option,
//! the running total (or share) of its votes from the poll's opening to its
//! end (or now). Only geometry is computed here; the template draws it, so
//! every label is escaped like any other text.

use chrono::{DateTime, Duration, Timelike, Utc};
use parley_app::polls::PollHistory;

use crate::format;

/// The drawing's size in SVG units, which the page scales to its width. Its
/// 12-unit labels are read at about 12 CSS pixels only when the drawing is
/// shown near its own width: so there are two, one for a desktop column and
/// one for a phone, and the stylesheet shows one (`.chart-wide`, `.chart-narrow`).
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    /// Time labels at most.
    x_ticks: usize,
}

/// A desktop column (about 700 CSS pixels).
pub const WIDE: Frame =
    Frame { width: 760.0, height: 340.0, left: 64.0, right: 20.0, top: 16.0, bottom: 52.0, x_ticks: 6 };
/// A phone (about 340 CSS pixels).
pub const NARROW: Frame =
    Frame { width: 360.0, height: 280.0, left: 48.0, right: 14.0, top: 14.0, bottom: 52.0, x_ticks: 3 };

/// A labelled position on an axis; `date`, on a time axis, is a second line
/// under the first label and wherever the day changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub pos: f64,
    pub label: String,
    pub date: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Series {
    pub index: usize,
    pub title: String,
    /// `x,y x,y …` for a `<polyline>`.
    pub points: String,
    pub end_x: f64,
    pub end_y: f64,
    /// `5,265 votes (45%)`
    pub final_text: String,
}

#[derive(Debug, Clone)]
pub struct Chart {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub bottom: f64,
    pub y_label_x: f64,
    pub x_label_y: f64,
    pub tick_end: f64,
    pub y_ticks: Vec<Tick>,
    pub x_ticks: Vec<Tick>,
    pub series: Vec<Series>,
    pub title: String,
    /// A text alternative: the final tally in words.
    pub desc: String,
    pub caption: String,
}

/// One row of the table under the chart: cumulative counts at a bucket's end.
#[derive(Debug, Clone)]
pub struct Row {
    pub iso: String,
    /// `27 March 2018`
    pub date: String,
    /// `16:30:00 UTC`
    pub clock: String,
    pub totals: Vec<String>,
    pub voters: String,
}

/// A bucket width that gives at most about `target` points over `span`,
/// rounded to a width a person reads easily.
pub fn interval_for(span_seconds: i64, target: i64) -> i64 {
    const NICE: [i64; 14] = [1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 86_400];
    let wanted = (span_seconds.max(1) + target - 1) / target.max(1);
    NICE.iter().copied().find(|n| *n >= wanted).unwrap_or_else(|| wanted.div_euclid(86_400).max(1) * 86_400)
}

/// The vote axis for a largest count of `max`: a whole, round step (1, 2, 5
/// × 10ⁿ, and 2.5 × 10ⁿ from 25 up) giving about four intervals, and the top,
/// a whole number of steps at or above `max`. Whole steps, so that no two
/// labels read the same ("0, 1, 1, 2, 2" for a step of ½).
fn count_axis(max: i64) -> (f64, f64) {
    let raw = (max as f64 / 4.0).max(1.0);
    let magnitude = 10f64.powf(raw.log10().floor());
    let steps: &[f64] = if magnitude >= 10.0 { &[1.0, 2.0, 2.5, 5.0, 10.0] } else { &[1.0, 2.0, 5.0, 10.0] };
    let step = steps.iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    let top = ((max as f64 / step).ceil() * step).max(step);
    (top, step)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Running totals per option at the end of each bucket: (end time, per-option totals, voters).
pub fn cumulative(h: &PollHistory, end: DateTime<Utc>) -> Vec<(DateTime<Utc>, Vec<i64>, i64)> {
    let n = h.poll.options.len();
    let mut totals = vec![0i64; n];
    let mut voters = 0i64;
    let width = Duration::seconds(h.interval_seconds);
    let mut out = Vec::with_capacity(h.buckets.len());
    for b in &h.buckets {
        for (t, v) in totals.iter_mut().zip(&b.option_votes) {
            *t += v;
        }
        voters += b.voters;
        out.push(((b.start + width).min(end).max(b.start), totals.clone(), voters));
    }
    out
}

/// Draws `history` from the poll's opening to `end` in `frame`; `share`
/// plots each option's share of the votes counted so far instead of its count.
pub fn draw(h: &PollHistory, end: DateTime<Utc>, share: bool, frame: Frame) -> Chart {
    let Frame { width, height, left, right, top, bottom, .. } = frame;
    let start = h.poll.created_at;
    let end = end.max(start + Duration::seconds(1));
    let span = (end - start).num_milliseconds().max(1) as f64;
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let points = cumulative(h, end);
    let value = |totals: &[i64], i: usize| -> f64 {
        let v = totals.get(i).copied().unwrap_or(0) as f64;
        if share {
            let sum: i64 = totals.iter().sum();
            if sum == 0 { 0.0 } else { v * 100.0 / sum as f64 }
        } else {
            v
        }
    };
    let (top_value, step) = if share {
        (100.0, 25.0)
    } else {
        count_axis(points.last().map(|(_, t, _)| t.iter().copied().max().unwrap_or(0)).unwrap_or(0))
    };
    let x_of =
        |t: DateTime<Utc>| round1(left + plot_w * ((t - start).num_milliseconds() as f64 / span).clamp(0.0, 1.0));
    let y_of = |v: f64| round1(top + plot_h * (1.0 - (v / top_value).clamp(0.0, 1.0)));

    let n = h.poll.options.len();
    let final_totals = points.last().map(|(_, t, _)| t.clone()).unwrap_or_else(|| vec![0; n]);
    let final_sum: i64 = final_totals.iter().sum();
    let series = (0..n)
        .map(|i| {
            // A count starts at zero at the opening; a share means nothing
            // before the first votes, so its line starts with them.
            let mut coords = if share { Vec::new() } else { vec![(x_of(start), y_of(0.0))] };
            let mut last = 0.0;
            for (t, totals, _) in &points {
                if share && totals.iter().all(|v| *v == 0) {
                    continue;
                }
                let v = value(totals, i);
                if !share {
                    // Hold the level until this bucket's votes arrive: a step, not a slope.
                    coords.push((x_of(*t - Duration::seconds(h.interval_seconds)).max(x_of(start)), y_of(last)));
                }
                coords.push((x_of(*t), y_of(v)));
                last = v;
            }
            if !coords.is_empty() {
                coords.push((x_of(end), y_of(last)));
            }
            coords.dedup();
            let (end_x, end_y) = coords.last().copied().unwrap_or((left, top + plot_h));
            let votes = final_totals.get(i).copied().unwrap_or(0);
            Series {
                index: i,
                title: h.poll.options.get(i).cloned().unwrap_or_default(),
                points: coords.iter().map(|(x, y)| format!("{x},{y}")).collect::<Vec<_>>().join(" "),
                end_x,
                end_y,
                final_text: format!(
                    "{} ({})",
                    format::count(votes, "vote", "votes"),
                    format::percent_text(votes, final_sum)
                ),
            }
        })
        .collect::<Vec<_>>();

    let intervals = (top_value / step).round() as i64;
    let y_ticks = (0..=intervals)
        .map(|k| {
            let v = step * k as f64;
            let label = if share { format!("{}%", v.round() as i64) } else { format::thousands(v.round() as i64) };
            Tick { pos: y_of(v), label, date: None }
        })
        .collect();
    let x_ticks = time_ticks(start, end, frame.x_ticks)
        .into_iter()
        .map(|(t, label, date)| Tick { pos: x_of(t), label, date })
        .collect();
    let words: Vec<String> = series.iter().map(|s| format!("{} {}", s.title, s.final_text)).collect();
    Chart {
        width,
        height,
        left,
        right: width - right,
        bottom: top + plot_h,
        y_label_x: left - 8.0,
        x_label_y: top + plot_h + 20.0,
        tick_end: top + plot_h + 5.0,
        y_ticks,
        x_ticks,
        title: title(share).into(),
        desc: format!("From {} to {}: {}.", format::long_datetime(start), format::long_datetime(end), words.join("; ")),
        caption: if share {
            format!(
                "From {} to {}. Each point is each option's share of the votes counted by the end of a {} interval; the lines start with the first votes.",
                format::long_datetime(start),
                format::long_datetime(end),
                interval_words(h.interval_seconds)
            )
        } else {
            format!(
                "From {} to {}. Each point is the running total at the end of a {} interval.",
                format::long_datetime(start),
                format::long_datetime(end),
                interval_words(h.interval_seconds)
            )
        },
        series,
    }
}

/// `1-minute`, `5-minute`, `1-hour` …
pub fn interval_words(secs: i64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{}-day", s / 86_400),
        s if s % 3600 == 0 => format!("{}-hour", s / 3600),
        s if s % 60 == 0 => format!("{}-minute", s / 60),
        s => format!("{s}-second"),
    }
}

/// The heading of a chart (and of its page).
pub fn title(share: bool) -> &'static str {
    if share { "Share of the votes over time" } else { "Votes over time" }
}

/// At most `most` round times between `start` and `end`, labelled for the
/// span: dates for a long one; otherwise clock times (UTC), with the date as
/// a second line under the first and wherever the day changes.
fn time_ticks(start: DateTime<Utc>, end: DateTime<Utc>, most: usize) -> Vec<(DateTime<Utc>, String, Option<String>)> {
    const STEPS: [i64; 14] = [1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400];
    let most = most.max(2) as i64;
    let span = (end - start).num_seconds().max(1);
    let step = STEPS.iter().copied().find(|s| span / s <= most).unwrap_or_else(|| (span / most / 86_400 + 1) * 86_400);
    let first = start.timestamp().div_euclid(step) * step + if start.timestamp() % step == 0 { 0 } else { step };
    let long_span = span > 2 * 86_400;
    let mut ticks = Vec::new();
    let mut day = None;
    let mut t = first;
    while t <= end.timestamp() && ticks.len() < 8 {
        if let Some(at) = DateTime::from_timestamp(t, 0) {
            if long_span {
                ticks.push((at, format::date(at), None));
            } else {
                let label = if step < 60 {
                    format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second())
                } else {
                    format!("{:02}:{:02}", at.hour(), at.minute())
                };
                let date = (day != Some(at.date_naive())).then(|| format::date(at));
                day = Some(at.date_naive());
                ticks.push((at, label, date));
            }
        }
        t += step;
    }
    ticks
}

/// The table under the chart.
pub fn rows(h: &PollHistory, end: DateTime<Utc>) -> Vec<Row> {
    cumulative(h, end)
        .into_iter()
        .map(|(t, totals, voters)| Row {
            iso: format::iso(t),
            date: format::date(t),
            clock: format::clock(t),
            totals: totals.into_iter().map(format::thousands).collect(),
            voters: format::thousands(voters),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use parley_core::model::Poll;
    use parley_core::{AccountId, PollId, StatusId};
    use parley_store::HistoryBucket;

    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2018, 3, 27, h, m, 0).single().unwrap_or_default()
    }

    fn history() -> PollHistory {
        let poll = Poll {
            id: PollId(1),
            status_id: StatusId(2),
            account_id: AccountId(3),
            options: vec!["Vladivostok".into(), "St. Petersburg".into()],
            option_votes: vec![3, 5],
            multiple: false,
            hide_totals: false,
            eligibility: Default::default(),
            expires_at: at(20, 0),
            created_at: at(16, 0),
            closed: true,
            votes_count: 8,
            voters_count: 8,
            chain_head: String::new(),
            vote_seq: 8,
            round: 0,
        };
        let bucket = |m: u32, votes: Vec<i64>| HistoryBucket {
            start: at(16, m),
            voters: votes.iter().sum(),
            option_votes: votes,
        };
        PollHistory { poll, interval_seconds: 60, buckets: vec![bucket(0, vec![1, 1]), bucket(30, vec![2, 4])] }
    }

    #[test]
    fn intervals_are_round() {
        assert_eq!(interval_for(60, 120), 1);
        assert_eq!(interval_for(86_400, 120), 900);
        assert_eq!(interval_for(2_629_746, 120), 86_400);
        assert_eq!(interval_words(900), "15-minute");
        assert_eq!(interval_words(3600), "1-hour");
    }

    #[test]
    fn vote_axes_have_whole_round_steps() {
        assert_eq!(count_axis(0), (1.0, 1.0));
        assert_eq!(count_axis(2), (2.0, 1.0));
        assert_eq!(count_axis(5), (6.0, 2.0));
        assert_eq!(count_axis(7), (8.0, 2.0));
        assert_eq!(count_axis(5_265), (6_000.0, 2_000.0));
        assert_eq!(count_axis(100), (100.0, 25.0));
        assert_eq!(count_axis(11_700), (15_000.0, 5_000.0));
    }

    #[test]
    fn ticks_fall_on_round_times() {
        let ticks = time_ticks(at(16, 7), at(21, 0), 6);
        assert_eq!(ticks.first().map(|t| t.1.as_str()), Some("17:00"));
        assert!(ticks.len() <= 6, "{ticks:?}");
        // The date under the first time, and only there within one day.
        assert_eq!(ticks[0].2.as_deref(), Some(format::date(at(17, 0)).as_str()));
        assert!(ticks[1..].iter().all(|t| t.2.is_none()), "{ticks:?}");
        assert!(time_ticks(at(16, 7), at(21, 0), 3).len() <= 3);
    }

    #[test]
    fn lines_run_from_opening_to_end_through_the_running_totals() {
        let h = history();
        let chart = draw(&h, at(20, 0), false, WIDE);
        let Frame { width, height, left, right, top, bottom, .. } = WIDE;
        assert_eq!(chart.series.len(), 2);
        let last = &chart.series[1];
        // Starts at zero on the left edge, ends at the right edge.
        assert!(last.points.starts_with(&format!("{left},{}", top + (height - top - bottom))), "{}", last.points);
        assert_eq!(last.end_x, width - right);
        assert_eq!(last.final_text, "5 votes (63%)");
        let labels: Vec<&str> = chart.y_ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["0", "2", "4", "6"]);
        assert!(chart.desc.contains("St. Petersburg 5 votes (63%)"), "{}", chart.desc);
        let rows = rows(&h, at(20, 0));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].totals, vec!["3".to_string(), "5".to_string()]);
        assert_eq!(rows[1].voters, "8");
        let shares = draw(&h, at(20, 0), true, NARROW);
        assert_eq!(shares.y_ticks.last().map(|t| t.label.as_str()), Some("100%"));
        // Shares start with the first votes (50% each at 16:01), not at a made-up 0%.
        let first_y = |points: &str| points.split(' ').next().and_then(|p| p.split(',').nth(1)).map(str::to_string);
        let half = NARROW.top + (NARROW.height - NARROW.top - NARROW.bottom) / 2.0;
        assert_eq!(first_y(&shares.series[0].points), Some(format!("{half}")), "{}", shares.series[0].points);
        assert!(shares.caption.contains("share of the votes"), "{}", shares.caption);
    }
}
