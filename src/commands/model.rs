//! `aegis generate`, `aegis train`, `aegis score`.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::time::Instant;

use aegis_workflows::features::{self, FEATURES, FeatureVector};
use anyhow::{Context as _, anyhow, bail};
use serde_json::{Value, json};

use super::refusal::refused;
use crate::app::views::Skipped;
use crate::cli::{GenerateArgs, ScoreArgs, TrainArgs};
use crate::config::Settings;
use crate::formats::native;
use crate::risk::dataset::Dataset;
use crate::risk::forest::Forest;
use crate::risk::generate::{Generator, GeneratorConfig};
use crate::risk::scorer::{Explain, score_row};
use crate::risk::train::{self, TrainReport};
use crate::risk::treeshap::Scratch;
use crate::risk::xgboost_library::{self, TrainParams};
use crate::startup::load_model;

pub fn generate(settings: &Settings, args: &GenerateArgs) -> anyhow::Result<()> {
    if let Some(dir) = &args.facilities {
        facility_network(dir, args)?;
        if args.csv.is_none() && args.jsonl.is_none() && !args.db {
            return Ok(());
        }
    }
    if args.csv.is_none() && args.jsonl.is_none() && !args.db {
        bail!("say where to write: --csv FILE, --jsonl FILE, --db and/or --facilities DIR");
    }
    let started = Instant::now();
    // Tickets dig over the synthetic facility network and are screened as live ones are.
    let cfg = GeneratorConfig {
        seed: args.seed,
        damage_rate: args.damage_rate,
        expected_tickets: args.tickets,
        ..GeneratorConfig::with_world()?
    };
    let names: Vec<String> = features::names().into_iter().map(str::to_owned).collect();
    let mut csv = match &args.csv {
        Some(p) => {
            let mut w = BufWriter::with_capacity(
                1 << 20,
                File::create(p).with_context(|| format!("creating {}", p.display()))?,
            );
            Dataset::write_csv_header(&mut w, &names)?;
            Some(w)
        }
        None => None,
    };
    let mut jsonl = match &args.jsonl {
        Some(p) => Some(BufWriter::with_capacity(
            1 << 20,
            File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => None,
    };
    let tools = if args.db {
        Some(super::Tools::open(settings.clone())?)
    } else {
        None
    };
    let mut pending: Vec<(FeatureVector, bool)> = Vec::new();
    let mut damages = 0usize;
    let progress = super::progress(args.tickets as u64, "tickets");
    for (i, g) in Generator::new(&cfg).take(args.tickets).enumerate() {
        if i % 1000 == 0 {
            progress.set_position(i as u64);
        }
        let v = g.features();
        damages += usize::from(g.damaged);
        if let Some(w) = csv.as_mut() {
            Dataset::write_csv_row(w, &v, g.damaged)?;
        }
        if let Some(w) = jsonl.as_mut() {
            serde_json::to_writer(&mut *w, &g.ticket)?;
            w.write_all(b"\n")?;
        }
        if let Some(t) = &tools {
            pending.push((v, g.damaged));
            if pending.len() >= 10_000 {
                let rows = std::mem::take(&mut pending);
                t.run(|app| async move { app.store_generated_rows(rows).await })
                    .map_err(|e| refused(&e))?;
            }
        }
    }
    if let Some(t) = &tools
        && !pending.is_empty()
    {
        t.run(|app| async move { app.store_generated_rows(pending).await })
            .map_err(|e| refused(&e))?;
    }
    progress.finish_and_clear();
    if let Some(mut w) = csv {
        w.flush()?;
    }
    if let Some(mut w) = jsonl {
        w.flush()?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "generated {} tickets with {} damages ({:.2} per 1,000) in {:.1} s ({:.0} tickets/s)",
        args.tickets,
        damages,
        damages as f64 * 1000.0 / args.tickets.max(1) as f64,
        secs,
        args.tickets as f64 / secs.max(1e-9)
    );
    Ok(())
}

fn print_report(r: &TrainReport) {
    println!(
        "model {} ({}) written to {}",
        r.version, r.feature_schema, r.path
    );
    println!(
        "rows {} (positives {}), train/valid/test {}/{}/{}, {} rounds",
        r.rows, r.positives, r.train_rows, r.valid_rows, r.test_rows, r.rounds
    );
    // One column per schema trained: what knowing what is buried adds, on the same rows.
    let mut columns = vec![(r.feature_schema.as_str(), &r.test)];
    if let Some(b) = &r.baseline {
        columns.insert(0, (b.feature_schema.as_str(), &b.test));
    }
    println!(
        "held-out ({} tickets, base rate {:.4}):",
        r.test.rows, r.test.base_rate
    );
    print!("  {:<28}", "");
    for (schema, _) in &columns {
        print!("{schema:>20}");
    }
    println!();
    type Figure = fn(&train::Evaluation) -> f64;
    let rows: [(&str, Figure); 5] = [
        ("AUC", |t| t.auc),
        ("PR-AUC", |t| t.pr_auc),
        ("lift in the top decile", |t| t.lift_top_decile),
        ("Brier", |t| t.brier),
        ("log loss", |t| t.log_loss),
    ];
    for (name, value) in rows {
        print!("  {name:<28}");
        for (_, t) in &columns {
            print!("{:>20.4}", value(t));
        }
        println!();
    }
    println!("calibration (deciles of predicted risk): predicted -> observed (rows)");
    for (schema, t) in &columns {
        println!("  {schema}");
        for b in &t.calibration {
            println!(
                "    {:.5} -> {:.5} ({})",
                b.mean_predicted, b.observed, b.count
            );
        }
    }
}

pub fn train(settings: &Settings, args: &TrainArgs) -> anyhow::Result<()> {
    let (ds, tools) = match (&args.csv, args.from_db) {
        (Some(path), _) => {
            let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
            (
                Dataset::read_csv(BufReader::with_capacity(1 << 20, f))?,
                None,
            )
        }
        (None, true) => {
            let tools = super::Tools::open(settings.clone())?;
            let (ds, skipped) = tools
                .run(|app| async move { app.training_set().await })
                .map_err(|e| refused(&e))?;
            if skipped != Skipped::default() {
                eprintln!(
                    "left out: {} row(s) whose features do not read, {} scored under another feature schema than {}",
                    skipped.unreadable,
                    skipped.other_schema,
                    aegis_workflows::features::SCHEMA_VERSION
                );
            }
            (ds, Some(tools))
        }
        (None, false) => bail!("train from --csv FILE or --from-db"),
    };
    let params = TrainParams {
        rounds: args.rounds,
        max_depth: args.max_depth,
        eta: args.eta,
        seed: args.seed,
        progress: Some(super::progress(u64::from(args.rounds), "rounds")),
        ..TrainParams::default()
    };
    let report = train::run(&ds, &params, &args.out)?;
    if let Some(bar) = &params.progress {
        bar.finish_and_clear();
    }
    if let Some(tools) = tools {
        let recorded = report.clone();
        tools
            .run(|app| async move { app.record_trained_model(recorded).await })
            .map_err(|e| refused(&e))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(())
}

/// One input line as a feature vector, and the ticket number when it was a ticket.
fn features_of(line: &Value) -> anyhow::Result<(FeatureVector, Option<String>)> {
    let obj = line
        .as_object()
        .ok_or_else(|| anyhow!("each line must be a JSON object"))?;
    if let Some(f) = obj.get("features") {
        let map = f
            .as_object()
            .ok_or_else(|| anyhow!("'features' must be an object of name: number or null"))?;
        let mut v = FeatureVector::default();
        for (name, value) in map {
            let i = FEATURES
                .iter()
                .position(|d| d.name == name)
                .ok_or_else(|| anyhow!("unknown feature '{name}' (see --list-features)"))?;
            v.0[i] = match value {
                Value::Null => None,
                Value::Number(n) => n.as_f64().map(|x| x as f32),
                _ => bail!("feature '{name}' must be a number or null"),
            };
        }
        Ok((v, None))
    } else {
        let ticket = native::from_object(obj).map_err(|e| anyhow!("not a ticket: {e}"))?;
        // Offline there is no excavator history: those features are missing.
        let v = features::extract(&ticket, None);
        Ok((v, Some(ticket.ticket_number)))
    }
}

pub fn score(settings: &Settings, args: &ScoreArgs) -> anyhow::Result<()> {
    if args.list_features {
        println!("feature schema {}", features::SCHEMA_VERSION);
        for f in FEATURES {
            println!("{}\t{}", f.name, f.description);
        }
        return Ok(());
    }
    let input = args
        .input
        .as_ref()
        .ok_or_else(|| anyhow!("--input FILE.jsonl is required (use - for stdin)"))?;
    let (forest, bytes) = model_of(settings, args)?;
    let scoring = Scoring {
        schema: forest.feature_schema()?,
        forest,
        thresholds: settings.thresholds()?,
        top: args.top,
        check: args.check,
    };
    let reader: Box<dyn BufRead> = if input.as_os_str() == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        Box::new(BufReader::new(
            File::open(input).with_context(|| format!("opening {}", input.display()))?,
        ))
    };
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(BufWriter::new(File::create(p)?)),
        None => Box::new(BufWriter::new(std::io::stdout())),
    };
    let mut run = ScoreRun::default();
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let record = scoring.line(n + 1, &line, &mut run);
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    if args.check && !run.ours.is_empty() {
        check_against_xgboost(&bytes, &run, scoring.schema.count())?;
    }
    eprintln!("scored {} line(s), {} error(s)", run.ok, run.failed);
    if run.failed > 0 && run.ok == 0 {
        bail!("no line could be scored");
    }
    Ok(())
}

/// The model to score with (`--model`, else the configured or bundled one) and its bytes.
fn model_of(settings: &Settings, args: &ScoreArgs) -> anyhow::Result<(Forest, Vec<u8>)> {
    Ok(match &args.model {
        Some(p) => {
            let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
            (Forest::from_bytes(&bytes, &p.display().to_string())?, bytes)
        }
        None => {
            let f = load_model(settings)?;
            let bytes = if settings.model.path.is_empty() {
                crate::risk::BUNDLED_MODEL.to_vec()
            } else {
                std::fs::read(&settings.model.path)?
            };
            (f, bytes)
        }
    })
}

/// How lines are scored.
struct Scoring {
    forest: Forest,
    schema: aegis_workflows::features::Schema,
    thresholds: aegis_workflows::risk::BandThresholds,
    top: usize,
    check: bool,
}

/// What a run has scored: counts, and with `--check` the rows and Aegis's probabilities.
#[derive(Default)]
struct ScoreRun {
    scratch: Scratch,
    ok: usize,
    failed: usize,
    rows: Vec<f32>,
    ours: Vec<f64>,
}

impl Scoring {
    /// One input line's output record: its score, or why it could not be scored.
    fn line(&self, n: usize, line: &str, run: &mut ScoreRun) -> Value {
        let parsed = serde_json::from_str::<Value>(line)
            .map_err(|e| anyhow!("not JSON: {e}"))
            .and_then(|v| features_of(&v));
        let (v, ticket) = match parsed {
            Ok(p) => p,
            Err(e) => {
                run.failed += 1;
                return json!({ "line": n, "error": e.to_string() });
            }
        };
        let s = score_row(
            &self.forest,
            self.schema,
            &v,
            self.top,
            Explain::Exact,
            &mut run.scratch,
        );
        run.ok += 1;
        if self.check {
            run.rows
                .extend_from_slice(&v.to_dense()[..self.schema.count()]);
            run.ours.push(s.probability);
        }
        let mut r = json!({
            "line": n,
            "probability": s.probability,
            "band": self.thresholds.band(s.probability).as_str(),
            "model_version": s.model_version,
            "feature_schema": s.feature_schema,
            "top_features": s.top_features,
        });
        if let Some(t) = ticket {
            r["ticket_number"] = json!(t);
            r["features"] =
                Value::Object(v.named().map(|(k, x)| (k.to_owned(), json!(x))).collect());
        }
        r
    }
}

/// `--check`: the same rows through the XGBoost library; any difference over 1e-6 fails.
fn check_against_xgboost(model: &[u8], run: &ScoreRun, width: usize) -> anyhow::Result<()> {
    let booster = xgboost_library::load(model)?;
    let theirs = xgboost_library::predict(&booster, &run.rows, width)?;
    let worst = run
        .ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| (a - f64::from(*b)).abs())
        .fold(0.0, f64::max);
    eprintln!(
        "checked {} rows against XGBoost: largest difference {worst:.2e}",
        run.ours.len()
    );
    if worst > 1e-6 {
        bail!("Aegis and XGBoost disagree by {worst:.2e}");
    }
    Ok(())
}

/// `aegis generate --facilities DIR`: the synthetic network's layers as GeoJSON files.
fn facility_network(dir: &std::path::Path, args: &GenerateArgs) -> anyhow::Result<()> {
    use crate::facilities::synthetic::{DEMO_CENTER, LAYERS, NetworkSize, write_network};
    if !(args.facility_extent_miles.is_finite()
        && (0.1..=60.0).contains(&args.facility_extent_miles))
    {
        bail!("--facility-extent-miles is between 0.1 and 60");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let started = Instant::now();
    let mut files = Vec::new();
    for (name, _) in LAYERS {
        let path = dir.join(format!("{name}.geojson"));
        let f = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        files.push(BufWriter::with_capacity(1 << 20, f));
    }
    let mut files = <[BufWriter<File>; LAYERS.len()]>::try_from(files)
        .map_err(|_| anyhow::anyhow!("one file per layer"))?;
    let layers = {
        let [a, b, c, d, e, f] = &mut files;
        write_network(
            DEMO_CENTER,
            NetworkSize {
                extent_miles: args.facility_extent_miles,
                rural_miles: 2.0 * args.facility_extent_miles,
                seed: args.seed,
                services: !args.without_services,
            },
            [a, b, c, d, e, f],
        )?
    };
    for w in &mut files {
        std::io::Write::flush(w)?;
    }
    for l in &layers {
        println!(
            "{}/{}.geojson\t{}\t{} feature(s), {} segment(s)",
            dir.display(),
            l.name,
            l.class.as_str(),
            l.features,
            l.segments
        );
    }
    println!(
        "import each with: aegis facilities import NAME FILE --class CLASS ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
