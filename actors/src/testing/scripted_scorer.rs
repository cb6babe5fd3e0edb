//! The `Scorer` port without a model: each ticket's probability comes from a rule the test
//! gives, and chosen tickets make the scorer panic (a fixed number of times, or always).

use std::collections::HashMap;
use std::sync::Arc;

use futures::FutureExt;
use parking_lot::Mutex;

use crate::ports::{BoxFuture, ScoreError, ScoreInput, Scorer, ScorerInfo, Scoring};

type Rule = dyn Fn(&ScoreInput) -> f64 + Send + Sync;

pub struct ScriptedScorer {
    rule: Box<Rule>,
    /// Ticket number → panics left (`u32::MAX`: always).
    panics: Mutex<HashMap<String, u32>>,
}

impl std::fmt::Debug for ScriptedScorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedScorer").finish_non_exhaustive()
    }
}

impl ScriptedScorer {
    pub fn new(rule: impl Fn(&ScoreInput) -> f64 + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            rule: Box::new(rule),
            panics: Mutex::default(),
        })
    }

    /// Scoring `ticket_number` panics `times` times (`u32::MAX`: every time).
    pub fn panic_on(&self, ticket_number: &str, times: u32) {
        self.panics.lock().insert(ticket_number.to_owned(), times);
    }
}

impl Scorer for ScriptedScorer {
    fn score(&self, input: ScoreInput) -> BoxFuture<'static, Result<Scoring, ScoreError>> {
        let panic_now = {
            let mut p = self.panics.lock();
            match p.get_mut(&input.ticket_number) {
                Some(n) if *n > 0 => {
                    if *n != u32::MAX {
                        *n -= 1;
                    }
                    true
                }
                _ => false,
            }
        };
        let probability = (self.rule)(&input);
        async move {
            // Inside the future, as a real scorer's failure would surface: the engine must
            // catch it (actix does not).
            assert!(
                !panic_now,
                "scripted panic for ticket {}",
                input.ticket_number
            );
            Ok(Scoring {
                probability,
                model_version: "scripted".into(),
                feature_schema: aegis_workflows::features::SCHEMA_VERSION.into(),
                top_features: Vec::new(),
            })
        }
        .boxed()
    }

    fn info(&self) -> ScorerInfo {
        ScorerInfo {
            model_version: "scripted".into(),
            source: "test".into(),
            features: Vec::new(),
            trees: 0,
            feature_schema: aegis_workflows::features::SCHEMA_VERSION.into(),
        }
    }
}
