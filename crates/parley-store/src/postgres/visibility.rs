//! `parley_core::visibility` in PostgreSQL's SQL: the twin of
//! `sqlite/visibility.rs`, fragment for fragment and under the same names
//! (see docs/development.md, "One visibility rule"). Each takes the viewer
//! as the placeholder of its parameter (`"$1"`); the viewer is 0 when
//! anonymous (IDs are never 0).

/// The account `{account}` is shown to the viewer: `account_shown`.
pub(super) fn account_shown(account: &str, viewer: &str) -> String {
    format!(
        "({account} = {viewer} OR NOT EXISTS
           (SELECT 1 FROM accounts au WHERE au.id = {account} AND (au.suspended OR NOT au.approved)))"
    )
}

/// The account row `{a}` is shown to everyone else: `account_shown(a, None)`.
pub(super) fn account_shown_to_others(a: &str) -> String {
    format!("(NOT {a}.suspended AND {a}.approved)")
}

/// The status row `{s}` is visible to the viewer: `can_view`.
pub(super) fn can_view(s: &str, viewer: &str) -> String {
    format!(
        "(
    {s}.account_id = {viewer}
    OR (
      {shown}
      AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = {s}.account_id AND b.target_id = {viewer})
      AND (
        {s}.visibility IN ('public', 'unlisted')
        OR ({s}.visibility = 'private' AND EXISTS
             (SELECT 1 FROM follows f WHERE f.account_id = {viewer} AND f.target_id = {s}.account_id))
        OR ({s}.visibility IN ('private', 'direct') AND EXISTS
             (SELECT 1 FROM mentions m WHERE m.status_id = {s}.id AND m.account_id = {viewer}))
      )
    )
  )",
        shown = account_shown(&format!("{s}.account_id"), viewer)
    )
}

/// The status row `s` is visible, and so is what it boosts: `can_view_boost`.
pub(super) fn can_view_boost(viewer: &str) -> String {
    format!(
        "({} AND (s.reblog_of_id IS NULL OR EXISTS (SELECT 1 FROM statuses o WHERE o.id = s.reblog_of_id AND {})))",
        can_view("s", viewer),
        can_view("o", viewer)
    )
}

/// The viewer neither blocks nor mutes `{account}`.
pub(super) fn not_blocked_or_muted(account: &str, viewer: &str) -> String {
    format!(
        "({account} = {viewer} OR (
           NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = {viewer} AND b.target_id = {account})
           AND NOT EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = {viewer} AND mu.target_id = {account})))"
    )
}

/// [`not_blocked_or_muted`] for the author of what `s` boosts (true of an original).
pub(super) fn original_not_blocked_or_muted(viewer: &str) -> String {
    format!(
        "(s.reblog_of_id IS NULL OR EXISTS (SELECT 1 FROM statuses o WHERE o.id = s.reblog_of_id AND {}))",
        not_blocked_or_muted("o.account_id", viewer)
    )
}

/// For lists of statuses: `s` and what it boosts are by accounts the viewer
/// neither blocks nor mutes.
pub(super) fn not_hidden_from_viewer(viewer: &str) -> String {
    format!("({} AND {})", not_blocked_or_muted("s.account_id", viewer), original_not_blocked_or_muted(viewer))
}
