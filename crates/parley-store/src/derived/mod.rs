//! Derived state kept in memory, the same on every backend: the entity cache
//! and the home index, and the bounded sharded map they are built on. Each
//! structure is a [`ChangeListener`](crate::changes::ChangeListener): it
//! changes only when a change record is applied, and a backend supplies the
//! loads that fill it (closures over its own queries).

pub mod entities;
pub mod home;
pub mod home_index;
pub mod sharded;
