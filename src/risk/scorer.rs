//! The scorer service behind the runtime's `Scorer` port: scoring threads fed through a bounded
//! queue, each taking whatever requests are waiting (a micro-batch) per wake-up, so a lone
//! ticket is scored at once and a burst shares the thread hand-offs. A panic while scoring
//! one ticket fails that ticket only.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use aegis_actors::ports::{
    BoxFuture, Contribution, ScoreError, ScoreInput, Scorer, ScorerInfo, Scoring,
};
use aegis_workflows::features::{self, FeatureVector, Schema};
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use futures::FutureExt;
use tokio::sync::oneshot;

use super::forest::Forest;
use super::treeshap::{self, Scratch};
use crate::telemetry::names;

/// How contributions are computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Explain {
    /// Exact SHAP values (TreeSHAP) for every ticket.
    Exact,
    /// Exact SHAP values from this probability up, XGBoost's approximate contributions below.
    ExactFrom(f64),
}

#[derive(Debug, Clone)]
pub struct ScorerOptions {
    pub threads: usize,
    pub max_batch: usize,
    pub queue: usize,
    pub top: usize,
    pub explain: Explain,
    /// Fault injection for tests: scoring this ticket number panics.
    #[cfg(feature = "testing")]
    pub panic_on_ticket: Option<FaultHook>,
}

/// A test-only fault (compiled only with the `testing` feature): panics while scoring one ticket number, `times` times (0: always). Shared
/// by every scorer started with the same options, so a reloaded model keeps the count.
#[cfg(feature = "testing")]
#[derive(Debug, Clone)]
pub struct FaultHook {
    pub ticket_number: String,
    pub times: u32,
    fired: Arc<std::sync::atomic::AtomicU32>,
}

#[cfg(feature = "testing")]
impl FaultHook {
    pub fn new(ticket_number: String, times: u32) -> Self {
        Self {
            ticket_number,
            times,
            fired: Arc::default(),
        }
    }

    fn fires(&self, ticket: &str) -> bool {
        if ticket != self.ticket_number {
            return false;
        }
        let n = self.fired.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.times == 0 || n < self.times
    }
}

struct Job {
    input: ScoreInput,
    reply: oneshot::Sender<Result<Scoring, ScoreError>>,
}

pub struct ForestScorer {
    tx: Sender<Job>,
    info: ScorerInfo,
}

impl std::fmt::Debug for ForestScorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForestScorer")
            .field("info", &self.info)
            .finish()
    }
}

/// Scores one row: probability and the top contributions.
pub fn score_row(
    forest: &Forest,
    schema: Schema,
    features: &FeatureVector,
    top: usize,
    explain: Explain,
    scratch: &mut Scratch,
) -> Scoring {
    let row = features.to_dense();
    let mut phi = Vec::new();
    let margin = forest.margin_and_approx(&row, &mut phi);
    let probability = super::forest::sigmoid(margin);
    let exact = match explain {
        Explain::Exact => true,
        Explain::ExactFrom(p) => probability >= p,
    };
    if exact {
        phi = treeshap::contributions(forest, &row, scratch);
    }
    Scoring {
        probability,
        model_version: forest.version.clone(),
        feature_schema: schema.as_str().to_owned(),
        top_features: top_contributions(features, &phi, top),
    }
}

/// The `top` contributions by magnitude (the bias excluded), largest first.
pub fn top_contributions(features: &FeatureVector, phi: &[f64], top: usize) -> Vec<Contribution> {
    // Ranked by index first so only the few that are kept allocate their names. The bias is
    // last, after as many values as the model has features (v1's or v2's).
    let mut ranked: Vec<(usize, f32)> = phi
        .iter()
        .take(phi.len().saturating_sub(1).min(features::COUNT))
        .map(|c| *c as f32)
        .enumerate()
        .filter(|(_, c)| *c != 0.0)
        .collect();
    ranked.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    ranked.truncate(top);
    ranked
        .into_iter()
        .map(|(i, contribution)| Contribution {
            feature: features::FEATURES[i].name.to_owned(),
            value: features.0[i],
            contribution,
        })
        .collect()
}

impl ForestScorer {
    /// Starts the scoring threads for a model whose features match the schema.
    pub fn start(
        forest: Forest,
        options: ScorerOptions,
    ) -> Result<Arc<Self>, super::forest::ModelError> {
        let schema = forest.feature_schema()?;
        let info = ScorerInfo {
            model_version: forest.version.clone(),
            source: forest.source.clone(),
            features: forest.feature_names.clone(),
            trees: forest.tree_count(),
            feature_schema: schema.as_str().to_owned(),
        };
        let forest = Arc::new((forest, schema));
        let (tx, rx) = bounded::<Job>(options.queue.max(1));
        for i in 0..options.threads.max(1) {
            let rx = rx.clone();
            let forest = forest.clone();
            let options = options.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("aegis-scorer-{i}"))
                .spawn(move || run(&forest, &rx, &options));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a scoring thread");
            }
        }
        metrics::gauge!(names::MODEL_INFO, "version" => info.model_version.clone()).set(1.0);
        Ok(Arc::new(Self { tx, info }))
    }
}

impl Drop for ForestScorer {
    fn drop(&mut self) {
        metrics::gauge!(names::MODEL_INFO, "version" => self.info.model_version.clone()).set(0.0);
    }
}

fn run(model: &(Forest, Schema), rx: &Receiver<Job>, options: &ScorerOptions) {
    let (forest, schema) = (&model.0, model.1);
    let mut scratch = Scratch::default();
    let mut batch = Vec::with_capacity(options.max_batch.max(1));
    while let Ok(first) = rx.recv() {
        batch.push(first);
        while batch.len() < options.max_batch.max(1) {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let started = Instant::now();
        metrics::histogram!(names::SCORER_BATCH).record(batch.len() as f64);
        for job in batch.drain(..) {
            let result = catch_unwind(AssertUnwindSafe(|| {
                #[cfg(feature = "testing")]
                if let Some(hook) = &options.panic_on_ticket
                    && hook.fires(&job.input.ticket_number)
                {
                    panic!("fault injected for ticket {}", job.input.ticket_number);
                }
                score_row(
                    forest,
                    schema,
                    &job.input.features,
                    options.top,
                    options.explain,
                    &mut scratch,
                )
            }));
            let reply = match result {
                Ok(s) => Ok(s),
                Err(p) => {
                    // The scratch space may be half-written; start clean.
                    scratch = Scratch::default();
                    Err(ScoreError::Panicked(aegis_actors::engine::panic_message(
                        &p,
                    )))
                }
            };
            let _ = job.reply.send(reply);
        }
        metrics::histogram!(names::SCORER_SECONDS).record(started.elapsed().as_secs_f64());
    }
}

impl Scorer for ForestScorer {
    fn score(&self, input: ScoreInput) -> BoxFuture<'static, Result<Scoring, ScoreError>> {
        let (reply, rx) = oneshot::channel();
        let sent = self.tx.try_send(Job { input, reply });
        async move {
            match sent {
                Ok(()) => rx.await.map_err(|_| ScoreError::Unavailable)?,
                Err(TrySendError::Full(_)) => Err(ScoreError::Overloaded),
                Err(TrySendError::Disconnected(_)) => Err(ScoreError::Unavailable),
            }
        }
        .boxed()
    }

    fn info(&self) -> ScorerInfo {
        self.info.clone()
    }
}
