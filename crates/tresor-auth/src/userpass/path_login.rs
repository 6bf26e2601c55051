//! `login/<name>`: checks the password and answers the token to make.
//!
//! An unknown user costs what a wrong password costs (the password is checked against a
//! dummy hash) and gets the same answer, byte for byte.

use super::model::{self, UserEntry};
use super::password;
use super::Userpass;
use crate::names::path_name;
use std::collections::BTreeMap;
use tresor_crypto::SecretString;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Error, Response};

const INVALID: &str = "invalid username or password";

pub async fn login(
    up: &Userpass,
    name: &str,
    fields: &Fields,
    client_addr: Option<&str>,
) -> Result<Response, Error> {
    let name = path_name(name)?;
    let password: SecretString = match fields.str("password") {
        Some(p) if !p.is_empty() => p.into(),
        _ => return Err(Error::bad_request("missing password")),
    };
    let user = model::load(&up.storage, &name).await;
    let stored = match &user {
        Ok(Some(u)) => u.password_hash.clone(),
        _ => None,
    };
    let matched = password::verify(password.clone(), stored.clone()).await?;
    let user = user?;
    let (true, Some(user)) = (matched, user) else {
        return Err(Error::bad_request(INVALID));
    };
    user.token.check_bound_cidrs(client_addr)?;
    if stored.as_ref().is_some_and(|s| s.is_bcrypt()) {
        upgrade_hash(up, &name, &user, password).await?;
    }
    let mut metadata = BTreeMap::new();
    metadata.insert("username".to_owned(), name.clone());
    Ok(Response {
        login: Some(user.token.login(&name, &name, metadata)),
        ..Response::default()
    })
}

/// Replaces a bcrypt hash by an argon2id one after a good login, unless the password
/// changed meanwhile.
async fn upgrade_hash(
    up: &Userpass,
    name: &str,
    seen: &UserEntry,
    password: SecretString,
) -> Result<(), Error> {
    let hash = password::hash(password).await?;
    let _writes = up.writes.lock().await;
    if let Some(mut now) = model::load(&up.storage, name).await? {
        if now.password_hash == seen.password_hash {
            now.password_hash = Some(hash);
            model::save(&up.storage, name, &now).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testkit::{messages, userpass, Harness};
    use crate::userpass::password::DUMMY_CHECKS;
    use serde_json::json;
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};
    use tresor_sdk::{ErrorKind, Operation::Update};

    async fn alice(h: &Harness) {
        let body = json!({"password": "pw1", "token_policies": "Dev, ops", "token_ttl": "1h",
            "token_max_ttl": "2h", "token_num_uses": 4, "token_type": "service"});
        h.call(Update, "users/alice", body).await.unwrap();
    }

    #[tokio::test]
    async fn good_password_answers_the_token_to_make() {
        let h = userpass().await;
        alice(&h).await;
        let resp = h
            .call(Update, "login/ALICE", json!({"password": "pw1"}))
            .await
            .unwrap();
        let l = resp.login.unwrap();
        assert_eq!(l.policies, ["dev", "ops"]);
        assert_eq!(
            l.metadata.get("username").map(String::as_str),
            Some("alice")
        );
        assert_eq!(
            (l.display_name.as_str(), l.alias_name.as_str()),
            ("alice", "alice")
        );
        assert_eq!(
            (l.ttl, l.max_ttl),
            (Duration::from_secs(3600), Duration::from_secs(7200))
        );
        assert_eq!(
            (l.num_uses, l.token_type.as_str(), l.renewable),
            (4, "service", true)
        );
        assert!(resp.data.is_none() && resp.auth.is_none());
        let e = h.call(Update, "login/alice", json!({})).await.unwrap_err();
        assert_eq!(
            (e.kind(), e.to_string()),
            (ErrorKind::BadRequest, "missing password".into())
        );
    }

    #[tokio::test]
    async fn unknown_user_and_wrong_password_answer_alike() {
        let h = userpass().await;
        alice(&h).await;
        let wrong = h
            .call(Update, "login/alice", json!({"password": "nope"}))
            .await
            .unwrap_err();
        let before = DUMMY_CHECKS.load(Ordering::SeqCst);
        let unknown = h
            .call(Update, "login/nobody", json!({"password": "nope"}))
            .await
            .unwrap_err();
        assert!(
            DUMMY_CHECKS.load(Ordering::SeqCst) > before,
            "the dummy hash was checked"
        );
        assert_eq!(
            (wrong.kind(), unknown.kind()),
            (ErrorKind::BadRequest, ErrorKind::BadRequest)
        );
        assert_eq!(messages(&wrong), ["invalid username or password"]);
        assert_eq!(messages(&wrong), messages(&unknown));
        assert!(!format!("{wrong:?}{unknown:?}").contains("nope"));
    }

    /// SECURITY row 11: an unknown user costs what a wrong password costs. Interleaved
    /// samples, medians compared with a wide margin (a skipped hash is ~100x cheaper).
    #[tokio::test]
    async fn unknown_user_costs_a_hash() {
        let h = userpass().await;
        alice(&h).await;
        let (mut wrong, mut unknown) = (Vec::new(), Vec::new());
        for _ in 0..9 {
            for (user, out) in [("alice", &mut wrong), ("nobody", &mut unknown)] {
                let start = Instant::now();
                let r = h
                    .call(Update, &format!("login/{user}"), json!({"password": "x"}))
                    .await;
                out.push(start.elapsed());
                assert!(r.is_err());
            }
        }
        let median = |v: &mut Vec<Duration>| {
            v.sort();
            v[v.len() / 2].as_secs_f64()
        };
        let ratio = median(&mut unknown) / median(&mut wrong);
        assert!(
            (0.4..2.5).contains(&ratio),
            "unknown/wrong time ratio {ratio}"
        );
    }

    #[tokio::test]
    async fn bound_cidrs_refuse_other_sources_with_403() {
        let h = userpass().await;
        let body = json!({"password": "pw", "token_bound_cidrs": ["10.0.0.0/8", "::1"]});
        h.call(Update, "users/bob", body).await.unwrap();
        let login = |addr: Option<&'static str>, pw: &'static str| {
            let h = &h;
            async move {
                h.call_from(Update, "login/bob", json!({"password": pw}), addr)
                    .await
            }
        };
        assert!(login(Some("10.1.2.3"), "pw").await.unwrap().login.is_some());
        assert!(login(Some("::1"), "pw").await.is_ok());
        for outside in [Some("127.0.0.1"), Some("2001:db8::1"), None] {
            let e = login(outside, "pw").await.unwrap_err();
            assert_eq!(
                (e.kind(), e.to_string()),
                (ErrorKind::PermissionDenied, "permission denied".into())
            );
        }
        // The password is checked first: a wrong one from outside is a plain failure.
        let e = login(Some("127.0.0.1"), "bad").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadRequest);
    }
}
