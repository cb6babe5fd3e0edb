//! Server-rendered HTML (maud): the shared frame of every page Aegis serves to people, and the
//! headers that keep those pages to themselves (no framing, no outside resources, no referrer
//! leaking a link's token).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use maud::{DOCTYPE, Markup, html};

/// Inline styles only: nothing is fetched from anywhere, this server included. Dark by
/// default (2 a.m.), with contrast above WCAG AA.
const STYLE: &str = "
:root { color-scheme: dark light; }
body { font: 17px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; margin: 0;
  background: #111418; color: #eef1f4; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.4rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; vertical-align: top; padding: .3rem .8rem .3rem 0; color: #b8c2cc;
  white-space: nowrap; font-weight: 600; }
td { padding: .3rem 0; }
.reasons td:first-child { font-family: ui-monospace, monospace; text-align: right;
  padding-right: .8rem; white-space: nowrap; }
button { font: inherit; font-size: 1.15rem; font-weight: 700; width: 100%; padding: .9rem;
  margin: 1.2rem 0; border: 0; border-radius: .4rem; background: #ff6b6b; color: #111418;
  cursor: pointer; }
button:focus-visible, a:focus-visible, input:focus-visible, select:focus-visible,
summary:focus-visible { outline: 3px solid #ffd43b; outline-offset: 2px; }
a { color: #8ec5ff; }
.note { color: #b8c2cc; font-size: .9rem; }
.ok { border-left: 4px solid #51cf66; padding-left: .8rem; }
nav { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; padding: .5rem 0 1rem;
  border-bottom: 1px solid #2c333a; margin-bottom: 1rem; }
nav form.signout { margin-left: auto; display: flex; align-items: center; gap: .5rem; }
button.small { width: auto; font-size: .9rem; padding: .3rem .8rem; margin: 0; background: #2c333a;
  color: #eef1f4; }
label { display: block; margin: .8rem 0 .3rem; font-weight: 600; }
input[type=text], input[type=password], input[type=date], input[type=datetime-local], textarea { font: inherit; width: 100%; box-sizing: border-box;
  padding: .6rem; border-radius: .3rem; border: 1px solid #5c6670; background: #1b2026;
  color: #eef1f4; }
svg.facility-map { max-width: 32rem; display: block; border-radius: .3rem; }
.swatch { display: inline-block; width: .9rem; height: .9rem; border-radius: .2rem;
  vertical-align: middle; border: 1px solid #5c6670; }
ol.near { padding-left: 1.6rem; margin: .5rem 0; } ol.near li { margin: .15rem 0; }
p.screen { border-left: 4px solid #5c6670; padding-left: .8rem; }
p.screen.conflict { border-color: #ff6b6b; } p.screen.close { border-color: #ffd43b; }
p.screen.clear { border-color: #51cf66; }
span.screen.conflict { color: #ff8787; } span.screen.close { color: #ffd43b; }
span.screen.clear { color: #69db7c; }
.bar { display: inline-block; height: .8rem; border-radius: .2rem; vertical-align: middle; }
.bar.up { background: #ff6b6b; } .bar.down { background: #51cf66; }
button.secondary { background: #8ec5ff; }
select { font: inherit; width: 100%; padding: .5rem; background: #1b2026; color: #eef1f4;
  border: 1px solid #5c6670; border-radius: .3rem; }
ol.history { padding-left: 1.2rem; } ol.history li { margin: .2rem 0; }
table.queue td, table.queue th { padding: .4rem .6rem .4rem 0; border-bottom: 1px solid #2c333a; }
ol.queue { list-style: none; padding: 0; margin: 0; }
ol.queue li { border-bottom: 1px solid #2c333a; padding: .5rem 0; overflow-wrap: anywhere; }
details.center-fields td, details.center-fields th { overflow-wrap: anywhere; }
ol.queue li p { margin: .1rem 0; } ol.queue li.taken { opacity: .7; }
ol.queue .when { font-weight: 700; } ol.queue .when.overdue { color: #ff8787; }
ol.queue .buried { color: #ffd43b; }
ol.queue li.group { border-bottom: 0; padding-top: 1.2rem; } ol.queue li.stale { opacity: .75; }
.gone { border-left: 4px solid #ffd43b; padding-left: .8rem; }
form.filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr));
  gap: 0 .8rem; align-items: end; margin-bottom: 1rem; }
form.filters button.small { width: 100%; padding: .6rem; margin-top: .8rem; }
section.card { border: 1px solid #2c333a; border-radius: .4rem; padding: .2rem .8rem .8rem;
  margin: 0 0 1rem; overflow-wrap: anywhere; }
section.card h2 { margin-top: .6rem; }
.actions { display: flex; flex-wrap: wrap; gap: 1rem; align-items: end; }
.actions form { flex: 1 1 14rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: .85rem; background: #1b2026;
  padding: .5rem; border-radius: .3rem; }
summary { cursor: pointer; color: #8ec5ff; }
fieldset.dispositions { border: 1px solid #2c333a; border-radius: .4rem; margin: 1rem 0 0;
  padding: .4rem .8rem; } fieldset.dispositions legend { font-weight: 600; padding: 0 .3rem; }
label.choice { font-weight: 400; margin: .3rem 0; padding: .5rem .3rem; border-radius: .3rem;
  cursor: pointer; } label.choice:hover { background: #1b2026; }
label.choice input { width: 1.2rem; height: 1.2rem; vertical-align: middle; }
p.raised-because { font-size: 1.05rem; border-left: 4px solid #ff6b6b; padding-left: .8rem; }
p.danger { border-left: 4px solid #ffd43b; padding-left: .8rem; }
p.danger.conflict { border-color: #ff6b6b; }
.said { color: #d0d7de; font-style: italic; }
ol.timeline { list-style: none; padding: 0; border-left: 2px solid #2c333a; }
ol.timeline li { margin: 0 0 .8rem; padding-left: .8rem; }
ol.timeline li.suspect { border-left: 4px solid #ffd43b; }
.when, .hash { font-family: ui-monospace, monospace; }
svg.chart { display: block; width: 100%; height: auto; max-width: 40rem; }
section.report figure { margin: .5rem 0; }
p.legend { display: flex; flex-wrap: wrap; gap: .3rem 1rem; font-size: .9rem; margin: .2rem 0; }
div.scroll { overflow-x: auto; }
table.numbers td:not(:first-child), table.numbers th:not(:first-child) { text-align: right; }
table.numbers { font-size: .9rem; font-variant-numeric: tabular-nums; }
dl.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: .8rem;
  margin: 1rem 0; } dl.figures div { border: 1px solid #2c333a; border-radius: .4rem; padding: .5rem .8rem; }
dl.figures dt { color: #b8c2cc; font-size: .85rem; } dl.figures dd { margin: 0; font-size: 1.4rem;
  font-weight: 700; font-variant-numeric: tabular-nums; }
";

/// A whole page around `body`.
pub fn frame(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " — Aegis" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body { main { (body) } }
        }
    }
}

/// The answer carrying a page, with the headers every page gets.
pub fn respond(status: StatusCode, page: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; \
             connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; \
             base-uri 'none'",
        ))
        .insert_header(("x-frame-options", "DENY"))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("referrer-policy", "no-referrer"))
        .insert_header(("cache-control", "no-store"))
        .body(page.into_string())
}
