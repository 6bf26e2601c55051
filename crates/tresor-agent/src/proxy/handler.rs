//! One proxied request, as a sequence of named steps: the SSRF header check, the body,
//! the agent's own endpoint, the token rule, then the server directly or through the
//! lease cache.

use super::cache::{self, CacheKey, CachedResponse, Hit, LeaseCache, RequestInfo};
use super::reply::{self, Body, Refusal};
use super::token::{self, TokenRule};
use super::upstream::{Outgoing, Upstream};
use super::{bodies, headers, sanitize};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE, DATE};
use hyper::{Method, Request, Response, StatusCode};
use std::sync::Arc;
use tokio::sync::watch;
use tokio::time::Instant;
use tresor_crypto::SecretString;

const CACHE_CLEAR: &str = "/agent/v1/cache-clear";

/// What every request shares.
pub struct State {
    pub upstream: Upstream,
    pub rule: TokenRule,
    pub auto_token: watch::Receiver<Option<SecretString>>,
    pub cache: Option<Arc<LeaseCache>>,
}

/// The parts of the client's request the later steps look at.
struct Context<'a> {
    path: &'a str,
    query: Option<&'a str>,
    namespace: Option<String>,
    auto_auth: Option<SecretString>,
    /// The answer must not show the auto-auth token (see `sanitize`).
    sanitize: bool,
}

pub async fn handle(state: &State, require_header: bool, req: Request<Incoming>) -> Response<Body> {
    let method = req.method().clone();
    let resp = match pipeline(state, require_header, req).await {
        Ok(resp) => resp,
        Err(refusal) => reply::refusal(refusal),
    };
    tracing::debug!(%method, status = resp.status().as_u16(), "proxied");
    resp
}

async fn pipeline(
    state: &State,
    require_header: bool,
    req: Request<Incoming>,
) -> Result<Response<Body>, Refusal> {
    if require_header && !headers::has_request_header(req.headers()) {
        return Err(Refusal::MissingRequestHeader);
    }
    let (parts, body) = req.into_parts();
    let body = bodies::request(body).await?;
    if let Some(cache) = state
        .cache
        .as_ref()
        .filter(|_| parts.uri.path() == CACHE_CLEAR)
    {
        return cache_clear(cache, &parts.method, &body);
    }
    let auto_auth = state.auto_token.borrow().clone();
    let token = token::choose(
        state.rule,
        headers::request_token(&parts.headers),
        auto_auth.as_ref(),
    )?;
    let out = Outgoing {
        method: parts.method.clone(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        headers: headers::to_server(&parts.headers),
        body,
        token,
    };
    let path = parts.uri.path();
    let sanitize = state.rule.use_auto_auth_token
        && sanitize::applies(path, out.token.as_ref(), &out.body, auto_auth.as_ref());
    let ctx = Context {
        path,
        query: parts.uri.query(),
        namespace: headers::namespace(&parts.headers),
        auto_auth,
        sanitize,
    };
    match &state.cache {
        None => direct(&state.upstream, &out, &ctx).await,
        Some(cache) => through_cache(&state.upstream, cache, &out, &ctx).await,
    }
}

/// `POST`/`PUT /agent/v1/cache-clear`; other methods do nothing (Vault Agent's 200).
fn cache_clear(
    cache: &LeaseCache,
    method: &Method,
    body: &[u8],
) -> Result<Response<Body>, Refusal> {
    if method == Method::POST || method == Method::PUT {
        let eviction = cache::clear_request(body).map_err(Refusal::BadRequest)?;
        cache.evict(&eviction);
    }
    Ok(Response::new(reply::empty()))
}

async fn direct(
    upstream: &Upstream,
    out: &Outgoing,
    ctx: &Context<'_>,
) -> Result<Response<Body>, Refusal> {
    let resp = upstream.send(out).await?;
    if ctx.sanitize && resp.status() == StatusCode::OK {
        return buffered(&read(resp).await?, ctx);
    }
    Ok(streamed(resp))
}

async fn through_cache(
    upstream: &Upstream,
    cache: &LeaseCache,
    out: &Outgoing,
    ctx: &Context<'_>,
) -> Result<Response<Body>, Refusal> {
    let key = CacheKey::of(
        out.token.as_ref(),
        out.method.as_str(),
        ctx.path,
        ctx.query,
        ctx.namespace.as_deref(),
        &out.body,
    );
    let _flight = cache.flight(key).await;
    if let Some(hit) = cache.lookup(&key, Instant::now()) {
        return from_cache(&hit, ctx);
    }
    let resp = upstream.send(out).await?;
    let status = resp.status();
    if status.is_success() {
        if let Some(eviction) = cache::revocation(ctx.path, &out.body, out.token.as_ref()) {
            cache.evict(&eviction);
        }
    }
    let mut answer = if status.is_success() && is_json(&resp) {
        let answer = Arc::new(read(resp).await?);
        let info = RequestInfo {
            key,
            path: ctx.path,
            namespace: ctx.namespace.clone(),
            token: out.token.as_ref(),
        };
        cache.consider(&info, &answer, ctx.auto_auth.as_ref(), Instant::now());
        buffered(&answer, ctx)?
    } else if ctx.sanitize && status == StatusCode::OK {
        buffered(&read(resp).await?, ctx)?
    } else {
        streamed(resp)
    };
    if status.as_u16() < 400 {
        mark(&mut answer, "MISS");
    }
    Ok(answer)
}

fn is_json(resp: &reqwest::Response) -> bool {
    resp.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

async fn read(resp: reqwest::Response) -> Result<CachedResponse, Refusal> {
    let status = resp.status();
    let headers = headers::to_client(resp.headers());
    let body = bodies::answer(resp).await?;
    Ok(CachedResponse {
        status,
        headers,
        body,
    })
}

/// The server's answer passed on as it arrives.
fn streamed(resp: reqwest::Response) -> Response<Body> {
    let status = resp.status();
    let headers = headers::to_client(resp.headers());
    let mut out = Response::new(reply::streaming(resp));
    *out.status_mut() = status;
    *out.headers_mut() = headers;
    out
}

/// A whole answer, without the auto-auth token where it must not show.
fn buffered(answer: &CachedResponse, ctx: &Context<'_>) -> Result<Response<Body>, Refusal> {
    let body = if ctx.sanitize && answer.status == StatusCode::OK {
        sanitize::strip(&answer.body).ok_or_else(|| {
            Refusal::Internal("failed to process token lookup response".to_owned())
        })?
    } else {
        answer.body.clone()
    };
    let mut out = Response::new(reply::full(body));
    *out.status_mut() = answer.status;
    *out.headers_mut() = answer.headers.clone();
    Ok(out)
}

/// A cached answer: fresh `Date`, `Age` in seconds, `X-Cache: HIT`.
fn from_cache(hit: &Hit, ctx: &Context<'_>) -> Result<Response<Body>, Refusal> {
    let mut out = buffered(&hit.response, ctx)?;
    out.headers_mut().remove(DATE);
    out.headers_mut()
        .insert("age", HeaderValue::from(hit.age.as_secs()));
    mark(&mut out, "HIT");
    Ok(out)
}

fn mark(resp: &mut Response<Body>, value: &'static str) {
    resp.headers_mut()
        .insert("x-cache", HeaderValue::from_static(value));
}
