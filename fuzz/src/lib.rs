//! Checks shared by the fuzz targets.

/// Asserts that `html` holds only `tags` with only `attributes`, and that
/// every `href` uses an allowed scheme: a scan of the serialised markup, where
/// every `<` opens a tag (text is escaped), as the renderer and the sanitiser
/// write it.
pub fn check_markup(html: &str, tags: &[&str], attributes: &[&str]) {
    const SCHEMES: [&str; 11] =
        ["http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini"];
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        let after = &rest[lt + 1..];
        let end = tag_end(after).unwrap_or_else(|| panic!("unterminated tag in {html:?}"));
        let tag = &after[..end];
        rest = &after[end + 1..];
        let tag = tag.strip_prefix('/').unwrap_or(tag);
        let name = tag.split([' ', '/']).next().unwrap_or_default();
        assert!(tags.contains(&name), "tag <{name}> in {html:?}");
        for (attribute, value) in attribute_pairs(&tag[name.len()..]) {
            assert!(attributes.contains(&attribute.as_str()), "attribute {attribute} in {html:?}");
            if attribute == "href" {
                // As browsers read a URL (WHATWG): tabs and newlines anywhere,
                // and leading controls and spaces, do not count.
                let value: String = value.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
                let value = value.trim_start_matches(|c: char| c <= ' ');
                let scheme = value.split(':').next().unwrap_or_default().to_ascii_lowercase();
                assert!(value.contains(':') && SCHEMES.contains(&scheme.as_str()), "href {value:?} in {html:?}");
            }
        }
    }
    assert!(!rest.contains('>') || !rest.contains('<'), "stray markup in {html:?}");
}

/// Index of the `>` closing a tag, outside double quotes.
fn tag_end(s: &str) -> Option<usize> {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '>' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// `name="value"` pairs (and bare names) of a tag's attribute text.
fn attribute_pairs(mut s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    loop {
        s = s.trim_start_matches([' ', '/']);
        if s.is_empty() {
            return out;
        }
        let name_end = s.find(['=', ' ', '/']).unwrap_or(s.len());
        let name = s[..name_end].to_string();
        s = &s[name_end..];
        let mut value = String::new();
        if let Some(v) = s.strip_prefix("=\"") {
            let close = v.find('"').unwrap_or(v.len());
            value = v[..close].to_string();
            s = v.get(close + 1..).unwrap_or("");
        }
        out.push((name, value));
    }
}

/// The text of serialised markup: everything outside tags, entities as written.
pub fn text_of(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        rest = match tag_end(after) {
            Some(end) => &after[end + 1..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}
