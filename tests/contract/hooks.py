"""Schemathesis hooks for the storefront API (loaded through schemathesis.toml).

A cart's bearer token is minted by `POST /carts` and is good for that cart only, so no
single static token can authenticate the cart and checkout operations. The stateful
phase follows the document's links from `POST /carts` to the cart's own operations by
its id; these hooks remember each new cart's token by id and send it with every later
request about that cart. The merchant operations get `ADMIN_TOKEN` from the
environment. A request about a cart this run never created goes without a token, and
the API must answer it 401.

With CONTRACT_CALLS set, every call is appended to that file as one line (phase,
whether it carried its cart's own token, operation, status), which the test reads to
check that the stateful phase went all the way to a placed order; CONTRACT_DEBUG=1 adds
the bodies and replies of checkout calls.
"""

import os

import schemathesis

TOKENS: dict[str, str] = {}
# Carts an order was placed from: placing it moved their lines into the order.
PLACED: set[str] = set()


CALLS = os.environ.get("CONTRACT_CALLS")


def phase_of(case):
    phase = getattr(getattr(case, "meta", None), "phase", None)
    name = getattr(phase, "name", None)
    return str(getattr(name, "value", name) or "unknown").lower()


@schemathesis.hook
def after_call(ctx, case, response):
    """Records each call (phase, whether it carried a cart's own token, operation,
    status) for tests/tests/contract.rs, and remembers new carts' tokens."""
    if CALLS:
        sent = (case.headers or {}).get("Authorization", "")
        cart = cart_of(case)
        own = isinstance(cart, str) and cart in TOKENS and sent == f"Bearer {TOKENS[cart]}"
        with open(CALLS, "a", encoding="utf-8") as log:
            log.write(f"{phase_of(case)} {'token' if own else 'none'} {case.method.upper()} {case.path} {response.status_code}\n")
            if os.environ.get("CONTRACT_DEBUG") and case.path.endswith("/complete"):
                log.write(f"  debug body={case.body!r} reply={response.text[:200]!r}\n")
            if os.environ.get("CONTRACT_DEBUG") and case.path == "/checkouts":
                log.write(f"  debug body={case.body!r} known={cart_of(case) in TOKENS if isinstance(cart_of(case), str) else None} headers={dict(case.headers or {})!r}\n")
    if case.method.upper() == "POST" and case.path == "/checkouts/{id}/complete" and response.status_code == 201:
        PLACED.add(cart_of(case))
    if case.method.upper() == "POST" and case.path == "/carts" and response.status_code == 201:
        try:
            body = response.json()
        except ValueError:
            return
        if isinstance(body, dict) and isinstance(body.get("id"), str) and isinstance(body.get("token"), str):
            TOKENS[body["id"]] = body["token"]


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    """Drops one false alarm, and only that one: "created resource not found" (ST302) for
    a line of a cart whose order has been placed since. Completing a checkout empties
    its cart into the order, which Schemathesis does not count as removing the line."""
    if type(failure).__name__ != "EnsureResourceAvailability":
        return True
    return not (case.path == "/carts/{id}/lines/{sku}" and cart_of(case) in PLACED)


def cart_of(case):
    """The cart a request is about: the `id` in its path, or `cart_id` in its body."""
    if case.path == "/checkouts":
        return case.body.get("cart_id") if isinstance(case.body, dict) else None
    return (case.path_parameters or {}).get("id")


@schemathesis.hook
def before_call(ctx, case, kwargs):
    """`POST /checkouts` names its cart in the body, which the stateful phase fills in
    from a link after the auth provider has run: give that cart's token here (for
    schema-valid requests only; a negative one keeps what it was generated with).
    Schemathesis' auth probes do not go through this hook, so they still go without."""
    if case.method.upper() != "POST" or case.path != "/checkouts":
        return
    mode = getattr(getattr(getattr(case, "meta", None), "generation", None), "mode", None)
    if not getattr(mode, "is_positive", False):
        return
    cart = cart_of(case)
    if isinstance(cart, str) and cart in TOKENS:
        # Replaces the random credentials Schemathesis generates when auth gives none.
        headers = case.headers or {}
        headers["Authorization"] = f"Bearer {TOKENS[cart]}"
        case.headers = headers
        # What Schemathesis records when its auth provider sets credentials, so that its
        # ignored_auth check probes this request without them, as for every other one
        # (a private field of the pinned version).
        case._has_explicit_auth = True


@schemathesis.auth(refresh_interval=None)
class ShopTokens:
    def get(self, case, ctx):
        if case.path.startswith("/admin/"):
            return os.environ.get("ADMIN_TOKEN")
        cart = cart_of(case)
        return TOKENS.get(cart) if isinstance(cart, str) else None

    def set(self, case, data, ctx):
        if data is None:
            return
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
