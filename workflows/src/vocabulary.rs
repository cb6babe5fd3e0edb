//! Closed sets of words (a damage's root cause, the equipment, the work performed…) declared
//! once: each value's stored name and its words for people, its list, parsing, and the
//! refusal that names the field and every allowed value (contract §14).

use crate::problem::Problem;

/// Declares a closed vocabulary: `Variant = "stored_name", "words for people"`.
#[macro_export]
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $s:literal, $words:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $s)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant,)+];

            /// The stored (and API) name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $s,)+ }
            }

            /// As a person reads it.
            pub fn in_words(self) -> &'static str {
                match self { $(Self::$variant => $words,)+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::vocabulary::Words for $name {
            fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
            }
            fn parse_name(s: &str) -> Option<Self> {
                Self::parse(s)
            }
        }
    };
}

/// What every vocabulary can do, for checks written once.
pub trait Words: Sized + Copy {
    fn names() -> Vec<&'static str>;
    fn parse_name(s: &str) -> Option<Self>;
}

/// `value` read as a word of `W`, or the problem naming `field` and every allowed value.
pub fn read<W: Words>(field: &str, value: &str) -> Result<W, Problem> {
    W::parse_name(value.trim()).ok_or_else(|| {
        Problem::new(
            field,
            "unknown_value",
            format!(
                "{field} must be one of: {} (not '{}')",
                W::names().join(", "),
                value.trim()
            ),
        )
    })
}

/// As [`read`] for an optional value, collecting the problem instead of returning it.
pub fn read_optional<W: Words>(
    field: &str,
    value: Option<&str>,
    problems: &mut Vec<Problem>,
) -> Option<W> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    match read(field, value) {
        Ok(w) => Some(w),
        Err(p) => {
            problems.push(p);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    vocabulary!(
        /// A test vocabulary.
        Colour {
            Red = "red", "red";
            DarkBlue = "dark_blue", "dark blue";
        }
    );

    #[test]
    fn a_vocabulary_reads_its_names_and_refuses_others_listing_them() {
        assert_eq!(Colour::parse("dark_blue"), Some(Colour::DarkBlue));
        assert_eq!(Colour::DarkBlue.in_words(), "dark blue");
        assert_eq!(
            serde_json::to_string(&Colour::DarkBlue).unwrap(),
            "\"dark_blue\""
        );
        let p = read::<Colour>("colour", "green").unwrap_err();
        assert_eq!(p.field, "colour");
        assert_eq!(p.code, "unknown_value");
        assert_eq!(
            p.message,
            "colour must be one of: red, dark_blue (not 'green')"
        );
    }
}
