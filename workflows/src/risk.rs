//! Risk bands: what a damage probability means for the people who act on it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Low,
    Medium,
    High,
}

impl Band {
    pub const ALL: [Band; 3] = [Self::Low, Self::Medium, Self::High];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// Only high-band tickets are put in front of a safety officer; the others are cleared
    /// automatically with the reason recorded.
    pub fn raises_alert(self) -> bool {
        self == Self::High
    }
}

/// Damages per ticket across the industry (CGA DIRT: about 2 per 1,000): what "a usual
/// ticket" means when a probability is put in words.
pub const BASE_RATE: f64 = 0.002;

/// A probability as a person weighs it: "2.4 % — 12× a usual ticket".
pub fn in_words(probability: f64) -> String {
    if !probability.is_finite() {
        return "unknown (the model gave no number)".into();
    }
    let pct = probability * 100.0;
    let pct = if pct >= 1.0 {
        format!("{pct:.1} %")
    } else {
        format!("{pct:.2} %")
    };
    let ratio = probability / BASE_RATE;
    let relative = if ratio >= 1.5 {
        format!("{ratio:.0}× a usual ticket")
    } else if ratio >= 0.75 {
        "about a usual ticket".to_owned()
    } else {
        format!("{ratio:.1}× a usual ticket")
    };
    format!("{pct} — {relative}")
}

/// Probability cut-offs between bands. A probability equal to a threshold is in the higher band.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BandThresholds {
    pub medium: f64,
    pub high: f64,
}

impl Default for BandThresholds {
    /// The base rate of damage is about 2 per 1,000 tickets (CGA DIRT); these cut-offs put a
    /// ticket in `medium` at 2.5x and in `high` at 10x the base rate.
    fn default() -> Self {
        Self {
            medium: 0.005,
            high: 0.02,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("band thresholds must satisfy 0 < medium < high < 1")]
pub struct BadThresholds;

impl BandThresholds {
    pub fn new(medium: f64, high: f64) -> Result<Self, BadThresholds> {
        if medium > 0.0 && medium < high && high < 1.0 {
            Ok(Self { medium, high })
        } else {
            Err(BadThresholds)
        }
    }

    /// The band of a probability. One that is not a number says the model failed, not that
    /// the ticket is safe: it is high, so a person looks at the ticket.
    pub fn band(&self, probability: f64) -> Band {
        if probability.is_nan() || probability >= self.high {
            Band::High
        } else if probability >= self.medium {
            Band::Medium
        } else {
            Band::Low
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_split_bands_inclusively_upward() {
        let t = BandThresholds::new(0.1, 0.5).unwrap();
        assert_eq!(t.band(0.0), Band::Low);
        assert_eq!(t.band(0.099), Band::Low);
        assert_eq!(t.band(0.1), Band::Medium);
        assert_eq!(t.band(0.5), Band::High);
        assert_eq!(t.band(1.0), Band::High);
        assert_eq!(
            t.band(f64::NAN),
            Band::High,
            "an unknown risk goes to a person"
        );
    }

    #[test]
    fn probabilities_in_words() {
        assert_eq!(in_words(0.024), "2.4 % — 12× a usual ticket");
        assert_eq!(in_words(0.0021), "0.21 % — about a usual ticket");
        assert_eq!(in_words(0.0004), "0.04 % — 0.2× a usual ticket");
        assert!(in_words(f64::NAN).starts_with("unknown"));
    }

    #[test]
    fn thresholds_must_be_ordered() {
        assert!(BandThresholds::new(0.5, 0.1).is_err());
        assert!(BandThresholds::new(0.0, 0.1).is_err());
        assert!(BandThresholds::new(0.1, 1.0).is_err());
        assert!(BandThresholds::new(f64::NAN, 0.5).is_err());
    }
}
