//! The dead letters page: collected messages refused (docs/event-collection.md), newest first,
//! with their reason; a scoped key sees its dataset groups' only (the service filters).

use super::*;

/// Letters shown.
const SHOWN: u64 = 200;

struct LetterRow {
    time: String,
    source: String,
    group: String,
    reason: String,
    detail: String,
    payload: String,
}

#[derive(Template)]
#[template(path = "console/dead_letters.html")]
struct DeadLettersPage {
    nav: Option<Nav>,
    letters: Vec<LetterRow>,
    kept: u64,
}

pub(super) async fn dead_letters(State(console): State<Console>, headers: HeaderMap) -> Response {
    let read = |ctl: &Ctl| ctl.reko.dead_letters(ctl.scope, SHOWN).map_err(ApiError::from);
    match with_session(&console, &headers, read).await {
        Ok((nav, letters)) => {
            let letters = letters
                .into_iter()
                .map(|l| LetterRow {
                    time: format_time(l.at),
                    source: l.source,
                    group: l.dataset_group_arn.as_deref().map(reko_service::metrics::name_of).unwrap_or("").to_string(),
                    reason: l.reason,
                    detail: l.detail,
                    payload: l.payload,
                })
                .collect();
            let kept = reko_service::collect::DEAD_LETTERS_KEPT;
            html(StatusCode::OK, &DeadLettersPage { nav: Some(nav), letters, kept })
        }
        Err(response) => response,
    }
}
