//! Filters with their keywords and statuses. Nothing kept in memory is
//! derived from them (the app reads a viewer's filters when it shows
//! statuses), so they append no change records.

use std::collections::HashMap;

use parley_core::filters::{Filter, FilterAction, FilterContext, FilterKeyword, FilterStatus};
use parley_core::{AccountId, IdGenerator, StatusId};
use rusqlite::{Connection, params};

use super::rows::time;
use crate::types::{FilterChange, FilterFields, FilteredStatusChange, KeywordChange};
use crate::{Result, StoreError};

/// The account's filters, oldest first, each with its keywords and statuses.
pub fn of(c: &Connection, account: AccountId) -> Result<Vec<Filter>> {
    let mut filters: Vec<Filter> = c
        .prepare_cached(
            "SELECT id, title, contexts, action, expires_at FROM filters WHERE account_id = ?1 ORDER BY id",
        )?
        .query_map([account.0], |r| {
            let contexts: String = r.get(2)?;
            let action: String = r.get(3)?;
            Ok(Filter {
                id: r.get(0)?,
                account,
                title: r.get(1)?,
                contexts: contexts.split(',').filter_map(FilterContext::parse).collect(),
                // The column's CHECK admits only the three names.
                action: FilterAction::parse(&action).unwrap_or_default(),
                expires_at: r.get::<_, Option<i64>>(4)?.map(time),
                keywords: Vec::new(),
                statuses: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    // Most accounts have none, and this is read on every filtered listing.
    if filters.is_empty() {
        return Ok(filters);
    }
    let index: HashMap<i64, usize> = filters.iter().enumerate().map(|(i, f)| (f.id, i)).collect();
    let mut keywords = c.prepare_cached(
        "SELECT k.filter_id, k.id, k.keyword, k.whole_word FROM filter_keywords k
         JOIN filters f ON f.id = k.filter_id WHERE f.account_id = ?1 ORDER BY k.id",
    )?;
    for row in keywords.query_map([account.0], |r| {
        Ok((r.get::<_, i64>(0)?, FilterKeyword { id: r.get(1)?, keyword: r.get(2)?, whole_word: r.get(3)? }))
    })? {
        let (filter, keyword) = row?;
        if let Some(&i) = index.get(&filter) {
            filters[i].keywords.push(keyword);
        }
    }
    let mut statuses = c.prepare_cached(
        "SELECT s.filter_id, s.id, s.status_id FROM filter_statuses s
         JOIN filters f ON f.id = s.filter_id WHERE f.account_id = ?1 ORDER BY s.id",
    )?;
    for row in statuses.query_map([account.0], |r| {
        Ok((r.get::<_, i64>(0)?, FilterStatus { id: r.get(1)?, status: StatusId(r.get(2)?) }))
    })? {
        let (filter, status) = row?;
        if let Some(&i) = index.get(&filter) {
            filters[i].statuses.push(status);
        }
    }
    Ok(filters)
}

fn find(c: &Connection, account: AccountId, id: i64) -> Result<Filter> {
    of(c, account)?.into_iter().find(|f| f.id == id).ok_or(StoreError::NotFound)
}

fn write_fields(c: &Connection, account: AccountId, id: i64, fields: &FilterFields) -> Result<()> {
    let contexts: Vec<&str> = fields.contexts.iter().map(|c| c.as_str()).collect();
    c.prepare_cached(
        "INSERT INTO filters (id, account_id, title, contexts, action, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET title = ?3, contexts = ?4, action = ?5, expires_at = ?6
         WHERE filters.account_id = ?2",
    )?
    .execute(params![
        id,
        account.0,
        fields.title,
        contexts.join(","),
        fields.action.as_str(),
        fields.expires_at.map(|t| t.timestamp_millis())
    ])?;
    Ok(())
}

pub fn create(
    c: &Connection,
    ids: &IdGenerator,
    account: AccountId,
    fields: &FilterFields,
    keywords: &[KeywordChange],
) -> Result<Filter> {
    let id = ids.next_raw();
    write_fields(c, account, id, fields)?;
    apply_keywords(c, ids, id, keywords)?;
    find(c, account, id)
}

/// Applies every change in one transaction (`NotFound` for a filter,
/// keyword or entry that is not the account's: nothing is kept then).
pub fn change(c: &Connection, ids: &IdGenerator, account: AccountId, id: i64, change: &FilterChange) -> Result<Filter> {
    find(c, account, id)?;
    if let Some(fields) = &change.fields {
        write_fields(c, account, id, fields)?;
    }
    apply_keywords(c, ids, id, &change.keywords)?;
    for status in &change.statuses {
        match status {
            FilteredStatusChange::Add(status) => {
                c.prepare_cached("INSERT INTO filter_statuses (id, filter_id, status_id) VALUES (?1, ?2, ?3)")?
                    .execute(params![ids.next_raw(), id, status.0])?;
            }
            FilteredStatusChange::Remove { id: entry } => {
                let removed =
                    c.execute("DELETE FROM filter_statuses WHERE id = ?1 AND filter_id = ?2", params![entry, id])?;
                if removed == 0 {
                    return Err(StoreError::NotFound);
                }
            }
        }
    }
    find(c, account, id)
}

fn apply_keywords(c: &Connection, ids: &IdGenerator, filter: i64, changes: &[KeywordChange]) -> Result<()> {
    for change in changes {
        let touched = match change {
            KeywordChange::Add { keyword, whole_word } => c
                .prepare_cached(
                    "INSERT INTO filter_keywords (id, filter_id, keyword, whole_word) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![ids.next_raw(), filter, keyword, whole_word])?,
            KeywordChange::Update { id, keyword, whole_word } => c
                .prepare_cached(
                    "UPDATE filter_keywords SET keyword = ?3, whole_word = ?4 WHERE id = ?1 AND filter_id = ?2",
                )?
                .execute(params![id, filter, keyword, whole_word])?,
            KeywordChange::Remove { id } => {
                c.execute("DELETE FROM filter_keywords WHERE id = ?1 AND filter_id = ?2", params![id, filter])?
            }
        };
        if touched == 0 {
            return Err(StoreError::NotFound);
        }
    }
    Ok(())
}

pub fn delete(c: &Connection, account: AccountId, id: i64) -> Result<bool> {
    Ok(c.execute("DELETE FROM filters WHERE id = ?1 AND account_id = ?2", params![id, account.0])? > 0)
}
