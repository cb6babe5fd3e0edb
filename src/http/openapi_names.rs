//! The closed sets of names the API accepts in query strings and bodies, as OpenAPI enums, so
//! the published document says exactly what a request may carry. The handlers validate against
//! the domain's own lists; a test keeps these in step with them.

use serde::Serialize;
use utoipa::ToSchema;

/// A workflow's lifecycle state.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StateName {
    Received,
    Validated,
    Rejected,
    Scored,
    Alerted,
    Acknowledged,
    Escalated,
    Resolved,
    Cancelled,
    Superseded,
    Failed,
}

/// A risk band.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BandName {
    Low,
    Medium,
    High,
}

/// A ticket type a center may clear automatically (contract §10).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClearableTypeName {
    Normal,
    Update,
    Remark,
    Design,
    ShortNotice,
}

/// A screening category (contract §10).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScreeningName {
    Conflict,
    Close,
    Clear,
    Unknown,
}

/// An alert's state.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStateName {
    Open,
    Escalated,
    Acknowledged,
    Resolved,
    Closed,
}

/// The order of the alert list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertOrderName {
    Raised,
    Priority,
}

/// How an officer closed an alert.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DispositionName {
    LocatorDispatched,
    ExcavatorContacted,
    SiteStandby,
    NoConflict,
    FalsePositive,
    DamageOccurred,
}

/// What kind of dead letter.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeadLetterKindName {
    Unidentifiable,
    StepFailed,
    RevisionConflict,
    UnreadableSummary,
}

/// What kind of facility an outcome concerns.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FacilityName {
    Gas,
    Electric,
    Telecom,
    Water,
    Sewer,
    Steam,
    Other,
}

/// A facility layer's class (contract §10).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FacilityClassName {
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

/// The names of a schema enum, as the OpenAPI document lists them.
#[cfg(test)]
fn names<T: ToSchema>() -> Vec<String> {
    let schema = serde_json::to_value(T::schema()).unwrap_or_default();
    schema["enum"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aegis_actors::records::AlertState;
    use aegis_workflows::lifecycle::{Disposition, State};
    use aegis_workflows::risk::Band;

    #[test]
    fn documented_names_are_the_domain_names() {
        let own = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            names::<StateName>(),
            own(State::ALL.iter().map(|s| s.as_str()).collect())
        );
        assert_eq!(
            names::<BandName>(),
            own(Band::ALL.iter().map(|s| s.as_str()).collect())
        );
        assert_eq!(
            names::<ClearableTypeName>(),
            own(crate::app::facilities::CLEARABLE
                .iter()
                .map(|t| t.as_str())
                .collect())
        );
        assert_eq!(
            names::<ScreeningName>(),
            own(aegis_workflows::screening::Category::ALL
                .iter()
                .map(|c| c.as_str())
                .collect())
        );
        assert_eq!(
            names::<AlertStateName>(),
            own(AlertState::ALL.iter().map(|s| s.as_str()).collect())
        );
        assert_eq!(
            names::<DispositionName>(),
            own(Disposition::ALL.iter().map(|s| s.as_str()).collect())
        );
        assert_eq!(
            names::<DeadLetterKindName>(),
            own(crate::app::dead_letters::kind_names())
        );
        assert_eq!(
            names::<FacilityClassName>(),
            own(aegis_workflows::screening::FacilityClass::ALL
                .iter()
                .map(|c| c.as_str())
                .collect())
        );
        assert_eq!(
            names::<FacilityName>(),
            own(crate::app::outcomes::FACILITIES.to_vec())
        );
    }
}

/// A closed vocabulary of the domain as an OpenAPI string enum, listed from the vocabulary
/// itself so the document and the checks cannot drift apart.
macro_rules! vocabulary_schema {
    ($(#[$meta:meta])* $name:ident, $vocab:ty) => {
        $(#[$meta])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some(<$vocab>::ALL.iter().map(|v| v.as_str())))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

vocabulary_schema!(
    /// What happened: a damage, a near miss or downtime.
    InvestigationKindName,
    aegis_workflows::investigation::Kind
);
vocabulary_schema!(
    /// Open or closed.
    InvestigationStateName,
    aegis_workflows::investigation::InvestigationState
);
vocabulary_schema!(
    /// A root cause, named with its group (PHMSA F 7100.1-1 Part D, 2024; DIRT).
    RootCauseName,
    aegis_workflows::investigation::RootCause
);
vocabulary_schema!(
    /// A root cause's group.
    RootCauseGroupName,
    aegis_workflows::investigation::RootCauseGroup
);
vocabulary_schema!(
    /// DIRT's type of excavator.
    ExcavatorKindName,
    aegis_workflows::investigation::ExcavatorKind
);
vocabulary_schema!(
    /// DIRT's type of excavation equipment.
    EquipmentName,
    aegis_workflows::investigation::Equipment
);
vocabulary_schema!(
    /// DIRT's type of work performed.
    WorkTypeName,
    aegis_workflows::investigation::WorkType
);
vocabulary_schema!(
    /// Whether marks were there and right.
    MarksName,
    aegis_workflows::investigation::Marks
);
vocabulary_schema!(
    /// Who was at fault.
    AtFaultName,
    aegis_workflows::investigation::AtFault
);
vocabulary_schema!(
    /// How the ground is opened.
    MethodName,
    aegis_workflows::ticket::ExcavationMethod
);
