//! [`ApiError`]: every HTTP error is JSON `{"error": {"code", "message"}}` with the status that
//! fits: 400 malformed, 401 unauthorised, 404 unknown, 409 conflict, 413 too large, 422 a rule
//! broken (the code names the rule), 503 unavailable.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use bitcoin_rust_core::mempool::MempoolError;
use bitcoin_rust_core::transaction::TxError;
use bitcoin_rust_core::wallet::WalletError;
use serde::Serialize;
use std::fmt;

/// An HTTP error with a machine-readable code.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The status.
    pub status: StatusCode,
    /// A short code (a rule name for 422).
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    /// Returns an error with this status, code and message.
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError { status, code: code.into(), message: message.into() }
    }

    /// 400: the request is malformed.
    pub fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404: nothing there.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 409: conflicts with the current state.
    pub fn conflict(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }

    /// 422: a rule is broken; `code` names it.
    pub fn rule(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 503: an actor did not answer (shutting down) or work took too long.
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// 500: an internal failure (storage).
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(Body { error: Inner { code: &self.code, message: &self.message } })
    }
}

impl From<actix::MailboxError> for ApiError {
    fn from(_: actix::MailboxError) -> Self {
        ApiError::unavailable("the node is shutting down")
    }
}

impl From<TxError> for ApiError {
    fn from(e: TxError) -> Self {
        ApiError::rule(e.rule(), e.to_string())
    }
}

impl From<MempoolError> for ApiError {
    fn from(e: MempoolError) -> Self {
        match &e {
            MempoolError::Invalid(tx) => ApiError::rule(tx.rule(), e.to_string()),
            MempoolError::TooLarge { .. } => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, e.rule(), e.to_string()),
            _ => ApiError::conflict(e.rule(), e.to_string()),
        }
    }
}

impl From<crate::mempool_actor::SubmitError> for ApiError {
    fn from(e: crate::mempool_actor::SubmitError) -> Self {
        match e {
            crate::mempool_actor::SubmitError::Refused(e) => e.into(),
            crate::mempool_actor::SubmitError::Unavailable => ApiError::unavailable("the node is shutting down"),
        }
    }
}

impl From<WalletError> for ApiError {
    fn from(e: WalletError) -> Self {
        let code = match &e {
            WalletError::InsufficientFunds { .. } => "insufficient_funds",
            WalletError::ZeroAmount => "zero_amount",
            WalletError::Overflow => "output_sum_overflow",
            WalletError::TooManyOutputs { .. } => "too_many_outputs",
            _ => return ApiError::internal(e.to_string()),
        };
        ApiError::rule(code, e.to_string())
    }
}
