//! The poll history chart, drawn on the server as SVG: one line per option,
//! the running total (or share) of its votes from the poll's opening to its
//! end (or now). Only geometry is computed here; the template draws it, so
//! every label is escaped like any other text.

use chrono::{DateTime, Duration, Timelike, Utc};
use parley_app::polls::PollHistory;

use crate::format;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 340.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

/// A labelled position on an axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub pos: f64,
    pub label: String,
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
    pub time: String,
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

/// The smallest "nice" number (1, 2, 5 × 10ⁿ) at or above `x`.
fn nice_ceiling(x: f64) -> f64 {
    if x <= 1.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(x.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * magnitude >= x {
            return step * magnitude;
        }
    }
    10.0 * magnitude
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

/// Draws `history` from the poll's opening to `end`; `share` plots each
/// option's share of the votes instead of its count.
pub fn draw(h: &PollHistory, end: DateTime<Utc>, share: bool) -> Chart {
    let start = h.poll.created_at;
    let end = end.max(start + Duration::seconds(1));
    let span = (end - start).num_milliseconds().max(1) as f64;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
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
    let top_value = if share {
        100.0
    } else {
        nice_ceiling(points.last().map(|(_, t, _)| t.iter().copied().max().unwrap_or(0)).unwrap_or(0) as f64)
    };
    let x_of =
        |t: DateTime<Utc>| round1(LEFT + plot_w * ((t - start).num_milliseconds() as f64 / span).clamp(0.0, 1.0));
    let y_of = |v: f64| round1(TOP + plot_h * (1.0 - (v / top_value).clamp(0.0, 1.0)));

    let n = h.poll.options.len();
    let final_totals = points.last().map(|(_, t, _)| t.clone()).unwrap_or_else(|| vec![0; n]);
    let final_sum: i64 = final_totals.iter().sum();
    let series = (0..n)
        .map(|i| {
            let mut coords = vec![(x_of(start), y_of(0.0))];
            let mut last = 0.0;
            for (t, totals, _) in &points {
                let v = value(totals, i);
                if !share {
                    // Hold the level until this bucket's votes arrive: a step, not a slope.
                    coords.push((x_of(*t - Duration::seconds(h.interval_seconds)).max(x_of(start)), y_of(last)));
                }
                coords.push((x_of(*t), y_of(v)));
                last = v;
            }
            coords.push((x_of(end), y_of(last)));
            coords.dedup();
            let (end_x, end_y) = coords.last().copied().unwrap_or((LEFT, TOP + plot_h));
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

    let y_ticks = (0..=4)
        .map(|k| {
            let v = top_value * f64::from(k) / 4.0;
            let label = if share { format!("{}%", v.round() as i64) } else { format::thousands(v.round() as i64) };
            Tick { pos: y_of(v), label }
        })
        .collect();
    let x_ticks = time_ticks(start, end).into_iter().map(|(t, label)| Tick { pos: x_of(t), label }).collect();
    let words: Vec<String> = series.iter().map(|s| format!("{} {}", s.title, s.final_text)).collect();
    Chart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: WIDTH - RIGHT,
        bottom: TOP + plot_h,
        y_label_x: LEFT - 8.0,
        x_label_y: TOP + plot_h + 22.0,
        tick_end: TOP + plot_h + 5.0,
        y_ticks,
        x_ticks,
        title: if share { "Share of the votes over time".into() } else { "Votes over time".into() },
        desc: format!("From {} to {}: {}.", format::long_datetime(start), format::long_datetime(end), words.join("; ")),
        caption: format!(
            "From {} to {}. Each point is the running total at the end of a {} interval.",
            format::long_datetime(start),
            format::long_datetime(end),
            interval_words(h.interval_seconds)
        ),
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

/// Five or six round times between `start` and `end`, labelled for the span.
fn time_ticks(start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<(DateTime<Utc>, String)> {
    const STEPS: [i64; 14] = [1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400];
    let span = (end - start).num_seconds().max(1);
    let step = STEPS.iter().copied().find(|s| span / s <= 6).unwrap_or_else(|| (span / 6 / 86_400 + 1) * 86_400);
    let first = start.timestamp().div_euclid(step) * step + if start.timestamp() % step == 0 { 0 } else { step };
    let long_span = span > 2 * 86_400;
    let mut ticks = Vec::new();
    let mut t = first;
    while t <= end.timestamp() && ticks.len() < 8 {
        if let Some(at) = DateTime::from_timestamp(t, 0) {
            let label = if long_span {
                format::date(at)
            } else if step < 60 {
                format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second())
            } else {
                format!("{:02}:{:02}", at.hour(), at.minute())
            };
            ticks.push((at, label));
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
            time: format!("{} {}", format::date(t), format::clock(t)),
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
    fn ceilings_are_nice() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(5_265.0), 10_000.0);
        assert_eq!(nice_ceiling(2_100.0), 2_500.0);
    }

    #[test]
    fn ticks_fall_on_round_times() {
        let ticks = time_ticks(at(16, 7), at(21, 0));
        assert_eq!(ticks.first().map(|t| t.1.as_str()), Some("17:00"));
        assert!(ticks.len() <= 6, "{ticks:?}");
    }

    #[test]
    fn lines_run_from_opening_to_end_through_the_running_totals() {
        let h = history();
        let chart = draw(&h, at(20, 0), false);
        assert_eq!(chart.series.len(), 2);
        let last = &chart.series[1];
        // Starts at zero on the left edge, ends at the right edge.
        assert!(last.points.starts_with(&format!("{LEFT},{}", TOP + (HEIGHT - TOP - BOTTOM))), "{}", last.points);
        assert_eq!(last.end_x, WIDTH - RIGHT);
        assert_eq!(last.final_text, "5 votes (63%)");
        assert_eq!(chart.y_ticks.last().map(|t| t.label.as_str()), Some("5"));
        assert!(chart.desc.contains("St. Petersburg 5 votes (63%)"), "{}", chart.desc);
        let rows = rows(&h, at(20, 0));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].totals, vec!["3".to_string(), "5".to_string()]);
        assert_eq!(rows[1].voters, "8");
        let shares = draw(&h, at(20, 0), true);
        assert_eq!(shares.y_ticks.last().map(|t| t.label.as_str()), Some("100%"));
    }
}
