//! [`Rendered`]: JSON made once from its inputs and kept beside them, reused
//! while the inputs are the same (for the store's entities: the same `Arc`). Statuses and accounts are shown again and
//! again (a home page repeats the same authors, most viewers see the same
//! new statuses), and building and escaping their JSON was most of what a
//! timeline request cost. Rendering is a pure function of the inputs, so a
//! changed status or account simply no longer matches what is kept: nothing
//! has to be told about writes, and nothing stale can be served.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use serde_json::value::RawValue;

const SHARDS: usize = 16;

type Shard<In, Out> = Mutex<HashMap<i64, (In, Out)>>;

/// A bounded memo from an ID to (inputs, output). A full shard is emptied
/// and refilled: the working set of a busy server is the new and the
/// popular, which come back at once.
pub(crate) struct Rendered<In, Out> {
    shards: Box<[Shard<In, Out>]>,
    per_shard: usize,
}

impl<In, Out: Clone> Rendered<In, Out> {
    pub(crate) fn new(capacity: usize) -> Self {
        Rendered {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: capacity.div_ceil(SHARDS).max(1),
        }
    }

    /// The output kept for `key` if `same` holds for its inputs; otherwise
    /// `render`'s, which is kept for next time.
    pub(crate) fn get_or_render(
        &self,
        key: i64,
        same: impl FnOnce(&In) -> bool,
        render: impl FnOnce() -> (In, Out),
    ) -> Out {
        // IDs are time-ordered; mixing spreads neighbours over the shards.
        let mixed = (key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58;
        let shard = &self.shards[mixed as usize % SHARDS];
        if let Some((inputs, out)) = shard.lock().unwrap_or_else(PoisonError::into_inner).get(&key)
            && same(inputs)
        {
            return out.clone();
        }
        // Rendered outside the lock: two racing renders of one key are equal.
        let (inputs, out) = render();
        let mut map = shard.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.per_shard {
            map.clear();
        }
        map.insert(key, (inputs, out.clone()));
        out
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len()).sum()
    }
}

/// `value` as raw JSON, to be written into later documents without
/// escaping it again.
pub(crate) fn raw<T: Serialize + ?Sized>(value: &T) -> Box<RawValue> {
    // Serializing plain strings, numbers and derived structs cannot fail;
    // if it ever did, `null` beats a panic.
    serde_json::value::to_raw_value(value).unwrap_or_else(|_| RawValue::NULL.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_while_the_inputs_are_equal_and_bounded() {
        let memo: Rendered<String, usize> = Rendered::new(32);
        let renders = std::cell::Cell::new(0);
        let get = |key: i64, input: &str| {
            memo.get_or_render(
                key,
                |kept| kept == input,
                || {
                    renders.set(renders.get() + 1);
                    (input.to_string(), input.len())
                },
            )
        };
        assert_eq!(get(1, "abc"), 3);
        assert_eq!(get(1, "abc"), 3);
        assert_eq!(get(1, "abcd"), 4, "changed inputs are rendered again");
        assert_eq!(get(2, "abc"), 3);
        assert_eq!(renders.get(), 3);
        for key in 0..1000 {
            memo.get_or_render(key, |_| true, || (String::new(), 0));
        }
        assert!(memo.len() <= 32, "bounded: {}", memo.len());
    }
}
