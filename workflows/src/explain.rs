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
        return unsaid(name);
    };
    let Some(i) = crate::features::FEATURES
        .iter()
        .position(|f| f.name == name)
    else {
        return format!("{} = {v}", name.replace('_', " "));
    };
    if let Some((_, on, off)) = FLAGS.iter().find(|(f, _, _)| *f as usize == i) {
        return if yes(v) { on } else { off }.to_string();
    }
    measured(i, v).unwrap_or_else(|| format!("{} = {v}", name.replace('_', " ")))
}

/// What a feature the ticket does not give is said as.
fn unsaid(name: &str) -> String {
    match name {
        "depth_inches" => "no depth given".into(),
        "log10_dig_area_m2" => "no dig area drawn".into(),
        "excavator_prior_tickets" | "excavator_prior_damages" => "excavator not identified".into(),
        n if n.starts_with("method_") => "no excavation method given".into(),
        n if n.starts_with("excavator_") => "excavator type unknown".into(),
        n => format!("{} not given", n.replace('_', " ")),
    }
}

/// The yes-or-no features, as said when yes and when no.
const FLAGS: [(F, &str, &str); 19] = [
    (F::EMERGENCY, "emergency ticket", "not an emergency"),
    (
        F::SHORT_NOTICE,
        "short-notice ticket",
        "not a short-notice ticket",
    ),
    (F::DESIGN, "design ticket (no digging yet)", "a dig ticket"),
    (F::UPDATE, "updates an earlier ticket", "a new ticket"),
    (F::METHOD_HAND, "hand digging", "not hand digging"),
    (
        F::METHOD_VACUUM,
        "vacuum excavation",
        "not vacuum excavation",
    ),
    (F::METHOD_BACKHOE, "backhoe or excavator", "no backhoe"),
    (F::METHOD_TRENCHER, "trencher", "no trencher"),
    (F::METHOD_AUGER, "auger", "no auger"),
    (
        F::METHOD_DRILLING,
        "directional drilling or boring",
        "no directional drilling",
    ),
    (F::METHOD_BLASTING, "blasting", "no blasting"),
    (F::BORING, "boring declared", "no boring"),
    (F::EXPLOSIVES, "explosives declared", "no explosives"),
    (F::VACUUM, "vacuum declared", "no vacuum"),
    (F::PAVEMENT_ONLY, "pavement only", "digs below pavement"),
    (F::EXC_CONTRACTOR, "contractor", "not a contractor"),
    (F::EXC_HOMEOWNER, "homeowner", "not a homeowner"),
    (F::EXC_MUNICIPALITY, "municipality", "not a municipality"),
    (F::EXC_UTILITY, "utility crew", "not a utility crew"),
];

/// The measured features in words.
fn measured(i: usize, v: f32) -> Option<String> {
    let is = |f: F| i == f as usize;
    Some(if is(F::DEPTH) {
        format!("digs {v:.0} inches deep")
    } else if is(F::LEAD_TIME) {
        if v.abs() < 0.5 {
            "starts as soon as it was submitted (no notice)".to_owned()
        } else if v < 0.0 {
            format!("starts {:.0} hours before it was submitted", -v)
        } else {
            format!("{v:.0} hours' notice")
        }
    } else if is(F::AREA) {
        format!("dig area about {:.0} m²", 10f64.powf(f64::from(v)))
    } else if is(F::DURATION) {
        format!("work lasts {v:.0} days")
    } else if is(F::PRIOR_TICKETS) {
        format!("excavator's earlier tickets: {v:.0}")
    } else if is(F::PRIOR_DAMAGES) {
        format!("excavator's earlier damages: {v:.0}")
    } else if is(F::MEMBERS) {
        format!("{v:.0} utilities notified")
    } else if is(F::MONTH) {
        format!("starts in month {v:.0}")
    } else if is(F::WEEKDAY) {
        const DAYS: [&str; 7] = [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ];
        let day = DAYS.get(v as usize).copied().unwrap_or("an unknown day");
        format!("starts on a {day}")
    } else if is(F::START_HOUR) {
        format!("starts at {v:.0}:00 local time")
    } else {
        return None;
    })
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
