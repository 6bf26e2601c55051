//! The TokenReview API: the cluster says whether a token is one it issued and still
//! honours, and whose it is.
//!
//! The request asks for the audiences wanted (the role's `audience`, else the token's
//! own `aud`); the answer must be authenticated, for those audiences, and for a service
//! account (`system:serviceaccount:<namespace>:<name>`).

use super::api::{Api, CallError};
use k8s_openapi::api::authentication::v1::{TokenReview, TokenReviewSpec};

const PATH: &str = "/apis/authentication.k8s.io/v1/tokenreviews";

/// The service account the cluster says the token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewed {
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

/// Why a review did not vouch for the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewError {
    /// The API refused the bearer token of the call itself (401 or 403).
    ReviewerRejected(u16),
    /// The API gave no usable answer.
    Call(CallError),
    /// The API answered, but not for this token (the reason is for the log only).
    Refused(String),
}

fn refused(why: impl Into<String>) -> ReviewError {
    ReviewError::Refused(why.into())
}

/// Reviews `jwt` for `audiences` (none: the API server's own).
pub async fn review(api: &Api, jwt: &str, audiences: &[String]) -> Result<Reviewed, ReviewError> {
    let request = TokenReview {
        spec: TokenReviewSpec {
            token: Some(jwt.to_owned()),
            audiences: (!audiences.is_empty()).then(|| audiences.to_vec()),
        },
        ..TokenReview::default()
    };
    let body = serde_json::to_vec(&request).map_err(|_| refused("cannot encode the request"))?;
    let answer = api.post_json(PATH, body).await.map_err(ReviewError::Call)?;
    match answer.status {
        401 | 403 => return Err(ReviewError::ReviewerRejected(answer.status)),
        200..=206 => {}
        other => return Err(refused(format!("the API answered {other}"))),
    }
    let review: TokenReview = serde_json::from_slice(&answer.body)
        .map_err(|_| refused("the answer is not a TokenReview"))?;
    let status = review.status.unwrap_or_default();
    if status.error.as_deref().is_some_and(|e| !e.is_empty()) {
        return Err(refused("the review reports an error"));
    }
    if status.authenticated != Some(true) {
        return Err(refused("service account jwt not valid"));
    }
    if !audiences.is_empty() {
        let granted = status.audiences.unwrap_or_default();
        if !audiences.iter().any(|a| granted.contains(a)) {
            return Err(refused("the token is not valid for the wanted audiences"));
        }
    }
    let user = status.user.unwrap_or_default();
    let username = user.username.unwrap_or_default();
    let parts: Vec<&str> = username.split(':').collect();
    match parts.as_slice() {
        ["system", "serviceaccount", namespace, name] => Ok(Reviewed {
            namespace: (*namespace).to_owned(),
            name: (*name).to_owned(),
            uid: user.uid.unwrap_or_default(),
        }),
        [_, _, _, _] => Err(refused("username returned is not a service account")),
        _ => Err(refused("unexpected username format")),
    }
}
