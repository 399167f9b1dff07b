//! A page of a keyset listing (`max_id`, `since_id`/`min_id`, `limit`) as
//! bounds on IDs, for every backend and for the in-memory home timeline.

use parley_core::page::PageRequest;

pub struct Window {
    pub max: i64,
    pub min: i64,
    pub limit: i64,
    pub ascending: bool,
}

impl Window {
    pub fn new(page: PageRequest) -> Self {
        Window {
            max: page.max_id.unwrap_or(i64::MAX),
            min: page.lower_bound().unwrap_or(i64::MIN),
            limit: page.limit as i64,
            ascending: page.ascending(),
        }
    }

    /// Puts a page read in ascending order back to newest first.
    pub fn finish<T>(&self, mut items: Vec<T>) -> Vec<T> {
        if self.ascending {
            items.reverse();
        }
        items
    }
}
