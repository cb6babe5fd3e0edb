//! Training a model: split the labelled rows, train with XGBoost, measure on held-out rows,
//! and write a versioned model in XGBoost's own JSON format.

use std::path::Path;

use aegis_workflows::features::{self, Schema};
use aegis_workflows::quality;
use anyhow::{Context as _, bail};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::dataset::Dataset;
use super::forest::{ATTR_SCHEMA, ATTR_VERSION, Forest};
use super::xgboost_library::{self, TrainParams};

pub use aegis_workflows::quality::{CalibrationBin, auc, pr_auc};

#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub rows: usize,
    pub positives: usize,
    pub auc: f64,
    pub pr_auc: f64,
    pub brier: f64,
    pub log_loss: f64,
    pub mean_predicted: f64,
    pub base_rate: f64,
    /// Damage rate among the tenth of tickets the model ranks riskiest, over the base rate.
    pub lift_top_decile: f64,
    pub calibration: Vec<CalibrationBin>,
}

/// The same split trained on schema v1's features alone: what knowing what is buried adds.
#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    pub feature_schema: String,
    pub rounds: u32,
    pub test: Evaluation,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    pub version: String,
    pub path: String,
    pub rows: usize,
    pub positives: usize,
    pub train_rows: usize,
    pub valid_rows: usize,
    pub test_rows: usize,
    pub rounds: u32,
    pub trees: usize,
    pub feature_schema: String,
    pub test: Evaluation,
    /// For a v2 model: a v1 model on the same rows and split (not written anywhere).
    pub baseline: Option<Baseline>,
}

pub fn evaluate(pred: &[f64], y: &[f32]) -> Evaluation {
    let n = pred.len().max(1) as f64;
    let positives = y.iter().filter(|&&v| v > 0.5).count();
    let brier = quality::brier(pred, y);
    let log_loss = -pred
        .iter()
        .zip(y)
        .map(|(p, &t)| {
            let p = p.clamp(1e-15, 1.0 - 1e-15);
            if t > 0.5 { p.ln() } else { (1.0 - p).ln() }
        })
        .sum::<f64>()
        / n;
    let base_rate = positives as f64 / n;
    Evaluation {
        lift_top_decile: quality::lift_top_decile(pred, y),
        rows: pred.len(),
        positives,
        auc: auc(pred, y),
        pr_auc: pr_auc(pred, y),
        brier,
        log_loss,
        mean_predicted: pred.iter().sum::<f64>() / n,
        base_rate,
        calibration: quality::calibration(pred, y),
    }
}

/// Inserts Aegis's attributes (version, feature schema) into a model saved as JSON.
fn stamp(model: &[u8], version: &str, schema: Schema) -> anyhow::Result<Vec<u8>> {
    let mut v: serde_json::Value =
        serde_json::from_slice(model).context("reading the trained model")?;
    let attrs = v
        .pointer_mut("/learner/attributes")
        .and_then(|a| a.as_object_mut())
        .context("the trained model has no attributes object")?;
    attrs.insert(ATTR_VERSION.into(), version.into());
    attrs.insert(ATTR_SCHEMA.into(), schema.as_str().into());
    Ok(serde_json::to_vec(&v)?)
}

/// A model trained and measured on one split.
struct Fitted {
    model: Vec<u8>,
    version: String,
    rounds: u32,
    trees: usize,
    test: Evaluation,
}

fn fit(
    schema: Schema,
    split: [&Dataset; 3],
    params: &TrainParams,
    source: &str,
) -> anyhow::Result<Fitted> {
    let [train, valid, test] = split;
    let trained = xgboost_library::train(train, valid, params)?;
    let raw = trained
        .booster
        .save_buffer(false)
        .map_err(|e| anyhow::anyhow!("XGBoost: {e}"))?;
    let digest = hex::encode(Sha256::digest(&raw));
    let version = format!(
        "aegis-{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
        &digest[..8]
    );
    let model = stamp(&raw, &version, schema)?;
    let forest = Forest::from_bytes(&model, source)?;
    if forest.feature_schema()? != schema {
        bail!("the trained model does not read {}", schema.as_str());
    }
    let pred: Vec<f64> = (0..test.rows())
        .map(|i| forest.probability(test.row(i)))
        .collect();
    Ok(Fitted {
        model,
        version,
        rounds: trained.best_round + 1,
        trees: forest.tree_count(),
        test: evaluate(&pred, &test.y),
    })
}

/// Trains on `data` (v1's or v2's columns) and writes the model to `out`. A v2 set also trains
/// v1's features on the same split, for the report.
pub fn run(data: &Dataset, params: &TrainParams, out: &Path) -> anyhow::Result<TrainReport> {
    let Some(schema) = Schema::of_names(&data.names) else {
        bail!(
            "the training columns match no feature schema; {} is: {}",
            features::SCHEMA_VERSION,
            features::names().join(",")
        );
    };
    let positives = data.positives();
    if positives < 10 || data.rows() - positives < 10 {
        bail!(
            "need at least 10 damaged and 10 undamaged tickets to train; have {positives} of {}",
            data.rows()
        );
    }
    let mut idx: Vec<usize> = (0..data.rows()).collect();
    idx.shuffle(&mut StdRng::seed_from_u64(params.seed));
    let n_test = data.rows() * 15 / 100;
    let n_valid = data.rows() * 15 / 100;
    let test = data.select(&idx[..n_test]);
    let valid = data.select(&idx[n_test..n_test + n_valid]);
    let train = data.select(&idx[n_test + n_valid..]);
    let source = out.display().to_string();
    let fitted = fit(schema, [&train, &valid, &test], params, &source)?;
    let baseline = if schema == Schema::V2 {
        let head = |d: &Dataset| d.head(features::V1_COUNT);
        let v1 = fit(
            Schema::V1,
            [&head(&train), &head(&valid), &head(&test)],
            params,
            "baseline",
        )?;
        Some(Baseline {
            feature_schema: Schema::V1.as_str().to_owned(),
            rounds: v1.rounds,
            test: v1.test,
        })
    } else {
        None
    };
    if let Some(dir) = out.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(out, &fitted.model).with_context(|| format!("writing {}", out.display()))?;
    Ok(TrainReport {
        version: fitted.version,
        path: source,
        rows: data.rows(),
        positives,
        train_rows: train.rows(),
        valid_rows: valid.rows(),
        test_rows: test.rows(),
        rounds: fitted.rounds,
        trees: fitted.trees,
        feature_schema: schema.as_str().to_owned(),
        test: fitted.test,
        baseline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_and_average_precision_match_hand_computed_values() {
        let pred = [0.1, 0.4, 0.35, 0.8];
        let y = [0.0, 0.0, 1.0, 1.0];
        assert!((auc(&pred, &y) - 0.75).abs() < 1e-12);
        // Ranked: 0.8 (pos) P=1 R=.5; 0.4 (neg); 0.35 (pos) P=2/3 R=1.
        assert!((pr_auc(&pred, &y) - (0.5 * 1.0 + 0.5 * 2.0 / 3.0)).abs() < 1e-12);
        assert_eq!(auc(&[0.5, 0.5], &[0.0, 1.0]), 0.5);
        assert_eq!(auc(&[0.1], &[1.0]), 0.5);
    }

    #[test]
    fn calibration_bins_cover_every_row() {
        let pred: Vec<f64> = (0..95).map(|i| i as f64 / 100.0).collect();
        let y: Vec<f32> = (0..95)
            .map(|i| if i % 3 == 0 { 1.0 } else { 0.0 })
            .collect();
        let e = evaluate(&pred, &y);
        assert_eq!(e.calibration.iter().map(|b| b.count).sum::<usize>(), 95);
        assert!(e.brier > 0.0 && e.log_loss > 0.0);
    }
}
