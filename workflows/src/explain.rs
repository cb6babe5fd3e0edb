//! The model's reasons in words: each feature's value as a sentence an officer reads at 2 a.m.
//! ("digs 96 inches deep"), for e-mails, chat messages and the console. Contributions keep
//! their sign: positive raises the risk.

use crate::features::F;

fn yes(v: f32) -> bool {
    v >= 0.5
}

/// Schema v2's class groups, as feature-name prefixes and as an officer says them.
const GROUPS: [(&str, &str); 5] = [
    ("gas_transmission_", "gas transmission"),
    ("gas_distribution_", "gas main or service"),
    ("electric_", "electric"),
    ("telecom_", "telecom"),
    ("water_sewer_", "water or sewer"),
];

/// What screening found, for a v2 feature (`None` when `name` is not one).
fn buried(name: &str, value: Option<f32>) -> Option<String> {
    if let Some(what) = name.strip_prefix("screening_") {
        let v = value?;
        return Some(match (what, v >= 0.5) {
            ("conflict", true) => "a facility within its tolerance zone".into(),
            ("close", true) => "facilities close by, none in a tolerance zone".into(),
            ("clear", true) => "nothing of ours nearby".into(),
            ("unknown", true) => "what is buried there is not known".into(),
            (other, _) => format!("screening not {other}"),
        });
    }
    let (group, words) = GROUPS.iter().find(|(p, _)| name.starts_with(p))?;
    let what = name.strip_prefix(group)?;
    let Some(v) = value else {
        return Some(match what {
            "nearest_ft" | "within_buffer" | "critical" => format!("no {words} layer"),
            "max_pressure_psi" => format!("no {words} pressure known in the zone"),
            "max_voltage_kv" => format!("no {words} voltage known in the zone"),
            _ => format!("no {words} install year known in the zone"),
        });
    };
    Some(match what {
        "nearest_ft" if v < 1.0 => format!("{words} under the dig area"),
        "nearest_ft" => format!("{words} {v:.0} ft away"),
        "within_buffer" if v < 0.5 => format!("no {words} in its tolerance zone"),
        "within_buffer" => format!("{v:.0} {words} in the tolerance zone"),
        "max_pressure_psi" => format!("{words} at {v:.0} psi in the zone"),
        "max_voltage_kv" => format!("{words} at {v:.1} kV in the zone"),
        "oldest_install_year" => format!("{words} installed in {v:.0} in the zone"),
        "critical" if v >= 0.5 => format!("critical {words} in the zone"),
        "critical" => format!("no critical {words} in the zone"),
        _ => return None,
    })
}

/// One reason: what the ticket says, for feature `name` with value `value` (`None`: the ticket
/// does not say).
pub fn reason(name: &str, value: Option<f32>) -> String {
    if let Some(said) = buried(name, value) {
        return said;
    }
    let Some(v) = value else {
        return match name {
            "depth_inches" => "no depth given".into(),
            "log10_dig_area_m2" => "no dig area drawn".into(),
            "excavator_prior_tickets" | "excavator_prior_damages" => {
                "excavator not identified".into()
            }
            n if n.starts_with("method_") => "no excavation method given".into(),
            n if n.starts_with("excavator_") => "excavator type unknown".into(),
            n => format!("{} not given", n.replace('_', " ")),
        };
    };
    let flag = |on: &str, off: &str| {
        if yes(v) {
            on.to_owned()
        } else {
            off.to_owned()
        }
    };
    match crate::features::FEATURES
        .iter()
        .position(|f| f.name == name)
    {
        Some(i) if i == F::EMERGENCY as usize => flag("emergency ticket", "not an emergency"),
        Some(i) if i == F::SHORT_NOTICE as usize => {
            flag("short-notice ticket", "not a short-notice ticket")
        }
        Some(i) if i == F::DESIGN as usize => {
            flag("design ticket (no digging yet)", "a dig ticket")
        }
        Some(i) if i == F::UPDATE as usize => flag("updates an earlier ticket", "a new ticket"),
        Some(i) if i == F::METHOD_HAND as usize => flag("hand digging", "not hand digging"),
        Some(i) if i == F::METHOD_VACUUM as usize => {
            flag("vacuum excavation", "not vacuum excavation")
        }
        Some(i) if i == F::METHOD_BACKHOE as usize => flag("backhoe or excavator", "no backhoe"),
        Some(i) if i == F::METHOD_TRENCHER as usize => flag("trencher", "no trencher"),
        Some(i) if i == F::METHOD_AUGER as usize => flag("auger", "no auger"),
        Some(i) if i == F::METHOD_DRILLING as usize => {
            flag("directional drilling or boring", "no directional drilling")
        }
        Some(i) if i == F::METHOD_BLASTING as usize => flag("blasting", "no blasting"),
        Some(i) if i == F::DEPTH as usize => format!("digs {v:.0} inches deep"),
        Some(i) if i == F::BORING as usize => flag("boring declared", "no boring"),
        Some(i) if i == F::EXPLOSIVES as usize => flag("explosives declared", "no explosives"),
        Some(i) if i == F::VACUUM as usize => flag("vacuum declared", "no vacuum"),
        Some(i) if i == F::PAVEMENT_ONLY as usize => flag("pavement only", "digs below pavement"),
        Some(i) if i == F::LEAD_TIME as usize => {
            if v.abs() < 0.5 {
                "starts as soon as it was submitted (no notice)".to_owned()
            } else if v < 0.0 {
                format!("starts {:.0} hours before it was submitted", -v)
            } else {
                format!("{v:.0} hours' notice")
            }
        }
        Some(i) if i == F::AREA as usize => {
            format!("dig area about {:.0} m²", 10f64.powf(f64::from(v)))
        }
        Some(i) if i == F::DURATION as usize => format!("work lasts {v:.0} days"),
        Some(i) if i == F::EXC_CONTRACTOR as usize => flag("contractor", "not a contractor"),
        Some(i) if i == F::EXC_HOMEOWNER as usize => flag("homeowner", "not a homeowner"),
        Some(i) if i == F::EXC_MUNICIPALITY as usize => flag("municipality", "not a municipality"),
        Some(i) if i == F::EXC_UTILITY as usize => flag("utility crew", "not a utility crew"),
        Some(i) if i == F::PRIOR_TICKETS as usize => {
            format!("excavator's earlier tickets: {v:.0}")
        }
        Some(i) if i == F::PRIOR_DAMAGES as usize => {
            format!("excavator's earlier damages: {v:.0}")
        }
        Some(i) if i == F::MEMBERS as usize => format!("{v:.0} utilities notified"),
        Some(i) if i == F::MONTH as usize => format!("starts in month {v:.0}"),
        Some(i) if i == F::WEEKDAY as usize => {
            let day = [
                "Monday",
                "Tuesday",
                "Wednesday",
                "Thursday",
                "Friday",
                "Saturday",
                "Sunday",
            ]
            .get(v as usize)
            .copied()
            .unwrap_or("an unknown day");
            format!("starts on a {day}")
        }
        Some(i) if i == F::START_HOUR as usize => format!("starts at {v:.0}:00 local time"),
        _ => format!("{} = {v}", name.replace('_', " ")),
    }
}

/// A contribution as shown next to its reason: signed, two decimals (log-odds).
pub fn signed(contribution: f32) -> String {
    format!("{contribution:+.2}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_has_words() {
        for f in crate::features::FEATURES {
            let said = reason(f.name, Some(1.0));
            assert!(!said.contains(" = "), "{} has no sentence: {said}", f.name);
            assert!(!reason(f.name, None).is_empty());
        }
        assert_eq!(reason("depth_inches", Some(96.0)), "digs 96 inches deep");
        assert_eq!(
            reason("lead_time_hours", Some(-2.0)),
            "starts 2 hours before it was submitted"
        );
        assert_eq!(
            reason("lead_time_hours", Some(0.0)),
            "starts as soon as it was submitted (no notice)"
        );
        assert_eq!(reason("lead_time_hours", Some(50.2)), "50 hours' notice");
        assert_eq!(reason("boring", Some(1.0)), "boring declared");
        assert_eq!(
            reason("method_blasting", None),
            "no excavation method given"
        );
        assert_eq!(
            reason("gas_transmission_nearest_ft", Some(5.2)),
            "gas transmission 5 ft away"
        );
        assert_eq!(reason("telecom_nearest_ft", None), "no telecom layer");
        assert_eq!(
            reason("gas_distribution_max_pressure_psi", Some(60.0)),
            "gas main or service at 60 psi in the zone"
        );
        assert_eq!(
            reason("screening_unknown", Some(1.0)),
            "what is buried there is not known"
        );
        assert_eq!(signed(0.8412), "+0.84");
        assert_eq!(signed(-0.5), "-0.50");
    }
}
