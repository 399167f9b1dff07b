//! The status text pipeline on arbitrary text: the length counter, mention and
//! hashtag extraction, and rendering to HTML. Besides not panicking, the HTML
//! must contain only the markup the renderer writes (so no text escapes as a
//! tag), and what was extracted must agree with what was linked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parley_core::text::{ResolvedMention, extract_hashtags, extract_mentions, render_html, status_length};
use parley_fuzz::check_markup;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let length = status_length(text);
    // A URL counts 23 however short, anything else at most 1 per character.
    assert!(length <= 23 * text.chars().count().max(1), "{length} for {text:?}");
    let mentions = extract_mentions(text);
    let hashtags = extract_hashtags(text);
    let resolve = |m: &parley_core::text::MentionRef| {
        Some(ResolvedMention {
            username: m.username.clone(),
            acct: match &m.domain {
                Some(d) => format!("{}@{d}", m.username),
                None => m.username.clone(),
            },
            url: format!("https://example.org/@{}", m.username),
        })
    };
    let html = render_html(text, &resolve, &|tag| format!("https://example.org/tags/{tag}"));
    check_markup(&html, &["p", "br", "a", "span"], &["href", "class", "rel", "target", "translate"]);
    let links = html.matches("class=\"u-url mention\"").count();
    assert!(mentions.is_empty() || links > 0, "mentions {mentions:?} but no mention link in {html}");
    assert!(hashtags.is_empty() || html.contains("rel=\"tag\""), "hashtags {hashtags:?} but no tag link in {html}");
});
