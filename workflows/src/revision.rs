//! Revisions: what a newly validated revision of a ticket does to the other revisions' workflows.
//!
//! Rules (decided here, documented in the README):
//! - A validated revision supersedes every earlier revision's unfinished workflow; a validated
//!   `cancel` revision cancels them instead, and its own workflow ends `cancelled` too.
//! - A revision that arrives after a later one has already been validated is stale: its workflow
//!   ends `superseded` by that later one as soon as it is validated.
//! - A later revision that is still only `received`, or was `rejected`, supersedes nothing: an
//!   invalid update must not take a valid ticket away from the officers.

use crate::lifecycle::State;
use crate::ticket::TicketType;

/// Another workflow of the same center and ticket number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sibling {
    pub workflow_id: String,
    pub revision: u32,
    pub state: State,
}

/// What to do once a revision has been validated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RevisionPlan {
    /// This workflow is stale: it ends superseded by this later one.
    pub superseded_by: Option<(String, u32)>,
    /// This workflow is a cancel notice and ends cancelled.
    pub cancel_self: bool,
    /// Earlier unfinished workflows to supersede.
    pub supersede: Vec<String>,
    /// Earlier unfinished workflows to cancel.
    pub cancel: Vec<String>,
}

/// Plans the effect of validating revision `revision` (of type `kind`) given its siblings.
pub fn plan_after_validation(
    kind: TicketType,
    revision: u32,
    siblings: &[Sibling],
) -> RevisionPlan {
    let later = siblings
        .iter()
        .filter(|s| s.revision > revision && !matches!(s.state, State::Received | State::Rejected))
        .max_by_key(|s| s.revision);
    if let Some(l) = later {
        return RevisionPlan {
            superseded_by: Some((l.workflow_id.clone(), l.revision)),
            ..RevisionPlan::default()
        };
    }
    let earlier: Vec<String> = siblings
        .iter()
        .filter(|s| s.revision < revision && !s.state.is_terminal())
        .map(|s| s.workflow_id.clone())
        .collect();
    if kind == TicketType::Cancel {
        RevisionPlan {
            cancel_self: true,
            cancel: earlier,
            ..RevisionPlan::default()
        }
    } else {
        RevisionPlan {
            supersede: earlier,
            ..RevisionPlan::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sib(id: &str, revision: u32, state: State) -> Sibling {
        Sibling {
            workflow_id: id.into(),
            revision,
            state,
        }
    }

    #[test]
    fn an_update_supersedes_unfinished_earlier_revisions() {
        let p = plan_after_validation(
            TicketType::Update,
            2,
            &[sib("a", 0, State::Resolved), sib("b", 1, State::Alerted)],
        );
        assert_eq!(p.supersede, vec!["b".to_string()]);
        assert!(p.cancel.is_empty() && !p.cancel_self && p.superseded_by.is_none());
    }

    #[test]
    fn a_cancel_cancels_earlier_revisions_and_itself() {
        let p = plan_after_validation(TicketType::Cancel, 1, &[sib("a", 0, State::Scored)]);
        assert_eq!(p.cancel, vec!["a".to_string()]);
        assert!(p.cancel_self);
        assert!(p.supersede.is_empty());
    }

    #[test]
    fn a_stale_revision_is_superseded_by_the_latest_validated_one() {
        let p = plan_after_validation(
            TicketType::Normal,
            1,
            &[
                sib("a", 0, State::Scored),
                sib("c", 2, State::Alerted),
                sib("d", 3, State::Rejected),
                sib("e", 4, State::Received),
            ],
        );
        assert_eq!(p.superseded_by, Some(("c".to_string(), 2)));
        assert!(
            p.supersede.is_empty(),
            "a stale revision touches nothing else"
        );
    }
}
