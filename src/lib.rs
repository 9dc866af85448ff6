//! leadq: a keyboard-first terminal console that tells a sales team who to work next and why.
//!
//! `core` is pure domain logic, `store` the sled database and files, `app` the console's state
//! machine, `ui` its widgets, `cli` the command line.

pub mod app;
pub mod cli;
pub mod core;
pub mod store;
pub mod ui;
