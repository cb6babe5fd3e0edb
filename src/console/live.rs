//! `/alerts/live`: the alert changes officers' pages follow, as server-sent events, for a
//! signed-in session (the API's stream takes bearer tokens). Each event only says that
//! something changed; the page fetches what it shows through the same checks as a page load.
//! Open streams count against `http.max_streams`; a stream ends soon after its session does.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use futures::StreamExt;
use tokio_stream::wrappers::{BroadcastStream, IntervalStream};

use super::{Needs, require, session};
use crate::web::state::AppState;

const RECHECK: Duration = Duration::from_secs(5);

pub async fn stream(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if let Err(answer) = require(&state, &req, Needs::Officer).await {
        return answer;
    }
    let Ok(permit) = state.streams.clone().try_acquire_owned() else {
        return HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE)
            .insert_header(("retry-after", "5"))
            .finish();
    };
    let events =
        BroadcastStream::new(state.app.alert_changes()).map(|_| "data: changed\n\n".to_owned());
    let keepalive = IntervalStream::new(tokio::time::interval(Duration::from_secs(15)))
        .map(|_| ": keep-alive\n\n".to_owned());
    let (watcher, req2) = (state.clone(), req.clone());
    let ended = async move {
        loop {
            tokio::time::sleep(RECHECK).await;
            // Only a session known to be over ends the stream; a database hiccup does not.
            if let Ok(None) = session::current(&watcher, &req2).await {
                return;
            }
        }
    };
    let body = futures::stream::select(events, keepalive)
        .take_until(ended)
        .map(move |s| {
            let _open = &permit;
            Ok::<_, actix_web::Error>(web::Bytes::from(s))
        });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .streaming(body)
}
