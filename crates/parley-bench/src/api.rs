//! The few Mastodon API calls a run makes outside the load (creating a poll,
//! reading a tally, posting, registering accounts), over one connection, and
//! the entities it reads. Only the fields used are declared; everything else
//! in an answer is ignored, so any Mastodon-API server will do.

use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use http::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::client::{ClientKind, Prepared, Sender, Target};
use crate::tokens::bearer;

#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    pub id: String,
    #[serde(default)]
    pub poll: Option<Poll>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Poll {
    pub id: String,
    pub votes_count: i64,
    #[serde(default)]
    pub voters_count: Option<i64>,
    pub options: Vec<PollOption>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PollOption {
    pub title: String,
    /// `null` while totals are hidden.
    pub votes_count: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    pub id: String,
    #[serde(default)]
    pub username: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Relationship {
    pub id: String,
    pub following: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Application {
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Token {
    pub access_token: String,
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

/// The IDs of a page of statuses (a timeline answer), newest first.
pub fn status_ids(body: &[u8]) -> Option<Vec<String>> {
    let page: Vec<IdOnly> = serde_json::from_slice(body).ok()?;
    Some(page.into_iter().map(|s| s.id).collect())
}

/// The `following` flag for `account_id` in a relationships answer.
pub fn follows(body: &[u8], account_id: &str) -> Option<bool> {
    let rels: Vec<Relationship> = serde_json::from_slice(body).ok()?;
    rels.into_iter().find(|r| r.id == account_id).map(|r| r.following)
}

/// One connection for the calls around the load.
pub struct Api {
    target: Target,
    sender: Sender,
}

impl Api {
    pub async fn connect(target: &Target) -> anyhow::Result<Api> {
        let target = target.with_kind(ClientKind::Conn);
        let mut sender = Sender::new(&target, None);
        sender.connect().await.map_err(|e| anyhow::anyhow!("connecting to {}: {e}", target.base))?;
        Ok(Api { target, sender })
    }

    /// Sends a request; returns the status and the body.
    pub async fn call(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        json: Option<&serde_json::Value>,
    ) -> anyhow::Result<(u16, Bytes)> {
        let body = json.map(|j| Bytes::from(j.to_string()));
        let p = Prepared {
            class: 0,
            method: method.clone(),
            uri: self.target.uri(path),
            auth: token.map(bearer),
            body,
            read_body: true,
        };
        let mut buf = Vec::new();
        // One retry on a fresh connection: the server may have closed an idle one.
        let status = match self.sender.send(&p, &mut buf, Duration::from_secs(60)).await {
            Ok(s) => s,
            Err(_) => {
                buf.clear();
                self.sender.send(&p, &mut buf, Duration::from_secs(60)).await.map_err(|e| anyhow::anyhow!("{e}"))?
            }
        };
        Ok((status, Bytes::from(buf)))
    }

    /// Sends a request and reads a 2xx JSON answer.
    pub async fn json<T: DeserializeOwned>(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        json: Option<&serde_json::Value>,
    ) -> anyhow::Result<T> {
        let (status, body) = self.call(method.clone(), path, token, json).await?;
        if !(200..300).contains(&status) {
            bail!("{method} {path}: {status} {}", String::from_utf8_lossy(&body[..body.len().min(300)]));
        }
        serde_json::from_slice(&body).with_context(|| format!("{method} {path}: unexpected answer"))
    }

    /// `POST /api/v1/statuses` with a poll; returns the status with its poll.
    pub async fn create_poll(
        &mut self,
        token: &str,
        question: &str,
        options: &[String],
    ) -> anyhow::Result<(Status, Poll)> {
        let body = serde_json::json!({
            "status": question,
            "visibility": "public",
            "poll": { "options": options, "expires_in": 86400, "multiple": false },
        });
        let status: Status = self.json(Method::POST, "/api/v1/statuses", Some(token), Some(&body)).await?;
        let poll = status.poll.clone().context("the new status has no poll")?;
        Ok((status, poll))
    }

    pub async fn get_poll(&mut self, token: Option<&str>, id: &str) -> anyhow::Result<Poll> {
        self.json(Method::GET, &format!("/api/v1/polls/{id}"), token, None).await
    }

    pub async fn verify_credentials(&mut self, token: &str) -> anyhow::Result<Account> {
        self.json(Method::GET, "/api/v1/accounts/verify_credentials", Some(token), None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_what_it_needs() {
        let status = br#"{"id":"9","content":"<p>q</p>","account":{"id":"1"},
            "poll":{"id":"5","expired":false,"votes_count":3,"voters_count":3,"emojis":[],
            "options":[{"title":"a","votes_count":2},{"title":"b","votes_count":null}]}}"#;
        let s: Status = serde_json::from_slice(status).unwrap();
        let poll = s.poll.unwrap();
        assert_eq!((s.id.as_str(), poll.id.as_str(), poll.votes_count), ("9", "5", 3));
        assert_eq!(poll.options[0].votes_count, Some(2));
        assert_eq!(poll.options[1].votes_count, None);
    }

    #[test]
    fn timeline_ids_and_relationships() {
        let page = br#"[{"id":"30","in_reply_to_id":"29"},{"id":"20","poll":{"id":"7"}}]"#;
        assert_eq!(status_ids(page).unwrap(), vec!["30", "20"]);
        assert_eq!(status_ids(b"[]").unwrap(), Vec::<String>::new());
        assert!(status_ids(b"{\"error\":\"x\"}").is_none());
        let rels = br#"[{"id":"1","following":true,"followed_by":false}]"#;
        assert_eq!(follows(rels, "1"), Some(true));
        assert_eq!(follows(rels, "2"), None);
    }
}
