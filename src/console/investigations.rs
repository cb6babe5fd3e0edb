//! Damage investigations in the console (contract §14), for officers and operators: the list
//! with filters (`/investigations`), the form that opens one on a ticket's workflow
//! (`/investigations/new?workflow=…`, reached from the alert and workflow pages), and each
//! investigation's page with its findings as an edit form (`/investigations/{id}`), its trail
//! and, for operators, the button that closes it. One column of full-width fields, so it works
//! on a phone at the dig site; every choice is one of the closed vocabularies in words.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use aegis_workflows::investigation::{
    AtFault, Draft, Equipment, ExcavatorKind, InvestigationState, Kind, Marks, RootCause,
    RootCauseGroup, Screened, WorkType,
};
use aegis_workflows::problem::Problem;
use aegis_workflows::screening::FacilityClass;
use aegis_workflows::ticket::ExcavationMethod;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use maud::{Markup, html};
use serde::{Deserialize, Serialize};

use super::session::SignedIn;
use super::time::{when, zone};
use super::{Needs, Officer, given, layout, refused, require_form, see_other};
use crate::app::investigations::{InvestigationError, InvestigationQuery};
use crate::app::views::{InvestigationView, Page, Role};
use crate::web::page::respond;
use crate::web::state::AppState;

const PER_PAGE: usize = 50;

/// The list's filters as the browser sends them: empty means any; dates are whole days in the
/// console's zone.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct ListForm {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    state: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    center: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    root_cause_group: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    from: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    until: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    cursor: String,
}

fn invalid(field: &str, message: String) -> InvestigationError {
    InvestigationError::Invalid(vec![Problem::new(field, "invalid", message)])
}

/// A date input's day, from its start in `tz`.
fn day_start(field: &str, s: &str, tz: Tz) -> Result<Option<DateTime<Utc>>, InvestigationError> {
    let Some(s) = given(s) else { return Ok(None) };
    let day = chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d")
        .map_err(|_| invalid(field, format!("'{s}' is not a date (YYYY-MM-DD)")))?;
    Ok(day
        .and_hms_opt(0, 0, 0)
        .and_then(|t| tz.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&Utc)))
}

impl ListForm {
    fn query(&self, tz: Tz) -> Result<InvestigationQuery, InvestigationError> {
        let until = day_start("until", &self.until, tz)?.map(|t| t + chrono::TimeDelta::days(1));
        Ok(InvestigationQuery {
            state: given(&self.state),
            kind: given(&self.kind),
            center: given(&self.center),
            root_cause_group: given(&self.root_cause_group),
            from: day_start("from", &self.from, tz)?,
            until,
            cursor: given(&self.cursor),
            limit: Some(PER_PAGE),
        })
    }

    fn next_page(&self, cursor: &str) -> String {
        let next = ListForm {
            cursor: cursor.to_owned(),
            ..self.clone()
        };
        serde_urlencoded::to_string(&next).map_or_else(
            |_| "/investigations".into(),
            |q| format!("/investigations?{q}"),
        )
    }
}

/// `/investigations`.
pub async fn list(
    state: web::Data<AppState>,
    who: Officer,
    form: web::Query<ListForm>,
) -> HttpResponse {
    let (who, tz) = (who.0, zone(&state));
    let page = match form.query(tz) {
        Ok(q) => state.app.investigations(&q).await,
        Err(e) => Err(e),
    };
    match page {
        Ok(page) => respond(
            StatusCode::OK,
            layout(&who, "Investigations", list_body(&form, &page, tz)),
        ),
        Err(e) => refused(&who, &e, "/investigations"),
    }
}

fn choose<W: Copy>(
    name: &str,
    label: &str,
    all: &[W],
    chosen: &str,
    word: impl Fn(W) -> (&'static str, &'static str),
    any: &str,
) -> Markup {
    let id = format!("f-{name}");
    html! {
        div {
            label for=(id) { (label) }
            select id=(id) name=(name) {
                option value="" { (any) }
                @for w in all {
                    @let (value, words) = word(*w);
                    option value=(value) selected[chosen == value] { (words) }
                }
            }
        }
    }
}

fn list_body(form: &ListForm, page: &Page<InvestigationView>, tz: Tz) -> Markup {
    html! {
        h1 { "Damage investigations" }
        p class="note" { "Open one from an alert's or a workflow's page. Newest event first." }
        form method="get" action="/investigations" class="filters" aria-label="Filter investigations" {
            (choose("state", "State", InvestigationState::ALL, &form.state, |w| (w.as_str(), w.in_words()), "any"))
            (choose("kind", "Kind", Kind::ALL, &form.kind, |w| (w.as_str(), w.in_words()), "any"))
            (choose("root_cause_group", "Root cause", RootCauseGroup::ALL, &form.root_cause_group, |w| (w.as_str(), w.in_words()), "any"))
            div { label for="f-center" { "Center" }
                input id="f-center" name="center" type="text" value=(form.center) maxlength="64"; }
            div { label for="f-from" { "From" } input id="f-from" name="from" type="date" value=(form.from); }
            div { label for="f-until" { "Until (counted)" } input id="f-until" name="until" type="date" value=(form.until); }
            div { button type="submit" class="small" { "Filter" } }
        }
        @if page.items.is_empty() {
            p { "No investigation matches." }
        } @else {
            ol class="queue" {
                @for i in &page.items {
                    li data-investigation-id=(i.id) {
                        p { a href=(format!("/investigations/{}", i.id)) { strong { (i.kind.in_words()) } " — " (i.facility.class.in_words()) }
                            " · " (i.state.in_words()) }
                        p class="note" { (when(i.occurred_at, tz)) " · ticket " (i.ticket_number) " · " (i.center)
                            " · " (i.root_cause.map_or("root cause not yet found", RootCause::in_words)) }
                    }
                }
            }
        }
        @if let Some(c) = &page.next_cursor {
            p { a href=(form.next_page(c)) rel="next" { "Older investigations →" } }
        }
    }
}

/// The form's fields as the browser posts them; an empty field changes nothing.
#[derive(Debug, Default, Deserialize)]
pub struct FindingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    workflow: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    kind: String,
    /// `YYYY-MM-DDTHH:MM` in the console's zone (a `datetime-local` input).
    #[serde(default)]
    occurred_at: String,
    /// `class:<class>` or `layer:<layer>\n<feature id>`.
    #[serde(default)]
    facility: String,
    #[serde(default)]
    root_cause: String,
    #[serde(default)]
    excavator_type: String,
    #[serde(default)]
    excavator: String,
    #[serde(default)]
    equipment: String,
    #[serde(default)]
    work_type: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    marks: String,
    #[serde(default)]
    downtime_hours: String,
    #[serde(default)]
    cost_usd: String,
    #[serde(default)]
    at_fault: String,
    #[serde(default)]
    narrative: String,
}

fn number(field: &str, s: &str) -> Result<Option<f64>, InvestigationError> {
    given(s)
        .map(|v| {
            v.replace(',', "")
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .ok_or_else(|| invalid(field, format!("'{v}' is not a number")))
        })
        .transpose()
}

impl FindingsForm {
    fn draft(&self, tz: Tz) -> Result<Draft, InvestigationError> {
        let occurred_at = given(&self.occurred_at)
            .map(|s| {
                NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M")
                    .ok()
                    .and_then(|t| tz.from_local_datetime(&t).earliest())
                    .map(|t| t.with_timezone(&Utc))
                    .ok_or_else(|| invalid("occurred_at", format!("'{s}' is not a date and time")))
            })
            .transpose()?;
        let (mut class, mut layer, mut feature) = (None, None, None);
        if let Some(f) = given(&self.facility) {
            match f.split_once(':') {
                Some(("class", c)) => class = Some(c.to_owned()),
                Some(("layer", rest)) => {
                    let (l, id) = rest.split_once('\n').unwrap_or((rest, ""));
                    layer = Some(l.to_owned());
                    feature = Some(id.to_owned());
                }
                _ => return Err(invalid("facility", "pick a facility from the list".into())),
            }
        }
        Ok(Draft {
            kind: given(&self.kind),
            occurred_at,
            facility_class: class,
            facility_layer: layer,
            facility_feature_id: feature,
            root_cause: given(&self.root_cause),
            excavator_type: given(&self.excavator_type),
            excavator: given(&self.excavator),
            equipment: given(&self.equipment),
            work_type: given(&self.work_type),
            method: given(&self.method),
            marks: given(&self.marks),
            downtime_hours: number("downtime_hours", &self.downtime_hours)?,
            cost_usd: number("cost_usd", &self.cost_usd)?,
            at_fault: given(&self.at_fault),
            narrative: given(&self.narrative),
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    workflow: String,
}

/// `/investigations/new?workflow=…`: the form, prefilled from what the ticket says.
pub async fn new_form(
    state: web::Data<AppState>,
    who: Officer,
    q: web::Query<NewQuery>,
) -> HttpResponse {
    let who = who.0;
    let detail = match state.app.workflow(&q.workflow).await {
        Ok(d) => d,
        Err(e) => return refused(&who, &e, "/investigations"),
    };
    let screened = match state.app.screened_facilities(&q.workflow).await {
        Ok(s) => s,
        Err(e) => return refused(&who, &e, "/investigations"),
    };
    let tz = zone(&state);
    let t = &detail.ticket;
    let base = aegis_workflows::investigation::prefilled(
        t,
        Kind::Damage,
        state.app.now(),
        FacilityClass::Other,
        None,
    );
    let body = html! {
        h1 { "Record a damage, near miss or downtime" }
        p { "On ticket " strong { (detail.ticket_number) } " (" (detail.center) ")"
            @if let Some(a) = t.location.address.as_deref() { ", " (a) } "." }
        p class="note" { "What the ticket says is filled in; correct anything the site shows otherwise. Aegis records whether its answer to the center was on time itself." }
        form method="post" action="/investigations" class="findings" {
            input type="hidden" name="csrf" value=(who.csrf);
            input type="hidden" name="workflow" value=(detail.id);
            (fields(&Prefill::New(&base), &screened, tz))
            button type="submit" data-action="open-investigation" { "Open the investigation" }
        }
    };
    respond(StatusCode::OK, layout(&who, "New investigation", body))
}

/// What the form starts from: a new investigation's prefill, or the stored one's findings.
enum Prefill<'a> {
    New(&'a aegis_workflows::investigation::Findings),
    Stored(&'a InvestigationView),
}

struct Shown<'a> {
    kind: Option<Kind>,
    occurred_at: DateTime<Utc>,
    facility: Option<&'a aegis_workflows::investigation::DamagedFacility>,
    root_cause: Option<RootCause>,
    excavator_type: Option<ExcavatorKind>,
    excavator: Option<&'a str>,
    equipment: Option<Equipment>,
    work_type: Option<WorkType>,
    method: Option<ExcavationMethod>,
    marks: Option<Marks>,
    downtime_hours: Option<f64>,
    cost_usd: Option<f64>,
    at_fault: Option<AtFault>,
    narrative: Option<&'a str>,
}

impl Prefill<'_> {
    fn shown(&self) -> Shown<'_> {
        match self {
            // A new investigation's kind and facility are the person's to choose.
            Self::New(f) => Shown {
                kind: None,
                occurred_at: f.occurred_at,
                facility: None,
                root_cause: f.root_cause,
                excavator_type: f.excavator_type,
                excavator: f.excavator.as_deref(),
                equipment: f.equipment,
                work_type: f.work_type,
                method: f.method,
                marks: f.marks,
                downtime_hours: f.downtime_hours,
                cost_usd: f.cost_usd,
                at_fault: f.at_fault,
                narrative: f.narrative.as_deref(),
            },
            Self::Stored(v) => Shown {
                kind: Some(v.kind),
                occurred_at: v.occurred_at,
                facility: Some(&v.facility),
                root_cause: v.root_cause,
                excavator_type: v.excavator_type,
                excavator: v.excavator.as_deref(),
                equipment: v.equipment,
                work_type: v.work_type,
                method: v.method,
                marks: v.marks,
                downtime_hours: v.downtime_hours,
                cost_usd: v.cost_usd,
                at_fault: v.at_fault,
                narrative: v.narrative.as_deref(),
            },
        }
    }
}

/// A select over a vocabulary, the current word chosen, "not known yet" first.
fn select<W: Copy + PartialEq>(
    name: &str,
    label: &str,
    blank: &str,
    all: &[W],
    current: Option<W>,
    words: impl Fn(W) -> (&'static str, &'static str),
) -> Markup {
    html! {
        label for=(name) { (label) }
        select id=(name) name=(name) {
            option value="" selected[current.is_none()] { (blank) }
            @for w in all {
                @let (value, text) = words(*w);
                option value=(value) selected[current == Some(*w)] { (text) }
            }
        }
    }
}

fn facility_value(f: &aegis_workflows::investigation::DamagedFacility) -> String {
    match (&f.layer, &f.feature_id) {
        (Some(l), Some(id)) => format!("layer:{l}\n{id}"),
        _ => format!("class:{}", f.class.as_str()),
    }
}

fn facility_select(
    current: Option<&aegis_workflows::investigation::DamagedFacility>,
    screened: &[Screened],
) -> Markup {
    let chosen = current.map(facility_value).unwrap_or_default();
    html! {
        label for="facility" { "Facility" }
        select id="facility" name="facility" required {
            option value="" selected[chosen.is_empty()] { "— which line? —" }
            @if !screened.is_empty() {
                optgroup label="Found near the dig by the screening" {
                    @for s in screened {
                        @let v = format!("layer:{}\n{}", s.layer, s.feature_id);
                        option value=(v) selected[chosen == v] { (s.class.in_words()) " — " (s.layer) " " (s.feature_id) }
                    }
                }
            }
            optgroup label="Not on the map: by class" {
                @for c in FacilityClass::ALL {
                    @let v = format!("class:{}", c.as_str());
                    option value=(v) selected[chosen == v] { (c.in_words()) }
                }
            }
        }
    }
}

fn root_cause_select(current: Option<RootCause>) -> Markup {
    html! {
        label for="root_cause" { "Root cause" }
        select id="root_cause" name="root_cause" {
            option value="" selected[current.is_none()] { "— not found yet —" }
            @for g in RootCauseGroup::ALL {
                optgroup label=(g.in_words()) {
                    @for c in RootCause::ALL.iter().filter(|c| c.group() == *g) {
                        option value=(c.as_str()) selected[current == Some(*c)] { (c.in_words()) }
                    }
                }
            }
        }
    }
}

fn figure(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn fields(p: &Prefill<'_>, screened: &[Screened], tz: Tz) -> Markup {
    let s = p.shown();
    let local = s
        .occurred_at
        .with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let words = |w: &'static str, t: &'static str| (w, t);
    html! {
        fieldset class="dispositions" {
            legend { "What happened" }
            (select("kind", "Kind", "— choose one —", Kind::ALL, s.kind, |k| words(k.as_str(), k.in_words())))
            label for="occurred_at" { "When (" (tz.name()) ")" }
            input type="datetime-local" id="occurred_at" name="occurred_at" value=(local);
            (facility_select(s.facility, screened))
        }
        fieldset class="dispositions" {
            legend { "Why" }
            (root_cause_select(s.root_cause))
            (select("marks", "Locate marks", "— not known yet —", Marks::ALL, s.marks, |m| words(m.as_str(), m.in_words())))
            (select("at_fault", "Party at fault", "— not known yet —", AtFault::ALL, s.at_fault, |a| words(a.as_str(), a.in_words())))
        }
        fieldset class="dispositions" {
            legend { "Who dug, and how" }
            (select("excavator_type", "Type of excavator", "— not known yet —", ExcavatorKind::ALL, s.excavator_type, |e| words(e.as_str(), e.in_words())))
            label for="excavator" { "Excavator" }
            input type="text" id="excavator" name="excavator" maxlength="200" value=(s.excavator.unwrap_or(""));
            (select("equipment", "Equipment", "— not known yet —", Equipment::ALL, s.equipment, |e| words(e.as_str(), e.in_words())))
            (select("work_type", "Work performed", "— not known yet —", WorkType::ALL, s.work_type, |w| words(w.as_str(), w.in_words())))
            (select("method", "Method", "— not known yet —", &ExcavationMethod::ALL, s.method, |m| words(m.as_str(), m.as_str())))
        }
        fieldset class="dispositions" {
            legend { "Consequences" }
            label for="downtime_hours" { "Service interrupted (hours)" }
            input type="text" inputmode="decimal" id="downtime_hours" name="downtime_hours" value=(figure(s.downtime_hours));
            label for="cost_usd" { "Estimated cost (USD)" }
            input type="text" inputmode="decimal" id="cost_usd" name="cost_usd" value=(figure(s.cost_usd));
            label for="narrative" { "What happened, in words" }
            textarea id="narrative" name="narrative" rows="4" maxlength="8000" { (s.narrative.unwrap_or("")) }
        }
    }
}

/// `POST /investigations`: opens one from the form.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<FindingsForm>,
) -> HttpResponse {
    let who = match require_form(&state, &req, Needs::Officer, &form.csrf).await {
        Ok(w) => w,
        Err(answer) => return answer,
    };
    let back = format!(
        "/investigations/new?workflow={}",
        urlencoding(&form.workflow)
    );
    let opened = match form.draft(zone(&state)) {
        Ok(draft) => {
            state
                .app
                .open_investigation(&form.workflow, who.user.audit_name(), draft)
                .await
        }
        Err(e) => Err(e),
    };
    match opened {
        Ok(v) => see_other(&format!("/investigations/{}", v.id)),
        Err(e) => refused(&who, &e, &back),
    }
}

fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `/investigations/{id}`: the findings (an edit form while open), the ticket, the trail.
pub async fn page(state: web::Data<AppState>, who: Officer, id: web::Path<String>) -> HttpResponse {
    let who = who.0;
    let v = match state.app.investigation(&id).await {
        Ok(v) => v,
        Err(e) => return refused(&who, &e, "/investigations"),
    };
    let screened = match state.app.screened_facilities(&v.workflow_id).await {
        Ok(s) => s,
        Err(e) => return refused(&who, &e, "/investigations"),
    };
    let title = format!("{} on ticket {}", v.kind.in_words(), v.ticket_number);
    respond(
        StatusCode::OK,
        layout(
            &who,
            &title,
            investigation_body(&who, &v, &screened, zone(&state)),
        ),
    )
}

fn investigation_body(
    who: &SignedIn,
    v: &InvestigationView,
    screened: &[Screened],
    tz: Tz,
) -> Markup {
    let open = v.state == InvestigationState::Open;
    let ticket_link = if who.user.role == Role::Operator {
        format!("/admin/workflows/{}", v.workflow_id)
    } else {
        format!("/investigations?center={}", urlencoding(&v.center))
    };
    html! {
        h1 data-investigation-state=(v.state.as_str()) {
            (v.kind.in_words()) ": " (v.facility.class.in_words()) " — " (v.state.in_words())
        }
        p { "Ticket " a href=(ticket_link) { (v.ticket_number) } " (" (v.center) ") · "
            (when(v.occurred_at, tz)) }
        p class="note" {
            "Opened by " (v.opened_by) " " (when(v.opened_at, tz)) " · version " (v.version)
            @if let (Some(by), Some(at)) = (&v.closed_by, v.closed_at) { " · closed by " (by) " " (when(at, tz)) }
            " · Aegis's answer to the center: "
            (match v.response_on_time { Some(true) => "on time", Some(false) => "late or missing", None => "not due" })
        }
        @if open {
            form method="post" action=(format!("/investigations/{}", v.id)) class="findings" {
                input type="hidden" name="csrf" value=(who.csrf);
                input type="hidden" name="version" value=(v.version);
                (fields(&Prefill::Stored(v), screened, tz))
                button type="submit" class="secondary" data-action="save-investigation" { "Save the changes" }
            }
            @if who.user.role == Role::Operator {
                form method="post" action=(format!("/investigations/{}/close", v.id)) {
                    input type="hidden" name="csrf" value=(who.csrf);
                    input type="hidden" name="version" value=(v.version);
                    button type="submit" data-action="close-investigation" { "Close the investigation (no more changes)" }
                }
            } @else {
                p class="note" { "An operator closes it once the findings are complete." }
            }
        } @else {
            (closed_findings(v))
        }
    }
}

fn closed_findings(v: &InvestigationView) -> Markup {
    let or_dash = |w: Option<&'static str>| w.unwrap_or("—");
    html! {
        table {
            tr { th scope="row" { "Root cause" } td { (or_dash(v.root_cause.map(RootCause::in_words))) } }
            tr { th scope="row" { "Marks" } td { (or_dash(v.marks.map(Marks::in_words))) } }
            tr { th scope="row" { "At fault" } td { (or_dash(v.at_fault.map(AtFault::in_words))) } }
            tr { th scope="row" { "Excavator" } td { (v.excavator.as_deref().unwrap_or("—")) " (" (or_dash(v.excavator_type.map(ExcavatorKind::in_words))) ")" } }
            tr { th scope="row" { "Equipment" } td { (or_dash(v.equipment.map(Equipment::in_words))) } }
            tr { th scope="row" { "Work" } td { (or_dash(v.work_type.map(WorkType::in_words))) } }
            tr { th scope="row" { "Downtime" } td { (figure(v.downtime_hours)) " h" } }
            tr { th scope="row" { "Cost" } td { "$" (figure(v.cost_usd)) } }
            tr { th scope="row" { "Narrative" } td { (v.narrative.as_deref().unwrap_or("—")) } }
        }
    }
}

fn version_of(s: &str) -> Option<u32> {
    s.trim().parse().ok()
}

/// `POST /investigations/{id}`: saves the form's changes (a later change by someone else is a
/// refusal that says so).
pub async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    form: web::Form<FindingsForm>,
) -> HttpResponse {
    let who = match require_form(&state, &req, Needs::Officer, &form.csrf).await {
        Ok(w) => w,
        Err(answer) => return answer,
    };
    let back = format!("/investigations/{id}");
    let saved = match form.draft(zone(&state)) {
        Ok(draft) => {
            state
                .app
                .edit_investigation(&id, who.user.audit_name(), draft, version_of(&form.version))
                .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => see_other(&back),
        Err(e) => refused(&who, &e, &back),
    }
}

#[derive(Debug, Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
}

/// `POST /investigations/{id}/close` (operators).
pub async fn close(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    form: web::Form<CloseForm>,
) -> HttpResponse {
    let who = match require_form(&state, &req, Needs::Operator, &form.csrf).await {
        Ok(w) => w,
        Err(answer) => return answer,
    };
    let back = format!("/investigations/{id}");
    match state
        .app
        .close_investigation(
            &id,
            who.user.audit_name(),
            who.user.role,
            version_of(&form.version),
        )
        .await
    {
        Ok(_) => see_other(&back),
        Err(e) => refused(&who, &e, &back),
    }
}

/// The workflow's investigations and the way to open one: a section of the alert and workflow
/// pages.
pub fn section(workflow_id: &str, items: &[InvestigationView], tz: Tz) -> Markup {
    html! {
        section class="card" data-investigations=(items.len()) {
            h2 { "Damage investigations" }
            @if items.is_empty() {
                p class="note" { "None on this ticket." }
            } @else {
                ul {
                    @for i in items {
                        li { a href=(format!("/investigations/{}", i.id)) { (i.kind.in_words()) " — " (i.facility.class.in_words()) }
                            " · " (i.state.in_words()) " · " (when(i.occurred_at, tz)) }
                    }
                }
            }
            p { a href=(format!("/investigations/new?workflow={}", urlencoding(workflow_id))) data-action="new-investigation" {
                "Record a damage, near miss or downtime" } }
        }
    }
}
