//! The demo install: on a fresh database (no center yet) the `DEMO` center is registered and
//! the synthetic facility network around the demo area is imported like a member's own files,
//! so the first ticket sent shows what is buried near it. Whether demo mode may run at all
//! (only on loopback) is the composition root's decision.

use super::App;
use super::centers::CentersError;
use super::errors::{Refusal, refusal};
use super::facilities::{FacilitiesError, ImportLayer};
use crate::db::centers::CenterFormat;
use crate::facilities::gis_file::Format;
use crate::facilities::synthetic::{DEMO_CENTER, DEMO_NETWORK, LAYERS, network_in_memory};

/// Who the trail says imported the demo layers.
const DEMO: &str = "system:demo";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Center(#[from] CentersError),
    #[error("the demo layer {0}: {1}")]
    Layer(String, FacilitiesError),
    #[error("drawing the demo network: {0}")]
    Network(String),
}

refusal!(DemoError, self => match self {
    Self::Center(e) => e.refusal(),
    Self::Layer(_, e) => e.refusal(),
    Self::Network(_) => Refusal::internal(self),
});

/// What the demo install did.
#[derive(Debug, Clone, Default)]
pub struct DemoInstalled {
    /// The new `DEMO` center's secret, to be printed once; `None` when a center existed.
    pub secret: Option<String>,
    /// Demo layers imported (none when any layer existed).
    pub layers: usize,
}

impl App {
    /// Registers `DEMO` and imports the demo network when the database has no center yet.
    pub async fn install_demo(&self) -> Result<DemoInstalled, DemoError> {
        if !self.centers().await?.is_empty() {
            return Ok(DemoInstalled::default());
        }
        let secret = self
            .register_center("DEMO", CenterFormat::Native, None)
            .await?
            .shown;
        let layers = self.import_demo_layers().await?;
        Ok(DemoInstalled { secret, layers })
    }

    async fn import_demo_layers(&self) -> Result<usize, DemoError> {
        let existing = self
            .facility_layers()
            .await
            .map_err(|e| DemoError::Layer("*".into(), e.into()))?;
        if !existing.is_empty() {
            return Ok(0);
        }
        let network = tokio::task::spawn_blocking(|| network_in_memory(DEMO_CENTER, DEMO_NETWORK))
            .await
            .map_err(|e| DemoError::Network(e.to_string()))?
            .map_err(|e| DemoError::Network(e.to_string()))?;
        for ((name, class), (_, bytes)) in LAYERS.into_iter().zip(network) {
            let request = ImportLayer {
                name: name.to_owned(),
                class: Some(class.as_str().to_owned()),
                buffer_ft: None,
                close_ft: None,
                crs: None,
                source_layer: None,
                attrs: Vec::new(),
                format: Format::GeoJson,
                bytes,
                by: DEMO.to_owned(),
            };
            self.import_layer(request)
                .await
                .map_err(|e| DemoError::Layer(name.to_owned(), e))?;
        }
        Ok(LAYERS.len())
    }
}
