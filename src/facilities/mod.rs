//! What is buried (contract §10), as adapters: reading a member's GIS export through GDAL and
//! PROJ ([`gis_file`]), the runtime's `Screener` port over the stored layers
//! ([`layer_screener`]), and a synthetic network for the demo and the benchmark
//! ([`synthetic`]), imported on a fresh demo install (`app::demo`). The geometry itself is
//! `aegis-screening`'s; what it means is
//! `aegis-workflows`'.

pub mod gis_file;
pub mod layer_screener;
pub mod synthetic;
