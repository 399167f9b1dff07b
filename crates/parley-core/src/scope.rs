//! OAuth scopes as Mastodon defines them, and the rule for when a granted set
//! covers a required scope.

/// Every scope a client may request. `follow` and `push` are legacy top-level scopes.
pub const KNOWN_SCOPES: &[&str] = &[
    "read",
    "write",
    "follow",
    "push",
    "profile",
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
    "admin:read",
    "admin:write",
];

/// A space-separated scope list, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(Vec<String>);

/// A requested scope that Mastodon does not define.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown scope {0}")]
pub struct UnknownScope(pub String);

impl Scopes {
    /// Parses a space- (or `+`-) separated list, refusing unknown scopes; empty means `read`.
    pub fn parse(s: &str) -> Result<Self, UnknownScope> {
        let mut out: Vec<String> = Vec::new();
        for part in s.split([' ', '+']).filter(|p| !p.is_empty()) {
            if !KNOWN_SCOPES.contains(&part) {
                return Err(UnknownScope(part.to_string()));
            }
            if !out.iter().any(|p| p == part) {
                out.push(part.to_string());
            }
        }
        if out.is_empty() {
            out.push("read".to_string());
        }
        Ok(Scopes(out))
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Does this set grant `required` (e.g. `write:statuses`)? A top-level
    /// scope covers its sub-scopes; `follow` covers the follow/block/mute ones.
    pub fn allows(&self, required: &str) -> bool {
        self.iter().any(|g| covers(g, required))
    }

    /// Is every scope of `requested` granted by this set (for token requests)?
    pub fn contains_all(&self, requested: &Scopes) -> bool {
        requested.iter().all(|r| self.allows(r) || self.iter().any(|g| g == r))
    }
}

impl std::fmt::Display for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

fn covers(granted: &str, required: &str) -> bool {
    if granted == required {
        return true;
    }
    if let Some((top, _)) = required.split_once(':')
        && granted == top
    {
        return true;
    }
    granted == "follow"
        && matches!(
            required,
            "read:follows" | "write:follows" | "read:blocks" | "write:blocks" | "read:mutes" | "write:mutes"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_scopes_cover_their_parts() {
        let s = Scopes::parse("read write").unwrap_or_default();
        assert!(s.allows("read:statuses"));
        assert!(s.allows("write:statuses"));
        assert!(!s.allows("push"));
        assert!(!s.allows("admin:read"));
    }

    #[test]
    fn granular_scopes_cover_only_themselves() {
        let s = Scopes::parse("read:statuses").unwrap_or_default();
        assert!(s.allows("read:statuses"));
        assert!(!s.allows("read:accounts"));
        assert!(!s.allows("read"));
        assert!(!s.allows("write:statuses"));
    }

    #[test]
    fn follow_covers_relationship_scopes() {
        let s = Scopes::parse("follow").unwrap_or_default();
        assert!(s.allows("write:follows"));
        assert!(s.allows("write:blocks"));
        assert!(!s.allows("write:statuses"));
    }

    #[test]
    fn parsing_defaults_to_read_and_refuses_unknown() {
        assert_eq!(Scopes::parse("").map(|s| s.to_string()), Ok("read".to_string()));
        assert_eq!(Scopes::parse("read+write").map(|s| s.to_string()), Ok("read write".to_string()));
        assert!(Scopes::parse("read root").is_err());
    }

    #[test]
    fn a_token_may_ask_for_a_subset_of_the_app_scopes() {
        let app = Scopes::parse("read write follow").unwrap_or_default();
        assert!(app.contains_all(&Scopes::parse("read:statuses write").unwrap_or_default()));
        assert!(!app.contains_all(&Scopes::parse("push").unwrap_or_default()));
    }
}
