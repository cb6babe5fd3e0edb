//! The risk model's evidence in the database: the synthetic history's labelled rows stored,
//! the training set read back (the history and live tickets whose outcome is known, with what
//! was left out and why), and each trained model recorded with its held-out figures.

use aegis_actors::ports::StoreError;
use aegis_workflows::features::FeatureVector;

use super::App;
use crate::db::training::{self, Skipped};
use crate::risk::dataset::Dataset;
use crate::risk::train::TrainReport;

impl App {
    /// Stores generated rows (features, damaged) in one transaction.
    pub async fn store_generated_rows(
        &self,
        rows: Vec<(FeatureVector, bool)>,
    ) -> Result<(), StoreError> {
        self.db
            .with_write(move |c| training::insert_generated(c, &rows))
            .await
    }

    /// Every labelled row, as of now; what was left out says why.
    pub async fn training_set(&self) -> Result<(Dataset, Skipped), StoreError> {
        let now = self.clock.now();
        self.db.with_read(move |c| training::load(c, now)).await
    }

    /// Records a model trained into this database, with its held-out figures.
    pub async fn record_trained_model(&self, report: TrainReport) -> Result<(), StoreError> {
        self.db
            .with_write(move |c| crate::db::trained_models::record(c, &report))
            .await
    }
}
