//! `parley-bench`: Parley's load generator, and the only place speed is
//! judged. It drives any server that speaks the Mastodon client API (Parley,
//! or a peer for comparison) with many real accounts and tokens, and measures
//! in the same run a baseline — a trivial axum server inside this process —
//! so every figure is also a ratio to what this machine can serve at all.
//!
//! Layout: [`client`] sends requests (hyper 1, keep-alive), [`load`] runs
//! workers over a few single-threaded runtimes and [`recorder`] records what
//! they see, [`baseline`] is the reference server, [`scenarios`] are the
//! workloads, [`report`] and [`chart`] present the results, [`register`]
//! makes accounts through the API, [`compare`] runs two servers side by side.
//!
//! It depends on no other Parley crate: it knows the server only through HTTP.

pub mod api;
pub mod baseline;
pub mod chart;
pub mod client;
pub mod compare;
pub mod load;
pub mod recorder;
pub mod register;
pub mod report;
pub mod scenarios;
pub mod stats;
pub mod tokens;
