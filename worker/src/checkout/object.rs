//! `CartObject`: one Durable Object per cart, the single consistent writer of the cart
//! and its checkout. It serves two contexts, each with its own protocol at its own path:
//! the cart's commands (`cart::protocol`, answered by the cart's half,
//! [`CartCore`]) and the checkout's (`checkout::protocol`: holding the stock and
//! placing the order, see [`procedure`]). The checkout builds on the cart, so the object
//! lives here and the cart context knows nothing of the checkout. Since the checkout's
//! state is the cart's, each step a shopper takes is one call from the worker.

use super::procedure;
use super::protocol::{CheckoutAnswer, CheckoutCommand, CHECKOUT_PATH};
use crate::bindings;
use crate::cart::object::CartCore;
use crate::cart::protocol::{CartCommand, CartRequest, CART_PATH};
use crate::durable;
use crate::timing::Timing;
use serde::Deserialize;
use shared::metrics::Event;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

/// A cart left alone this long with lines in it counts as abandoned (4 hours; the var
/// `CART_ABANDONED_AFTER_SECONDS` sets it).
const DEFAULT_ABANDONED_AFTER_SECONDS: u64 = 4 * 60 * 60;

/// Where the test routes send [`Stall`]: answered only with `ENABLE_TEST_ROUTES = "1"`.
pub const STALL_PATH: &str = "/test/stall";

/// Test routes only: hold every other request to this cart for `ms` (at most 20 s), as
/// an overloaded object would.
#[derive(Debug, serde::Serialize, Deserialize)]
pub struct Stall {
    pub ms: u64,
}

#[durable_object]
pub struct CartObject {
    state: State,
    env: Env,
    cart: CartCore,
}

impl CartObject {
    async fn checkout(&self, request: CartRequest<CheckoutCommand>, timing: &Timing) -> Result<Response> {
        let CartRequest { cart, command } = request;
        let reply = self
            .cart
            .answer(&cart, timing, async |cx| match &command {
                CheckoutCommand::Hold { version, edition, holder } => {
                    Ok(CheckoutAnswer::Held { held: procedure::hold(cx, version, edition, holder).await? })
                }
                CheckoutCommand::Complete(command) => {
                    Ok(CheckoutAnswer::Completed { completed: procedure::complete(cx, command).await? })
                }
            })
            .await?;
        durable::reply(&reply, timing.do_calls.get())
    }

    /// After a change that leaves lines in the cart: the alarm rings once the cart has
    /// been left alone for the abandonment delay (each change moves it).
    async fn watch_for_abandonment(&self) -> Result<()> {
        let after_ms = bindings::number(&self.env, bindings::CART_ABANDONED_AFTER_SECONDS)
            .filter(|s| *s > 0)
            .unwrap_or(DEFAULT_ABANDONED_AFTER_SECONDS)
            .saturating_mul(1000);
        let at = worker::Date::now().as_millis().saturating_add(after_ms);
        let date = worker::js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
        self.state.storage().set_alarm(worker::ScheduledTime::new(date)).await
    }

    fn stall(&self, Stall { ms }: Stall) -> Result<Response> {
        let ms = ms.min(20_000);
        // The gate holds from this call on; nothing needs to await it.
        let _gate = self.state.block_concurrency_while(async move {
            worker::Delay::from(std::time::Duration::from_millis(ms)).await;
            Ok(())
        });
        Response::from_json(&Stall { ms })
    }
}

impl DurableObject for CartObject {
    fn new(state: State, env: Env) -> Self {
        CartObject { cart: CartCore::new(&state, env.clone()), state, env }
    }

    /// The cart was left alone for the abandonment delay: if it still has lines (no
    /// order emptied it), it counts as abandoned, once, until it changes again.
    async fn alarm(&self) -> Result<Response> {
        if self.cart.has_lines()? {
            let timing = Timing::start();
            if let Err(e) = crate::metrics::count_now(&self.env, &timing, Event::CartAbandoned).await {
                // Not retried: a lost count is better than an alarm that rings forever.
                worker::console_warn!("an abandoned cart was not counted: {e}");
            }
        }
        Response::ok("watched")
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let timing = Timing::start();
        match req.path().as_str() {
            CART_PATH => match durable::read_command::<CartRequest>(&mut req, "cart").await? {
                Ok(request) => {
                    let changes = !matches!(request.command, CartCommand::Get { .. });
                    let reply = self.cart.run(request, &timing).await?;
                    if changes && !reply.snapshot.state.lines.is_empty() {
                        self.watch_for_abandonment().await?;
                    }
                    durable::reply(&reply, timing.do_calls.get())
                }
                Err(refused) => Ok(refused),
            },
            CHECKOUT_PATH => match durable::read_command(&mut req, "checkout").await? {
                Ok(request) => self.checkout(request, &timing).await,
                Err(refused) => Ok(refused),
            },
            STALL_PATH if bindings::is(&self.env, bindings::ENABLE_TEST_ROUTES, "1") => {
                match durable::read_command(&mut req, "stall").await? {
                    Ok(stall) => self.stall(stall),
                    Err(refused) => Ok(refused),
                }
            }
            other => Response::error(format!("a cart object has nothing at {other}"), 404),
        }
    }
}
