//! How good a model's probabilities are, from predictions and what happened (issue 34): ROC
//! AUC with tied ranks shared, PR AUC as average precision (scikit-learn's definition), the
//! Brier score, ten calibration bins of equal count with the expected calibration error, the
//! lift of the riskiest tenth, and the population stability index between two distributions
//! of a feature. Pure arithmetic: training's held-out figures and the live ones are the same.

use serde::{Deserialize, Serialize};

/// Fewer damages than this and a ranking figure says nothing (contract §16).
pub const MIN_POSITIVES: usize = 10;

/// One calibration bin: its tickets, their mean predicted probability and observed rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    pub mean_predicted: f64,
    pub observed: f64,
    pub count: usize,
}

fn positive(y: f32) -> bool {
    y > 0.5
}

/// Indices of `pred` from the lowest prediction to the highest.
fn ascending(pred: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..pred.len()).collect();
    idx.sort_by(|&a, &b| pred[a].total_cmp(&pred[b]));
    idx
}

/// The end (exclusive) of the run of equal predictions that starts at `i` in `idx`.
fn tie_end(pred: &[f64], idx: &[usize], i: usize) -> usize {
    let mut j = i + 1;
    while j < idx.len() && pred[idx[j]] == pred[idx[i]] {
        j += 1;
    }
    j
}

/// Area under the ROC curve (ties share their rank); 0.5 when one class is missing.
pub fn auc(pred: &[f64], y: &[f32]) -> f64 {
    let idx = ascending(pred);
    let pos = y.iter().filter(|&&v| positive(v)).count() as f64;
    let neg = y.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return 0.5;
    }
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let j = tie_end(pred, &idx, i);
        let avg_rank = (i + j - 1) as f64 / 2.0 + 1.0;
        rank_sum += idx[i..j].iter().filter(|&&k| positive(y[k])).count() as f64 * avg_rank;
        i = j;
    }
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// Average precision: the area under the precision-recall curve, as scikit-learn defines it
/// (a step at each distinct threshold); 0 without positives.
pub fn pr_auc(pred: &[f64], y: &[f32]) -> f64 {
    let mut idx = ascending(pred);
    idx.reverse();
    let pos = y.iter().filter(|&&v| positive(v)).count() as f64;
    if pos == 0.0 {
        return 0.0;
    }
    let (mut tp, mut seen, mut ap, mut last_recall) = (0.0, 0.0, 0.0, 0.0);
    let mut i = 0;
    while i < idx.len() {
        let j = tie_end(pred, &idx, i);
        tp += idx[i..j].iter().filter(|&&k| positive(y[k])).count() as f64;
        seen += (j - i) as f64;
        let recall = tp / pos;
        ap += (recall - last_recall) * (tp / seen);
        last_recall = recall;
        i = j;
    }
    ap
}

/// Mean squared difference between the probability and what happened (0 or 1).
pub fn brier(pred: &[f64], y: &[f32]) -> f64 {
    let n = pred.len().max(1) as f64;
    pred.iter()
        .zip(y)
        .map(|(p, &t)| (p - f64::from(t)).powi(2))
        .sum::<f64>()
        / n
}

/// Ten bins of (nearly) equal count by predicted probability, lowest first. Equal counts,
/// not equal widths: damage probabilities sit near zero, where ten equal widths would put
/// every ticket in the first bin.
pub fn calibration(pred: &[f64], y: &[f32]) -> Vec<CalibrationBin> {
    let idx = ascending(pred);
    idx.chunks(idx.len().div_ceil(10).max(1))
        .map(|chunk| CalibrationBin {
            mean_predicted: chunk.iter().map(|&i| pred[i]).sum::<f64>() / chunk.len() as f64,
            observed: chunk.iter().map(|&i| f64::from(y[i])).sum::<f64>() / chunk.len() as f64,
            count: chunk.len(),
        })
        .collect()
}

/// Expected calibration error: the bins' |mean predicted − observed|, weighted by their count.
pub fn expected_calibration_error(bins: &[CalibrationBin]) -> f64 {
    let n: usize = bins.iter().map(|b| b.count).sum();
    if n == 0 {
        return 0.0;
    }
    bins.iter()
        .map(|b| b.count as f64 * (b.mean_predicted - b.observed).abs())
        .sum::<f64>()
        / n as f64
}

/// Damage rate among the riskiest tenth over the overall rate (0 without damages).
pub fn lift_top_decile(pred: &[f64], y: &[f32]) -> f64 {
    let n = pred.len();
    let positives = y.iter().filter(|&&v| positive(v)).count();
    if n == 0 || positives == 0 {
        return 0.0;
    }
    let idx = ascending(pred);
    let top = n.div_ceil(10);
    let hits = idx
        .iter()
        .rev()
        .take(top)
        .filter(|&&i| positive(y[i]))
        .count();
    (hits as f64 / top as f64) / (positives as f64 / n as f64)
}

/// Below this share a bin counts as this share in the PSI, so an empty bin on one side is
/// a large but finite term (the convention of Evidently and most monitoring tools).
pub const PSI_FLOOR: f64 = 1e-4;

/// Population stability index between a reference distribution and an actual one over the
/// same bins (shares or counts: each side is normalized): Σ (a − r) · ln(a / r).
pub fn psi(reference: &[f64], actual: &[f64]) -> f64 {
    let total = |v: &[f64]| v.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let (rt, at) = (total(reference), total(actual));
    reference
        .iter()
        .zip(actual)
        .map(|(r, a)| {
            let (r, a) = ((r / rt).max(PSI_FLOOR), (a / at).max(PSI_FLOOR));
            (a - r) * (a / r).ln()
        })
        .sum()
}

/// How a PSI reads (the usual thresholds): below 0.1 stable, to 0.25 moderate, above major.
pub fn psi_reading(psi: f64) -> &'static str {
    if psi < 0.1 {
        "stable"
    } else if psi <= 0.25 {
        "moderate"
    } else {
        "major"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_known_by_construction() {
        // Perfect ranking: every damage above every non-damage.
        let pred = [0.1, 0.2, 0.3, 0.8, 0.9];
        let y = [0.0, 0.0, 0.0, 1.0, 1.0];
        assert_eq!(auc(&pred, &y), 1.0);
        assert_eq!(pr_auc(&pred, &y), 1.0);
        // All tied: a coin.
        assert_eq!(auc(&[0.5; 4], &[0.0, 1.0, 0.0, 1.0]), 0.5);
        // One inversion of six pairs (2 damages × 3 others): 5/6.
        let y = [0.0, 0.0, 1.0, 0.0, 1.0];
        assert!((auc(&pred, &y) - 5.0 / 6.0).abs() < 1e-12);
        // Precision 1 at recall ½ (0.9), then 2/3 at recall 1 (0.8, 0.3): ½·1 + ½·⅔.
        let y = [0.0, 0.0, 1.0, 0.0, 1.0];
        assert!((pr_auc(&pred, &y) - (0.5 + 0.5 * 2.0 / 3.0)).abs() < 1e-12);
        // Brier of certain, right answers is 0; of 0.5 everywhere, 0.25.
        assert_eq!(brier(&[1.0, 0.0], &[1.0, 0.0]), 0.0);
        assert_eq!(brier(&[0.5, 0.5], &[1.0, 0.0]), 0.25);
    }

    #[test]
    fn calibration_bins_split_by_count_and_weigh_the_error() {
        let pred: Vec<f64> = (0..20).map(|i| f64::from(i) / 100.0).collect();
        let y: Vec<f32> = (0..20).map(|i| if i >= 18 { 1.0 } else { 0.0 }).collect();
        let bins = calibration(&pred, &y);
        assert_eq!(bins.len(), 10);
        assert!(bins.iter().all(|b| b.count == 2));
        assert_eq!(bins[9].observed, 1.0);
        assert!((bins[9].mean_predicted - 0.185).abs() < 1e-12);
        // Each bin's |mean − observed| weighted equally: bins 0–8 have means 0.005, 0.025, …
        let expected =
            ((0..9).map(|b| 0.005 + 0.02 * f64::from(b)).sum::<f64>() + (1.0 - 0.185)) / 10.0;
        assert!((expected_calibration_error(&bins) - expected).abs() < 1e-12);
    }

    #[test]
    fn psi_is_zero_for_the_same_distribution_and_known_for_a_shift() {
        assert_eq!(psi(&[0.25, 0.25, 0.5], &[25.0, 25.0, 50.0]), 0.0);
        // From (½, ½) to (0.9, 0.1): 0.4·ln 1.8 + (−0.4)·ln 0.2.
        let expected = 0.4 * 1.8f64.ln() - 0.4 * 0.2f64.ln();
        assert!((psi(&[0.5, 0.5], &[0.9, 0.1]) - expected).abs() < 1e-12);
        assert_eq!(psi_reading(0.05), "stable");
        assert_eq!(psi_reading(0.2), "moderate");
        assert_eq!(psi_reading(0.3), "major");
    }
}
