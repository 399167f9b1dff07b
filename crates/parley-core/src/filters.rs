//! Filters (Mastodon's v2 custom filters): which of an account's filters a
//! status matches, and how. Pure: the store keeps them, the app applies them.
//!
//! Matching is Mastodon's `CustomFilter`: a keyword matches case-insensitively
//! anywhere in the text, or, when `whole_word`, only with a word boundary at
//! each end that is itself a word character (so `#tag` or `c++` still match
//! inside punctuation as Mastodon's `\b` placement does); a status entry
//! matches that status (a boost is filtered by what it boosts).

use chrono::{DateTime, Utc};

use crate::{AccountId, StatusId};

/// Where a filter applies (Mastodon's `context`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterContext {
    Home,
    Notifications,
    Public,
    Thread,
    Account,
}

impl FilterContext {
    pub const ALL: [FilterContext; 5] = [
        FilterContext::Home,
        FilterContext::Notifications,
        FilterContext::Public,
        FilterContext::Thread,
        FilterContext::Account,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FilterContext::Home => "home",
            FilterContext::Notifications => "notifications",
            FilterContext::Public => "public",
            FilterContext::Thread => "thread",
            FilterContext::Account => "account",
        }
    }

    pub fn parse(s: &str) -> Option<FilterContext> {
        FilterContext::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What a matching filter does to a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FilterAction {
    /// Shown with a warning (the status carries `filtered`).
    #[default]
    Warn,
    /// Never shown.
    Hide,
    /// Shown with its media hidden (the status carries `filtered`).
    Blur,
}

impl FilterAction {
    pub fn as_str(self) -> &'static str {
        match self {
            FilterAction::Warn => "warn",
            FilterAction::Hide => "hide",
            FilterAction::Blur => "blur",
        }
    }

    pub fn parse(s: &str) -> Option<FilterAction> {
        [FilterAction::Warn, FilterAction::Hide, FilterAction::Blur].into_iter().find(|a| a.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterKeyword {
    pub id: i64,
    pub keyword: String,
    pub whole_word: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterStatus {
    pub id: i64,
    pub status: StatusId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub id: i64,
    pub account: AccountId,
    pub title: String,
    pub contexts: Vec<FilterContext>,
    pub action: FilterAction,
    pub expires_at: Option<DateTime<Utc>>,
    pub keywords: Vec<FilterKeyword>,
    pub statuses: Vec<FilterStatus>,
}

/// How a filter matched a status (Mastodon's FilterResult, less the filter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterMatch {
    /// The filter's keywords found, as written in the filter.
    pub keywords: Vec<String>,
    /// The filter's status entries that name the status.
    pub statuses: Vec<StatusId>,
}

impl Filter {
    /// In force at `now` (an expired filter is kept, listed, and applies to nothing).
    pub fn active(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }

    /// How the filter matches a status with this searchable text (content,
    /// spoiler, poll options) and ID, if it does.
    pub fn matches(&self, text: &str, status: StatusId) -> Option<FilterMatch> {
        let keywords: Vec<String> = self
            .keywords
            .iter()
            .filter(|k| keyword_in(&k.keyword, k.whole_word, text))
            .map(|k| k.keyword.clone())
            .collect();
        let statuses: Vec<StatusId> = self.statuses.iter().filter(|s| s.status == status).map(|s| s.status).collect();
        if keywords.is_empty() && statuses.is_empty() { None } else { Some(FilterMatch { keywords, statuses }) }
    }
}

/// Ruby's `[[:word:]]`: letters, marks, numbers and connector punctuation.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Does `keyword` occur in `text`, case-insensitively (whole words only when asked)?
pub fn keyword_in(keyword: &str, whole_word: bool, text: &str) -> bool {
    let needle: Vec<char> = keyword.chars().flat_map(char::to_lowercase).collect();
    if needle.is_empty() {
        return false;
    }
    let hay: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let boundary_start = whole_word && needle.first().copied().is_some_and(is_word);
    let boundary_end = whole_word && needle.last().copied().is_some_and(is_word);
    (0..hay.len()).any(|i| {
        hay[i..].starts_with(&needle)
            && (!boundary_start || i == 0 || !is_word(hay[i - 1]))
            && (!boundary_end || hay.get(i + needle.len()).is_none_or(|c| !is_word(*c)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_match_case_insensitively_and_whole_words_only_when_asked() {
        assert!(keyword_in("Consulate", false, "the CONSULATES close"));
        assert!(!keyword_in("Consulate", true, "the CONSULATES close"));
        assert!(keyword_in("Consulate", true, "the consulate, closed"));
        assert!(keyword_in("st. petersburg", true, "Close St. Petersburg!"));
        assert!(!keyword_in("burg", true, "Yekaterinburg"));
        assert!(keyword_in("burg", false, "Yekaterinburg"));
        // Boundaries only where the keyword's own end is a word character.
        assert!(keyword_in("#poll", true, "vote:#poll"));
        assert!(keyword_in("c++", true, "c++rocks"));
        assert!(keyword_in("日本", true, "日本 news"));
        assert!(!keyword_in("", false, "anything"));
    }

    #[test]
    fn a_filter_matches_by_keyword_or_status_and_expires() {
        let now = Utc::now();
        let filter = Filter {
            id: 1,
            account: AccountId(1),
            title: "t".into(),
            contexts: vec![FilterContext::Home],
            action: FilterAction::Warn,
            expires_at: Some(now),
            keywords: vec![FilterKeyword { id: 2, keyword: "Vladivostok".into(), whole_word: true }],
            statuses: vec![FilterStatus { id: 3, status: StatusId(9) }],
        };
        assert_eq!(
            filter.matches("close vladivostok", StatusId(9)),
            Some(FilterMatch { keywords: vec!["Vladivostok".into()], statuses: vec![StatusId(9)] })
        );
        assert_eq!(filter.matches("nothing here", StatusId(8)), None);
        assert!(!filter.active(now));
        assert!(filter.active(now - chrono::Duration::seconds(1)));
    }
}
