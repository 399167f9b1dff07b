//! `parley_core::visibility` in SQL: the one place the store copies the rule
//! of who may see what, for queries that must filter a page before its
//! `LIMIT`. Each fragment is named after the core function it copies; the
//! property test `tests/visibility` checks every query that uses them
//! against the core rule on random worlds.
//!
//! Fragments read the viewer from the named parameter `:viewer` (0 when
//! anonymous: IDs are never 0).

/// The account `{account}` is shown to `:viewer`: `account_shown` (an account
/// suspended or awaiting approval exists only for itself).
pub(super) fn account_shown(account: &str) -> String {
    format!(
        "({account} = :viewer OR NOT EXISTS
           (SELECT 1 FROM accounts au WHERE au.id = {account} AND (au.suspended = 1 OR au.approved = 0)))"
    )
}

/// The account row `{a}` is shown to everyone else: `account_shown(a, None)`,
/// as a plain column filter for account listings and counts.
pub(super) fn account_shown_to_others(a: &str) -> String {
    format!("({a}.suspended = 0 AND {a}.approved = 1)")
}

/// The status row `{s}` is visible to `:viewer`: `can_view`.
pub(super) fn can_view(s: &str) -> String {
    format!(
        "(
    {s}.account_id = :viewer
    OR (
      {shown}
      AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = {s}.account_id AND b.target_id = :viewer)
      AND (
        {s}.visibility IN ('public', 'unlisted')
        OR ({s}.visibility = 'private' AND EXISTS
             (SELECT 1 FROM follows f WHERE f.account_id = :viewer AND f.target_id = {s}.account_id))
        OR ({s}.visibility IN ('private', 'direct') AND EXISTS
             (SELECT 1 FROM mentions m WHERE m.status_id = {s}.id AND m.account_id = :viewer))
      )
    )
  )",
        shown = account_shown(&format!("{s}.account_id"))
    )
}

/// The status row `s` is visible to `:viewer`, and so is what it boosts:
/// `can_view_boost` (a boost whose original is gone shows nothing).
pub(super) fn can_view_boost() -> String {
    format!(
        "({} AND (s.reblog_of_id IS NULL OR EXISTS (SELECT 1 FROM statuses o WHERE o.id = s.reblog_of_id AND {})))",
        can_view("s"),
        can_view("o")
    )
}

/// `:viewer` neither blocks nor mutes `{account}`: what a listing leaves out
/// although the rule admits it (Mastodon's `excluded_from_timeline_account_ids`,
/// less the blocks by others that [`can_view`] already covers).
pub(super) fn not_blocked_or_muted(account: &str) -> String {
    format!(
        "({account} = :viewer OR (
           NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = :viewer AND b.target_id = {account})
           AND NOT EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = :viewer AND mu.target_id = {account})))"
    )
}

/// [`not_blocked_or_muted`] for the author of what `s` boosts (true of an original).
pub(super) fn original_not_blocked_or_muted() -> String {
    format!(
        "(s.reblog_of_id IS NULL OR EXISTS (SELECT 1 FROM statuses o WHERE o.id = s.reblog_of_id AND {}))",
        not_blocked_or_muted("o.account_id")
    )
}

/// For lists of statuses: `s` and what it boosts are by accounts the viewer
/// neither blocks nor mutes (`views::filter_visible` in the app).
pub(super) fn not_hidden_from_viewer() -> String {
    format!("({} AND {})", not_blocked_or_muted("s.account_id"), original_not_blocked_or_muted())
}
