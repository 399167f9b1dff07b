//! Plain text of a status or bio → Mastodon's HTML, the mentions and hashtags
//! in it, and its length as the status limit counts it.
//!
//! Clients style and parse Mastodon's exact markup (`h-card`, `mention
//! hashtag`, the `invisible`/`ellipsis` spans of shortened links), so this
//! mirrors Mastodon's `TextFormatter`, `Extractor`, `Account::MENTION_RE`,
//! `Tag::HASHTAG_RE` and `StatusLengthValidator` rather than any Markdown.
//! Mentions, hashtags and URLs are found once, by [`find_entities`], so what
//! is extracted, what is linked and what is counted always agree.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use linkify::{LinkFinder, LinkKind};

/// A mention written in text: `@alice` (domain None) or `@alice@example.org`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MentionRef {
    pub username: String,
    pub domain: Option<String>,
}

/// How a mention that resolved to an account is linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedMention {
    /// Shown after the `@`.
    pub username: String,
    /// `alice` for a local account, `alice@example.org` for a remote one; shown
    /// instead of `username` when two mentioned accounts share a username.
    pub acct: String,
    /// The account's profile page.
    pub url: String,
}

/// Mentions in order of first appearance, deduplicated case-insensitively.
pub fn extract_mentions(text: &str) -> Vec<MentionRef> {
    let mut seen = HashSet::new();
    find_entities(text, true)
        .into_iter()
        .filter_map(|entity| entity.kind.mention())
        .filter(|mention| seen.insert(mention_key(mention)))
        .collect()
}

/// Hashtag names (without '#'), deduplicated case-insensitively, in order, original case of first appearance.
pub fn extract_hashtags(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    find_entities(text, true)
        .into_iter()
        .filter_map(|entity| match entity.kind {
            Kind::Hashtag(name) => Some(name.to_owned()),
            _ => None,
        })
        .filter(|name| seen.insert(name.to_lowercase()))
        .collect()
}

/// Renders text to HTML. `resolve` maps a MentionRef to an account if it exists; unresolved mentions stay plain (escaped) text.
/// `tag_url` maps a hashtag name to its URL (e.g. https://host/tags/name).
///
/// `resolve` is asked about each distinct mention once; it decides which
/// domain is local (Mastodon treats `@alice@this.host` as `@alice`).
/// `tag_url` receives the name as written and should percent-encode it.
pub fn render_html(
    text: &str,
    resolve: &dyn Fn(&MentionRef) -> Option<ResolvedMention>,
    tag_url: &dyn Fn(&str) -> String,
) -> String {
    let text = normalize(text);
    if text.is_empty() {
        return String::new();
    }
    let entities = find_entities(&text, true);

    let mut resolved: HashMap<MentionRef, Option<ResolvedMention>> = HashMap::new();
    for mention in entities.iter().filter_map(|entity| entity.kind.mention()) {
        resolved.entry(mention_key(&mention)).or_insert_with(|| resolve(&mention));
    }
    let accounts: Vec<&ResolvedMention> = resolved.values().flatten().collect();

    let mut html = String::with_capacity(text.len() * 2);
    let mut pos = 0;
    for entity in &entities {
        escape_into(&mut html, &text[pos..entity.start]);
        let written = &text[entity.start..entity.end];
        match entity.kind {
            Kind::Url => link_url(&mut html, written),
            Kind::Hashtag(name) => {
                html.push_str("<a href=\"");
                escape_into(&mut html, &tag_url(name));
                html.push_str("\" class=\"mention hashtag\" rel=\"tag\">#<span>");
                escape_into(&mut html, name);
                html.push_str("</span></a>");
            }
            Kind::Mention { .. } => {
                let account = entity
                    .kind
                    .mention()
                    .and_then(|mention| resolved.get(&mention_key(&mention)).and_then(Option::as_ref));
                match account {
                    Some(account) => link_mention(&mut html, account, &accounts),
                    None => escape_into(&mut html, written),
                }
            }
        }
        pos = entity.end;
    }
    escape_into(&mut html, &text[pos..]);
    paragraphs(&html)
}

/// Mastodon's character count for the status length limit: every URL counts as 23 characters,
/// a mention `@user@domain` counts as `@user`; everything else counts in Unicode scalar values (chars).
///
/// The text is trimmed first, as Mastodon strips a status before validating it.
pub fn status_length(text: &str) -> usize {
    const URL_LENGTH: usize = 23;
    let text = normalize(text);
    let mut length = 0;
    let mut pos = 0;
    for entity in find_entities(&text, false) {
        length += text[pos..entity.start].chars().count();
        length += match entity.kind {
            Kind::Url => URL_LENGTH,
            Kind::Mention { username, .. } => 1 + username.chars().count(),
            Kind::Hashtag(_) => text[entity.start..entity.end].chars().count(),
        };
        pos = entity.end;
    }
    length + text[pos..].chars().count()
}

/// Sanitises HTML to Mastodon's strict allowlist (used as belt and braces over generated HTML, and for any HTML of foreign origin).
///
/// Mastodon's `Sanitize::Config::MASTODON_STRICT`: only `p br span a del s pre
/// blockquote code b strong u i em ul ol li ruby rt rp`; `h1`–`h6` become
/// `<p><strong>`; classes other than microformats (`h-*`, `p-*`, `u-*`,
/// `dt-*`, `e-*`), `mention`, `hashtag`, `ellipsis`, `invisible` and
/// `quote-inline` are dropped; `translate` survives only as `"no"`; links
/// to schemes outside Mastodon's list (and relative links) become their text;
/// every link gets `rel="nofollow noopener" target="_blank"`, replacing any
/// `rel` (so a sanitised hashtag link loses `rel="tag"`, as in Mastodon).
pub fn sanitize_html(html: &str) -> String {
    const LINK_SCHEMES: [&str; 11] =
        ["http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini"];
    // h1–h6 are kept only to be rewritten to <p><strong> by `rewrite_sanitized`.
    let tags = "p br span a del s pre blockquote code b strong u i em ul ol li ruby rt rp \
                h1 h2 h3 h4 h5 h6";
    // Sanitize's default `remove_contents`: their text is never content.
    let dropped_with_content = "iframe math noembed noframes noscript plaintext script style svg template xmp";
    let tag_attributes = HashMap::from([
        ("a", HashSet::from(["href", "class", "translate"])),
        ("span", HashSet::from(["class", "translate"])),
        ("ol", HashSet::from(["start", "reversed"])),
        ("li", HashSet::from(["value"])),
        ("p", HashSet::from(["class"])),
    ]);
    let cleaned = ammonia::Builder::empty()
        .tags(tags.split_ascii_whitespace().collect())
        .clean_content_tags(dropped_with_content.split_ascii_whitespace().collect())
        .generic_attributes(HashSet::from(["lang"]))
        .tag_attributes(tag_attributes)
        .url_schemes(HashSet::from(LINK_SCHEMES))
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("nofollow noopener"))
        .set_tag_attribute_value("a", "target", "_blank")
        .strip_comments(true)
        .attribute_filter(|_element, attribute, value| match attribute {
            "class" => Some(Cow::Owned(
                value.split_ascii_whitespace().filter(|class| allowed_class(class)).collect::<Vec<_>>().join(" "),
            )),
            "translate" if value != "no" => None,
            _ => Some(Cow::Borrowed(value)),
        })
        .clean(html)
        .to_string();
    rewrite_sanitized(&cleaned)
}

fn allowed_class(class: &str) -> bool {
    ["h-", "p-", "u-", "dt-", "e-"].iter().any(|prefix| class.starts_with(prefix))
        || matches!(class, "mention" | "hashtag" | "ellipsis" | "invisible" | "quote-inline")
}

/// What ammonia cannot do itself: unwrap `<a>` whose `href` it removed (Mastodon
/// keeps only the link text), and turn headings into `<p><strong>`. Works on
/// ammonia's serialisation, where every `<` opens a tag and attribute values
/// are double-quoted, so only tags are touched and text stays escaped.
fn rewrite_sanitized(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    // One entry per open <a>: was its start tag dropped?
    let mut open_links: Vec<bool> = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let tag = &rest[lt..lt + tag_len(&rest[lt..])];
        rest = &rest[lt + tag.len()..];
        let closing = tag.starts_with("</");
        let name =
            tag.trim_start_matches(['<', '/']).split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap_or_default();
        match name {
            "a" if closing => {
                if !open_links.pop().unwrap_or(false) {
                    out.push_str(tag);
                }
            }
            "a" => {
                let keep = has_href(tag);
                open_links.push(!keep);
                if keep {
                    out.push_str(tag);
                }
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" if closing => out.push_str("</strong></p>"),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                out.push_str("<p><strong");
                out.push_str(&tag[3..]);
            }
            _ => out.push_str(tag),
        }
    }
    out.push_str(rest);
    out
}

/// Length in bytes of the tag `s` starts with, up to its `>` outside quotes.
fn tag_len(s: &str) -> usize {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '>' if !quoted => return i + 1,
            _ => {}
        }
    }
    s.len()
}

fn has_href(tag: &str) -> bool {
    let mut quoted = false;
    let mut previous = '<';
    for (i, c) in tag.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted && previous == ' ' && tag[i..].starts_with("href=") {
            return true;
        }
        previous = c;
    }
    false
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind<'t> {
    Url,
    Hashtag(&'t str),
    Mention { username: &'t str, domain: Option<&'t str> },
}

impl Kind<'_> {
    fn mention(&self) -> Option<MentionRef> {
        match *self {
            Kind::Mention { username, domain } => {
                Some(MentionRef { username: username.to_owned(), domain: domain.map(str::to_owned) })
            }
            _ => None,
        }
    }
}

/// A mention, hashtag or URL at `start..end` (byte offsets) of the text.
#[derive(Debug, Clone, Copy)]
struct Entity<'t> {
    start: usize,
    end: usize,
    kind: Kind<'t>,
}

/// twitter-text's `extract_entities_with_indices` with Mastodon's patterns:
/// all candidates, then, in text order, each one that does not overlap the
/// previous kept one. URLs start before anything inside them, so a `#` or `@`
/// within a URL is never a hashtag or mention.
fn find_entities(text: &str, with_hashtags: bool) -> Vec<Entity<'_>> {
    let mut candidates = find_urls(text);
    if with_hashtags {
        candidates.extend(find_hashtags(text));
    }
    candidates.extend(find_mentions(text));
    candidates.sort_by_key(|entity| entity.start);
    let mut kept: Vec<Entity<'_>> = Vec::with_capacity(candidates.len());
    for entity in candidates {
        if kept.last().is_none_or(|previous| previous.end <= entity.start) {
            kept.push(entity);
        }
    }
    kept
}

/// URLs, found by linkify one `scheme://` at a time. Each candidate ends at the
/// first whitespace (linkify would run on through an ideographic space), and
/// its non-ASCII characters are shown to linkify as `a`s of the same byte
/// length, because linkify only accepts ASCII top-level domains (`nic.みんな`).
/// linkify treats any non-ASCII character as a letter anyway, so nothing else
/// changes, and offsets into the candidate are offsets into the text.
fn find_urls(text: &str) -> Vec<Entity<'_>> {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]);
    let mut urls = Vec::new();
    let mut searched = 0;
    while let Some(found) = text[searched..].find("://") {
        let separator = searched + found;
        searched = separator + "://".len();
        let scheme_start = text[..separator]
            .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            .len();
        let scheme = &text[scheme_start..separator];
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            continue;
        }
        let before = text[..scheme_start].chars().next_back();
        // twitter-text: no URL right after `@`, `$` or `#` (those are other entities).
        if before.is_some_and(|c| matches!(c, '@' | '＠' | '$' | '#' | '＃')) {
            continue;
        }
        // A quote before the URL tells linkify to end it at the closing quote.
        let context_start = match before {
            Some(quote @ ('\'' | '"')) => scheme_start - quote.len_utf8(),
            _ => scheme_start,
        };
        let candidate_end = text[separator..].find(char::is_whitespace).map_or(text.len(), |space| separator + space);
        // Look at a window first so that a long run without whitespace and
        // full of `http://` is not rescanned to its end for every one of them.
        let mut window_end = floor_char_boundary(text, (separator + 2048).min(candidate_end));
        let end = loop {
            let found = link_in(&finder, text, context_start, separator, window_end);
            match found {
                Some((start, end)) if start == scheme_start && end == window_end && window_end < candidate_end => {
                    window_end = candidate_end;
                }
                _ => {
                    break found.filter(|&(start, _)| start == scheme_start).map(|(_, end)| end);
                }
            }
        };
        let Some(end) = end else {
            continue;
        };
        let url = text[scheme_start..end].trim_end_matches(is_cjk_punctuation);
        if is_web_url(url) {
            urls.push(Entity { start: scheme_start, end: scheme_start + url.len(), kind: Kind::Url });
            searched = searched.max(scheme_start + url.len());
        }
    }
    urls
}

/// The first link linkify finds in `text[start..end]`, with non-ASCII
/// characters after `separator` disguised (see [`find_urls`]).
fn link_in(finder: &LinkFinder, text: &str, start: usize, separator: usize, end: usize) -> Option<(usize, usize)> {
    let mut candidate = String::with_capacity(end - start);
    candidate.push_str(&text[start..separator]);
    for c in text[separator..end].chars() {
        if c.is_ascii() {
            candidate.push(c);
        } else {
            candidate.extend(std::iter::repeat_n('a', c.len_utf8()));
        }
    }
    let link = finder.links(&candidate).next()?;
    let (link_start, link_end) = (start + link.start(), start + link.end());
    text.is_char_boundary(link_end).then_some((link_start, link_end))
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// http(s) with a host that has a dot and an alphabetic top-level label, as
/// twitter-text requires (so `http://localhost` and `http://www` stay text).
fn is_web_url(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = host_port.split(':').next().unwrap_or_default();
    let Some((_, tld)) = host.rsplit_once('.') else {
        return false;
    };
    tld.chars().next().is_some_and(char::is_alphabetic) && tld.chars().all(|c| c.is_alphanumeric() || c == '-')
}

fn is_cjk_punctuation(c: char) -> bool {
    "「」『』。、（）【】〈〉《》！？，：；“”‘’…".contains(c)
}

/// `Tag::HASHTAG_RE`: `#` not after a word character, `/` or `)`, then a name
/// (see [`hashtag_name_len`]).
fn find_hashtags(text: &str) -> Vec<Entity<'_>> {
    let mut tags = Vec::new();
    for (at, c) in text.char_indices() {
        if c != '#' {
            continue;
        }
        if text[..at].chars().next_back().is_some_and(|p| is_word_char(p) || p == '/' || p == ')') {
            continue;
        }
        let name_start = at + 1;
        let Some(len) = hashtag_name_len(&text[name_start..]) else {
            continue;
        };
        let mut name = &text[name_start..name_start + len];
        // Mastodon's Extractor: in `#foohttps://…` the tag is `foo`.
        if text[name_start + len..].starts_with("://") {
            let without =
                name.strip_suffix("https").or_else(|| name.strip_suffix("http")).filter(|rest| !rest.is_empty());
            match without {
                Some(rest) if hashtag_name_len(rest) == Some(rest.len()) => name = rest,
                Some(_) => continue,
                None => {}
            }
        }
        tags.push(Entity { start: at, end: name_start + name.len(), kind: Kind::Hashtag(name) });
    }
    tags
}

/// Length of the hashtag name at the start of `s`, per Mastodon's
/// `HASHTAG_NAME_PAT`: either word characters with at least one letter, or a
/// run that starts and ends with a word character and has a letter or a
/// separator (`_`, `·`, `・`, ZWNJ) inside, e.g. `#foo·bar`, `#1_2`.
/// Digits alone are not a name.
fn hashtag_name_len(s: &str) -> Option<usize> {
    let run: Vec<(usize, char)> =
        s.char_indices().take_while(|&(_, c)| is_word_char(c) || is_hashtag_separator(c)).collect();
    let end_of = |i: usize| run[i].0 + run[i].1.len_utf8();
    let first_alternative = run.iter().rposition(|&(_, c)| is_word_char(c)).filter(|&last| {
        last >= 2
            && is_word_char(run[0].1)
            && run[1..last].iter().any(|&(_, c)| c.is_alphabetic() || is_hashtag_separator(c))
    });
    if let Some(last) = first_alternative {
        return Some(end_of(last));
    }
    let words = run.iter().take_while(|&&(_, c)| is_word_char(c)).count();
    if run[..words].iter().any(|&(_, c)| c.is_alphabetic()) {
        return Some(end_of(words - 1));
    }
    None
}

fn is_hashtag_separator(c: char) -> bool {
    matches!(c, '_' | '\u{00B7}' | '\u{30FB}' | '\u{200C}')
}

/// `Account::MENTION_RE`: `@` not after a word character, `=` or `/`, a
/// username (`[a-z0-9_]+([.-]+[a-z0-9_]+)*`, any case), optionally `@` and a
/// domain; and, as twitter-text's `end_mention_match`, not followed by `@`, a
/// Latin accented letter or `://` (then it is no mention at all).
fn find_mentions(text: &str) -> Vec<Entity<'_>> {
    let mut mentions = Vec::new();
    for (at, c) in text.char_indices() {
        if c != '@' {
            continue;
        }
        if text[..at].chars().next_back().is_some_and(|p| is_word_char(p) || p == '=' || p == '/') {
            continue;
        }
        let username_start = at + 1;
        let username_len = dotted_run_len(&text[username_start..], |c| c.is_ascii_alphanumeric() || c == '_');
        if username_len == 0 {
            continue;
        }
        let mut end = username_start + username_len;
        let mut domain = None;
        if text[end..].starts_with('@') {
            let domain_len = dotted_run_len(&text[end + 1..], is_word_char);
            if domain_len > 0 {
                domain = Some(&text[end + 1..end + 1 + domain_len]);
                end += 1 + domain_len;
            }
        }
        let after = &text[end..];
        if after.starts_with(['@', '＠']) || after.starts_with("://") {
            continue;
        }
        if after.chars().next().is_some_and(is_latin_accent) {
            continue;
        }
        mentions.push(Entity {
            start: at,
            end,
            kind: Kind::Mention { username: &text[username_start..username_start + username_len], domain },
        });
    }
    mentions
}

/// Byte length of the longest `core+([.-]+core+)*` at the start of `s`.
fn dotted_run_len(s: &str, is_core: impl Fn(char) -> bool) -> usize {
    let mut end = 0;
    for (i, c) in s.char_indices() {
        if is_core(c) {
            end = i + c.len_utf8();
        } else if (c == '.' || c == '-') && end > 0 {
            continue;
        } else {
            break;
        }
    }
    end
}

/// twitter-text's `latin_accents`.
fn is_latin_accent(c: char) -> bool {
    matches!(c,
        '\u{00C0}'..='\u{00D6}' | '\u{00D8}'..='\u{00F6}' | '\u{00F8}'..='\u{00FF}'
        | '\u{0100}'..='\u{024F}' | '\u{0253}' | '\u{0254}' | '\u{0256}' | '\u{0257}'
        | '\u{0259}' | '\u{025B}' | '\u{0263}' | '\u{0268}' | '\u{026F}' | '\u{0272}'
        | '\u{0289}' | '\u{028B}' | '\u{02BB}' | '\u{0300}'..='\u{036F}'
        | '\u{1E00}'..='\u{1EFF}')
}

/// Approximates Ruby's `[[:word:]]` (letters, marks, digits, connector
/// punctuation) without Unicode category tables: std's alphanumerics, `_` and
/// the other connectors, and the combining-mark blocks (so a decomposed `é`
/// stays inside a word).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(c,
            '_' | '\u{203F}' | '\u{2040}' | '\u{2054}' | '\u{FE33}' | '\u{FE34}'
            | '\u{FE4D}'..='\u{FE4F}' | '\u{FF3F}'
            | '\u{0300}'..='\u{036F}' | '\u{0483}'..='\u{0489}' | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// Mastodon strips a status before saving it, and Rails' `simple_format`
/// treats `\r\n` and `\r` as `\n`.
fn normalize(text: &str) -> Cow<'_, str> {
    let text = text.trim();
    if text.contains('\r') { Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n")) } else { Cow::Borrowed(text) }
}

fn mention_key(mention: &MentionRef) -> MentionRef {
    MentionRef { username: mention.username.to_lowercase(), domain: mention.domain.as_deref().map(str::to_lowercase) }
}

/// Rails' `h`: the five characters that matter in text and attribute values.
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Mastodon's `TextFormatter.shortened_link`: scheme and `www.` hidden, then
/// 30 characters shown and the rest hidden behind an ellipsis, except that a
/// single hidden character is shown rather than replaced by an ellipsis.
fn link_url(out: &mut String, url: &str) {
    const SHOWN: usize = 30;
    let scheme = ["https://", "http://"].into_iter().find(|scheme| url.starts_with(scheme)).unwrap_or_default();
    let prefix_len =
        scheme.len() + if !scheme.is_empty() && url[scheme.len()..].starts_with("www.") { "www.".len() } else { 0 };
    let (prefix, rest) = url.split_at(prefix_len);
    let (mut shown, mut hidden) = match rest.char_indices().nth(SHOWN) {
        Some((cut, _)) => rest.split_at(cut),
        None => (rest, ""),
    };
    if hidden.chars().count() == 1 {
        (shown, hidden) = (rest, "");
    }
    out.push_str("<a href=\"");
    escape_into(out, url);
    out.push_str("\" target=\"_blank\" rel=\"nofollow noopener\" translate=\"no\"><span class=\"invisible\">");
    escape_into(out, prefix);
    out.push_str(if hidden.is_empty() { "</span><span class=\"\">" } else { "</span><span class=\"ellipsis\">" });
    escape_into(out, shown);
    out.push_str("</span><span class=\"invisible\">");
    escape_into(out, hidden);
    out.push_str("</span></a>");
}

/// Mastodon shows the bare username unless another mentioned account has the
/// same username (e.g. `@alice` and `@alice@example.org`): then the acct.
fn link_mention(out: &mut String, account: &ResolvedMention, mentioned: &[&ResolvedMention]) {
    let ambiguous = mentioned.iter().any(|other| {
        other.username.eq_ignore_ascii_case(&account.username) && !other.acct.eq_ignore_ascii_case(&account.acct)
    });
    out.push_str("<span class=\"h-card\" translate=\"no\"><a href=\"");
    escape_into(out, &account.url);
    out.push_str("\" class=\"u-url mention\">@<span>");
    escape_into(out, if ambiguous { &account.acct } else { &account.username });
    out.push_str("</span></a></span>");
}

/// Rails' `simple_format(…).delete("\n")`: paragraphs split on blank lines,
/// single newlines become `<br />`.
fn paragraphs(html: &str) -> String {
    let mut parts = Vec::new();
    let mut rest = html;
    while let Some(blank) = rest.find("\n\n") {
        parts.push(&rest[..blank]);
        rest = rest[blank..].trim_start_matches('\n');
    }
    parts.push(rest);
    // Ruby's `split` drops trailing empty fields.
    while parts.last().is_some_and(|part| part.is_empty()) {
        parts.pop();
    }
    let mut out = String::with_capacity(html.len() + 16);
    for part in parts {
        out.push_str("<p>");
        out.push_str(&part.replace('\n', "<br />"));
        out.push_str("</p>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_one(_: &MentionRef) -> Option<ResolvedMention> {
        None
    }

    fn tags(name: &str) -> String {
        format!("https://parley.test/tags/{name}")
    }

    fn plain(text: &str) -> String {
        render_html(text, &no_one, &tags)
    }

    /// Resolves `alice` (local) and `bob@remote.example` (remote).
    fn known(mention: &MentionRef) -> Option<ResolvedMention> {
        let domain = mention.domain.as_deref().map(str::to_lowercase);
        match (mention.username.to_lowercase().as_str(), domain.as_deref()) {
            ("alice", None) => Some(ResolvedMention {
                username: "alice".into(),
                acct: "alice".into(),
                url: "https://parley.test/@alice".into(),
            }),
            ("alice", Some("remote.example")) => Some(ResolvedMention {
                username: "alice".into(),
                acct: "alice@remote.example".into(),
                url: "https://remote.example/@alice".into(),
            }),
            ("bob", Some("remote.example")) => Some(ResolvedMention {
                username: "bob".into(),
                acct: "bob@remote.example".into(),
                url: "https://remote.example/@bob".into(),
            }),
            _ => None,
        }
    }

    fn render(text: &str) -> String {
        render_html(text, &known, &tags)
    }

    fn mention(username: &str, domain: Option<&str>) -> MentionRef {
        MentionRef { username: username.into(), domain: domain.map(Into::into) }
    }

    fn hashtag_link(name: &str) -> String {
        format!(
            "<a href=\"https://parley.test/tags/{name}\" class=\"mention hashtag\" rel=\"tag\">#<span>{name}</span></a>"
        )
    }

    fn url_link(href: &str, prefix: &str, shown: &str, class: &str, hidden: &str) -> String {
        format!(
            "<a href=\"{href}\" target=\"_blank\" rel=\"nofollow noopener\" translate=\"no\"><span class=\"invisible\">{prefix}</span><span class=\"{class}\">{shown}</span><span class=\"invisible\">{hidden}</span></a>"
        )
    }

    const ALICE: &str = "<span class=\"h-card\" translate=\"no\"><a href=\"https://parley.test/@alice\" class=\"u-url mention\">@<span>alice</span></a></span>";

    // Escaping and paragraphs

    #[test]
    fn plain_text_is_one_paragraph() {
        assert_eq!(plain("text"), "<p>text</p>");
    }

    #[test]
    fn empty_and_blank_text_render_nothing() {
        assert_eq!(plain(""), "");
        assert_eq!(plain("  \n\n \t"), "");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            plain("<script>alert(\"Hello\")</script>"),
            "<p>&lt;script&gt;alert(&quot;Hello&quot;)&lt;/script&gt;</p>"
        );
        assert_eq!(
            plain("<img src=\"javascript:alert('XSS');\">"),
            "<p>&lt;img src=&quot;javascript:alert(&#39;XSS&#39;);&quot;&gt;</p>"
        );
        assert_eq!(plain("Tom & Jerry"), "<p>Tom &amp; Jerry</p>");
    }

    #[test]
    fn blank_lines_split_paragraphs_and_newlines_break_lines() {
        assert_eq!(plain("one\ntwo\n\nthree\n\n\n\nfour"), "<p>one<br />two</p><p>three</p><p>four</p>");
        assert!(!plain("line\nfeed").contains('\n'));
    }

    #[test]
    fn surrounding_whitespace_is_trimmed_and_crlf_is_a_newline() {
        assert_eq!(plain("\n\n  hi\r\nthere\r\n\r\nyou \n\n"), "<p>hi<br />there</p><p>you</p>");
    }

    #[test]
    fn whitespace_only_lines_do_not_split_paragraphs() {
        assert_eq!(plain("a\n \nb"), "<p>a<br /> <br />b</p>");
    }

    // Mentions

    #[test]
    fn resolved_mention_is_linked() {
        assert_eq!(render("hi @alice!"), format!("<p>hi {ALICE}!</p>"));
    }

    #[test]
    fn mention_match_is_case_insensitive_but_shows_the_account_username() {
        assert_eq!(render("@ALICE"), format!("<p>{ALICE}</p>"));
    }

    #[test]
    fn unresolved_mention_stays_text() {
        assert_eq!(render("hi @carol and @carol@nowhere.example"), "<p>hi @carol and @carol@nowhere.example</p>");
    }

    #[test]
    fn remote_mention_shows_only_the_username() {
        assert_eq!(
            render("cc @bob@remote.example."),
            "<p>cc <span class=\"h-card\" translate=\"no\"><a href=\"https://remote.example/@bob\" class=\"u-url mention\">@<span>bob</span></a></span>.</p>"
        );
    }

    #[test]
    fn accounts_sharing_a_username_show_their_acct() {
        let html = render("@alice @alice@remote.example");
        assert!(html.contains("@<span>alice</span></a>"), "{html}");
        assert!(html.contains("@<span>alice@remote.example</span></a>"), "{html}");
    }

    #[test]
    fn resolver_is_asked_once_per_distinct_mention() {
        let calls = std::cell::Cell::new(0);
        let counting = |m: &MentionRef| {
            calls.set(calls.get() + 1);
            known(m)
        };
        render_html("@alice @Alice @alice @bob@remote.example", &counting, &tags);
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn email_is_not_a_mention() {
        assert_eq!(extract_mentions("write to bob@example.org"), vec![]);
        assert_eq!(render("alice@example.org"), "<p>alice@example.org</p>");
    }

    #[test]
    fn mention_syntax() {
        assert_eq!(
            extract_mentions("@a.b-c_d @x@sub.example.org, (@paren) @trail."),
            vec![
                mention("a.b-c_d", None),
                mention("x", Some("sub.example.org")),
                mention("paren", None),
                mention("trail", None),
            ]
        );
        // Not after `=` or `/`, not followed by `@`, an accented letter or `://`.
        assert_eq!(extract_mentions("a=@b /@c @d@e@f @josé @g://x @.h @"), vec![]);
    }

    #[test]
    fn mention_in_url_is_not_a_mention() {
        assert_eq!(extract_mentions("https://mastodon.social/@alice"), vec![]);
        assert_eq!(extract_mentions("https://example.org/?u=@alice"), vec![]);
        let html = render("https://example.org/@alice");
        assert!(!html.contains("h-card"), "{html}");
    }

    #[test]
    fn extract_mentions_dedups_case_insensitively() {
        assert_eq!(
            extract_mentions("@Alice @bob@Example.org @alice @BOB@example.ORG @bob"),
            vec![mention("Alice", None), mention("bob", Some("Example.org")), mention("bob", None),]
        );
    }

    // Hashtags

    #[test]
    fn hashtag_is_linked() {
        assert_eq!(plain("#hashtag"), format!("<p>{}</p>", hashtag_link("hashtag")));
        assert_eq!(plain("so #Fun."), format!("<p>so {}.</p>", hashtag_link("Fun")));
    }

    #[test]
    fn unicode_hashtags() {
        assert_eq!(
            extract_hashtags("#café #hashtagタグ #日本語 #e\u{301}te"),
            vec!["café", "hashtagタグ", "日本語", "e\u{301}te"]
        );
        assert_eq!(plain("#café"), format!("<p>{}</p>", hashtag_link("café")));
    }

    #[test]
    fn digits_only_is_not_a_hashtag() {
        assert_eq!(extract_hashtags("#123 #2024 #_1"), Vec::<String>::new());
        assert_eq!(plain("#123"), "<p>#123</p>");
        assert_eq!(extract_hashtags("#1a #a1 #1_2"), vec!["1a", "a1", "1_2"]);
    }

    #[test]
    fn hashtag_after_word_char_slash_or_paren_is_not_a_hashtag() {
        assert_eq!(extract_hashtags("foo#bar a/#b (x)#c"), Vec::<String>::new());
        assert_eq!(plain("foo#bar"), "<p>foo#bar</p>");
        assert_eq!(extract_hashtags("(#ok) \"#yes\" .#fine"), vec!["ok", "yes", "fine"]);
    }

    #[test]
    fn url_fragment_is_not_a_hashtag() {
        let html = plain("https://example.org/page#section");
        assert!(!html.contains("hashtag"), "{html}");
        assert_eq!(extract_hashtags("https://example.org/#top https://example.org/?q=#x"), Vec::<String>::new());
    }

    #[test]
    fn hashtag_separators() {
        assert_eq!(extract_hashtags("#foo·bar #a・b #snake_case_"), vec!["foo·bar", "a・b", "snake_case_"]);
        // A trailing middle dot is not part of the tag.
        assert_eq!(extract_hashtags("#foo· #·x"), vec!["foo"]);
    }

    #[test]
    fn hashtag_glued_to_url_loses_the_scheme() {
        assert_eq!(extract_hashtags("#foohttps://example.org"), vec!["foo"]);
    }

    #[test]
    fn extract_hashtags_dedups_keeping_first_case() {
        assert_eq!(extract_hashtags("#Rust #rust #RUST #go #Rust"), vec!["Rust", "go"]);
    }

    #[test]
    fn hashtag_name_is_escaped_in_tag_url() {
        let html = render_html("#tag", &no_one, &|_| "https://x.test/?a=1&b=\"2\"".into());
        assert!(html.contains("href=\"https://x.test/?a=1&amp;b=&quot;2&quot;\""), "{html}");
    }

    // URLs

    #[test]
    fn short_url() {
        assert_eq!(
            plain("see https://example.org/path"),
            format!("<p>see {}</p>", url_link("https://example.org/path", "https://", "example.org/path", "", ""))
        );
    }

    #[test]
    fn www_is_hidden_with_the_scheme() {
        assert_eq!(
            plain("http://www.google.com"),
            format!("<p>{}</p>", url_link("http://www.google.com", "http://www.", "google.com", "", ""))
        );
    }

    #[test]
    fn long_url_is_shortened_with_an_ellipsis() {
        let url = "https://hackernoon.com/the-power-to-build-communities-a-response-to-mark-zuckerberg-3f2cac9148a4";
        assert_eq!(
            plain(url),
            format!(
                "<p>{}</p>",
                url_link(
                    url,
                    "https://",
                    "hackernoon.com/the-power-to-bu",
                    "ellipsis",
                    "ild-communities-a-response-to-mark-zuckerberg-3f2cac9148a4"
                )
            )
        );
    }

    #[test]
    fn url_exactly_30_or_31_characters_is_not_shortened() {
        let thirty = "https://example.org/123456789012345678";
        assert_eq!(plain(thirty), format!("<p>{}</p>", url_link(thirty, "https://", &thirty[8..], "", "")));
        // Hiding a single character behind an ellipsis would save nothing.
        let thirty_one = "https://example.org/1234567890123456789";
        assert_eq!(plain(thirty_one), format!("<p>{}</p>", url_link(thirty_one, "https://", &thirty_one[8..], "", "")));
        let thirty_two = "https://example.org/12345678901234567890";
        assert_eq!(
            plain(thirty_two),
            format!("<p>{}</p>", url_link(thirty_two, "https://", &thirty_two[8..38], "ellipsis", "90"))
        );
    }

    #[test]
    fn url_shortening_counts_characters_not_bytes() {
        let url = "https://ja.wikipedia.org/wiki/日本語の記事です";
        let html = plain(url);
        assert!(html.contains("<span class=\"\">ja.wikipedia.org/wiki/日本語の記事です</span>"), "{html}");
    }

    #[test]
    fn trailing_punctuation_and_enclosing_marks_are_not_part_of_urls() {
        for (text, href) in [
            ("http://www.mcmansionhell.com/post/1/50-states. ", "http://www.mcmansionhell.com/post/1/50-states"),
            ("(http://google.com/)", "http://google.com/"),
            ("http://www.google.com!", "http://www.google.com"),
            ("http://www.google.com'", "http://www.google.com"),
            ("http://www.google.com>", "http://www.google.com"),
            ("http://www.google.com, and", "http://www.google.com"),
            ("\"https://example.com/\"", "https://example.com/"),
            ("<https://example.com/>", "https://example.com/"),
            ("https://example.com/\u{3000}abc123", "https://example.com/"),
            ("「[https://example.org/」", "https://example.org/"),
            ("https://en.wikipedia.org/wiki/Diaspora_(software)", "https://en.wikipedia.org/wiki/Diaspora_(software)"),
            ("https://ja.wikipedia.org/wiki/日本", "https://ja.wikipedia.org/wiki/日本"),
            ("https://nic.みんな/", "https://nic.みんな/"),
        ] {
            let html = plain(text);
            assert!(html.contains(&format!("href=\"{href}\"")), "{text} → {html}");
        }
    }

    #[test]
    fn idn_url_shows_unicode_host() {
        let html = plain("https://nic.みんな/");
        assert!(html.contains("<span class=\"\">nic.みんな/</span>"), "{html}");
    }

    #[test]
    fn very_long_url_is_found_whole() {
        let url = format!("https://example.org/{}", "é".repeat(3000));
        let html = plain(&format!("{url} end"));
        assert!(html.contains(&format!("href=\"{url}\"")));
        assert_eq!(status_length(&format!("{url} end")), 23 + 4);
    }

    #[test]
    fn url_inside_a_hashtag_or_mention_position() {
        // `#https` is the tag; twitter-text links no URL right after `#`.
        assert_eq!(plain("#https://example.org"), format!("<p>{}://example.org</p>", hashtag_link("https")));
        assert_eq!(extract_mentions("@https://example.org"), vec![]);
    }

    #[test]
    fn several_urls_and_schemes_in_one_word() {
        let html = plain("https://a.example/?next=https://b.example/x");
        assert_eq!(html.matches("<a ").count(), 1, "{html}");
        assert!(html.contains("href=\"https://a.example/?next=https://b.example/x\""), "{html}");
    }

    #[test]
    fn url_query_is_escaped() {
        let html = plain("https://www.ruby-toolbox.com/search?utf8=✓&q=autolink");
        assert!(html.contains("href=\"https://www.ruby-toolbox.com/search?utf8=✓&amp;q=autolink\""), "{html}");
    }

    #[test]
    fn html_after_url_is_escaped_not_linked() {
        let html = plain("http://example.com/b<del>b</del>");
        assert!(html.contains("href=\"http://example.com/b\""), "{html}");
        assert!(html.contains("&lt;del&gt;b&lt;/del&gt;"), "{html}");
    }

    #[test]
    fn only_web_urls_are_linked() {
        for text in [
            "javascript:alert(1)",
            "javascript://example.com/%0Aalert(1)",
            "ftp://example.org/file",
            "data:text/html,<b>x</b>",
            "http://localhost:3000/",
            "http://www\\.google\\.com",
            "example.org",
            "mailto:bob@example.org",
        ] {
            assert!(!plain(text).contains("<a "), "{text} → {}", plain(text));
        }
    }

    #[test]
    fn mixed_status() {
        assert_eq!(
            render("Hey @alice, read https://example.org/a #Rust\n\nbye"),
            format!(
                "<p>Hey {ALICE}, read {} {}</p><p>bye</p>",
                url_link("https://example.org/a", "https://", "example.org/a", "", ""),
                hashtag_link("Rust")
            )
        );
    }

    // Length

    #[test]
    fn length_counts_chars() {
        assert_eq!(status_length(""), 0);
        assert_eq!(status_length("hello"), 5);
        assert_eq!(status_length("日本語 café"), 8);
        assert_eq!(status_length("  padded \n"), 6);
    }

    #[test]
    fn length_counts_every_url_as_23() {
        assert_eq!(status_length("https://example.org"), 23);
        let long = format!("https://example.org/{}", "a".repeat(200));
        assert_eq!(status_length(&format!("see {long} and http://x.io.")), 4 + 23 + 5 + 23 + 1);
        // Not a URL, so counted in full.
        assert_eq!(status_length("javascript:alert(1)"), 19);
    }

    #[test]
    fn length_counts_remote_mentions_as_local() {
        assert_eq!(status_length("@bob@remote.example hi"), "@bob hi".len());
        assert_eq!(status_length("@alice"), 6);
        assert_eq!(status_length("bob@example.org"), 15);
        assert_eq!(status_length("#hashtag"), 8);
    }

    // Sanitising

    #[test]
    fn sanitize_removes_scripts_and_handlers() {
        assert_eq!(sanitize_html("<p>hi<script>alert(1)</script></p>"), "<p>hi</p>");
        assert_eq!(sanitize_html("<p onclick=\"alert(1)\" style=\"x\">hi</p>"), "<p>hi</p>");
        assert_eq!(sanitize_html("<style>p{}</style><iframe src=x>a</iframe>ok"), "ok");
        assert_eq!(sanitize_html("a<!-- secret -->b"), "ab");
    }

    #[test]
    fn sanitize_unwraps_links_to_unsafe_or_relative_targets() {
        assert_eq!(sanitize_html("<a href=\"javascript:alert(1)\">click</a>"), "click");
        assert_eq!(sanitize_html("<a href=\"JaVaScRiPt:alert(1)\"><b>b</b></a>"), "<b>b</b>");
        assert_eq!(sanitize_html("<a href=\"/relative\">rel</a> <a>none</a>"), "rel none");
        assert_eq!(sanitize_html("<a href=\"data:text/html,x\">d</a>"), "d");
    }

    #[test]
    fn sanitize_forces_rel_and_target_on_links() {
        let html = sanitize_html("<a href=\"https://example.org/\" rel=\"me\" target=\"_self\" onclick=\"x()\">x</a>");
        assert!(html.starts_with("<a href=\"https://example.org/\""), "{html}");
        assert!(html.contains(" rel=\"nofollow noopener\""), "{html}");
        assert!(html.contains(" target=\"_blank\""), "{html}");
        assert!(!html.contains("onclick") && !html.contains("me\"") && !html.contains("_self"), "{html}");
        assert!(sanitize_html("<a href=\"gemini://x.example/\">g</a>").contains("href=\"gemini://x.example/\""));
    }

    #[test]
    fn sanitize_keeps_mastodon_classes_only() {
        assert_eq!(
            sanitize_html("<span class=\"h-card evil\"><span class=\"invisible big\">x</span></span>"),
            "<span class=\"h-card\"><span class=\"invisible\">x</span></span>"
        );
        let html = sanitize_html("<a href=\"https://x.test/tags/a\" class=\"mention hashtag red\" rel=\"tag\">#a</a>");
        assert!(html.contains("class=\"mention hashtag\""), "{html}");
        assert_eq!(
            sanitize_html("<p class=\"e-content quote-inline x\">q</p>"),
            "<p class=\"e-content quote-inline\">q</p>"
        );
    }

    #[test]
    fn sanitize_keeps_allowed_tags_and_attributes() {
        let html = "<p lang=\"en\">a<br>b <strong>c</strong> <em>d</em> <del>e</del> <code>f</code></p><blockquote><pre>g</pre></blockquote><ol start=\"3\" reversed=\"\"><li value=\"4\">h</li></ol><ul><li>i</li></ul><ruby>漢<rt>kan</rt></ruby>";
        assert_eq!(sanitize_html(html), html);
    }

    #[test]
    fn sanitize_drops_other_tags_but_keeps_their_text() {
        assert_eq!(
            sanitize_html("<div><img src=x onerror=alert(1)>hi <table><tr><td>t</td></tr></table></div>"),
            "hi t"
        );
        assert_eq!(
            sanitize_html("<span translate=\"yes\">a</span><span translate=\"no\">b</span>"),
            "<span>a</span><span translate=\"no\">b</span>"
        );
    }

    #[test]
    fn sanitize_turns_headings_into_strong_paragraphs() {
        assert_eq!(
            sanitize_html("<h1 id=\"x\" lang=\"fr\">Title</h1>text"),
            "<p><strong lang=\"fr\">Title</strong></p>text"
        );
    }

    #[test]
    fn sanitize_escapes_text() {
        assert_eq!(sanitize_html("a &lt;b&gt; < c"), "a &lt;b&gt; &lt; c");
    }

    #[test]
    fn rendered_html_survives_sanitizing_apart_from_link_attributes() {
        let html = render("@alice #tag https://example.org/a-very-long-path-that-gets-shortened <b>");
        let clean = sanitize_html(&html);
        for kept in [
            "<span class=\"h-card\" translate=\"no\">",
            "class=\"u-url mention\"",
            "class=\"mention hashtag\"",
            "<span class=\"ellipsis\">",
            "<span class=\"invisible\">https://</span>",
            "&lt;b&gt;",
        ] {
            assert!(clean.contains(kept), "{kept} missing from {clean}");
        }
        assert!(!clean.contains("rel=\"tag\""), "{clean}");
    }
}
