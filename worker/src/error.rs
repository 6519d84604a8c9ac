//! What can go wrong while answering a request, split the zero2prod way: the client's
//! fault (4xx, message shown to them) or ours (5xx, generic message, details logged).

use std::fmt;

#[derive(Debug)]
pub enum AppError {
    /// No such page, product or collection.
    NotFound,
    /// The request is malformed; the message says how to fix it.
    BadRequest(String),
    /// Well formed, but refused by a business rule (cart full, sold out).
    Unprocessable(String),
    MethodNotAllowed(&'static str),
    PayloadTooLarge,
    /// Our fault. The text is logged, never shown.
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::BadRequest(_) => 400,
            Self::Unprocessable(_) => 422,
            Self::MethodNotAllowed(_) => 405,
            Self::PayloadTooLarge => 413,
            Self::Internal(_) => 500,
        }
    }

    /// A stable machine-readable code for JSON clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::BadRequest(_) => "bad_request",
            Self::Unprocessable(_) => "unprocessable",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Internal(_) => "internal",
        }
    }

    /// Heading and message for the shopper.
    pub fn public_text(&self) -> (&'static str, String) {
        match self {
            Self::NotFound => (
                "Page not found",
                "We couldn't find the page you were looking for. It may have moved or sold out for good."
                    .to_string(),
            ),
            Self::BadRequest(m) => ("That request didn't look right", m.clone()),
            Self::Unprocessable(m) => ("We couldn't do that", m.clone()),
            Self::MethodNotAllowed(allowed) => (
                "Method not allowed",
                format!("This address only answers {allowed} requests."),
            ),
            Self::PayloadTooLarge => (
                "Request too large",
                "The form you sent was larger than we accept.".to_string(),
            ),
            Self::Internal(_) => (
                "Something went wrong on our side",
                "We're sorry: the shop had a problem answering. Please try again in a moment.".to_string(),
            ),
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
