//! Worlds on which an SQL copy of the rule once disagreed with it, written
//! out so they run on every build whatever proptest generates (the seeds
//! themselves are in `regressions.txt`). Each names what went wrong.

use parley_core::model::Visibility::{self, *};

use crate::world::{AccountSpec, PostSpec, WorldSpec};
use crate::{disagreements, runtime};

const PLAIN: AccountSpec = AccountSpec { suspended: false, pending: false, locked: false };
const SUSPENDED: AccountSpec = AccountSpec { suspended: true, pending: false, locked: false };
const PENDING: AccountSpec = AccountSpec { suspended: false, pending: true, locked: false };

fn post(author: usize, visibility: Visibility) -> PostSpec {
    PostSpec::Status { author, visibility, mentions: Vec::new(), reply_to: None, tag: Some(0), pinned: false }
}

fn boost(booster: usize, original: usize) -> PostSpec {
    PostSpec::Boost { booster, original, visibility: Public }
}

fn world(accounts: Vec<AccountSpec>, posts: Vec<PostSpec>) -> WorldSpec {
    WorldSpec {
        accounts,
        follows: Vec::new(),
        posts,
        blocks: Vec::new(),
        mutes: Vec::new(),
        favourites: Vec::new(),
        deletions: Vec::new(),
    }
}

/// On SQLite, and on PostgreSQL when it answers.
fn assert_agrees(spec: WorldSpec) {
    let rt = runtime();
    let wrong = disagreements(&rt, &spec, false);
    assert!(wrong.is_empty(), "{} disagreements on SQLite:\n{}", wrong.len(), wrong.join("\n"));
    if rt.block_on(crate::common::Backend::postgres("a visibility regression")).is_some() {
        let wrong = disagreements(&rt, &spec, true);
        assert!(wrong.is_empty(), "{} disagreements on PostgreSQL:\n{}", wrong.len(), wrong.join("\n"));
    }
}

/// `author_hidden_from` (poll reads) hid a suspended account's statuses from
/// itself, and the public and hashtag timelines, the home timeline and search
/// (`NOT_HIDDEN_FROM_VIEWER`, the home rules) did too, where `can_view` lets
/// an author see their own.
#[test]
fn a_suspended_account_still_sees_its_own_statuses() {
    assert_agrees(world(vec![PLAIN, SUSPENDED, PLAIN], vec![post(1, Public)]));
}

/// The public and hashtag timelines, `author_hidden_from` and the home rules
/// checked suspension only: statuses of an account awaiting approval were
/// listed to everyone, and its boosts shown in its followers' homes.
#[test]
fn an_account_awaiting_approval_is_listed_nowhere() {
    let mut spec = world(vec![PENDING, PLAIN, PLAIN], vec![post(0, Public), boost(1, 0)]);
    spec.follows = vec![(2, 0, true, true), (2, 1, true, true)];
    assert_agrees(spec);
}

/// `favourited_by` checked suspension only: it listed an account awaiting approval.
#[test]
fn favourited_by_leaves_out_accounts_awaiting_approval() {
    let mut spec = world(vec![PLAIN, PENDING], vec![post(0, Public)]);
    spec.favourites = vec![(1, 0)];
    assert_agrees(spec);
}

/// `reblogged_by` listed boosters the viewer blocks or mutes, and an
/// account's statuses listed its boosts of accounts the viewer blocks or
/// mutes; Mastodon leaves both out.
#[test]
fn listings_leave_out_boosts_by_and_of_accounts_the_viewer_blocks_or_mutes() {
    let mut spec = world(vec![PLAIN, PLAIN, PLAIN, PLAIN], vec![post(0, Public), boost(1, 0), boost(2, 0)]);
    spec.blocks = vec![(3, 1)];
    spec.mutes = vec![(3, 2)];
    assert_agrees(spec.clone());
    spec.blocks = vec![(3, 0)];
    spec.mutes = Vec::new();
    assert_agrees(spec);
}
