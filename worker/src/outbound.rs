//! Calls from the worker to remote HTTP APIs (Stripe, the mail provider): one request
//! over `fetch` under a deadline, aborted when the deadline passes.

use futures_util::future::{select, Either};
use std::time::Duration;
use worker::{AbortController, Delay, Fetch, Request};

/// What a call came to: the status and body, or why there is no answer (`what` names
/// the service in that text).
pub async fn send(req: Request, timeout_ms: u64, what: &str) -> Result<(u16, String), String> {
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Box::pin(async move {
        let mut resp = Fetch::Request(req).send_with_signal(&signal).await?;
        let text = resp.text().await?;
        Ok::<_, worker::Error>((resp.status_code(), text))
    });
    let deadline = Box::pin(Delay::from(Duration::from_millis(timeout_ms)));
    match select(fetch, deadline).await {
        Either::Left((Ok(answer), _)) => Ok(answer),
        Either::Left((Err(e), _)) => Err(format!("calling {what}: {e}")),
        Either::Right(_) => {
            controller.abort();
            Err(format!("{what} did not answer within {timeout_ms} ms"))
        }
    }
}
