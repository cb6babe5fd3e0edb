//! The XGBoost library, through the `xgb` bindings: training, and predictions used to prove
//! that the native evaluator agrees with the library (golden test, `aegis score --check`).

use anyhow::{Context as _, anyhow};
use xgb::parameters::BoosterParameters;
use xgb::{Booster, DMatrix};

use super::dataset::Dataset;

/// Training settings. `max_delta_step` keeps the rare positive class from pushing leaf values
/// to extremes while leaving probabilities calibrated (XGBoost's advice for imbalanced data
/// when probabilities matter, which they do: bands are thresholds on them).
#[derive(Debug, Clone)]
pub struct TrainParams {
    pub rounds: u32,
    pub early_stopping: u32,
    pub eta: f64,
    pub max_depth: u32,
    pub min_child_weight: f64,
    pub subsample: f64,
    pub colsample_bytree: f64,
    pub max_delta_step: f64,
    pub lambda: f64,
    pub seed: u64,
    pub threads: u32,
    /// Shows the rounds trained (a command on a terminal; hidden elsewhere).
    pub progress: Option<indicatif::ProgressBar>,
}

impl Default for TrainParams {
    fn default() -> Self {
        Self {
            rounds: 600,
            early_stopping: 50,
            eta: 0.08,
            max_depth: 4,
            min_child_weight: 2.0,
            subsample: 0.8,
            colsample_bytree: 0.8,
            max_delta_step: 1.0,
            lambda: 2.0,
            seed: 42,
            threads: 2,
            progress: None,
        }
    }
}

fn xe(e: xgb::XGBError) -> anyhow::Error {
    anyhow!("XGBoost: {e}")
}

pub fn dmatrix(ds: &Dataset) -> anyhow::Result<DMatrix> {
    let mut m = DMatrix::from_dense_with_missing(&ds.x, ds.rows(), f32::NAN).map_err(xe)?;
    m.set_labels(&ds.y).map_err(xe)?;
    let names: Vec<&str> = ds.names.iter().map(String::as_str).collect();
    m.set_feature_names(&names).map_err(xe)?;
    Ok(m)
}

/// A trained booster with the round it stopped at.
pub struct Trained {
    pub booster: Booster,
    pub best_round: u32,
    pub best_valid_logloss: f32,
}

/// Trains on `train`, stopping early when log loss on `valid` stops improving.
pub fn train(train: &Dataset, valid: &Dataset, p: &TrainParams) -> anyhow::Result<Trained> {
    let dtrain = dmatrix(train)?;
    let dvalid = dmatrix(valid)?;
    let mut bst =
        Booster::new_with_cached_dmats(&BoosterParameters::default(), &[&dtrain, &dvalid])
            .map_err(xe)?;
    let prevalence = (train.positives() as f64 / train.rows().max(1) as f64).clamp(1e-6, 0.5);
    let settings = [
        ("objective", "binary:logistic".to_owned()),
        // Log loss is smooth where PR-AUC, with a few hundred positives, is noise.
        ("eval_metric", "logloss".to_owned()),
        ("tree_method", "hist".to_owned()),
        ("eta", p.eta.to_string()),
        ("max_depth", p.max_depth.to_string()),
        ("min_child_weight", p.min_child_weight.to_string()),
        ("subsample", p.subsample.to_string()),
        ("colsample_bytree", p.colsample_bytree.to_string()),
        ("max_delta_step", p.max_delta_step.to_string()),
        ("lambda", p.lambda.to_string()),
        ("base_score", prevalence.to_string()),
        ("seed", p.seed.to_string()),
        ("nthread", p.threads.to_string()),
        ("verbosity", "0".to_owned()),
    ];
    for (k, v) in &settings {
        bst.set_param(k, v).map_err(xe)?;
    }
    let names: Vec<&str> = train.names.iter().map(String::as_str).collect();
    bst.set_feature_names(&names.to_vec()).map_err(xe)?;
    let mut best = (0u32, f32::MAX);
    if let Some(bar) = &p.progress {
        bar.set_length(u64::from(p.rounds));
        bar.set_position(0);
    }
    for round in 0..p.rounds {
        bst.update(&dtrain, round as i32).map_err(xe)?;
        if let Some(bar) = &p.progress {
            bar.inc(1);
        }
        let eval = bst.evaluate(&dvalid).map_err(xe)?;
        let loss = eval.get("logloss").copied().unwrap_or(f32::MAX);
        if loss < best.1 {
            best = (round, loss);
        } else if round - best.0 >= p.early_stopping {
            break;
        }
    }
    let booster = bst.slice(0, best.0 as i32 + 1).map_err(xe)?;
    Ok(Trained {
        booster,
        best_round: best.0,
        best_valid_logloss: best.1,
    })
}

/// Loads a model file into the library.
pub fn load(bytes: &[u8]) -> anyhow::Result<Booster> {
    Booster::load_buffer(bytes)
        .map_err(xe)
        .context("loading the model into XGBoost")
}

/// XGBoost's own probabilities for the rows of `x` (row-major, `width` columns).
pub fn predict(b: &Booster, x: &[f32], width: usize) -> anyhow::Result<Vec<f32>> {
    let m = DMatrix::from_dense_with_missing(x, x.len() / width.max(1), f32::NAN).map_err(xe)?;
    b.predict(&m).map_err(xe)
}

/// XGBoost's own SHAP values (`approx = false`) or approximate contributions, `width + 1` per
/// row (the last one the bias).
pub fn contributions(
    b: &Booster,
    x: &[f32],
    width: usize,
    approx: bool,
) -> anyhow::Result<Vec<f32>> {
    let m = DMatrix::from_dense_with_missing(x, x.len() / width.max(1), f32::NAN).map_err(xe)?;
    let cfg = xgb::PredictConfig {
        _type: if approx {
            xgb::PredictType::PredictApproximateContributions
        } else {
            xgb::PredictType::PredictContribitions
        },
        ..Default::default()
    };
    let (out, _shape) = b.predict_matrix(&m, &cfg.as_json()).map_err(xe)?;
    Ok(out)
}
