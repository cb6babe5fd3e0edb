//! The command line (contract §6): `aegis serve`, `migrate`, `centers`, `users`, `generate`,
//! `train`, `score`, `loadgen`, `send`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "aegis",
    version,
    about = "Keeps excavators from hitting buried utilities."
)]
pub struct Cli {
    /// Configuration file (default: ./aegis.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage call centers and their webhook secrets.
    #[command(subcommand)]
    Centers(CentersCmd),
    /// Manage officers and operators.
    #[command(subcommand)]
    Users(UsersCmd),
    /// Manage rosters: who is reached when an alert is raised or escalated.
    #[command(subcommand)]
    Rosters(RostersCmd),
    /// Facility layers from the member's GIS: import, list, show, retire, reactivate (contract §10).
    #[command(subcommand)]
    Facilities(FacilitiesCmd),
    /// Make a synthetic ticket history with outcomes.
    Generate(GenerateArgs),
    /// Train a risk model with XGBoost.
    Train(TrainArgs),
    /// Score tickets or feature vectors offline.
    Score(ScoreArgs),
    /// Post signed tickets to a running Aegis and report throughput and latency.
    Loadgen(LoadgenArgs),
    /// Sign and post one ticket file to a running Aegis.
    Send(SendArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Native,
    Onecall,
    /// The Open Ticket Standard (PA811, GA811, OKIE811, …).
    Openticket,
}

#[derive(Debug, Subcommand)]
pub enum CentersCmd {
    /// Register a center; prints a generated secret once when none is given.
    Add {
        code: String,
        #[arg(long)]
        secret: Option<String>,
        #[arg(long, value_enum, default_value = "native")]
        format: FormatArg,
    },
    /// List centers.
    List,
    /// Add a new secret (printed once); the old ones stay valid until retired.
    RotateSecret {
        code: String,
        #[arg(long)]
        secret: Option<String>,
    },
    /// Revoke every secret of a center but the newest.
    RetireSecrets { code: String },
    /// Remove a center: deleted if no ticket names it, else every secret is revoked.
    Remove { code: String },
}

#[derive(Debug, Subcommand)]
pub enum UsersCmd {
    /// Create a user; prints its bearer token once.
    Add {
        #[arg(long, value_parser = ["officer", "operator"])]
        role: String,
        #[arg(long)]
        name: String,
    },
    /// Revoke a user's token.
    Revoke { name: String },
    /// Set the password a user signs in to the console with, read from standard input (the
    /// first line; at least 12 characters). Stored as an Argon2id hash.
    SetPassword { name: String },
    /// List users.
    List,
    /// Set how a user is reached (replaces their channels; none given clears them).
    Channels(ChannelsArgs),
}

#[derive(Debug, Args)]
pub struct ChannelsArgs {
    pub name: String,
    /// E-mail addresses.
    #[arg(long)]
    pub email: Vec<String>,
    /// PagerDuty Events API v2 routing (integration) keys.
    #[arg(long)]
    pub pagerduty_key: Vec<String>,
    #[arg(long, default_value = "https://events.pagerduty.com/v2/enqueue")]
    pub pagerduty_url: String,
    /// Slack incoming-webhook URLs.
    #[arg(long)]
    pub slack: Vec<String>,
    /// A generic webhook URL, signed with `--webhook-secret`.
    #[arg(long, requires = "webhook_secret")]
    pub webhook: Option<String>,
    #[arg(long, requires = "webhook")]
    pub webhook_secret: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum RostersCmd {
    /// Create or replace a roster.
    Put {
        name: String,
        /// Users, in order (comma-separated).
        #[arg(long, value_delimiter = ',', required = true)]
        members: Vec<String>,
        /// Users reached outside business hours instead (comma-separated).
        #[arg(long, value_delimiter = ',')]
        after_hours: Vec<String>,
        /// Business days, such as Mon-Fri.
        #[arg(long, requires_all = ["from", "to", "timezone"])]
        days: Option<String>,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        /// An IANA time zone, such as America/Los_Angeles.
        #[arg(long)]
        timezone: Option<String>,
    },
    /// List rosters and who is on duty now.
    List,
}

#[derive(Debug, Subcommand)]
pub enum FacilitiesCmd {
    /// Import a layer file (GeoJSON, a zipped shapefile with its .prj, or a GeoPackage) as
    /// the layer's next version; all or nothing.
    Import {
        /// The layer's name (lower-case letters, digits, `_`, `-`).
        name: String,
        file: PathBuf,
        /// gas_transmission, gas_distribution, gas_service, electric_transmission,
        /// electric_distribution, telecom, water, sewer or other (required for a new layer).
        #[arg(long)]
        class: Option<String>,
        /// Tolerance zone in feet (default by class: transmission 100, service 10, others 25).
        #[arg(long)]
        buffer_ft: Option<f64>,
        /// Within this many feet a ticket is close (default 250).
        #[arg(long)]
        close_ft: Option<f64>,
        /// The file's CRS when it declares none (EPSG:2227…).
        #[arg(long)]
        crs: Option<String>,
        /// The layer of the file to read when it holds several.
        #[arg(long)]
        source_layer: Option<String>,
        /// KNOWN=COLUMN: the file's column for id, material, diameter, pressure, voltage,
        /// install_year, owner or critical (repeatable).
        #[arg(long)]
        attr: Vec<String>,
    },
    /// List layers with the version that screens.
    List,
    /// One layer and its import history.
    Show { name: String },
    /// Stop a layer screening (its versions are kept).
    Retire { name: String },
    /// Make a retired layer screen again with its last version.
    Reactivate { name: String },
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of tickets.
    #[arg(long, default_value_t = 100_000)]
    pub tickets: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Damages per ticket to aim for.
    #[arg(long, default_value_t = 0.002)]
    pub damage_rate: f64,
    /// Write feature rows and labels as CSV here.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Write the tickets themselves as native JSON lines here.
    #[arg(long)]
    pub jsonl: Option<PathBuf>,
    /// Store the labelled rows in the database (table training_rows) for `aegis train --from-db`.
    #[arg(long)]
    pub db: bool,
    /// Lay out a synthetic facility network for the demo area (a street grid of gas and water
    /// mains, a service to every lot, electric primaries and fibre ducts, a gas transmission
    /// corridor) as GeoJSON layers in this directory, ready for `aegis facilities import`.
    /// (The generated tickets themselves always dig over this network, screened against it.)
    #[arg(long, value_name = "DIR")]
    pub facilities: Option<PathBuf>,
    /// The street grid's extent: a square this many miles on a side around the demo area (the
    /// transmission corridor and a long-haul fibre route cross open land twice as wide).
    #[arg(long, default_value_t = 2.0)]
    pub facility_extent_miles: f64,
    /// Leave the services layer empty (for a large extent: mains alone).
    #[arg(long)]
    pub without_services: bool,
    /// Replay this many days of history into the database, ending now, through the lifecycle
    /// (tickets screened and scored, alerts acknowledged and resolved, damages investigated),
    /// so the reports have something to show. Stop `aegis serve` on the same database first.
    #[arg(long, value_name = "DAYS")]
    pub history_days: Option<u32>,
    /// Tickets a day in a replayed history.
    #[arg(long, default_value_t = 300)]
    pub tickets_per_day: u32,
    /// The registered center a replayed history's tickets come from.
    #[arg(long, default_value = "DEMO")]
    pub center: String,
    /// Near misses per ticket in a replayed history (damages follow --damage-rate).
    #[arg(long, default_value_t = 0.001)]
    pub near_miss_rate: f64,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Train from this CSV (from `aegis generate --csv`).
    #[arg(long, conflicts_with = "from_db")]
    pub csv: Option<PathBuf>,
    /// Train from the database: generated rows and scored tickets with recorded outcomes.
    #[arg(long)]
    pub from_db: bool,
    /// Where to write the model.
    #[arg(long, default_value = "models/trained.json")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 600)]
    pub rounds: u32,
    #[arg(long, default_value_t = 4)]
    pub max_depth: u32,
    #[arg(long, default_value_t = 0.08)]
    pub eta: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// XGBoost model (JSON or UBJSON); default: the configured or bundled one.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// JSON lines: tickets (native JSON) or {"features": {...}}; `-` for stdin.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Where to write the results (default stdout).
    #[arg(long)]
    pub output: Option<PathBuf>,
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    /// Also predict with the XGBoost library and fail if any probability differs by > 1e-6.
    #[arg(long)]
    pub check: bool,
    /// Print the feature schema and exit.
    #[arg(long)]
    pub list_features: bool,
}

#[derive(Debug, Args)]
pub struct LoadgenArgs {
    /// Where Aegis listens (default: `http.public_url`, else `http.bind`, from the
    /// configuration).
    #[arg(long)]
    pub url: Option<String>,
    #[arg(long, default_value = "DEMO")]
    pub center: String,
    /// The center's secret (native `whsec_…`; for onecall the ASCII secret).
    #[arg(long, env = "AEGIS_SECRET")]
    pub secret: String,
    /// Secret for OneCall deliveries when the center uses another (default: --secret).
    #[arg(long)]
    pub onecall_secret: Option<String>,
    /// `native`, `onecall`, `openticket` or `mixed` (a tenth OneCall, a tenth Open Ticket).
    #[arg(long, default_value = "native", value_parser = ["native", "onecall", "openticket", "mixed"])]
    pub format: String,
    /// Tickets per second to offer; 0 sends as fast as the concurrency allows.
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Tickets to send.
    #[arg(long, default_value_t = 20_000)]
    pub count: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// After sending, wait until every accepted ticket has left the automatic states (needs an
    /// operator token) and report end-to-end figures.
    #[arg(long, env = "AEGIS_TOKEN")]
    pub token: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Send this native JSON ticket `count` times (each with its own ticket number) instead of
    /// generated ones: a burst of one kind of ticket, such as an emergency that alerts.
    #[arg(long)]
    pub ticket: Option<PathBuf>,
    /// Move each generated ticket's dig area to a random place in a square this many miles on
    /// a side around the demo area (where `aegis generate --facilities` lays its network), so
    /// that every ticket is screened against the layers there.
    #[arg(long)]
    pub within_miles: Option<f64>,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Where Aegis listens (default: `http.public_url`, else `http.bind`, from the
    /// configuration).
    #[arg(long)]
    pub url: Option<String>,
    #[arg(long, default_value = "DEMO")]
    pub center: String,
    #[arg(long, env = "AEGIS_SECRET")]
    pub secret: String,
    #[arg(long, value_enum, default_value = "native")]
    pub format: FormatArg,
    /// A native JSON ticket, (with --format onecall) a OneCall XML ticket, or (with --format
    /// openticket) an Open Ticket document, sent as it is with the secret as bearer token.
    pub file: PathBuf,
}
