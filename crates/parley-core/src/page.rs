//! Keyset pagination as Mastodon does it: `max_id`, `since_id`, `min_id` and `limit`.
//!
//! - `max_id`: only items older than it (the "next" page).
//! - `since_id`: only items newer than it, newest first (a gap-free refresh is not promised).
//! - `min_id`: the items immediately newer than it (the "prev" page), oldest of them first
//!   in the scan but returned newest first like every page.

/// A page request, already clamped to the endpoint's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PageRequest {
    pub max_id: Option<i64>,
    pub since_id: Option<i64>,
    pub min_id: Option<i64>,
    pub limit: usize,
}

impl PageRequest {
    /// Clamps `limit` to `1..=max`, using `default` when absent (Mastodon: 20 and 40 for statuses).
    pub fn new(
        max_id: Option<i64>,
        since_id: Option<i64>,
        min_id: Option<i64>,
        limit: Option<i64>,
        default: usize,
        max: usize,
    ) -> Self {
        let limit = match limit {
            Some(l) if l >= 1 => (l as usize).min(max),
            Some(_) => 1,
            None => default,
        };
        PageRequest { max_id, since_id, min_id, limit }
    }

    /// The exclusive lower bound on IDs: `min_id` wins over `since_id` when both are given.
    pub fn lower_bound(&self) -> Option<i64> {
        match (self.min_id, self.since_id) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// True when the scan should walk upwards from the lower bound (a `min_id` page).
    pub fn ascending(&self) -> bool {
        self.min_id.is_some()
    }

    /// Selects, from `ids` sorted newest first, the page this request describes.
    /// This is the reference the SQL queries must agree with.
    pub fn select(&self, ids_newest_first: &[i64]) -> Vec<i64> {
        let within = |id: &i64| self.max_id.is_none_or(|m| *id < m) && self.lower_bound().is_none_or(|l| *id > l);
        let mut page: Vec<i64> = if self.ascending() {
            let mut asc: Vec<i64> = ids_newest_first.iter().rev().copied().filter(within).take(self.limit).collect();
            asc.reverse();
            asc
        } else {
            ids_newest_first.iter().copied().filter(within).take(self.limit).collect()
        };
        page.dedup();
        page
    }
}

/// The cursors of the `Link` header for a page whose items are newest first:
/// `next` = `max_id` of the oldest item, `prev` = `min_id` of the newest.
pub fn link_cursors(page_ids_newest_first: &[i64]) -> Option<(i64, i64)> {
    Some((*page_ids_newest_first.last()?, *page_ids_newest_first.first()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> Vec<i64> {
        (1..=10).rev().collect()
    }

    #[test]
    fn limit_is_clamped() {
        assert_eq!(PageRequest::new(None, None, None, None, 20, 40).limit, 20);
        assert_eq!(PageRequest::new(None, None, None, Some(500), 20, 40).limit, 40);
        assert_eq!(PageRequest::new(None, None, None, Some(0), 20, 40).limit, 1);
        assert_eq!(PageRequest::new(None, None, None, Some(-5), 20, 40).limit, 1);
    }

    #[test]
    fn max_id_pages_backwards() {
        let p = PageRequest::new(Some(8), None, None, Some(3), 20, 40);
        assert_eq!(p.select(&ids()), vec![7, 6, 5]);
    }

    #[test]
    fn since_id_gives_newest_above_it() {
        let p = PageRequest::new(None, Some(3), None, Some(3), 20, 40);
        assert_eq!(p.select(&ids()), vec![10, 9, 8]);
    }

    #[test]
    fn min_id_gives_items_just_above_it_newest_first() {
        let p = PageRequest::new(None, None, Some(3), Some(3), 20, 40);
        assert_eq!(p.select(&ids()), vec![6, 5, 4]);
    }

    #[test]
    fn walking_next_then_prev_returns_to_the_same_page() {
        let all = ids();
        let first = PageRequest::new(None, None, None, Some(4), 20, 40).select(&all);
        let (next, _) = link_cursors(&first).unwrap_or_default();
        let second = PageRequest::new(Some(next), None, None, Some(4), 20, 40).select(&all);
        assert_eq!(second, vec![6, 5, 4, 3]);
        let (_, prev) = link_cursors(&second).unwrap_or_default();
        let back = PageRequest::new(None, None, Some(prev), Some(4), 20, 40).select(&all);
        assert_eq!(back, first);
    }
}
