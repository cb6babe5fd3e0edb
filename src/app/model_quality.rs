//! Whether the model is right on this member's tickets (contract §16, issue 34): per model
//! version, the tickets it scored that have an outcome, the damages among them, ROC and PR AUC
//! (not shown under ten damages), damages and tickets per band with the lift, and calibration —
//! beside the same figures from the model's training hold-out when they were recorded.

use std::collections::BTreeMap;

use aegis_actors::ports::StoreError;
use aegis_workflows::quality::{self, CalibrationBin, MIN_POSITIVES};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use serde_json::Value;

use super::Service;
use super::errors::{Refusal, refusal};
use crate::db::model_quality::{self as stored, Labelled};

/// Longest period the report covers.
pub const MAX_DAYS: i64 = 3 * 366;

#[derive(Debug, thiserror::Error)]
pub enum QualityError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(QualityError, self => match self {
    Self::Invalid { field, .. } => Refusal::invalid(field, self.to_string()),
    Self::Store(e) => e.refusal(),
});

/// Ranking and calibration figures over some labelled tickets.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Figures {
    /// Tickets with an outcome.
    pub tickets: u64,
    pub damages: u64,
    pub roc_auc: Option<f64>,
    pub pr_auc: Option<f64>,
    /// Why the ranking figures are missing, when they are.
    pub ranking_note: Option<String>,
    pub brier: Option<f64>,
    pub expected_calibration_error: Option<f64>,
    pub lift_top_decile: Option<f64>,
    /// Ten bins of equal count by predicted probability, lowest first.
    #[schema(value_type = Vec<Object>)]
    pub calibration: Vec<CalibrationBin>,
}

impl Figures {
    /// The figures of predictions `pred` against outcomes `y` (1 a damage).
    pub fn of(pred: &[f64], y: &[f32]) -> Self {
        let damages = y.iter().filter(|&&v| v > 0.5).count();
        let any = !pred.is_empty();
        let ranked = damages >= MIN_POSITIVES && damages < pred.len();
        let note = (!ranked).then(|| {
            if damages < MIN_POSITIVES {
                format!("too few damages: {damages} of the {MIN_POSITIVES} a ranking figure needs")
            } else {
                "every ticket with an outcome was a damage: nothing to rank them against".into()
            }
        });
        let calibration = if any {
            quality::calibration(pred, y)
        } else {
            Vec::new()
        };
        Self {
            tickets: pred.len() as u64,
            damages: damages as u64,
            roc_auc: ranked.then(|| quality::auc(pred, y)),
            pr_auc: ranked.then(|| quality::pr_auc(pred, y)),
            ranking_note: note,
            brier: any.then(|| quality::brier(pred, y)),
            expected_calibration_error: any
                .then(|| quality::expected_calibration_error(&calibration)),
            lift_top_decile: (damages > 0).then(|| quality::lift_top_decile(pred, y)),
            calibration,
        }
    }

    /// The figures `aegis train` recorded for its held-out split (the `models` table).
    fn of_training(metrics: &Value) -> Option<Self> {
        let number = |k: &str| metrics.get(k).and_then(Value::as_f64);
        let calibration: Vec<CalibrationBin> =
            serde_json::from_value(metrics.get("calibration")?.clone()).ok()?;
        let tickets = metrics.get("rows").and_then(Value::as_u64)?;
        let damages = metrics.get("positives").and_then(Value::as_u64)?;
        Some(Self {
            tickets,
            damages,
            roc_auc: number("auc"),
            pr_auc: number("pr_auc"),
            ranking_note: None,
            brier: number("brier"),
            expected_calibration_error: Some(quality::expected_calibration_error(&calibration)),
            lift_top_decile: number("lift_top_decile"),
            calibration,
        })
    }
}

/// A band's share of the tickets a version scored and of the damages among its outcomes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BandQuality {
    pub band: String,
    /// Every ticket scored into the band in the period, with an outcome or not.
    pub tickets: u64,
    pub damages: u64,
    pub ticket_share: Option<f64>,
    pub damage_share: Option<f64>,
    /// Damage share over ticket share: how much more often damages land here than tickets.
    pub lift: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionQuality {
    pub model_version: String,
    /// Whether this version scores now.
    pub active: bool,
    /// Tickets it scored in the period.
    pub scored: u64,
    pub live: Figures,
    pub bands: Vec<BandQuality>,
    /// The same figures on its training hold-out, when `aegis train` recorded them here.
    pub training: Option<Figures>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QualityReport {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// What counts as an outcome and as a damage.
    pub label: &'static str,
    /// The active version first, then by tickets scored.
    pub versions: Vec<VersionQuality>,
}

const LABEL: &str = "a scored ticket has an outcome when it has a damage investigation (any \
kind) or a center's or operator's outcome; it is a damage when one of them is a damage (near \
misses and downtime are not)";

const BANDS: [&str; 3] = ["high", "medium", "low"];

impl Service {
    /// The model's quality over tickets scored in [from, until) (default the last 365 days).
    pub async fn model_quality(
        &self,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<QualityReport, QualityError> {
        let until = until.unwrap_or_else(|| self.now());
        let from = from.unwrap_or(until - TimeDelta::days(365));
        if from >= until {
            return Err(QualityError::Invalid {
                field: "from",
                message: "from must be before until".into(),
            });
        }
        if until - from > TimeDelta::days(MAX_DAYS) {
            return Err(QualityError::Invalid {
                field: "until",
                message: format!("the report covers at most {MAX_DAYS} days"),
            });
        }
        let (tallies, labelled, trained) = self
            .db
            .with_read(move |c| {
                Ok((
                    stored::band_tallies(c, from, until)?,
                    stored::labelled(c, from, until)?,
                    crate::db::read::trained_models(c)?,
                ))
            })
            .await?;
        let active = self.runtime.deps.scorer.info().model_version;
        let mut scored: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for t in tallies {
            *scored
                .entry(t.model_version)
                .or_default()
                .entry(t.band)
                .or_default() += u64::try_from(t.tickets).unwrap_or(0);
        }
        let mut by_version: BTreeMap<String, Vec<Labelled>> = BTreeMap::new();
        for l in labelled {
            by_version
                .entry(l.model_version.clone())
                .or_default()
                .push(l);
        }
        let mut versions: Vec<VersionQuality> = scored
            .into_iter()
            .map(|(version, bands)| {
                let rows = by_version.remove(&version).unwrap_or_default();
                let training = trained
                    .iter()
                    .find(|m| m.version == version)
                    .and_then(|m| Figures::of_training(&m.metrics));
                quality_of(version.clone(), version == active, &bands, &rows, training)
            })
            .collect();
        versions.sort_by(|a, b| b.active.cmp(&a.active).then(b.scored.cmp(&a.scored)));
        Ok(QualityReport {
            from,
            until,
            label: LABEL,
            versions,
        })
    }
}

fn quality_of(
    model_version: String,
    active: bool,
    scored_bands: &BTreeMap<String, u64>,
    rows: &[Labelled],
    training: Option<Figures>,
) -> VersionQuality {
    let pred: Vec<f64> = rows.iter().map(|r| r.probability).collect();
    let y: Vec<f32> = rows
        .iter()
        .map(|r| if r.damage > 0 { 1.0 } else { 0.0 })
        .collect();
    let live = Figures::of(&pred, &y);
    let scored: u64 = scored_bands.values().sum();
    let bands = BANDS
        .iter()
        .map(|band| {
            let tickets = scored_bands.get(*band).copied().unwrap_or(0);
            let damages = rows
                .iter()
                .filter(|r| r.band == *band && r.damage > 0)
                .count() as u64;
            let ticket_share = aegis_workflows::reports::share(tickets, scored);
            let damage_share = aegis_workflows::reports::share(damages, live.damages);
            BandQuality {
                band: (*band).to_owned(),
                tickets,
                damages,
                ticket_share,
                damage_share,
                lift: match (damage_share, ticket_share) {
                    (Some(d), Some(t)) if t > 0.0 => Some(d / t),
                    _ => None,
                },
            }
        })
        .collect();
    VersionQuality {
        model_version,
        active,
        scored,
        live,
        bands,
        training,
    }
}
