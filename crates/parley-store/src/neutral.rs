//! What both backends compute alike from the rows they read (each reads
//! them in its own SQL): one copy of each rule, beside `audit.rs`.

use std::collections::HashMap;

use parley_core::AccountId;

/// A thread's descendants in the order Mastodon shows them: depth-first,
/// each level oldest first. `edges` are (child, parent) pairs below `root`.
pub fn thread_order(root: i64, edges: &[(i64, i64)]) -> Vec<i64> {
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    for (child, parent) in edges {
        children.entry(*parent).or_default().push(*child);
    }
    children.values_mut().for_each(|v| v.sort_unstable());
    let mut order = Vec::with_capacity(edges.len());
    let mut stack: Vec<i64> = children.get(&root).map(|v| v.iter().rev().copied().collect()).unwrap_or_default();
    while let Some(next) = stack.pop() {
        order.push(next);
        if let Some(kids) = children.get(&next) {
            stack.extend(kids.iter().rev());
        }
    }
    order
}

/// The other participants of `recipient`'s conversation for a direct status:
/// its author and the accounts it mentions, less the recipient, sorted, once each.
pub fn conversation_others(recipient: AccountId, author: AccountId, mentions: &[AccountId]) -> Vec<i64> {
    let mut others: Vec<i64> = mentions.iter().chain([&author]).map(|a| a.0).filter(|a| *a != recipient.0).collect();
    others.sort_unstable();
    others.dedup();
    others
}
