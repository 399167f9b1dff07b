//! Filters (https://docs.joinmastodon.org/methods/filters/, v2): an
//! account's keywords and statuses to warn about or hide, in the contexts it
//! names, and applying them where Mastodon does ([`FilterService::apply`]).
//! A filter is its owner's alone: anyone else's is not found.

use std::sync::Arc;

use chrono::{Duration, Utc};
use parley_core::AccountId;
use parley_core::StatusId;
use parley_core::filters::{Filter, FilterAction, FilterContext, FilterKeyword, FilterMatch, FilterStatus};
use parley_store::{FilterChange, FilterFields, FilteredStatusChange, KeywordChange};

use crate::views::{StatusView, visible_status};
use crate::{AppError, Context, Result};

/// The longest title or keyword accepted (Mastodon has none; a bound keeps every field bounded).
pub const MAX_TEXT_CHARS: usize = 256;
/// Keywords a filter may have.
pub const MAX_KEYWORDS: usize = 100;

/// A matching filter as a status shows it (Mastodon's FilterResult).
#[derive(Debug, Clone)]
pub struct FilterHit {
    pub filter: Arc<Filter>,
    pub matched: FilterMatch,
}

/// A keyword as a request names it (`keywords_attributes[]`).
#[derive(Debug, Clone, Default)]
pub struct KeywordInput {
    pub id: Option<i64>,
    pub keyword: Option<String>,
    pub whole_word: Option<bool>,
    pub destroy: bool,
}

/// A v1 filter as a request gives it (`phrase`, `context[]`, `irreversible`,
/// `whole_word`, `expires_in`).
#[derive(Debug, Clone, Default)]
pub struct V1FilterInput {
    pub phrase: Option<String>,
    pub contexts: Option<Vec<String>>,
    pub irreversible: Option<bool>,
    pub whole_word: Option<bool>,
    pub expires_in: Option<i64>,
}

/// A filter's fields as a request gives them; absent ones stay as they were.
#[derive(Debug, Clone, Default)]
pub struct FilterInput {
    pub title: Option<String>,
    pub contexts: Option<Vec<String>>,
    pub action: Option<String>,
    /// Seconds from now; `Some(None)` clears the expiry.
    pub expires_in: Option<Option<i64>>,
    pub keywords: Vec<KeywordInput>,
}

#[derive(Clone)]
pub struct FilterService {
    ctx: Arc<Context>,
}

impl FilterService {
    pub fn new(ctx: Arc<Context>) -> Self {
        FilterService { ctx }
    }

    pub async fn all(&self, me: AccountId) -> Result<Vec<Filter>> {
        Ok(self.ctx.store.filters_of(me).await?)
    }

    pub async fn get(&self, me: AccountId, id: i64) -> Result<Filter> {
        self.all(me).await?.into_iter().find(|f| f.id == id).ok_or(AppError::NotFound)
    }

    pub async fn create(&self, me: AccountId, input: FilterInput) -> Result<Filter> {
        let empty =
            FilterFields { title: String::new(), contexts: Vec::new(), action: FilterAction::Warn, expires_at: None };
        let fields = merge(empty, &input)?;
        let keywords = keyword_changes(&input.keywords, 0)?;
        Ok(self.ctx.store.create_filter(me, fields, keywords).await?)
    }

    pub async fn update(&self, me: AccountId, id: i64, input: FilterInput) -> Result<Filter> {
        let filter = self.get(me, id).await?;
        let current = FilterFields {
            title: filter.title.clone(),
            contexts: filter.contexts.clone(),
            action: filter.action,
            expires_at: filter.expires_at,
        };
        let fields = merge(current, &input)?;
        let keywords = keyword_changes(&input.keywords, filter.keywords.len())?;
        let change = FilterChange { fields: Some(fields), keywords, statuses: Vec::new() };
        Ok(self.ctx.store.change_filter(me, id, change).await?)
    }

    pub async fn delete(&self, me: AccountId, id: i64) -> Result<()> {
        if self.ctx.store.delete_filter(me, id).await? { Ok(()) } else { Err(AppError::NotFound) }
    }

    /// A keyword of one of the caller's filters, with that filter.
    pub async fn keyword(&self, me: AccountId, id: i64) -> Result<(Filter, FilterKeyword)> {
        let filters = self.all(me).await?;
        filters
            .into_iter()
            .find_map(|f| f.keywords.iter().find(|k| k.id == id).cloned().map(|k| (f, k)))
            .ok_or(AppError::NotFound)
    }

    pub async fn add_keyword(&self, me: AccountId, filter: i64, input: KeywordInput) -> Result<FilterKeyword> {
        let before = self.get(me, filter).await?;
        let change = keyword_changes(&[KeywordInput { id: None, ..input }], before.keywords.len())?;
        let after =
            self.ctx.store.change_filter(me, filter, FilterChange { keywords: change, ..Default::default() }).await?;
        newest(after.keywords, |k| k.id, before.keywords.iter().map(|k| k.id))
    }

    pub async fn update_keyword(&self, me: AccountId, id: i64, input: KeywordInput) -> Result<FilterKeyword> {
        let (filter, keyword) = self.keyword(me, id).await?;
        let input = KeywordInput {
            id: Some(id),
            keyword: input.keyword.or(Some(keyword.keyword)),
            whole_word: input.whole_word.or(Some(keyword.whole_word)),
            destroy: false,
        };
        let change = FilterChange { keywords: keyword_changes(&[input], 0)?, ..Default::default() };
        let after = self.ctx.store.change_filter(me, filter.id, change).await?;
        after.keywords.into_iter().find(|k| k.id == id).ok_or(AppError::NotFound)
    }

    pub async fn delete_keyword(&self, me: AccountId, id: i64) -> Result<()> {
        let (filter, _) = self.keyword(me, id).await?;
        let change = FilterChange { keywords: vec![KeywordChange::Remove { id }], ..Default::default() };
        self.ctx.store.change_filter(me, filter.id, change).await?;
        Ok(())
    }

    /// A status entry of one of the caller's filters, with that filter.
    pub async fn status_entry(&self, me: AccountId, id: i64) -> Result<(Filter, FilterStatus)> {
        let filters = self.all(me).await?;
        filters
            .into_iter()
            .find_map(|f| f.statuses.iter().find(|s| s.id == id).cloned().map(|s| (f, s)))
            .ok_or(AppError::NotFound)
    }

    /// Adds a status the caller may see (404 otherwise, as fetching it would be).
    pub async fn add_status(&self, me: AccountId, filter: i64, status: StatusId) -> Result<FilterStatus> {
        let before = self.get(me, filter).await?;
        visible_status(&self.ctx, Some(me), status).await?;
        let change = FilterChange { statuses: vec![FilteredStatusChange::Add(status)], ..Default::default() };
        let after = self.ctx.store.change_filter(me, filter, change).await?;
        newest(after.statuses, |s| s.id, before.statuses.iter().map(|s| s.id))
    }

    /// `/api/v1/filters`, as Mastodon maps it: one v1 filter per keyword of
    /// the caller's filters (its ID the keyword's), with its filter's context,
    /// expiry and action (`irreversible`: hide).
    pub async fn v1_all(&self, me: AccountId) -> Result<Vec<(Filter, FilterKeyword)>> {
        let filters = self.all(me).await?;
        Ok(filters.iter().flat_map(|f| f.keywords.iter().map(move |k| (f.clone(), k.clone()))).collect())
    }

    /// `POST /api/v1/filters`: a filter titled with the phrase, holding it as its one keyword.
    pub async fn v1_create(&self, me: AccountId, input: V1FilterInput) -> Result<(Filter, FilterKeyword)> {
        let filter_input = FilterInput {
            title: input.phrase.clone(),
            contexts: input.contexts,
            action: Some(if input.irreversible.unwrap_or(false) { "hide" } else { "warn" }.to_string()),
            expires_in: input.expires_in.map(Some),
            keywords: vec![KeywordInput {
                id: None,
                keyword: input.phrase,
                whole_word: input.whole_word,
                destroy: false,
            }],
        };
        let filter = self.create(me, filter_input).await?;
        let keyword = filter
            .keywords
            .first()
            .cloned()
            .ok_or_else(|| AppError::Internal("a v1 filter without its keyword".into()))?;
        Ok((filter, keyword))
    }

    /// `PUT /api/v1/filters/:id`: the keyword, and its filter's fields, which
    /// may change only when the filter has no other keyword (Mastodon's 422).
    pub async fn v1_update(&self, me: AccountId, id: i64, input: V1FilterInput) -> Result<(Filter, FilterKeyword)> {
        let (filter, keyword) = self.keyword(me, id).await?;
        let current = FilterFields {
            title: filter.title.clone(),
            contexts: filter.contexts.clone(),
            action: filter.action,
            expires_at: filter.expires_at,
        };
        let filter_input = FilterInput {
            title: input.phrase.clone(),
            contexts: input.contexts,
            action: input.irreversible.map(|hide| if hide { "hide" } else { "warn" }.to_string()),
            expires_in: input.expires_in.map(Some),
            keywords: Vec::new(),
        };
        let fields = merge(current.clone(), &filter_input)?;
        let fields_changed = input.expires_in.is_some()
            || fields.title != current.title
            || fields.contexts != current.contexts
            || fields.action != current.action;
        if fields_changed && filter.keywords.len() > 1 {
            return Err(AppError::validation(
                "These parameters cannot be changed from this application because they apply to more than one \
                 filter keyword. Use a more recent application or the web interface.",
            ));
        }
        let keywords = keyword_changes(
            &[KeywordInput {
                id: Some(id),
                keyword: input.phrase.or(Some(keyword.keyword)),
                whole_word: input.whole_word.or(Some(keyword.whole_word)),
                destroy: false,
            }],
            0,
        )?;
        let fields = fields_changed.then_some(fields);
        let filter = self
            .ctx
            .store
            .change_filter(me, filter.id, FilterChange { fields, keywords, statuses: Vec::new() })
            .await?;
        let keyword = filter.keywords.iter().find(|k| k.id == id).cloned().ok_or(AppError::NotFound)?;
        Ok((filter, keyword))
    }

    pub async fn delete_status(&self, me: AccountId, id: i64) -> Result<()> {
        let (filter, _) = self.status_entry(me, id).await?;
        let change = FilterChange { statuses: vec![FilteredStatusChange::Remove { id }], ..Default::default() };
        self.ctx.store.change_filter(me, filter.id, change).await?;
        Ok(())
    }
}

/// The viewer's filters for `context` applied to statuses about to be
/// shown, wherever Mastodon applies them: those a `hide` filter matches are
/// left out, the others carry the `warn` and `blur` filters that match them.
/// A boost is filtered by what it boosts; the viewer's own statuses never
/// are. Anonymous viewers have no filters.
pub async fn apply(
    ctx: &Context,
    viewer: Option<AccountId>,
    context: FilterContext,
    views: Vec<StatusView>,
) -> Result<Vec<StatusView>> {
    let Some(me) = viewer else { return Ok(views) };
    if views.is_empty() {
        return Ok(views);
    }
    let now = Utc::now();
    let filters: Vec<Arc<Filter>> = ctx
        .store
        .filters_of(me)
        .await?
        .into_iter()
        .filter(|f| f.active(now) && f.contexts.contains(&context))
        .map(Arc::new)
        .collect();
    if filters.is_empty() {
        return Ok(views);
    }
    let mut kept = Vec::with_capacity(views.len());
    for mut view in views {
        let target = view.reblog.as_deref().unwrap_or(&view);
        if target.status.account_id == me {
            kept.push(view);
            continue;
        }
        let hits = hits(&filters, target);
        if hits.iter().any(|h| h.filter.action == FilterAction::Hide) {
            continue;
        }
        if let Some(reblog) = view.reblog.as_deref_mut() {
            reblog.filtered = hits.clone();
        }
        view.filtered = hits;
        kept.push(view);
    }
    Ok(kept)
}

/// Which of `statuses` a `hide` filter of `me`'s takes away in `context`:
/// what [`apply`] would drop, told without building views unless `me` has
/// such a filter (most have none). Notifications use it so that a count or a
/// group never counts what its list does not show.
pub async fn hidden(
    ctx: &Context,
    me: AccountId,
    context: FilterContext,
    statuses: &[Arc<parley_core::model::Status>],
) -> Result<std::collections::HashSet<StatusId>> {
    let now = Utc::now();
    let hides = ctx
        .store
        .filters_of(me)
        .await?
        .into_iter()
        .any(|f| f.active(now) && f.contexts.contains(&context) && f.action == FilterAction::Hide);
    let others: Vec<Arc<parley_core::model::Status>> =
        statuses.iter().filter(|s| s.account_id != me).cloned().collect();
    if !hides || others.is_empty() {
        return Ok(Default::default());
    }
    let views = crate::views::status_views(ctx, Some(me), others).await?;
    let ids: Vec<StatusId> = views.iter().map(|v| v.status.id).collect();
    let kept: std::collections::HashSet<StatusId> =
        apply(ctx, Some(me), context, views).await?.iter().map(|v| v.status.id).collect();
    Ok(ids.into_iter().filter(|id| !kept.contains(id)).collect())
}

/// The filters matching a status's text (content, content warning, poll options) or ID.
fn hits(filters: &[Arc<Filter>], view: &StatusView) -> Vec<FilterHit> {
    let status = &view.status;
    let mut text = format!("{}\n\n{}", status.text, status.spoiler_text);
    if let Some(poll) = &view.poll {
        for option in &poll.poll.options {
            text.push_str("\n\n");
            text.push_str(option);
        }
    }
    filters
        .iter()
        .filter_map(|f| f.matches(&text, status.id).map(|matched| FilterHit { filter: f.clone(), matched }))
        .collect()
}

/// The one item of `after` whose ID is not among `before` (what a change added).
fn newest<T>(after: Vec<T>, id: impl Fn(&T) -> i64, before: impl Iterator<Item = i64>) -> Result<T> {
    let before: Vec<i64> = before.collect();
    after
        .into_iter()
        .find(|item| !before.contains(&id(item)))
        .ok_or_else(|| AppError::Internal("the added entry is missing from its filter".into()))
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// The filter's fields after `input`, validated as Mastodon's `CustomFilter`.
fn merge(mut fields: FilterFields, input: &FilterInput) -> Result<FilterFields> {
    if let Some(title) = &input.title {
        fields.title = title.clone();
    }
    if blank(&fields.title) {
        return Err(AppError::validation("Validation failed: Title can't be blank"));
    }
    if fields.title.chars().count() > MAX_TEXT_CHARS {
        return Err(AppError::validation(format!(
            "Validation failed: Title is too long (maximum is {MAX_TEXT_CHARS} characters)"
        )));
    }
    if let Some(contexts) = &input.contexts {
        let mut parsed = Vec::new();
        for raw in contexts {
            let context = FilterContext::parse(raw.trim())
                .ok_or_else(|| AppError::validation("Validation failed: Context None or invalid context supplied"))?;
            if !parsed.contains(&context) {
                parsed.push(context);
            }
        }
        fields.contexts = parsed;
    }
    if fields.contexts.is_empty() {
        return Err(AppError::validation("Validation failed: Context can't be blank"));
    }
    if let Some(action) = &input.action {
        fields.action = FilterAction::parse(action.trim())
            .ok_or_else(|| AppError::validation("Validation failed: Filter action is not included in the list"))?;
    }
    if let Some(expires_in) = input.expires_in {
        fields.expires_at = match expires_in {
            None => None,
            Some(seconds) if seconds > 0 && seconds <= i64::from(i32::MAX) => {
                Some(Utc::now() + Duration::seconds(seconds))
            }
            Some(_) => return Err(AppError::validation("Validation failed: Expires in is not a valid duration")),
        };
    }
    Ok(fields)
}

/// `keywords_attributes[]` as changes: with an `id`, a change to that keyword
/// (or its removal with `_destroy`); without, a new keyword.
fn keyword_changes(inputs: &[KeywordInput], existing: usize) -> Result<Vec<KeywordChange>> {
    let added = inputs.iter().filter(|k| k.id.is_none() && !k.destroy).count();
    if existing + added > MAX_KEYWORDS {
        return Err(AppError::validation(format!("Validation failed: A filter has at most {MAX_KEYWORDS} keywords")));
    }
    let mut changes = Vec::with_capacity(inputs.len());
    for input in inputs {
        if let (Some(id), true) = (input.id, input.destroy) {
            changes.push(KeywordChange::Remove { id });
            continue;
        }
        let keyword = input.keyword.clone().unwrap_or_default();
        if blank(&keyword) {
            return Err(AppError::validation("Validation failed: Keyword can't be blank"));
        }
        if keyword.chars().count() > MAX_TEXT_CHARS {
            return Err(AppError::validation(format!(
                "Validation failed: Keyword is too long (maximum is {MAX_TEXT_CHARS} characters)"
            )));
        }
        // Mastodon's default: whole words.
        let whole_word = input.whole_word.unwrap_or(true);
        changes.push(match input.id {
            Some(id) => KeywordChange::Update { id, keyword, whole_word },
            None => KeywordChange::Add { keyword, whole_word },
        });
    }
    Ok(changes)
}
