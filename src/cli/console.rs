//! `leadq [--db PATH] [--demo]`: opens the console.

use super::{Cli, CliError, CliResult, bad_input, db_path};
use crate::app::run::{ConsoleError, ConsoleOptions, run_console};
use crate::store::paths::Paths;

pub fn run(cli: &Cli, paths: &Paths) -> CliResult {
    let opts = ConsoleOptions::new(db_path(cli, paths), cli.demo, paths);
    run_console(opts).map_err(|e| match e {
        ConsoleError::Config(e) => bad_input(e.to_string()),
        ConsoleError::Store(e) => CliError::Store(e),
        e => CliError::Runtime(e.into()),
    })
}
