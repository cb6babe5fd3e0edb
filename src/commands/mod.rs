//! What each subcommand does. `serve` runs the service; the others are operator and data tools.

mod admin;
mod facilities;
mod history;
mod loadgen;
mod model;
mod refusal;
mod send;

use anyhow::Context as _;
use clap::Parser;

use crate::app::App;
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
    let replaying = matches!(&cli.command, Command::Generate(g) if g.history_days.is_some());
    let level = if replaying && std::env::var_os("RUST_LOG").is_none() {
        // A replayed history has no roster nor mail relay: that nobody is reached is its
        // summary's to say, not one error line per alert and a warning about e-mail.
        "warn,aegis_actors::engine::notify=off,aegis::startup=error".to_owned()
    } else if quiet && std::env::var_os("RUST_LOG").is_none() {
        "warn".to_owned()
    } else {
        settings.log.level.clone()
    };
    telemetry::logging::init(&level, settings.log.format);
    match cli.command {
        Command::Serve => serve(settings),
        Command::Migrate => admin::migrate(&settings),
        Command::Centers(cmd) => admin::centers(settings, cmd),
        Command::Users(cmd) => admin::users(settings, cmd),
        Command::Rosters(cmd) => admin::rosters(settings, cmd),
        Command::Facilities(cmd) => facilities::run(settings, cmd),
        Command::Generate(args) => match args.history_days {
            Some(days) => history::replay(&settings, &args, days),
            None => model::generate(&settings, &args),
        },
        Command::Train(args) => model::train(&settings, &args),
        Command::Score(args) => model::score(&settings, &args),
        Command::Loadgen(args) => loadgen::run(args, settings.own_url()),
        Command::Send(args) => send::run(&args, settings.own_url()),
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let host = settings
            .http
            .bind
            .rsplit_once(':')
            .map_or(settings.http.bind.clone(), |(h, _)| h.to_owned());
        let app = Application::build(settings).await?;
        // On stdout as the demo secret is: a person (or a script) started with port 0 learns
        // the port the system chose.
        println!("Aegis is listening on {host}:{}", app.port());
        app.run_until_stopped()
            .await
            .context("the HTTP server failed")
    })
}

/// The application as the command line drives it: no actor runtime, a Tokio runtime of its own
/// to run the use cases on. Commands go through the same use cases as the API, so the two
/// refuse the same inputs the same way.
pub struct Tools {
    runtime: tokio::runtime::Runtime,
    app: std::sync::Arc<App>,
}

impl Tools {
    pub fn open(settings: Settings) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .context("starting the command's runtime")?;
        let app = runtime.block_on(crate::startup::tools_app(settings))?;
        Ok(Self {
            runtime,
            app: std::sync::Arc::new(app),
        })
    }

    /// Runs one use case to its end.
    pub fn run<T, F, Fut>(&self, f: F) -> T
    where
        F: FnOnce(std::sync::Arc<App>) -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        self.runtime.block_on(f(self.app.clone()))
    }
}

/// Opens the application and runs `f` on it.
fn with_app<F, Fut>(settings: Settings, f: F) -> anyhow::Result<()>
where
    F: FnOnce(std::sync::Arc<App>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    Tools::open(settings)?.run(f)
}

/// A bar over `len` steps that draws only on a terminal (indicatif hides it in a pipe).
pub(crate) fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{what} {{bar:30}} {{pos}}/{{len}} {{msg}} ({{elapsed}}, {{eta}} left)"
    )) {
        bar.set_style(style);
    }
    bar
}
