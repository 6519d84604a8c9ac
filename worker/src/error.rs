//! What can go wrong while answering a request, split the zero2prod way: the client's
//! fault (4xx, message shown to them) or ours (5xx, generic message, details logged).

use shared::checkout::FieldError;
use shared::strings::Text;
use std::fmt;

#[derive(Debug)]
pub enum AppError {
    /// No such page, product or collection.
    NotFound,
    /// No such thing where the request points (a cart line); the message says what.
    Absent(Text),
    /// The request is malformed; the message says how to fix it.
    BadRequest(Text),
    /// Missing or wrong credentials (cart token, admin token).
    Unauthorized(Text),
    /// Payment was declined.
    PaymentRequired(Text),
    /// Refused: a cross-site form or a missing or wrong CSRF token.
    Forbidden(Text),
    /// Too many writes from one client; retry after the given seconds.
    TooManyRequests(u32),
    /// A limit of its own (too many sign-in links to one address): retry after the
    /// given seconds; the message says which limit.
    Limited(u32, Text),
    /// The address is longer than we accept.
    UriTooLong,
    /// The request conflicts with the current state (in flight, sold out, changed).
    Conflict(Text),
    /// Well formed, but refused by a business rule (cart full, sold out).
    Unprocessable(Text),
    /// Form or JSON fields that need fixing, each with its message.
    InvalidFields(Vec<FieldError>),
    /// The path exists but not for this method; the value is its `Allow` header.
    MethodNotAllowed(String),
    PayloadTooLarge,
    UnsupportedMediaType(&'static str),
    /// A dependency is down for a moment; retry (answered with `Retry-After`).
    Unavailable(Text),
    /// Our fault. The text is logged, never shown.
    Internal(String),
}

/// How long a client is asked to wait after a `503`, in seconds.
pub const UNAVAILABLE_RETRY_AFTER_S: u32 = 5;

impl AppError {
    /// The `Retry-After` of this error's response, in seconds, if it has one.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            Self::TooManyRequests(seconds) | Self::Limited(seconds, _) => Some(*seconds),
            Self::Unavailable(_) => Some(UNAVAILABLE_RETRY_AFTER_S),
            _ => None,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound | Self::Absent(_) => 404,
            Self::BadRequest(_) => 400,
            Self::Unauthorized(_) => 401,
            Self::PaymentRequired(_) => 402,
            Self::Forbidden(_) => 403,
            Self::TooManyRequests(_) | Self::Limited(..) => 429,
            Self::UriTooLong => 414,
            Self::Conflict(_) => 409,
            Self::Unprocessable(_) | Self::InvalidFields(_) => 422,
            Self::MethodNotAllowed(_) => 405,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType(_) => 415,
            Self::Unavailable(_) => 503,
            Self::Internal(_) => 500,
        }
    }

    /// A stable machine-readable code for JSON clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound | Self::Absent(_) => "not_found",
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized(_) => "unauthorized",
            Self::PaymentRequired(_) => "payment_declined",
            Self::Forbidden(_) => "forbidden",
            Self::TooManyRequests(_) | Self::Limited(..) => "rate_limited",
            Self::UriTooLong => "uri_too_long",
            Self::Conflict(_) => "conflict",
            Self::Unprocessable(_) => "unprocessable",
            Self::InvalidFields(_) => "invalid_fields",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    /// Heading and message for the shopper (written in the page's language by the page,
    /// in English for JSON clients).
    pub fn public_text(&self) -> (Text, Text) {
        match self {
            Self::NotFound => (
                Text::new("Page not found"),
                Text::new(
                    "We couldn't find the page you were looking for. It may have moved or sold out for good.",
                ),
            ),
            Self::Absent(m) => (Text::new("Not found"), m.clone()),
            Self::BadRequest(m) => (Text::new("That request didn't look right"), m.clone()),
            Self::Unauthorized(m) => (Text::new("Not allowed"), m.clone()),
            Self::PaymentRequired(m) => (Text::new("Payment declined"), m.clone()),
            Self::Forbidden(m) => (Text::new("That form could not be accepted"), m.clone()),
            Self::TooManyRequests(seconds) => (
                Text::new("Too many requests"),
                Text::new(
                    "You are sending changes faster than we accept. Wait {seconds} seconds and try again.",
                )
                .with("seconds", seconds.to_string()),
            ),
            Self::Limited(_, m) => (Text::new("Too many requests"), m.clone()),
            Self::UriTooLong => {
                (Text::new("Address too long"), Text::new("That web address is longer than we accept."))
            }
            Self::Conflict(m) => (Text::new("That could not be done right now"), m.clone()),
            Self::Unprocessable(m) => (Text::new("We couldn't do that"), m.clone()),
            Self::InvalidFields(fields) => (
                Text::new("Some details need fixing"),
                match fields.as_slice() {
                    [one] => one.message.clone(),
                    _ => Text::from(fields.iter().map(|f| f.message.english()).collect::<Vec<_>>().join(" ")),
                },
            ),
            Self::MethodNotAllowed(allowed) => (
                Text::new("Method not allowed"),
                Text::new("This address only answers {methods} requests.").with("methods", allowed.clone()),
            ),
            Self::PayloadTooLarge => {
                (Text::new("Request too large"), Text::new("The request was larger than we accept."))
            }
            Self::UnsupportedMediaType(expected) => (
                Text::new("Unsupported format"),
                Text::new("Send the request body as {format}.").with("format", *expected),
            ),
            Self::Unavailable(m) => (Text::new("Please try again in a moment"), m.clone()),
            Self::Internal(_) => (
                Text::new("Something went wrong on our side"),
                Text::new("We're sorry: the shop had a problem answering. Please try again in a moment."),
            ),
        }
    }

    /// Field-level details, for JSON clients.
    pub fn fields(&self) -> Option<&[FieldError]> {
        match self {
            Self::InvalidFields(fields) => Some(fields),
            _ => None,
        }
    }

    pub fn internal(context: &str, err: impl fmt::Display) -> Self {
        Self::Internal(format!("{context}: {err}"))
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Internal(detail) => write!(f, "internal error: {detail}"),
            other => write!(f, "{} {}", other.status(), other.public_text().1),
        }
    }
}

impl From<worker::Error> for AppError {
    fn from(e: worker::Error) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<worker::kv::KvError> for AppError {
    fn from(e: worker::kv::KvError) -> Self {
        AppError::Internal(format!("kv: {e}"))
    }
}

pub type AppResult<T> = Result<T, AppError>;
