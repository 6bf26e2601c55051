#![allow(clippy::unwrap_used)]
use super::*;
use hyper::body::Bytes;
use hyper::header::HeaderMap;
use hyper::StatusCode;

const HOUR: Duration = Duration::from_secs(3600);

fn key(n: u8) -> CacheKey {
    CacheKey::of(None, "GET", &format!("/v1/k{n}"), None, None, b"")
}

fn entry(n: u8, held: Held, now: Instant) -> Entry {
    Entry {
        key: key(n),
        request_path: format!("/v1/k{n}"),
        namespace: None,
        response: Arc::new(CachedResponse {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from_static(b"{}"),
        }),
        held,
        stored_at: now,
        original: HOUR,
        expires_at: now + HOUR,
        renew_at: Some(renew_deadline(now, HOUR)),
    }
}

fn lease(id: &str, token: &str) -> Held {
    Held::Lease {
        lease_id: id.into(),
        token: token.into(),
        token_hash: TokenHash::of(token),
    }
}

fn token(t: &str, accessor: &str, parent: Option<&str>) -> Held {
    Held::Token {
        token: t.into(),
        token_hash: TokenHash::of(t),
        accessor: Some(TokenHash::of(accessor)),
        parent: parent.map(TokenHash::of),
    }
}

#[test]
fn entries_expire() {
    let now = Instant::now();
    let mut s = Store::default();
    s.insert(entry(1, lease("l1", "t"), now));
    assert!(s.get(&key(1), now + Duration::from_secs(5)).is_some());
    let (_, age) = s.get(&key(1), now + Duration::from_secs(5)).unwrap();
    assert_eq!(age, Duration::from_secs(5));
    assert!(s.get(&key(1), now + HOUR).is_none());
    assert_eq!(s.len(), 0);
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn renewals_follow_the_queue() {
    let now = Instant::now();
    let mut s = Store::default();
    let id = s.insert(entry(1, lease("l1", "t"), now));
    assert!(s.due(now + HOUR / 2).is_empty());
    let due_at = now + HOUR * 2 / 3;
    assert_eq!(s.next_deadline(), Some(due_at));
    let jobs = s.due(due_at);
    assert_eq!(jobs.len(), 1);
    assert!(matches!(&jobs[0].what, Renewing::Lease { lease_id, .. } if lease_id == "l1"));
    assert_eq!(jobs[0].increment, HOUR);
    assert!(
        s.due(due_at).is_empty(),
        "taken off the queue while under way"
    );
    let renewed = Renewal::Renewed {
        duration: HOUR,
        renewable: true,
    };
    s.renewed(id, renewed, due_at);
    assert_eq!(s.next_deadline(), Some(due_at + HOUR * 2 / 3));
    // Still served past the first expiry.
    assert!(s
        .get(&key(1), now + HOUR + Duration::from_secs(1))
        .is_some());
}

#[test]
fn renewal_ends_on_failure_or_near_the_max_ttl() {
    let now = Instant::now();
    for renewal in [
        Renewal::Failed,
        Renewal::Renewed {
            duration: HOUR,
            renewable: false,
        },
        Renewal::Renewed {
            duration: HOUR / 4,
            renewable: true,
        },
    ] {
        let mut s = Store::default();
        let id = s.insert(entry(1, lease("l1", "t"), now));
        s.due(now + HOUR);
        s.renewed(id, renewal, now + HOUR);
        assert_eq!(s.len(), 0, "{renewal:?}");
    }
}

#[test]
fn token_evictions_cascade() {
    let now = Instant::now();
    let mut s = Store::default();
    s.insert(entry(1, token("parent", "pa", None), now));
    s.insert(entry(2, token("child", "ca", Some("parent")), now));
    s.insert(entry(3, lease("l-child", "child"), now));
    s.insert(entry(4, lease("l-other", "other"), now));
    assert!(s.holds_token(&TokenHash::of("child")));
    assert_eq!(s.evict(&Eviction::Accessor(TokenHash::of("pa"))), 3);
    assert_eq!(s.len(), 1);
    assert!(s.get(&key(4), now).is_some());
}

#[test]
fn orphan_revocation_keeps_children() {
    let now = Instant::now();
    let mut s = Store::default();
    s.insert(entry(1, token("parent", "pa", None), now));
    s.insert(entry(2, lease("l-parent", "parent"), now));
    s.insert(entry(3, token("child", "ca", Some("parent")), now));
    assert_eq!(s.evict(&Eviction::TokenOrphan(TokenHash::of("parent"))), 2);
    assert!(s.get(&key(3), now).is_some());
    // The child has no parent any more: evicting the parent's hash leaves it.
    assert_eq!(s.evict(&Eviction::Token(TokenHash::of("parent"))), 0);
}

#[test]
fn lease_path_and_all_evictions() {
    let now = Instant::now();
    let mut s = Store::default();
    s.insert(entry(1, lease("db/creds/a/1", "t"), now));
    s.insert(entry(2, lease("db/creds/b/2", "t"), now));
    s.insert(entry(3, lease("aws/creds/c/3", "t"), now));
    assert_eq!(s.evict(&Eviction::Lease("db/creds/a/1".into())), 1);
    assert_eq!(s.evict(&Eviction::LeasePrefix("db/".into())), 1);
    assert_eq!(s.evict(&Eviction::RequestPath("/v1/k3".into())), 1);
    s.insert(entry(1, lease("x", "t"), now));
    s.insert(entry(2, lease("y", "t"), now));
    assert_eq!(s.evict(&Eviction::All), 2);
    assert_eq!((s.len(), s.next_deadline()), (0, None));
}

#[test]
fn the_same_key_replaces() {
    let now = Instant::now();
    let mut s = Store::default();
    s.insert(entry(1, lease("old", "t"), now));
    s.insert(entry(1, lease("new", "t"), now));
    assert_eq!(s.len(), 1);
    assert_eq!(s.evict(&Eviction::Lease("old".into())), 0);
}
