//! Bookmarks: statuses an account keeps for later. Each appends its change
//! record, since the viewer's marks in the home index show them
//! (`bookmarked`); a deleted status's bookmarks are told in
//! `statuses::delete`.

use parley_core::page::PageRequest;
use parley_core::{AccountId, IdGenerator, StatusId};
use rusqlite::{Connection, named_params, params};

use super::changelog::append;
use super::rows::{SqlWindow, Window, query_pairs};
use crate::Result;
use crate::changes::Change;

pub fn bookmark(c: &Connection, ids: &IdGenerator, account: AccountId, status: StatusId) -> Result<bool> {
    let added = c
        .prepare_cached("INSERT OR IGNORE INTO bookmarks (id, account_id, status_id) VALUES (?1, ?2, ?3)")?
        .execute(params![ids.next_raw(), account.0, status.0])?
        > 0;
    if added {
        append(c, Change::Bookmarked { account, status })?;
    }
    Ok(added)
}

pub fn unbookmark(c: &Connection, account: AccountId, status: StatusId) -> Result<bool> {
    let removed =
        c.execute("DELETE FROM bookmarks WHERE account_id = ?1 AND status_id = ?2", params![account.0, status.0])? > 0;
    if removed {
        append(c, Change::Unbookmarked { account, status })?;
    }
    Ok(removed)
}

pub fn bookmarks_of(c: &Connection, account: AccountId, page: PageRequest) -> Result<Vec<(i64, StatusId)>> {
    let w = Window::new(page);
    let sql =
        format!("SELECT b.id, b.status_id FROM bookmarks b WHERE b.account_id = :account AND {}", w.clause("b.id"));
    let rows =
        query_pairs(c, &sql, named_params! {":account": account.0, ":max": w.max, ":min": w.min, ":limit": w.limit})?;
    Ok(w.finish(rows.into_iter().map(|(cursor, id)| (cursor, StatusId(id.0))).collect()))
}
