//! The `parley` binary's library half: configuration, wiring of the layers,
//! the server's life cycle, and the admin and demo commands. `main.rs` only
//! parses the command line; integration tests start servers through here.

pub mod admin;
pub mod config;
pub mod demo;
pub mod seed;
pub mod server;
pub mod verify;
pub mod witness;
