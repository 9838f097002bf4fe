//! [`ApiError`]: every HTTP error is JSON `{"error": {"code", "message"}}` with the status that
//! fits: 400 malformed, 401 unauthorised, 404 unknown, 409 conflict, 413 too large, 422 a rule
//! broken (the code names the rule), 503 unavailable.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
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

impl From<crate::chain_reader::ReaderError> for ApiError {
    fn from(e: crate::chain_reader::ReaderError) -> ApiError {
        // A failed query is the node's problem, never the asker's.
        ApiError::internal(e.to_string())
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
            // No block could include it: as invalid as a broken transaction rule.
            MempoolError::TooLargeForBlock { .. }
            | MempoolError::NoRoomInBlocks { .. }
            | MempoolError::FeeOverflow { .. }
            | MempoolError::BalanceOverflow { .. } => ApiError::rule(e.rule(), e.to_string()),
            _ => ApiError::conflict(e.rule(), e.to_string()),
        }
    }
}

impl From<crate::mempool_actor::SubmitError> for ApiError {
    fn from(e: crate::mempool_actor::SubmitError) -> Self {
        match e {
            crate::mempool_actor::SubmitError::Refused(e) => e.into(),
            e @ (crate::mempool_actor::SubmitError::Unavailable | crate::mempool_actor::SubmitError::TipMoving) => {
                ApiError::unavailable(e.to_string())
            }
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

/// Rewrites an error response that is not JSON (the CORS layer's plain-text refusals of a
/// preflight, or anything else the framework answers by itself) into the API's error shape,
/// keeping its status and headers; the text becomes the message. Other responses pass as they are.
pub async fn ensure_json_error<B>(res: ServiceResponse<B>) -> ServiceResponse<BoxBody>
where
    B: MessageBody + 'static,
{
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return res.map_into_boxed_body();
    }
    let from_browser = res.request().headers().contains_key(header::ORIGIN);
    let (req, res) = res.into_parts();
    let headers = res.headers().clone();
    let body = actix_web::body::to_bytes(res.into_body()).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&body).trim().to_string();
    let code = match status {
        StatusCode::BAD_REQUEST if from_browser => "cors_refused",
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::INTERNAL_SERVER_ERROR => "internal",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        _ => "http_error",
    };
    let message = if text.is_empty() { status.canonical_reason().unwrap_or("error").to_string() } else { text };
    let mut json = ApiError::new(status, code, message).error_response();
    for (name, value) in &headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            json.headers_mut().append(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(req, json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    async fn body_json(res: ServiceResponse<BoxBody>) -> serde_json::Value {
        let body = actix_web::body::to_bytes(res.into_body()).await.unwrap_or_default();
        serde_json::from_slice(&body).expect("a JSON body")
    }

    #[actix_web::test]
    async fn a_plain_text_cors_refusal_becomes_a_json_error() {
        let req = TestRequest::default().insert_header((header::ORIGIN, "http://evil.example")).to_http_request();
        let plain = HttpResponse::BadRequest()
            .insert_header((header::VARY, "Origin"))
            .body("Origin is not allowed to make this request");
        let res = ensure_json_error(ServiceResponse::new(req, plain)).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(res.headers().get(header::CONTENT_TYPE).unwrap(), "application/json");
        assert_eq!(res.headers().get(header::VARY).unwrap(), "Origin");
        let body = body_json(res).await;
        assert_eq!(body["error"]["code"], "cors_refused");
        assert_eq!(body["error"]["message"], "Origin is not allowed to make this request");
    }

    #[actix_web::test]
    async fn an_empty_framework_error_gets_a_message_and_json_errors_and_successes_pass() {
        let req = TestRequest::default().to_http_request();
        let res = ensure_json_error(ServiceResponse::new(req.clone(), HttpResponse::NotFound().finish())).await;
        let body = body_json(res).await;
        assert_eq!(body["error"]["code"], "not_found");
        assert_eq!(body["error"]["message"], "Not Found");

        let api = ApiError::bad_request("bad_limit", "limit must be in 1..=500").error_response();
        let body = body_json(ensure_json_error(ServiceResponse::new(req.clone(), api)).await).await;
        assert_eq!(body["error"]["code"], "bad_limit");

        let ok = HttpResponse::Ok().content_type("text/plain").body("metrics");
        let res = ensure_json_error(ServiceResponse::new(req, ok)).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(actix_web::body::to_bytes(res.into_body()).await.unwrap_or_default(), "metrics");
    }
}
