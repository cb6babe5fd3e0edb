//! Golden tests: Aegis's native evaluation of XGBoost models equals XGBoost's own predictions —
//! for the bundled model, for models Aegis trains (JSON and UBJSON), and for a model trained by
//! Python's xgboost — including rows with missing values, and its SHAP values equal XGBoost's
//! `pred_contribs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aegis::risk::dataset::Dataset;
use aegis::risk::forest::Forest;
use aegis::risk::generate::{Generator, GeneratorConfig};
use aegis::risk::treeshap::{self, Scratch};
use aegis::risk::{self, train, xgboost_library as xgboost};
use aegis_workflows::features::{self, COUNT};
use rand::{Rng, SeedableRng};

const PROBABILITY_TOLERANCE: f64 = 1e-6;
/// XGBoost computes SHAP values in single precision; ours follow the same steps.
const SHAP_TOLERANCE: f64 = 1e-4;

/// Realistic rows from the synthetic history, then the same rows with extra values blanked.
fn rows(n: usize, seed: u64) -> Vec<f32> {
    // Over the facility network, so the rows carry schema v2's screening features.
    let cfg = GeneratorConfig {
        seed,
        expected_tickets: n,
        ..GeneratorConfig::with_world().unwrap()
    };
    let mut out = Vec::with_capacity(n * COUNT * 2);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let generated: Vec<_> = Generator::new(&cfg).take(n).collect();
    for g in &generated {
        out.extend(g.features().to_dense());
    }
    for g in &generated {
        let mut row = g.features().to_dense();
        for v in row.iter_mut() {
            if rng.random::<f64>() < 0.3 {
                *v = f32::NAN;
            }
        }
        out.extend(row);
    }
    out
}

fn assert_same_predictions(model: &[u8], x: &[f32], width: usize) {
    let forest = Forest::from_bytes(model, "golden").unwrap();
    let booster = xgboost::load(model).unwrap();
    let theirs = xgboost::predict(&booster, x, width).unwrap();
    assert!(theirs.len() >= 1000, "need at least 1,000 rows");
    let mut missing_rows = 0;
    let mut worst = 0.0f64;
    for (i, row) in x.chunks(width).enumerate() {
        missing_rows += usize::from(row.iter().any(|v| v.is_nan()));
        let ours = forest.probability(row);
        worst = worst.max((ours - f64::from(theirs[i])).abs());
        // The scorer's single walk (margin with approximate contributions) agrees too.
        let mut phi = Vec::new();
        let walked = aegis::risk::forest::sigmoid(forest.margin_and_approx(row, &mut phi));
        worst = worst.max((walked - f64::from(theirs[i])).abs());
    }
    assert!(
        worst <= PROBABILITY_TOLERANCE,
        "largest difference {worst:e}"
    );
    assert!(
        missing_rows > 500,
        "rows with missing values are covered ({missing_rows})"
    );
}

fn assert_same_contributions(model: &[u8], x: &[f32], width: usize, rows: usize) {
    let forest = Forest::from_bytes(model, "golden").unwrap();
    let booster = xgboost::load(model).unwrap();
    let x = &x[..rows * width];
    let exact = xgboost::contributions(&booster, x, width, false).unwrap();
    let approx = xgboost::contributions(&booster, x, width, true).unwrap();
    let mut scratch = Scratch::default();
    for (i, row) in x.chunks(width).enumerate() {
        let ours = treeshap::contributions(&forest, row, &mut scratch);
        let theirs = &exact[i * (width + 1)..(i + 1) * (width + 1)];
        for (j, (a, b)) in ours.iter().zip(theirs).enumerate() {
            assert!(
                (a - f64::from(*b)).abs() <= SHAP_TOLERANCE,
                "row {i} feature {j}: SHAP {a} vs XGBoost {b}"
            );
        }
        let ours = forest.approx_contributions(row);
        let theirs = &approx[i * (width + 1)..(i + 1) * (width + 1)];
        for (j, (a, b)) in ours.iter().zip(theirs).enumerate() {
            assert!(
                (a - f64::from(*b)).abs() <= SHAP_TOLERANCE,
                "row {i} feature {j}: approx {a} vs XGBoost {b}"
            );
        }
    }
}

#[test]
fn the_bundled_model_scores_exactly_like_xgboost() {
    let x = rows(1000, 3);
    assert_same_predictions(risk::BUNDLED_MODEL, &x, COUNT);
    assert_same_contributions(risk::BUNDLED_MODEL, &x, COUNT, 300);
}

#[test]
fn a_deeper_model_in_json_and_ubjson_scores_exactly_like_xgboost() {
    let names: Vec<String> = features::names().into_iter().map(str::to_owned).collect();
    let mut ds = Dataset::new(names);
    let cfg = GeneratorConfig {
        seed: 9,
        damage_rate: 0.05,
        expected_tickets: 20_000,
        ..GeneratorConfig::with_world().unwrap()
    };
    for g in Generator::new(&cfg).take(20_000) {
        ds.push(&g.features(), g.damaged);
    }
    let params = xgboost::TrainParams {
        rounds: 40,
        early_stopping: 40,
        max_depth: 7,
        ..xgboost::TrainParams::default()
    };
    let trained = xgboost::train(&ds, &ds, &params).unwrap();
    let json = trained.booster.save_buffer(false).unwrap();
    let ubj = trained.booster.save_buffer(true).unwrap();
    assert!(
        serde_json::from_slice::<serde_json::Value>(&ubj).is_err(),
        "UBJSON really is not JSON"
    );
    let x = rows(1000, 4);
    assert_same_predictions(&json, &x, COUNT);
    assert_same_predictions(&ubj, &x, COUNT);
    assert_same_contributions(&ubj, &x, COUNT, 200);
}

#[test]
fn a_model_trained_in_python_scores_like_python_said() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/python");
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let rows: Vec<Vec<f32>> = expected["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().map_or(f32::NAN, |f| f as f32))
                .collect()
        })
        .collect();
    for file in ["model.json", "model.ubj"] {
        let forest = Forest::load(&dir.join(file), 1 << 26).unwrap();
        // Trained on schema v1's features: still read, with v1's head of a vector.
        assert_eq!(forest.feature_schema().unwrap(), features::Schema::V1);
        for (row, p) in rows
            .iter()
            .zip(expected["probabilities"].as_array().unwrap())
        {
            let d = (forest.probability(row) - p.as_f64().unwrap()).abs();
            assert!(d <= PROBABILITY_TOLERANCE, "{file}: {d:e}");
        }
        let mut scratch = Scratch::default();
        for (row, c) in rows
            .iter()
            .zip(expected["contributions"].as_array().unwrap())
        {
            let ours = treeshap::contributions(&forest, row, &mut scratch);
            for (a, b) in ours.iter().zip(c.as_array().unwrap()) {
                assert!(
                    (a - b.as_f64().unwrap()).abs() <= SHAP_TOLERANCE,
                    "{file}: {a} vs {b}"
                );
            }
        }
    }
}

#[test]
fn a_model_with_other_features_is_refused_with_a_clear_error() {
    let mut v: serde_json::Value = serde_json::from_slice(risk::BUNDLED_MODEL).unwrap();
    v["learner"]["feature_names"][3] = serde_json::json!("renamed");
    let forest = Forest::from_bytes(v.to_string().as_bytes(), "x").unwrap();
    let err = forest.feature_schema().unwrap_err().to_string();
    assert!(
        err.contains("feature 3 is 'renamed', expected 'update_or_remark'"),
        "{err}"
    );
}

#[test]
fn retraining_changes_the_version_and_the_scores() {
    let names: Vec<String> = features::names().into_iter().map(str::to_owned).collect();
    let mut ds = Dataset::new(names);
    let cfg = GeneratorConfig {
        seed: 77,
        damage_rate: 0.01,
        expected_tickets: 60_000,
        ..GeneratorConfig::default()
    };
    for g in Generator::new(&cfg).take(60_000) {
        ds.push(&g.features(), g.damaged);
    }
    let out = std::env::temp_dir().join(format!(
        "aegis-retrain-{}.json",
        uuid::Uuid::new_v4().simple()
    ));
    let report = train::run(
        &ds,
        &xgboost::TrainParams {
            rounds: 80,
            ..Default::default()
        },
        &out,
    )
    .unwrap();
    let bundled = Forest::from_bytes(risk::BUNDLED_MODEL, "bundled").unwrap();
    let fresh = Forest::load(&out, 1 << 26).unwrap();
    assert_eq!(fresh.version, report.version);
    assert_ne!(fresh.version, bundled.version);
    assert!(
        report.test.auc > 0.6,
        "the new model learned something: AUC {}",
        report.test.auc
    );
    let x = rows(200, 5);
    let differ = x
        .chunks(COUNT)
        .filter(|r| (fresh.probability(r) - bundled.probability(r)).abs() > 1e-4)
        .count();
    assert!(differ > 150, "scores changed for {differ} of 200 rows");
    let _ = std::fs::remove_file(out);
}

#[test]
fn a_v1_model_still_loads_and_scores_v1s_head_of_a_v2_vector() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/models/features-v1.json");
    let model = std::fs::read(path).unwrap();
    let forest = Forest::from_bytes(&model, "v1").unwrap();
    assert_eq!(forest.feature_schema().unwrap(), features::Schema::V1);
    let v2_rows = rows(1000, 6);
    let x: Vec<f32> = v2_rows
        .chunks(COUNT)
        .flat_map(|r| r[..features::V1_COUNT].to_vec())
        .collect();
    assert_same_predictions(&model, &x, features::V1_COUNT);
    // The scorer hands the whole v2 vector over; the v1 model reads its head and names only
    // v1's features among its reasons.
    let cfg = GeneratorConfig {
        seed: 8,
        expected_tickets: 200,
        ..GeneratorConfig::with_world().unwrap()
    };
    let mut scratch = Scratch::default();
    for g in Generator::new(&cfg).take(200) {
        let v = g.features();
        let dense = v.to_dense();
        let s = aegis::risk::scorer::score_row(
            &forest,
            features::Schema::V1,
            &v,
            5,
            aegis::risk::scorer::Explain::Exact,
            &mut scratch,
        );
        assert_eq!(
            s.probability,
            forest.probability(&dense[..features::V1_COUNT])
        );
        assert_eq!(s.feature_schema, "aegis-features-v1");
        let v1 = features::Schema::V1.names();
        assert!(
            s.top_features
                .iter()
                .all(|c| v1.contains(&c.feature.as_str())),
            "{:?}",
            s.top_features
        );
    }
}
