//! Scoring speed (`cargo bench --bench scoring`, part of `make bench`): the native evaluator and
//! its explanations against the XGBoost library, and the scorer service a ticket goes through.

use std::time::{Duration, Instant};

use aegis::risk::forest::Forest;
use aegis::risk::generate::{Generator, GeneratorConfig};
use aegis::risk::scorer::{Explain, ForestScorer, ScorerOptions};
use aegis::risk::treeshap::{self, Scratch};
use aegis::risk::{self, xgboost_library as xgboost};
use aegis_actors::ports::{ScoreInput, Scorer};
use aegis_workflows::features::{COUNT, FeatureVector, V1_COUNT};

fn per_row(label: &str, rows: usize, elapsed: Duration) {
    println!(
        "{label:58} {:>9.2} µs/row",
        elapsed.as_secs_f64() * 1e6 / rows as f64
    );
}

fn percentile(v: &mut [Duration], p: f64) -> f64 {
    v.sort_unstable();
    v[((v.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e6
}

fn main() -> anyhow::Result<()> {
    let n = 20_000;
    // Over the facility network: rows carry schema v2's screening features, as live ones do.
    let cfg = GeneratorConfig {
        seed: 1,
        expected_tickets: n,
        ..GeneratorConfig::with_world()?
    };
    let vectors: Vec<FeatureVector> = Generator::new(&cfg).take(n).map(|g| g.features()).collect();
    let x: Vec<f32> = vectors.iter().flat_map(|v| v.to_dense()).collect();
    let forest = Forest::from_bytes(risk::BUNDLED_MODEL, "bundled")?;
    println!(
        "bundled model {}: {} trees, depth {}; {n} generated tickets",
        forest.version,
        forest.tree_count(),
        forest.max_depth()
    );

    let t = Instant::now();
    let mut sink = 0.0;
    for row in x.chunks(COUNT) {
        sink += forest.probability(row);
    }
    per_row("native probability", n, t.elapsed());

    let mut scratch = Scratch::default();
    let t = Instant::now();
    for row in x.chunks(COUNT).take(5_000) {
        sink += treeshap::recursive(&forest, row, &mut scratch)[0];
    }
    per_row(
        "native exact SHAP values (TreeSHAP, recursive)",
        5_000,
        t.elapsed(),
    );
    let t = Instant::now();
    for row in x.chunks(COUNT) {
        sink += treeshap::contributions(&forest, row, &mut scratch)[0];
    }
    per_row(
        "native exact SHAP values (precomputed tables)",
        n,
        t.elapsed(),
    );

    let t = Instant::now();
    for row in x.chunks(COUNT) {
        sink += forest.approx_contributions(row)[0];
    }
    per_row("native approximate contributions (Saabas)", n, t.elapsed());

    let booster = xgboost::load(risk::BUNDLED_MODEL)?;
    let t = Instant::now();
    let _ = xgboost::predict(&booster, &x, COUNT)?;
    per_row("XGBoost library, one batch of 20,000 rows", n, t.elapsed());
    let t = Instant::now();
    for row in x.chunks(COUNT).take(2_000) {
        sink += f64::from(xgboost::predict(&booster, row, COUNT)?[0]);
    }
    per_row("XGBoost library, one row per call", 2_000, t.elapsed());
    let t = Instant::now();
    let _ = xgboost::contributions(&booster, &x[..5_000 * COUNT], COUNT, false)?;
    per_row(
        "XGBoost library SHAP, one batch of 5,000 rows",
        5_000,
        t.elapsed(),
    );

    // The scorer service, as tickets reach it.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    // The v1 model (a fixture, what was bundled before schema v2) on the same tickets, for
    // what reading what is buried costs.
    let v1_model: &[u8] = include_bytes!("../tests/fixtures/models/features-v1.json");
    let v1 = Forest::from_bytes(v1_model, "v1")?;
    let t = Instant::now();
    for row in x.chunks(COUNT) {
        sink += v1.probability(&row[..V1_COUNT]);
    }
    per_row("v1 model, native probability", n, t.elapsed());
    let high = vectors
        .iter()
        .filter(|v| forest.probability(&v.to_dense()) >= 0.02)
        .count();
    let high_v1 = vectors
        .iter()
        .filter(|v| v1.probability(&v.to_dense()[..V1_COUNT]) >= 0.02)
        .count();
    println!("high band (exact SHAP under auto): {high} of {n} tickets (v2), {high_v1} (v1)");
    for (label, explain, model) in [
        (
            "exact SHAP for every ticket",
            Explain::Exact,
            risk::BUNDLED_MODEL,
        ),
        (
            "auto (exact for the high band)",
            Explain::ExactFrom(0.02),
            risk::BUNDLED_MODEL,
        ),
        ("v1 model, auto", Explain::ExactFrom(0.02), v1_model),
    ] {
        let scorer = ForestScorer::start(
            Forest::from_bytes(model, label)?,
            ScorerOptions {
                threads: 1,
                max_batch: 256,
                queue: 100_000,
                top: 5,
                explain,
                panic_on_ticket: None,
            },
        )?;
        rt.block_on(async {
            let mut lone = Vec::with_capacity(2_000);
            for v in vectors.iter().take(2_000) {
                let t = Instant::now();
                let _ = scorer
                    .score(ScoreInput {
                        ticket_number: "b".into(),
                        features: v.clone(),
                    })
                    .await;
                lone.push(t.elapsed());
            }
            println!(
                "scorer service, lone ticket, {label:30} p50 {:>7.1} µs  p99 {:>7.1} µs",
                percentile(&mut lone, 0.5),
                percentile(&mut lone, 0.99)
            );
            let t = Instant::now();
            let futs: Vec<_> = vectors
                .iter()
                .map(|v| {
                    scorer.score(ScoreInput {
                        ticket_number: "b".into(),
                        features: v.clone(),
                    })
                })
                .collect();
            for f in futs {
                let _ = f.await;
            }
            per_row(
                &format!("scorer service, 20,000 at once, {label}"),
                n,
                t.elapsed(),
            );
        });
    }
    std::hint::black_box(sink);
    Ok(())
}
