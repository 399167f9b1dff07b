//! What the templates show, built from the services' views: everything is
//! decided and formatted here, so that templates only place text. User text
//! stays text (askama escapes it); the one exception is `content_html`, which
//! the services generate from the typed text and escape.

use chrono::{DateTime, Utc};
use parley_app::polls::PollView;
use parley_app::views::StatusView;
use parley_core::AccountId;
use parley_core::model::{Account, Visibility};
use parley_core::poll::Eligibility;

use crate::Site;
use crate::format;

/// An account as a byline.
#[derive(Debug, Clone)]
pub struct AuthorModel {
    pub username: String,
    pub display_name: String,
    /// `user@domain`: the whole address, for other sites (embeds, citations)
    /// and the profile, where a person reads it to follow from elsewhere.
    /// Pages of this site show local accounts as `@user`, as Mastodon does.
    pub acct: String,
    /// This site's domain (`parley.example`), for breaking `acct` at its `@`.
    pub domain: String,
    /// `/@user`
    pub path: String,
    /// The monogram shown in place of an avatar.
    pub initial: String,
    /// One of eight monogram colours, picked from the username.
    pub hue: u8,
    /// The organisation an official account speaks for.
    pub organisation: Option<String>,
    pub bot: bool,
    pub locked: bool,
}

pub fn author(site: &Site, a: &Account) -> AuthorModel {
    let name = if a.display_name.trim().is_empty() { a.username.clone() } else { a.display_name.trim().to_string() };
    let initial = name.chars().find(|c| c.is_alphanumeric()).map(|c| c.to_uppercase().to_string()).unwrap_or_default();
    let hue = (a.username.bytes().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) % 8) as u8;
    AuthorModel {
        acct: format!("{}@{}", a.username, site.domain),
        domain: site.domain.clone(),
        path: format!("/@{}", a.username),
        username: a.username.clone(),
        display_name: name,
        initial,
        hue,
        organisation: a.organisation.clone().filter(|o| !o.trim().is_empty()),
        bot: a.bot,
        locked: a.locked,
    }
}

/// How a poll is drawn in this place.
#[derive(Debug, Clone, Default)]
pub struct PollOptions {
    /// Show the results even though the viewer could still vote.
    pub results: bool,
    /// Options to tick in the vote form (arriving from an embed's vote).
    pub choices: Vec<u32>,
    /// Inside an embed: votes open this site in a new window.
    pub embed: bool,
}

#[derive(Debug, Clone)]
pub struct OptionModel {
    pub index: usize,
    pub title: String,
    pub votes: i64,
    /// `5,265 votes`
    pub votes_text: String,
    /// `45%`
    pub percent_text: String,
    /// The bar's length, 0–100.
    pub width: f64,
    /// The viewer chose this option.
    pub own: bool,
    /// The option leads (ties all lead).
    pub leading: bool,
    /// Ticked in the vote form.
    pub checked: bool,
}

/// Where a vote form sends the ballot.
#[derive(Debug, Clone)]
pub struct VoteForm {
    /// `post` for the signed-in, `get` (towards sign-in) otherwise.
    pub method: &'static str,
    pub action: String,
    /// `_blank` in an embed.
    pub target: Option<&'static str>,
    /// The "see results" link.
    pub results_link: String,
}

/// A poll shown as a signed snapshot recorded it.
#[derive(Debug, Clone)]
pub struct Frozen {
    /// The signed JSON, which anyone can check.
    pub snapshot_url: String,
}

#[derive(Debug, Clone)]
pub struct PollModel {
    pub id: String,
    pub status_path: String,
    pub history_path: String,
    pub cite_path: String,
    pub multiple: bool,
    pub expired: bool,
    /// Per-option counts are hidden until the end.
    pub hidden: bool,
    pub voted: bool,
    pub options: Vec<OptionModel>,
    pub votes_text: String,
    pub voters_text: String,
    pub time_text: String,
    pub expires_iso: String,
    pub as_of_iso: String,
    /// `16:30:05 UTC`
    pub as_of_text: String,
    /// `27 March 2018, 16:30:05 UTC`
    pub as_of_long: String,
    /// Set when the options are a vote form.
    pub form: Option<VoteForm>,
    /// Subscribe to live updates.
    pub live: bool,
    /// Showing a signed snapshot, not the live tally.
    pub frozen: Option<Frozen>,
    pub embed: bool,
    /// Who may vote, when the author limited it.
    pub who_may_vote: Option<String>,
    /// An embed showing standings to a reader who could vote: where to vote
    /// (this site, in a new window).
    pub vote_link: Option<String>,
}

/// "Only accounts on this server that are at least 7 days old may vote."
pub fn who_may_vote(rules: Eligibility) -> Option<String> {
    let age = rules.min_account_age_days.map(|d| match d {
        1 => "at least 1 day old".to_string(),
        d => format!("at least {d} days old"),
    });
    match (rules.local_only, age) {
        (false, None) => None,
        (true, None) => Some("Only accounts on this server may vote.".into()),
        (false, Some(age)) => Some(format!("Only accounts {age} may vote.")),
        (true, Some(age)) => Some(format!("Only accounts on this server that are {age} may vote.")),
    }
}

impl PollModel {
    /// `form` or `results`: the live script replaces a form only when the poll ends.
    pub fn mode(&self) -> &'static str {
        if self.form.is_some() { "form" } else { "results" }
    }
    /// A sentence a screen reader or a quotation can use: "Vladivostok 20% (2,340 votes), …".
    pub fn in_words(&self) -> String {
        let options: Vec<String> = if self.hidden {
            self.options.iter().map(|o| o.title.clone()).collect()
        } else {
            self.options.iter().map(|o| format!("{} {} ({})", o.title, o.percent_text, o.votes_text)).collect()
        };
        let state = if self.expired { "final results" } else { "results so far" };
        if self.hidden {
            format!("Poll: {}. {}; results hidden until the poll ends.", options.join(", "), self.votes_text)
        } else {
            format!(
                "Poll: {}. {} from {}, {state} as of {}.",
                options.join("; "),
                self.votes_text,
                self.voters_text,
                self.as_of_long
            )
        }
    }
}

/// The counts of one poll at one moment, whether live or from a snapshot.
pub struct Tally<'a> {
    pub titles: &'a [String],
    /// `None` while hidden.
    pub option_votes: Option<&'a [i64]>,
    pub votes: i64,
    pub voters: i64,
    pub multiple: bool,
}

/// Options with their shares. A multiple-choice poll's shares are of the
/// voters (they may add up to more than 100%), as in Mastodon.
pub fn options(t: &Tally<'_>, own: &[u32], checked: &[u32]) -> Vec<OptionModel> {
    let whole = if t.multiple { t.voters } else { t.votes };
    let top = t.option_votes.and_then(|v| v.iter().copied().max()).unwrap_or(0);
    t.titles
        .iter()
        .enumerate()
        .map(|(i, title)| {
            let votes = t.option_votes.and_then(|v| v.get(i).copied()).unwrap_or(0);
            OptionModel {
                index: i,
                title: title.clone(),
                votes,
                votes_text: format::count(votes, "vote", "votes"),
                percent_text: format::percent_text(votes, whole),
                width: format::percent_width(votes, whole),
                own: own.contains(&(i as u32)),
                leading: top > 0 && votes == top,
                checked: checked.contains(&(i as u32)),
            }
        })
        .collect()
}

pub fn poll(
    site: &Site,
    view: &PollView,
    author_username: &str,
    viewer: Option<AccountId>,
    opts: &PollOptions,
) -> PollModel {
    let p = &view.poll;
    let status_path = format!("/@{}/{}", author_username, p.status_id);
    let own = view.own_votes.clone().unwrap_or_default();
    let is_author = viewer == Some(p.account_id);
    let voted = view.voted == Some(true);
    let can_vote = !view.expired && !voted && !is_author;
    let form = (can_vote && !opts.results).then(|| {
        let results_link = format!("{status_path}?results=1#poll-{}", p.id);
        if opts.embed {
            VoteForm {
                method: "get",
                action: format!("{}{status_path}/vote", site.origin),
                target: Some("_blank"),
                results_link: format!("{}{results_link}", site.origin),
            }
        } else if viewer.is_some() {
            VoteForm { method: "post", action: format!("/polls/{}/votes", p.id), target: None, results_link }
        } else {
            VoteForm { method: "get", action: format!("{status_path}/vote"), target: None, results_link }
        }
    });
    let tally = Tally {
        titles: &p.options,
        option_votes: view.option_votes.as_deref(),
        votes: p.votes_count,
        voters: p.voters_count,
        multiple: p.multiple,
    };
    let vote_link =
        (opts.embed && can_vote && opts.results).then(|| format!("{}{status_path}#poll-{}", site.origin, p.id));
    // An ended poll's results are those of its end, whatever the time now.
    let as_of = if view.expired { view.as_of.min(p.expires_at) } else { view.as_of };
    PollModel {
        id: p.id.to_string(),
        history_path: format!("{status_path}/history"),
        cite_path: format!("{status_path}/cite"),
        status_path,
        multiple: p.multiple,
        expired: view.expired,
        hidden: view.option_votes.is_none(),
        voted,
        options: options(&tally, &own, &opts.choices),
        votes_text: format::count(p.votes_count, "vote", "votes"),
        voters_text: format::count(p.voters_count, "person", "people"),
        time_text: format::time_left(p.expires_at, view.as_of),
        expires_iso: format::iso(p.expires_at),
        as_of_iso: format::iso(as_of),
        // The clock alone for a live tally (today); the date too for a final one.
        as_of_text: if view.expired { format::long_datetime_seconds(as_of) } else { format::clock(as_of) },
        as_of_long: format::long_datetime_seconds(as_of),
        form,
        live: !view.expired,
        frozen: None,
        embed: opts.embed,
        who_may_vote: who_may_vote(p.eligibility),
        vote_link,
    }
}

/// A poll as a signed snapshot (`SnapshotService::snapshot`) recorded it:
/// the signed numbers, not the live ones. `None` if the document is not one.
pub fn frozen(site: &Site, snapshot: &serde_json::Value, author_username: &str, embed: bool) -> Option<PollModel> {
    let s = snapshot.get("snapshot")?;
    let text = |k: &str| s.get(k).and_then(serde_json::Value::as_str);
    let time = |k: &str| text(k).and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc));
    let (poll_id, status_id) = (text("poll_id")?, text("status_id")?);
    let as_of = time("as_of")?;
    let expires_at = time("expires_at")?;
    let options = s.get("options")?.as_array()?;
    let titles: Vec<String> =
        options.iter().map(|o| o.get("title").and_then(|t| t.as_str()).unwrap_or_default().to_string()).collect();
    let counts: Vec<i64> = options.iter().map(|o| o.get("votes_count").and_then(|v| v.as_i64()).unwrap_or(0)).collect();
    let votes = s.get("votes_count")?.as_i64()?;
    let voters = s.get("voters_count")?.as_i64()?;
    let multiple = s.get("multiple").and_then(serde_json::Value::as_bool).unwrap_or(false);
    let status_path = format!("/@{author_username}/{status_id}");
    let at = format::iso_millis(as_of);
    let tally = Tally { titles: &titles, option_votes: Some(&counts), votes, voters, multiple };
    Some(PollModel {
        id: poll_id.to_string(),
        history_path: format!("{status_path}/history"),
        // In an embed, on another site's page: the whole address.
        cite_path: format!("{}{status_path}/cite?at={at}", if embed { site.origin.as_str() } else { "" }),
        status_path,
        multiple,
        expired: as_of >= expires_at,
        hidden: false,
        voted: false,
        options: options_of(&tally),
        votes_text: format::count(votes, "vote", "votes"),
        voters_text: format::count(voters, "person", "people"),
        time_text: format::time_left(expires_at, as_of),
        expires_iso: format::iso(expires_at),
        as_of_iso: format::iso_millis(as_of),
        as_of_text: format::clock(as_of),
        as_of_long: format::long_datetime_seconds(as_of),
        form: None,
        live: false,
        frozen: Some(Frozen {
            snapshot_url: format!("{}/api/v1/parley/polls/{poll_id}/snapshot?at={at}", site.origin),
        }),
        embed,
        // A snapshot signs the tally, not who could vote.
        who_may_vote: None,
        vote_link: None,
    })
}

fn options_of(t: &Tally<'_>) -> Vec<OptionModel> {
    options(t, &[], &[])
}

#[derive(Debug, Clone)]
pub struct StatusCard {
    pub id: String,
    /// The element's id: `s-` and the status's ID, or the boost's for a boost,
    /// so that a boost and its original on one page stay distinct.
    pub dom_id: String,
    pub path: String,
    pub author: AuthorModel,
    pub boosted_by: Option<AuthorModel>,
    pub content_html: String,
    pub spoiler_text: String,
    pub created_iso: String,
    pub created_short: String,
    pub created_long: String,
    pub edited: bool,
    pub visibility: &'static str,
    pub visibility_label: &'static str,
    pub reply_to_path: Option<String>,
    /// "In reply to @user", "Continues a thread" (empty unless a reply).
    pub reply_to_label: String,
    pub replies_count: i64,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub favourited: bool,
    pub reblogged: bool,
    pub can_boost: bool,
    pub mine: bool,
    pub signed_in: bool,
    pub poll: Option<PollModel>,
    /// The status a thread page is about.
    pub focus: bool,
}

pub fn visibility_label(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "Public",
        Visibility::Unlisted => "Unlisted",
        Visibility::Private => "Followers only",
        Visibility::Direct => "Mentioned people only",
    }
}

/// A status (a boost shows what it boosts, with who boosted it).
pub fn card(
    site: &Site,
    view: &StatusView,
    viewer: Option<AccountId>,
    now: DateTime<Utc>,
    opts: &PollOptions,
) -> StatusCard {
    let (shown, boosted_by) = match view.reblog.as_deref() {
        Some(original) => (original, Some(author(site, &view.account))),
        None => (view, None),
    };
    let s = &shown.status;
    let author = author(site, &shown.account);
    let path = format!("/@{}/{}", shown.account.username, s.id);
    // The parent itself is not loaded here: `/statuses/:id` redirects to its
    // page. Its author is named when known: the author themself (a thread),
    // or an account the reply mentions (as clients mention whom they answer).
    let reply_to_path = s.in_reply_to_id.map(|id| format!("/statuses/{id}"));
    let reply_to_label = s.in_reply_to_id.map(|_| match s.in_reply_to_account_id {
        Some(id) if id == shown.account.id => "Continues a thread".to_string(),
        Some(id) => shown
            .mentions
            .iter()
            .find(|m| m.id == id)
            .map_or_else(|| "In reply to an earlier post".to_string(), |m| format!("In reply to @{}", m.username)),
        None => "In reply to an earlier post".to_string(),
    });
    StatusCard {
        id: s.id.to_string(),
        dom_id: format!("s-{}", view.status.id),
        poll: shown.poll.as_ref().map(|p| poll(site, p, &shown.account.username, viewer, opts)),
        path,
        boosted_by,
        content_html: s.content_html.clone(),
        spoiler_text: s.spoiler_text.clone(),
        created_iso: format::iso(s.created_at),
        created_short: format::short_ago(s.created_at, now),
        created_long: format::long_datetime(s.created_at),
        edited: s.edited_at.is_some(),
        visibility: s.visibility.as_str(),
        visibility_label: visibility_label(s.visibility),
        reply_to_path,
        reply_to_label: reply_to_label.unwrap_or_default(),
        replies_count: s.replies_count,
        reblogs_count: s.reblogs_count,
        favourites_count: s.favourites_count,
        favourited: shown.favourited == Some(true),
        reblogged: shown.reblogged == Some(true),
        can_boost: s.visibility.is_boostable(),
        mine: viewer == Some(shown.account.id),
        signed_in: viewer.is_some(),
        author,
        focus: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_choice_shares_are_of_votes_and_ties_all_lead() {
        let titles = vec!["Vladivostok".to_string(), "Yekaterinburg".into(), "St. Petersburg".into()];
        let counts = [2_340, 4_095, 5_265];
        let t = Tally { titles: &titles, option_votes: Some(&counts), votes: 11_700, voters: 11_700, multiple: false };
        let o = options(&t, &[2], &[]);
        let texts: Vec<&str> = o.iter().map(|o| o.percent_text.as_str()).collect();
        assert_eq!(texts, ["20%", "35%", "45%"]);
        assert_eq!(o[2].votes_text, "5,265 votes");
        assert!(o[2].leading && !o[1].leading);
        assert!(o[2].own && !o[0].own);
        let tied = [3, 3, 1];
        let t = Tally { titles: &titles, option_votes: Some(&tied), votes: 7, voters: 7, multiple: false };
        assert_eq!(options(&t, &[], &[]).iter().filter(|o| o.leading).count(), 2);
    }

    #[test]
    fn multiple_choice_shares_are_of_voters() {
        let titles = vec!["a".to_string(), "b".into()];
        let counts = [4, 2];
        let t = Tally { titles: &titles, option_votes: Some(&counts), votes: 6, voters: 4, multiple: true };
        let o = options(&t, &[], &[1]);
        assert_eq!((o[0].percent_text.as_str(), o[1].percent_text.as_str()), ("100%", "50%"));
        assert!(o[1].checked);
    }

    #[test]
    fn hidden_totals_show_no_counts() {
        let titles = vec!["a".to_string(), "b".into()];
        let t = Tally { titles: &titles, option_votes: None, votes: 9, voters: 9, multiple: false };
        let o = options(&t, &[], &[]);
        assert!(o.iter().all(|o| o.votes == 0 && !o.leading));
    }
}
