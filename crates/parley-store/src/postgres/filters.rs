//! Filters with their keywords and statuses (the twin of
//! `sqlite/filters.rs`). Nothing kept in memory is derived from them, so
//! they append no change records.

use std::collections::HashMap;

use parley_core::filters::{Filter, FilterAction, FilterContext, FilterKeyword, FilterStatus};
use parley_core::{AccountId, StatusId};
use sqlx::PgConnection;

use super::rows::time;
use super::write::Write;
use crate::types::{FilterChange, FilterFields, FilteredStatusChange, KeywordChange};
use crate::{Result, StoreError};

/// The account's filters, oldest first, each with its keywords and statuses.
pub async fn of(c: &mut PgConnection, account: AccountId) -> Result<Vec<Filter>> {
    let rows: Vec<(i64, String, String, String, Option<i64>)> =
        sqlx::query_as("SELECT id, title, contexts, action, expires_at FROM filters WHERE account_id = $1 ORDER BY id")
            .bind(account.0)
            .fetch_all(&mut *c)
            .await?;
    let mut filters: Vec<Filter> = rows
        .into_iter()
        .map(|(id, title, contexts, action, expires_at)| Filter {
            id,
            account,
            title,
            contexts: contexts.split(',').filter_map(FilterContext::parse).collect(),
            // The column's CHECK admits only the three names.
            action: FilterAction::parse(&action).unwrap_or_default(),
            expires_at: expires_at.map(time),
            keywords: Vec::new(),
            statuses: Vec::new(),
        })
        .collect();
    // Most accounts have none, and this is read on every filtered listing.
    if filters.is_empty() {
        return Ok(filters);
    }
    let index: HashMap<i64, usize> = filters.iter().enumerate().map(|(i, f)| (f.id, i)).collect();
    let keywords: Vec<(i64, i64, String, bool)> = sqlx::query_as(
        "SELECT k.filter_id, k.id, k.keyword, k.whole_word FROM filter_keywords k
         JOIN filters f ON f.id = k.filter_id WHERE f.account_id = $1 ORDER BY k.id",
    )
    .bind(account.0)
    .fetch_all(&mut *c)
    .await?;
    for (filter, id, keyword, whole_word) in keywords {
        if let Some(&i) = index.get(&filter) {
            filters[i].keywords.push(FilterKeyword { id, keyword, whole_word });
        }
    }
    let statuses: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT s.filter_id, s.id, s.status_id FROM filter_statuses s
         JOIN filters f ON f.id = s.filter_id WHERE f.account_id = $1 ORDER BY s.id",
    )
    .bind(account.0)
    .fetch_all(&mut *c)
    .await?;
    for (filter, id, status) in statuses {
        if let Some(&i) = index.get(&filter) {
            filters[i].statuses.push(FilterStatus { id, status: StatusId(status) });
        }
    }
    Ok(filters)
}

async fn find(c: &mut PgConnection, account: AccountId, id: i64) -> Result<Filter> {
    of(c, account).await?.into_iter().find(|f| f.id == id).ok_or(StoreError::NotFound)
}

async fn write_fields(c: &mut PgConnection, account: AccountId, id: i64, fields: &FilterFields) -> Result<()> {
    let contexts: Vec<&str> = fields.contexts.iter().map(|c| c.as_str()).collect();
    sqlx::query(
        "INSERT INTO filters (id, account_id, title, contexts, action, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET title = $3, contexts = $4, action = $5, expires_at = $6
         WHERE filters.account_id = $2",
    )
    .bind(id)
    .bind(account.0)
    .bind(&fields.title)
    .bind(contexts.join(","))
    .bind(fields.action.as_str())
    .bind(fields.expires_at.map(|t| t.timestamp_millis()))
    .execute(c)
    .await?;
    Ok(())
}

pub async fn create(
    w: &mut Write,
    account: AccountId,
    fields: &FilterFields,
    keywords: &[KeywordChange],
) -> Result<Filter> {
    let id = w.next_id();
    write_fields(w.c(), account, id, fields).await?;
    apply_keywords(w, id, keywords).await?;
    find(w.c(), account, id).await
}

/// Applies every change in one transaction (`NotFound` for a filter,
/// keyword or entry that is not the account's: nothing is kept then).
pub async fn change(w: &mut Write, account: AccountId, id: i64, change: &FilterChange) -> Result<Filter> {
    find(w.c(), account, id).await?;
    if let Some(fields) = &change.fields {
        write_fields(w.c(), account, id, fields).await?;
    }
    apply_keywords(w, id, &change.keywords).await?;
    for status in &change.statuses {
        match status {
            FilteredStatusChange::Add(status) => {
                let entry = w.next_id();
                sqlx::query("INSERT INTO filter_statuses (id, filter_id, status_id) VALUES ($1, $2, $3)")
                    .bind(entry)
                    .bind(id)
                    .bind(status.0)
                    .execute(w.c())
                    .await?;
            }
            FilteredStatusChange::Remove { id: entry } => {
                let removed = sqlx::query("DELETE FROM filter_statuses WHERE id = $1 AND filter_id = $2")
                    .bind(entry)
                    .bind(id)
                    .execute(w.c())
                    .await?
                    .rows_affected();
                if removed == 0 {
                    return Err(StoreError::NotFound);
                }
            }
        }
    }
    find(w.c(), account, id).await
}

async fn apply_keywords(w: &mut Write, filter: i64, changes: &[KeywordChange]) -> Result<()> {
    for change in changes {
        let touched = match change {
            KeywordChange::Add { keyword, whole_word } => {
                let id = w.next_id();
                sqlx::query("INSERT INTO filter_keywords (id, filter_id, keyword, whole_word) VALUES ($1, $2, $3, $4)")
                    .bind(id)
                    .bind(filter)
                    .bind(keyword)
                    .bind(whole_word)
                    .execute(w.c())
                    .await?
            }
            KeywordChange::Update { id, keyword, whole_word } => {
                sqlx::query("UPDATE filter_keywords SET keyword = $3, whole_word = $4 WHERE id = $1 AND filter_id = $2")
                    .bind(id)
                    .bind(filter)
                    .bind(keyword)
                    .bind(whole_word)
                    .execute(w.c())
                    .await?
            }
            KeywordChange::Remove { id } => {
                sqlx::query("DELETE FROM filter_keywords WHERE id = $1 AND filter_id = $2")
                    .bind(id)
                    .bind(filter)
                    .execute(w.c())
                    .await?
            }
        };
        if touched.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
    }
    Ok(())
}

pub async fn delete(w: &mut Write, account: AccountId, id: i64) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM filters WHERE id = $1 AND account_id = $2")
        .bind(id)
        .bind(account.0)
        .execute(w.c())
        .await?
        .rows_affected()
        > 0)
}
