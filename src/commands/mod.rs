//! What each subcommand does. `serve` runs the service; the others are operator and data tools.

mod admin;
mod facilities;
mod loadgen;
mod model;
mod send;

use anyhow::Context as _;
use clap::Parser;

use crate::cli::{Cli, Command};
use crate::config::Settings;
use crate::startup::Application;
use crate::telemetry;

/// Entry point of the binary.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref())?;
    let quiet = !matches!(cli.command, Command::Serve);
    // Tools print their results on stdout; keep their logs to warnings unless asked.
    let level = if quiet && std::env::var_os("RUST_LOG").is_none() {
        "warn".to_owned()
    } else {
        settings.log.level.clone()
    };
    telemetry::logging::init(&level, settings.log.format);
    match cli.command {
        Command::Serve => serve(settings),
        Command::Migrate => admin::migrate(&settings),
        Command::Centers(cmd) => admin::centers(&settings, cmd),
        Command::Users(cmd) => admin::users(&settings, cmd),
        Command::Rosters(cmd) => admin::rosters(&settings, cmd),
        Command::Facilities(cmd) => facilities::run(&settings, cmd),
        Command::Generate(args) => model::generate(&settings, &args),
        Command::Train(args) => model::train(&settings, &args),
        Command::Score(args) => model::score(&settings, &args),
        Command::Loadgen(args) => loadgen::run(args),
        Command::Send(args) => send::run(&args),
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings).await?;
        app.run_until_stopped()
            .await
            .context("the HTTP server failed")
    })
}
