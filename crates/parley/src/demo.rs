//! `parley demo`: fills a data directory with the story Parley was built for
//! (the seed reports of March–April 2018), so a new user sees a living
//! instance: official accounts with their organisation badges, their posts
//! with mentions, replies and hashtags, and thousands of ordinary accounts.

use anyhow::Context;
use chrono::{DateTime, Duration, TimeZone, Utc};
use parley_app::accounts::AccountSpec;
use parley_app::statuses::CreateStatus;
use parley_app::{FollowOptions, Services};
use parley_core::model::{Account, Role, Visibility};
use parley_store::{NewAccount, NewBallot, Store};

/// The password of every demo account, printed so a visitor can sign in as one.
pub const DEMO_PASSWORD: &str = "parley-demo-2018";

struct Official {
    username: &'static str,
    display_name: &'static str,
    organisation: &'static str,
    note: &'static str,
}

const OFFICIALS: &[Official] = &[
    Official {
        username: "RusEmbUSA",
        display_name: "Russia in USA",
        organisation: "Embassy of the Russian Federation in the USA",
        note: "Official account of the Embassy of Russia in the United States.",
    },
    Official {
        username: "GK_Seattle",
        display_name: "Russian Consulate in Seattle",
        organisation: "Consulate General of Russia in Seattle",
        note: "Consulate General of the Russian Federation in Seattle.",
    },
    Official {
        username: "StateDept",
        display_name: "Department of State",
        organisation: "U.S. Department of State",
        note: "Official account of the U.S. Department of State.",
    },
    Official {
        username: "PressSec",
        display_name: "White House Press Secretary",
        organisation: "The White House",
        note: "Statements from the White House press secretary.",
    },
    Official {
        username: "MFA_Russia",
        display_name: "MFA Russia",
        organisation: "Ministry of Foreign Affairs of Russia",
        note: "Official account of the Ministry of Foreign Affairs of the Russian Federation.",
    },
];

/// The posts, in order: (author, minutes after the first, reply to post #, visibility, text).
const POSTS: &[(&str, i64, Option<usize>, &str)] = &[
    (
        "PressSec",
        0,
        None,
        "The United States takes this action in conjunction with our NATO allies and partners around the world in response to Russia's use of a military-grade chemical weapon on the soil of the United Kingdom. #expulsions",
    ),
    (
        "StateDept",
        20,
        None,
        "With these steps, the United States and our allies and partners make clear to Russia that its actions have consequences. #expulsions",
    ),
    (
        "RusEmbUSA",
        1410,
        None,
        "US administration ordered the closure of the Russian Consulate in Seattle @GK_Seattle. What US Consulate General would you close in Russia, if it was up to you to decide? #TwitterDiplomacy",
    ),
    (
        "GK_Seattle",
        1420,
        Some(2),
        "@RusEmbUSA We will keep serving our compatriots in the Pacific Northwest for as long as we can.",
    ),
    (
        "capitol_reporter",
        1560,
        Some(2),
        "@RusEmbUSA By 1 p.m. EST the poll had more than 11,600 votes, St. Petersburg a 45 percent plurality. Which figure will outlets quote tonight? #TwitterDiplomacy",
    ),
    (
        "MFA_Russia",
        23040,
        None,
        "Smart missiles should fly towards terrorists, not the lawful government, which has spent several years fighting against international terrorism on its territory.",
    ),
    (
        "capitol_reporter",
        23100,
        None,
        "Kremlin spokesman, asked about this week's posts: \"We do not participate in Twitter diplomacy.\" #TwitterDiplomacy",
    ),
];

/// The moment of the first post: Monday 26 March 2018, 11:00 EST.
fn story_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2018, 3, 26, 16, 0, 0).single().unwrap_or_else(Utc::now)
}

/// The embassy's poll: its options, and the post (by index in `POSTS`) it belongs to.
const POLL_POST: usize = 2;
pub const POLL_OPTIONS: [&str; 3] = ["Vladivostok", "Yekaterinburg", "St. Petersburg"];
/// Votes by the "1 p.m. EST" mark, 2½ hours after the poll opened: more than
/// 11,600, St. Petersburg a 45 percent plurality (the seed reports).
pub const VOTES_BY_THE_MARK: usize = 11_700;
const _: () = assert!(VOTES_BY_THE_MARK > 11_600, "the reports say more than 11,600 by the mark");
/// Share of each option by the mark, out of 20 (Vladivostok 20%, Yekaterinburg 35%, St. Petersburg 45%).
const SHARE_OF_20: [usize; 3] = [4, 7, 9];
/// Votes after the mark, over the next two hours.
const VOTES_AFTER_THE_MARK: usize = 1_300;

/// The "1 p.m. EST" mark: 18:00 UTC on 27 March 2018.
pub fn the_mark() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2018, 3, 27, 18, 0, 0).single().unwrap_or_else(Utc::now)
}

/// Which option the i-th vote (before the mark) chooses: a fixed interleaving
/// that gives exactly the shares above in every run of 20 votes.
fn choice_of(i: usize) -> u32 {
    let slot = i % 20;
    let mut given = [0usize; 3];
    let mut pick = 0;
    for k in 0..=slot {
        // The option furthest behind its share so far goes next.
        pick = (0..3).max_by_key(|o| (SHARE_OF_20[*o] * (k + 1)).saturating_sub(given[*o] * 20)).unwrap_or(0);
        given[pick] += 1;
    }
    pick as u32
}

/// Seeds the demo unless it is already there. Returns the embassy account.
pub async fn seed(services: &Services, store: &dyn Store, voters: usize) -> anyhow::Result<Account> {
    if let Ok(embassy) = services.accounts.find_by_username("RusEmbUSA").await {
        println!("the demo is already in this data directory");
        return Ok(embassy);
    }
    let fail = |e: parley_app::AppError| anyhow::anyhow!("{e}");
    let start = story_start();
    let mut officials = Vec::new();
    for (n, o) in OFFICIALS.iter().enumerate() {
        let account = services
            .accounts
            .create(AccountSpec {
                username: o.username.into(),
                email: format!("{}@demo.parley.invalid", o.username.to_lowercase()),
                password: DEMO_PASSWORD.into(),
                role: Role::User,
                organisation: Some(o.organisation.into()),
                approved: true,
                display_name: Some(o.display_name.into()),
                // Years before the story: no account joins after its own posts.
                joined: Some(start - Duration::days(1500 - 60 * n as i64)),
            })
            .await
            .map_err(fail)?;
        services
            .accounts
            .update_credentials(
                &account,
                parley_app::accounts::ProfileChanges { note: Some(o.note.into()), ..Default::default() },
            )
            .await
            .map_err(fail)?;
        officials.push(account);
    }
    let reporter = services
        .accounts
        .create(AccountSpec {
            username: "capitol_reporter".into(),
            email: "reporter@demo.parley.invalid".into(),
            password: DEMO_PASSWORD.into(),
            role: Role::User,
            organisation: None,
            approved: true,
            display_name: Some("Capitol Reporter".into()),
            joined: Some(start - Duration::days(800)),
        })
        .await
        .map_err(fail)?;
    let by_name = |name: &str| -> Option<Account> {
        officials.iter().chain(std::iter::once(&reporter)).find(|a| a.username == name).cloned()
    };

    let mut posted = Vec::new();
    for (author, minutes, reply_to, text) in POSTS {
        let account = by_name(author).context("demo author missing")?;
        let in_reply_to_id = reply_to.and_then(|i| posted.get(i).copied());
        let poll = (posted.len() == POLL_POST).then(|| parley_app::statuses::PollRequest {
            options: POLL_OPTIONS.iter().map(|o| o.to_string()).collect(),
            expires_in: Some(86_400),
            multiple: false,
            hide_totals: false,
            min_account_age_days: None,
            local_only: false,
        });
        let view = services
            .statuses
            .create(
                &account,
                CreateStatus {
                    text: (*text).into(),
                    in_reply_to_id,
                    visibility: Some(Visibility::Public),
                    created_at: Some(start + Duration::minutes(*minutes)),
                    poll,
                    media_ids: Vec::new(),
                    ..Default::default()
                },
            )
            .await
            .map_err(fail)?;
        posted.push(view.status.id);
    }

    // Ordinary accounts: one password hash shared by all, written straight to the
    // store (hashing thousands of passwords one by one would take minutes).
    let shared_hash = {
        let probe = services
            .accounts
            .create(AccountSpec {
                username: "demo".into(),
                email: "demo@demo.parley.invalid".into(),
                password: DEMO_PASSWORD.into(),
                role: Role::User,
                organisation: None,
                approved: true,
                display_name: Some("Demo visitor".into()),
                joined: None,
            })
            .await
            .map_err(fail)?;
        // The visitor follows the story's accounts, so the first screen after
        // signing in as them is a home timeline with the story in it.
        for account in officials.iter().chain(std::iter::once(&reporter)) {
            services.accounts.follow(&probe, account.id, FollowOptions::default()).await.map_err(fail)?;
        }
        store.find_credentials(&probe.username).await?.context("demo credentials missing")?.password_hash
    };
    let embassy = by_name("RusEmbUSA").context("embassy missing")?;
    let mut tasks = tokio::task::JoinSet::new();
    let mut voter_ids = vec![None; voters];
    for i in 0..voters {
        let hash = shared_hash.clone();
        let embassy = embassy.id;
        let joined = start - Duration::days(400) + Duration::minutes(i as i64 * 7);
        let store_account = NewAccount {
            username: format!("voter{i:05}"),
            email: format!("voter{i:05}@demo.parley.invalid"),
            password_hash: hash,
            display_name: String::new(),
            role: Role::User,
            organisation: None,
            approved: true,
            created_at: Some(joined),
        };
        let store = services.ctx.store.clone();
        tasks.spawn(async move {
            let account = store.create_account(store_account).await?;
            if i % 3 != 0 {
                store.follow(account.id, embassy, false, FollowOptions::default()).await?;
            }
            anyhow::Ok((i, account.id))
        });
        // Bounded concurrency: the writer groups these into large commits anyway.
        while tasks.len() >= 512 {
            if let Some(done) = tasks.join_next().await {
                let (i, id) = done??;
                voter_ids[i] = Some(id);
            }
        }
    }
    while let Some(done) = tasks.join_next().await {
        let (i, id) = done??;
        voter_ids[i] = Some(id);
    }

    // The votes, in time order: front-loaded like a viral poll (most early on).
    let poll_status = services.ctx.store.find_status(posted[POLL_POST]).await?.context("poll status missing")?;
    let poll_id = poll_status.poll_id.context("the embassy post has no poll")?;
    let opened = poll_status.created_at;
    let to_mark = (the_mark() - opened).num_milliseconds() as f64;
    let mut ballots = Vec::new();
    for (i, voter) in voter_ids.iter().enumerate().take(VOTES_BY_THE_MARK + VOTES_AFTER_THE_MARK) {
        let voter = voter.context("voter missing")?;
        let (at, choice) = if i < VOTES_BY_THE_MARK {
            let f = (i as f64 + 1.0) / VOTES_BY_THE_MARK as f64;
            (opened + Duration::milliseconds((to_mark * f.powf(1.6)) as i64) - Duration::milliseconds(1), choice_of(i))
        } else {
            let j = (i - VOTES_BY_THE_MARK) as i64;
            // After the mark, St. Petersburg keeps gaining.
            (the_mark() + Duration::seconds(1 + j * 5), [2, 1, 2, 0, 2][(j % 5) as usize])
        };
        // Demo voters never ask for their receipts: a fresh secret, forgotten.
        let (_, commitment) = parley_app::transparency::new_secret();
        ballots.push(NewBallot { poll_id, account_id: voter, choices: vec![choice], at: Some(at), commitment });
    }
    for chunk in ballots.chunks(2_000) {
        store.record_ballots(chunk.to_vec()).await?;
    }
    Ok(embassy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_twenty_votes_split_exactly_by_the_shares() {
        let mut counts = [0usize; 3];
        for i in 0..VOTES_BY_THE_MARK {
            counts[choice_of(i) as usize] += 1;
        }
        assert_eq!(counts, [2340, 4095, 5265]);
    }
}
