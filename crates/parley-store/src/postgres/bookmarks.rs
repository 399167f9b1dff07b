//! Bookmarks (the twin of `sqlite/bookmarks.rs`): each appends its change
//! record, since the viewer's marks in the home index show them.

use parley_core::page::PageRequest;
use parley_core::{AccountId, StatusId};
use sqlx::PgConnection;

use super::rows::{Window, sql, window_clause};
use super::write::Write;
use crate::Result;
use crate::changes::Change;

pub async fn bookmark(w: &mut Write, account: AccountId, status: StatusId) -> Result<bool> {
    let id = w.next_id();
    let added =
        sqlx::query("INSERT INTO bookmarks (id, account_id, status_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(account.0)
            .bind(status.0)
            .execute(w.c())
            .await?
            .rows_affected()
            > 0;
    if added {
        w.append(Change::Bookmarked { account, status });
    }
    Ok(added)
}

pub async fn unbookmark(w: &mut Write, account: AccountId, status: StatusId) -> Result<bool> {
    let removed = sqlx::query("DELETE FROM bookmarks WHERE account_id = $1 AND status_id = $2")
        .bind(account.0)
        .bind(status.0)
        .execute(w.c())
        .await?
        .rows_affected()
        > 0;
    if removed {
        w.append(Change::Unbookmarked { account, status });
    }
    Ok(removed)
}

pub async fn bookmarks_of(c: &mut PgConnection, account: AccountId, page: PageRequest) -> Result<Vec<(i64, StatusId)>> {
    let win = Window::new(page);
    let rows: Vec<(i64, i64)> = sqlx::query_as(sql(format!(
        "SELECT b.id, b.status_id FROM bookmarks b WHERE b.account_id = $1 AND {}",
        window_clause(&win, "b.id", 2, 3, 4)
    )))
    .bind(account.0)
    .bind(win.max)
    .bind(win.min)
    .bind(win.limit)
    .fetch_all(c)
    .await?;
    Ok(win.finish(rows.into_iter().map(|(cursor, s)| (cursor, StatusId(s))).collect()))
}
