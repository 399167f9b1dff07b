//! The HTML sanitiser on arbitrary input: its output holds only allowed tags
//! and attributes and links only to allowed schemes, and sanitising it again
//! keeps it so, with the same text. (Not byte for byte: an unclosed heading
//! becomes `<p><strong>` around the blocks after it, as in Mastodon, which a
//! second pass re-nests; what a reader sees and what is allowed stay equal.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use parley_core::text::sanitize_html;
use parley_fuzz::{check_markup, text_of};

const TAGS: &str = "p br span a del s pre blockquote code b strong u i em ul ol li ruby rt rp";
const ATTRIBUTES: &[&str] = &["href", "class", "translate", "start", "reversed", "value", "lang", "rel", "target"];

fuzz_target!(|data: &[u8]| {
    let Ok(html) = std::str::from_utf8(data) else { return };
    let tags: Vec<&str> = TAGS.split(' ').collect();
    let clean = sanitize_html(html);
    check_markup(&clean, &tags, ATTRIBUTES);
    let again = sanitize_html(&clean);
    check_markup(&again, &tags, ATTRIBUTES);
    assert_eq!(text_of(&again), text_of(&clean), "a second pass changed the text; input {html:?}");
});
