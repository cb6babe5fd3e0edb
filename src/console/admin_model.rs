//! `/admin/model` (operators): whether the model is right on this member's tickets — per
//! version, its live figures on the tickets that have an outcome beside its training
//! hold-out's, damages and tickets per band, and a reliability diagram (contract §16). The
//! same figures as `GET /v1/admin/model/quality`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, PreEscaped, html};

use super::charts::{BLUE, GREY, RED, Reliability};
use super::{Operator, layout, refused};
use crate::app::model_quality::{Figures, QualityReport, VersionQuality};
use crate::web::page::respond;
use crate::web::state::AppState;

pub async fn page(state: web::Data<AppState>, who: Operator) -> HttpResponse {
    let who = who.0;
    let report = match state.app.model_quality(None, None).await {
        Ok(r) => r,
        Err(e) => return refused(&who, &e, "/alerts"),
    };
    respond(StatusCode::OK, layout(&who, "Model", body(&report)))
}

fn body(r: &QualityReport) -> Markup {
    html! {
        h1 { "Is the model right on our tickets?" }
        p class="note" {
            "Tickets scored from " (r.from.format("%Y-%m-%d")) " to " (r.until.format("%Y-%m-%d"))
            " (UTC). Counted: " (r.label) "."
        }
        @if r.versions.is_empty() {
            p { "No ticket was scored in this period." }
        }
        @for v in &r.versions {
            (version(v))
        }
    }
}

fn figure(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.digits$}"))
}

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{:.1} %", v * 100.0))
}

fn version(v: &VersionQuality) -> Markup {
    let training = v.training.as_ref();
    let row = |name: &str, live: String, trained: Option<String>| {
        html! { tr { th scope="row" { (name) } td { (live) } td { (trained.unwrap_or_else(|| "—".into())) } } }
    };
    let t = |f: fn(&Figures) -> String| training.map(f);
    html! {
        section class="card" data-model-version=(v.model_version) {
            h2 { "Model " (v.model_version) @if v.active { " (scoring now)" } }
            p class="note" { (v.scored) " tickets scored; " (v.live.tickets) " with an outcome, "
                (v.live.damages) " of them damages." }
            @if let Some(note) = &v.live.ranking_note { p class="gone" data-ranking-note { (note) } }
            div class="scroll" {
                table class="queue numbers" {
                    thead { tr { th scope="col" { "" } th scope="col" { "Live" } th scope="col" title="the held-out split of its training data" { "Training" } } }
                    tbody {
                        (row("Tickets with an outcome", v.live.tickets.to_string(), t(|f| f.tickets.to_string())))
                        (row("Damages", v.live.damages.to_string(), t(|f| f.damages.to_string())))
                        (row("ROC AUC", figure(v.live.roc_auc, 3), t(|f| figure(f.roc_auc, 3))))
                        (row("PR AUC", figure(v.live.pr_auc, 3), t(|f| figure(f.pr_auc, 3))))
                        (row("Brier score", figure(v.live.brier, 4), t(|f| figure(f.brier, 4))))
                        (row("Expected calibration error", figure(v.live.expected_calibration_error, 4), t(|f| figure(f.expected_calibration_error, 4))))
                        (row("Lift of the riskiest tenth", figure(v.live.lift_top_decile, 1), t(|f| figure(f.lift_top_decile, 1))))
                    }
                }
            }
            @if training.is_none() {
                p class="note" { "No training figures recorded for this version: `aegis train --from-db` records them." }
            }
            h2 { "Where the damages were" }
            div class="scroll" {
                table class="queue numbers" {
                    thead { tr { th scope="col" { "Band" } th scope="col" { "Tickets" } th scope="col" { "Share of tickets" }
                        th scope="col" { "Damages" } th scope="col" { "Share of damages" } th scope="col" { "Lift" } } }
                    tbody { @for b in &v.bands { tr data-band=(b.band) {
                        td { (b.band) } td { (b.tickets) } td { (percent(b.ticket_share)) }
                        td { (b.damages) } td { (percent(b.damage_share)) } td { (figure(b.lift, 1)) }
                    } } }
                }
            }
            h2 { "Calibration" }
            (reliability(v))
        }
    }
}

fn reliability(v: &VersionQuality) -> Markup {
    let points = |f: &Figures| {
        f.calibration
            .iter()
            .map(|b| (b.mean_predicted, b.observed))
            .collect::<Vec<_>>()
    };
    let mut series = vec![("live".to_owned(), RED, points(&v.live))];
    if let Some(t) = &v.training {
        series.push(("training hold-out".to_owned(), BLUE, points(t)));
    }
    let drawn = Reliability {
        series: series.clone(),
    }
    .svg();
    html! {
        @match drawn {
            Ok(svg) => {
                figure role="img" aria-label="Observed damage rate against predicted probability, per calibration bin; the diagonal is a perfectly calibrated model." {
                    (PreEscaped(svg))
                }
                p class="legend" {
                    @for (name, color, _) in &series {
                        span { span class="swatch" style=(format!("background: rgb({},{},{})", color.0, color.1, color.2)) {} " " (name) }
                    }
                    span { span class="swatch" style=(format!("background: rgb({},{},{})", GREY.0, GREY.1, GREY.2)) {} " perfectly calibrated" }
                }
            }
            Err(e) => p class="gone" { (e.to_string()) }
        }
        div class="scroll" {
            table class="queue numbers" {
                thead { tr { th scope="col" { "Bin" } th scope="col" { "Tickets" } th scope="col" { "Mean predicted" } th scope="col" { "Observed" } } }
                tbody { @for (i, b) in v.live.calibration.iter().enumerate() { tr {
                    td { (i + 1) } td { (b.count) } td { (format!("{:.2} %", b.mean_predicted * 100.0)) } td { (format!("{:.2} %", b.observed * 100.0)) }
                } } }
            }
        }
    }
}
