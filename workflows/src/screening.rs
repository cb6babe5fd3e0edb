//! What screening found for a ticket (contract §10), and the rules that follow from it: the
//! category (`conflict`, `close`, `clear`, `unknown`) and whether a center's policy clears the
//! ticket without a person. How the distances are measured is geometry (the `aegis-screening`
//! crate); what they mean is here.

use serde::{Deserialize, Serialize};

use crate::ticket::TicketType;

/// What kind of facility a layer holds; its default tolerance zone and its APWA colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacilityClass {
    GasTransmission,
    GasDistribution,
    GasService,
    ElectricTransmission,
    ElectricDistribution,
    Telecom,
    Water,
    Sewer,
    Other,
}

impl FacilityClass {
    pub const ALL: [Self; 9] = [
        Self::GasTransmission,
        Self::GasDistribution,
        Self::GasService,
        Self::ElectricTransmission,
        Self::ElectricDistribution,
        Self::Telecom,
        Self::Water,
        Self::Sewer,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::GasTransmission => "gas_transmission",
            Self::GasDistribution => "gas_distribution",
            Self::GasService => "gas_service",
            Self::ElectricTransmission => "electric_transmission",
            Self::ElectricDistribution => "electric_distribution",
            Self::Telecom => "telecom",
            Self::Water => "water",
            Self::Sewer => "sewer",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// As a person reads it ("gas transmission").
    pub fn in_words(self) -> &'static str {
        match self {
            Self::GasTransmission => "gas transmission",
            Self::GasDistribution => "gas distribution",
            Self::GasService => "gas service",
            Self::ElectricTransmission => "electric transmission",
            Self::ElectricDistribution => "electric distribution",
            Self::Telecom => "telecom",
            Self::Water => "water",
            Self::Sewer => "sewer",
            Self::Other => "other",
        }
    }

    /// The tolerance zone when the layer does not say: 100 ft for transmission, 10 for
    /// services, 25 for the rest (§10).
    pub fn default_buffer_ft(self) -> f64 {
        match self {
            Self::GasTransmission | Self::ElectricTransmission => 100.0,
            Self::GasService => 10.0,
            _ => 25.0,
        }
    }

    /// The APWA uniform colour code: gas yellow, electric red, telecom orange, water blue,
    /// sewer green (other: pink, APWA's temporary survey marking).
    pub fn apwa_colour(self) -> &'static str {
        match self {
            Self::GasTransmission | Self::GasDistribution | Self::GasService => "#FFD100",
            Self::ElectricTransmission | Self::ElectricDistribution => "#E4002B",
            Self::Telecom => "#FF8200",
            Self::Water => "#0072CE",
            Self::Sewer => "#00A651",
            Self::Other => "#F39DC4",
        }
    }
}

/// A ticket's screening verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// A facility within a layer's tolerance zone.
    Conflict,
    /// A facility within `close_ft`, none within a tolerance zone.
    Close,
    /// Nothing within any layer's `close_ft`, inside the mapped coverage.
    Clear,
    /// No active layer, no geometry, or a dig area outside the mapped coverage: nobody knows.
    Unknown,
}

impl Category {
    pub const ALL: [Self; 4] = [Self::Conflict, Self::Close, Self::Clear, Self::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Conflict => "conflict",
            Self::Close => "close",
            Self::Clear => "clear",
            Self::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Why a screening is `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unknown {
    NoLayer,
    NoGeometry,
    OutsideCoverage,
}

/// A facility near the dig area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearFacility {
    /// The facility's id in its layer (the GIS's own, or its position in the file).
    pub id: String,
    /// Its position in the layer version (how its geometry is found again).
    pub seq: u32,
    pub distance_ft: f64,
    /// Its kept attributes (material, diameter, pressure, voltage, install year, owner,
    /// critical, and any others given).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// What one layer says about a dig area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerScreening {
    pub name: String,
    pub version: u32,
    pub class: FacilityClass,
    pub buffer_ft: f64,
    pub close_ft: f64,
    /// The nearest facility's distance; `None` for an empty layer.
    pub nearest_ft: Option<f64>,
    /// Facilities within the tolerance zone.
    pub within_buffer: usize,
    /// Facilities within `close_ft`, nearest first, at most [`MAX_LISTED`].
    pub facilities: Vec<NearFacility>,
}

/// Facilities listed per layer at most.
pub const MAX_LISTED: usize = 50;

/// What the trail keeps of one layer's screening: enough to say what Aegis knew (the version)
/// and why it decided; the facilities themselves are in the read-back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenedLayer {
    pub name: String,
    pub version: u32,
    pub nearest_ft: Option<f64>,
    pub within_buffer: usize,
    pub within_close: usize,
}

/// A ticket's screening.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Screening {
    pub category: Category,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown: Option<Unknown>,
    pub layers: Vec<LayerScreening>,
}

impl Screening {
    /// The verdict from what each layer found (inside the coverage, with a geometry).
    pub fn from_layers(layers: Vec<LayerScreening>) -> Self {
        if layers.is_empty() {
            return Self::unknown(Unknown::NoLayer, layers);
        }
        let category = if layers.iter().any(|l| l.within_buffer > 0) {
            Category::Conflict
        } else if layers.iter().any(|l| !l.facilities.is_empty()) {
            Category::Close
        } else {
            Category::Clear
        };
        Self {
            category,
            unknown: None,
            layers,
        }
    }

    /// What is buried how near, as a queue row says it: "gas transmission 5 ft, water 12 ft"
    /// (the two nearest layers within their close distance), "nothing within 250 ft", or why
    /// nobody knows.
    pub fn in_words(&self) -> String {
        if let Some(why) = self.unknown {
            return match why {
                Unknown::NoLayer => "not known: no facility layer",
                Unknown::NoGeometry => "not known: no dig area",
                Unknown::OutsideCoverage => "not known: outside the mapped area",
            }
            .to_owned();
        }
        let mut near: Vec<(f64, FacilityClass)> = self
            .layers
            .iter()
            .filter(|l| !l.facilities.is_empty())
            .filter_map(|l| l.nearest_ft.map(|d| (d, l.class)))
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0));
        if near.is_empty() {
            let reach = self.layers.iter().map(|l| l.close_ft).fold(0.0, f64::max);
            return format!("nothing within {reach:.0} ft");
        }
        near.iter()
            .take(2)
            .map(|(d, c)| format!("{} {d:.0} ft", c.as_str().replace('_', " ")))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn unknown(why: Unknown, layers: Vec<LayerScreening>) -> Self {
        Self {
            category: Category::Unknown,
            unknown: Some(why),
            layers,
        }
    }

    /// The trail's summary of each layer.
    pub fn summary(&self) -> Vec<ScreenedLayer> {
        self.layers
            .iter()
            .map(|l| ScreenedLayer {
                name: l.name.clone(),
                version: l.version,
                nearest_ft: l.nearest_ft,
                within_buffer: l.within_buffer,
                within_close: l.facilities.len(),
            })
            .collect()
    }

    /// The layers and versions this screening used, as `name@version`.
    pub fn versions(&self) -> Vec<String> {
        self.layers
            .iter()
            .map(|l| format!("{}@{}", l.name, l.version))
            .collect()
    }
}

/// A center's automatic clearing (§10): off unless set, and then only for the listed types.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoClear {
    pub enabled: bool,
    pub ticket_types: Vec<TicketType>,
}

impl AutoClear {
    /// Whether a ticket of `kind` screened `category` is cleared without a person: only
    /// `clear`, only a listed type, only when enabled. `conflict`, `close` and `unknown` never
    /// are, nor a ticket whose type nobody knows.
    pub fn clears(&self, category: Category, kind: Option<TicketType>) -> bool {
        self.enabled
            && category == Category::Clear
            && kind.is_some_and(|k| self.ticket_types.contains(&k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(within_buffer: usize, near: usize) -> LayerScreening {
        LayerScreening {
            name: "gas".into(),
            version: 1,
            class: FacilityClass::GasDistribution,
            buffer_ft: 25.0,
            close_ft: 250.0,
            nearest_ft: Some(10.0),
            within_buffer,
            facilities: (0..near)
                .map(|i| NearFacility {
                    id: format!("f{i}"),
                    seq: i as u32,
                    distance_ft: 10.0,
                    attributes: serde_json::Map::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_worst_layer_decides_and_no_layer_is_unknown() {
        assert_eq!(Screening::from_layers(vec![]).category, Category::Unknown);
        assert_eq!(
            Screening::from_layers(vec![layer(0, 0), layer(0, 0)]).category,
            Category::Clear
        );
        assert_eq!(
            Screening::from_layers(vec![layer(0, 0), layer(0, 2)]).category,
            Category::Close
        );
        assert_eq!(
            Screening::from_layers(vec![layer(0, 2), layer(1, 1)]).category,
            Category::Conflict
        );
    }

    #[test]
    fn what_is_buried_in_words() {
        let mut transmission = layer(1, 1);
        transmission.class = FacilityClass::GasTransmission;
        transmission.nearest_ft = Some(5.2);
        let mut water = layer(0, 1);
        water.class = FacilityClass::Water;
        water.nearest_ft = Some(40.0);
        let s = Screening::from_layers(vec![layer(0, 1), water, transmission]);
        assert_eq!(
            s.in_words(),
            "gas transmission 5 ft, gas distribution 10 ft"
        );
        let mut far = layer(0, 0);
        far.nearest_ft = Some(900.0);
        assert_eq!(
            Screening::from_layers(vec![far]).in_words(),
            "nothing within 250 ft"
        );
        assert_eq!(
            Screening::unknown(Unknown::OutsideCoverage, vec![]).in_words(),
            "not known: outside the mapped area"
        );
    }

    #[test]
    fn only_a_clear_ticket_of_a_listed_type_is_cleared_and_only_when_enabled() {
        let policy = AutoClear {
            enabled: true,
            ticket_types: vec![TicketType::Normal, TicketType::Update],
        };
        assert!(policy.clears(Category::Clear, Some(TicketType::Normal)));
        assert!(policy.clears(Category::Clear, Some(TicketType::Update)));
        for c in [Category::Conflict, Category::Close, Category::Unknown] {
            assert!(!policy.clears(c, Some(TicketType::Normal)), "{c:?}");
        }
        assert!(!policy.clears(Category::Clear, Some(TicketType::Emergency)));
        assert!(!policy.clears(Category::Clear, None));
        let off = AutoClear {
            enabled: false,
            ..policy
        };
        assert!(!off.clears(Category::Clear, Some(TicketType::Normal)));
    }

    #[test]
    fn names_round_trip() {
        for c in FacilityClass::ALL {
            assert_eq!(FacilityClass::parse(c.as_str()), Some(c));
            assert!(c.default_buffer_ft() > 0.0);
        }
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
    }
}
