//! The tokens file: one access token per line. Line 1 is the "author" (it
//! creates the polls and posts a scenario needs); the others are voters and
//! readers. Anything after a tab on a line (a username, an account ID) is
//! ignored, as are blank lines and lines starting with `#`.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, bail};
use http::HeaderValue;

/// The accounts a run acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    all: Vec<String>,
}

impl Tokens {
    pub fn read(path: &Path) -> anyhow::Result<Tokens> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading tokens file {}", path.display()))?;
        Tokens::parse(&text).with_context(|| format!("in tokens file {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Tokens> {
        let mut all = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let token = line.split('\t').next().unwrap_or("").trim();
            if token.is_empty() || token.starts_with('#') {
                continue;
            }
            // A token goes into an `Authorization: Bearer …` header as is.
            if !token.bytes().all(|b| b.is_ascii_graphic()) {
                bail!("line {}: a token must be printable ASCII without spaces", n + 1);
            }
            all.push(token.to_owned());
        }
        if all.is_empty() {
            bail!("no tokens");
        }
        Ok(Tokens { all })
    }

    /// Line 1: the account that creates polls and posts.
    pub fn author(&self) -> &str {
        &self.all[0]
    }

    /// Lines 2.. (or line 1 alone when there is nothing else): voters and readers.
    pub fn readers(&self) -> &[String] {
        if self.all.len() > 1 { &self.all[1..] } else { &self.all }
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }
}

/// `Authorization` header values for `tokens`, built once before a run.
pub fn bearer_headers(tokens: &[String]) -> Vec<HeaderValue> {
    tokens.iter().map(|t| bearer(t)).collect()
}

pub fn bearer(token: &str) -> HeaderValue {
    // `Tokens::parse` admits only printable ASCII, which is always a valid header value.
    let mut v = HeaderValue::from_str(&format!("Bearer {token}")).unwrap_or_else(|_| HeaderValue::from_static(""));
    v.set_sensitive(true);
    v
}

/// Writes a tokens file: `token<TAB>username` per line, in the given order.
pub fn render(entries: &[(String, String)]) -> String {
    let mut out = String::new();
    for (token, username) in entries {
        let _ = writeln!(out, "{token}\t{username}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_column_only_and_blank_or_comment_lines_skipped() {
        let t = Tokens::parse("# made by seed\nAAA\tofficial\t123\n\n  BBB  \nCCC\tx\n").unwrap();
        assert_eq!(t.author(), "AAA");
        assert_eq!(t.readers(), &["BBB".to_owned(), "CCC".to_owned()]);
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn a_single_token_is_author_and_reader() {
        let t = Tokens::parse("only\n").unwrap();
        assert_eq!(t.author(), "only");
        assert_eq!(t.readers(), &["only".to_owned()]);
    }

    #[test]
    fn windows_line_endings() {
        let t = Tokens::parse("AAA\r\nBBB\tname\r\n").unwrap();
        assert_eq!(t.readers(), &["BBB".to_owned()]);
    }

    #[test]
    fn refuses_empty_files_and_bad_tokens() {
        assert!(Tokens::parse("\n# nothing\n").is_err());
        let err = Tokens::parse("good\nbad token\n").unwrap_err();
        assert!(format!("{err:#}").contains("line 2"), "{err:#}");
        assert!(Tokens::parse("tök\n").is_err());
    }

    #[test]
    fn render_round_trips() {
        let text = render(&[("t1".into(), "alice".into()), ("t2".into(), "bob".into())]);
        assert_eq!(text, "t1\talice\nt2\tbob\n");
        let t = Tokens::parse(&text).unwrap();
        assert_eq!(t.author(), "t1");
        assert_eq!(t.readers(), &["t2".to_owned()]);
    }

    #[test]
    fn bearer_header_is_sensitive() {
        let v = bearer("abc");
        assert_eq!(v.to_str().unwrap(), "Bearer abc");
        assert!(v.is_sensitive());
    }
}
