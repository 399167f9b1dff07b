//! What a load thread records per class of request: a latency histogram,
//! answers by status, I/O errors, and a per-second series for the chart.
//! Each thread owns its recorders (no sharing on the hot path); they are
//! merged once the run is over.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::report::{Measurement, Second};
use crate::stats::{self, Latency};

/// Statuses are counted in a flat array; anything outside 100..=599 is `other`.
const STATUSES: usize = 600;

pub struct ClassRecorder {
    hist: Histogram<u64>,
    statuses: Vec<u64>,
    other_status: u64,
    io_errors: u64,
    seconds: Vec<SecondRecorder>,
    /// When the last answer came, from the start of the run.
    last_at: Duration,
}

struct SecondRecorder {
    requests: u64,
    errors: u64,
    hist: Histogram<u64>,
}

impl SecondRecorder {
    fn new() -> SecondRecorder {
        SecondRecorder { requests: 0, errors: 0, hist: stats::second_histogram() }
    }
}

impl Default for ClassRecorder {
    fn default() -> Self {
        ClassRecorder {
            hist: stats::run_histogram(),
            statuses: vec![0; STATUSES],
            other_status: 0,
            io_errors: 0,
            seconds: Vec::new(),
            last_at: Duration::ZERO,
        }
    }
}

impl ClassRecorder {
    /// An answer with `status`, `latency` after it was sent, arriving `at` after the run started.
    pub fn record(&mut self, status: u16, latency: Duration, at: Duration) {
        let us = latency.as_micros().min(u64::MAX as u128) as u64;
        stats::record(&mut self.hist, us);
        match self.statuses.get_mut(status as usize) {
            Some(n) if status >= 100 => *n += 1,
            _ => self.other_status += 1,
        }
        let second = self.second(at);
        second.requests += 1;
        if !(200..300).contains(&status) {
            second.errors += 1;
        }
        stats::record(&mut second.hist, us);
    }

    /// A request that got no answer (connection refused, reset or timed out).
    pub fn record_io_error(&mut self, at: Duration) {
        self.io_errors += 1;
        let second = self.second(at);
        second.requests += 1;
        second.errors += 1;
    }

    fn second(&mut self, at: Duration) -> &mut SecondRecorder {
        self.last_at = self.last_at.max(at);
        let i = at.as_secs() as usize;
        while self.seconds.len() <= i {
            self.seconds.push(SecondRecorder::new());
        }
        &mut self.seconds[i]
    }

    pub fn merge(&mut self, other: ClassRecorder) {
        // Same bounds on both sides: `add` cannot fail.
        let _ = self.hist.add(&other.hist);
        for (a, b) in self.statuses.iter_mut().zip(&other.statuses) {
            *a += b;
        }
        self.other_status += other.other_status;
        self.io_errors += other.io_errors;
        self.last_at = self.last_at.max(other.last_at);
        for (i, s) in other.seconds.into_iter().enumerate() {
            if i < self.seconds.len() {
                let mine = &mut self.seconds[i];
                mine.requests += s.requests;
                mine.errors += s.errors;
                let _ = mine.hist.add(&s.hist);
            } else {
                self.seconds.push(s);
            }
        }
    }

    /// Answers with a 2xx status.
    pub fn ok(&self) -> u64 {
        self.statuses[200..300].iter().sum()
    }

    /// Every request that finished, answered or not.
    pub fn requests(&self) -> u64 {
        self.statuses.iter().sum::<u64>() + self.other_status + self.io_errors
    }

    /// Non-2xx answers by status, and `io` for requests with no answer.
    pub fn errors(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for (status, &n) in self.statuses.iter().enumerate() {
            if n > 0 && !(200..300).contains(&status) {
                out.insert(status.to_string(), n);
            }
        }
        if self.other_status > 0 {
            out.insert("other".to_owned(), self.other_status);
        }
        if self.io_errors > 0 {
            out.insert("io".to_owned(), self.io_errors);
        }
        out
    }

    /// The figures of this class. `seconds` is the run's length for this
    /// class (the time its last answer came if not given).
    pub fn measurement(&self, name: &str, seconds: Option<f64>, offset_s: f64) -> Measurement {
        let seconds = seconds.unwrap_or(self.last_at.as_secs_f64());
        let requests = self.requests();
        let ok = self.ok();
        let per_second = self
            .seconds
            .iter()
            .map(|s| Second {
                requests: s.requests,
                errors: s.errors,
                p50_us: if s.hist.is_empty() { 0 } else { s.hist.value_at_quantile(0.5) },
                p99_us: if s.hist.is_empty() { 0 } else { s.hist.value_at_quantile(0.99) },
            })
            .collect();
        Measurement {
            name: name.to_owned(),
            requests,
            ok,
            errors: self.errors(),
            seconds,
            throughput: stats::ratio(requests as f64, seconds).unwrap_or(0.0),
            ok_throughput: stats::ratio(ok as f64, seconds).unwrap_or(0.0),
            latency: Latency::of(&self.hist),
            offset_s,
            per_second,
            vs_baseline: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn counts_statuses_errors_and_seconds() {
        let mut r = ClassRecorder::default();
        r.record(200, ms(2), ms(100));
        r.record(201, ms(4), ms(900));
        r.record(422, ms(1), ms(1500));
        r.record_io_error(ms(2500));
        r.record(42, ms(1), ms(2600));
        assert_eq!(r.requests(), 5);
        assert_eq!(r.ok(), 2);
        let errors: Vec<_> = r.errors().into_iter().collect();
        assert_eq!(errors, vec![("422".into(), 1), ("io".into(), 1), ("other".into(), 1)]);
        let m = r.measurement("votes", Some(2.0), 0.5);
        assert_eq!((m.requests, m.ok), (5, 2));
        assert_eq!(m.throughput, 2.5);
        assert_eq!(m.ok_throughput, 1.0);
        assert_eq!(m.offset_s, 0.5);
        let per: Vec<_> = m.per_second.iter().map(|s| (s.requests, s.errors)).collect();
        assert_eq!(per, vec![(2, 0), (1, 1), (2, 2)]);
        assert!(m.per_second[0].p99_us >= 3_900, "{:?}", m.per_second[0]);
    }

    #[test]
    fn merging_threads_adds_everything_up() {
        let mut a = ClassRecorder::default();
        let mut b = ClassRecorder::default();
        a.record(200, ms(1), ms(10));
        b.record(200, ms(3), ms(20));
        b.record(500, ms(3), ms(3020));
        b.record_io_error(ms(3030));
        a.merge(b);
        assert_eq!(a.requests(), 4);
        assert_eq!(a.ok(), 2);
        assert_eq!(a.seconds.len(), 4);
        assert_eq!(a.seconds[0].requests, 2);
        assert_eq!(a.seconds[3].errors, 2);
        // Measured up to the last answer when no length is given.
        let m = a.measurement("x", None, 0.0);
        assert!((m.seconds - 3.03).abs() < 1e-9);
        assert_eq!(m.latency.unwrap().max_us, 3_001); // 3 ms at 3 significant figures
    }
}
