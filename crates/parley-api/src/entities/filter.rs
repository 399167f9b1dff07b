//! Filter, FilterKeyword, FilterStatus, FilterResult
//! (https://docs.joinmastodon.org/entities/Filter/ and neighbours).

use parley_app::filters::FilterHit;
use parley_core::filters;
use serde::Serialize;

use super::timestamp;

#[derive(Debug, Clone, Serialize)]
pub struct FilterKeyword {
    pub id: String,
    pub keyword: String,
    pub whole_word: bool,
}

impl FilterKeyword {
    pub fn from_domain(k: &filters::FilterKeyword) -> FilterKeyword {
        FilterKeyword { id: k.id.to_string(), keyword: k.keyword.clone(), whole_word: k.whole_word }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FilterStatus {
    pub id: String,
    pub status_id: String,
}

impl FilterStatus {
    pub fn from_domain(s: &filters::FilterStatus) -> FilterStatus {
        FilterStatus { id: s.id.to_string(), status_id: s.status.0.to_string() }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Filter {
    pub id: String,
    pub title: String,
    pub context: Vec<&'static str>,
    pub expires_at: Option<String>,
    pub filter_action: &'static str,
    pub keywords: Vec<FilterKeyword>,
    pub statuses: Vec<FilterStatus>,
}

impl Filter {
    pub fn from_domain(f: &filters::Filter) -> Filter {
        Filter {
            id: f.id.to_string(),
            title: f.title.clone(),
            context: f.contexts.iter().map(|c| c.as_str()).collect(),
            expires_at: f.expires_at.map(timestamp),
            filter_action: f.action.as_str(),
            keywords: f.keywords.iter().map(FilterKeyword::from_domain).collect(),
            statuses: f.statuses.iter().map(FilterStatus::from_domain).collect(),
        }
    }
}

/// https://docs.joinmastodon.org/entities/FilterResult/
#[derive(Debug, Clone, Serialize)]
pub struct FilterResult {
    pub filter: Filter,
    pub keyword_matches: Option<Vec<String>>,
    pub status_matches: Option<Vec<String>>,
}

impl FilterResult {
    pub fn from_hit(h: &FilterHit) -> FilterResult {
        let some = |v: Vec<String>| (!v.is_empty()).then_some(v);
        FilterResult {
            filter: Filter::from_domain(&h.filter),
            keyword_matches: some(h.matched.keywords.clone()),
            status_matches: some(h.matched.statuses.iter().map(|s| s.0.to_string()).collect()),
        }
    }
}

/// https://docs.joinmastodon.org/entities/V1_Filter/: a keyword of a filter,
/// with its filter's context, expiry and action.
#[derive(Debug, Clone, Serialize)]
pub struct V1Filter {
    pub id: String,
    pub phrase: String,
    pub context: Vec<&'static str>,
    pub whole_word: bool,
    pub expires_at: Option<String>,
    pub irreversible: bool,
}

impl V1Filter {
    pub fn from_domain(f: &filters::Filter, k: &filters::FilterKeyword) -> V1Filter {
        V1Filter {
            id: k.id.to_string(),
            phrase: k.keyword.clone(),
            context: f.contexts.iter().map(|c| c.as_str()).collect(),
            whole_word: k.whole_word,
            expires_at: f.expires_at.map(timestamp),
            irreversible: f.action == filters::FilterAction::Hide,
        }
    }
}
