//! The token parameters every auth method's users and roles take (Vault's `tokenutil`):
//! `token_ttl`, `token_policies`, `token_bound_cidrs`... with their legacy names (`ttl`,
//! `policies`, `bound_cidrs`...), Vault's read output, and the [`Login`] they make.
//!
//! Also the small checked CIDR parser the methods bind credentials with.

use crate::fields::{bool_field, duration_field, string_field, string_list_field};
use crate::{Data, Error, Login, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// An IPv4 or IPv6 address with a prefix length; the address keeps its host bits, as
/// Vault shows them (`10.0.0.5/8`), and a full-length prefix prints as the bare address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn max_prefix(addr: IpAddr) -> u8 {
        if addr.is_ipv4() {
            32
        } else {
            128
        }
    }

    fn parse_parts(input: &str, require_prefix: bool) -> Option<Self> {
        let s = input.trim();
        let (ip, prefix) = match s.split_once('/') {
            Some((ip, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                (ip, Some(p.parse::<u8>().ok()?))
            }
            Some(_) => return None,
            None if require_prefix => return None,
            None => (s, None),
        };
        let addr: IpAddr = ip.parse().ok()?;
        let max = Self::max_prefix(addr);
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Self { addr, prefix })
    }

    /// An address with an optional prefix (`10.0.0.1`, `10.0.0.0/8`, `::1`), as Vault
    /// parses `token_bound_cidrs`.
    pub fn parse_addr(input: &str) -> Result<Self, Error> {
        Self::parse_parts(input, false).ok_or_else(|| {
            let shown = clip(input);
            Error::bad_request(format!(
                "error parsing address {shown:?}: Unable to convert {shown:?} to an IPv4 or IPv6 address, or a UNIX Socket"
            ))
        })
    }

    /// A CIDR block with its prefix (`10.0.0.0/8`), as Vault validates AppRole's
    /// `secret_id_bound_cidrs` and `cidr_list`.
    pub fn parse_block(input: &str) -> Result<Self, Error> {
        Self::parse_parts(input, true).ok_or_else(|| {
            Error::bad_request(format!("invalid CIDR address: {}", clip(input).trim()))
        })
    }

    fn bits(addr: IpAddr) -> u128 {
        match addr {
            IpAddr::V4(a) => u128::from(u32::from(a)),
            IpAddr::V6(a) => u128::from(a),
        }
    }

    /// Whether `addr` lies in this block (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = addr.to_canonical();
        if addr.is_ipv4() != self.addr.is_ipv4() {
            return false;
        }
        let width = u32::from(Self::max_prefix(addr));
        let host_bits = width - u32::from(self.prefix);
        let mask = u128::MAX.checked_shl(host_bits).unwrap_or(0);
        Self::bits(addr) & mask == Self::bits(self.addr) & mask
    }

    /// Whether every address of `inner` lies in this block.
    pub fn covers(&self, inner: &Cidr) -> bool {
        self.prefix <= inner.prefix && self.contains(inner.addr)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix == Self::max_prefix(self.addr) {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

impl TryFrom<String> for Cidr {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse_parts(&s, false).ok_or_else(|| format!("invalid address {:?}", clip(&s)))
    }
}

impl From<Cidr> for String {
    fn from(c: Cidr) -> String {
        c.to_string()
    }
}

/// At most 64 characters of an input, for error messages.
fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

/// The client's address as the HTTP layer gives it (`1.2.3.4`, or with a port).
pub fn parse_client_addr(addr: &str) -> Option<IpAddr> {
    let addr = addr.trim();
    addr.parse::<IpAddr>()
        .ok()
        .or_else(|| addr.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// Whether `client` lies in one of `cidrs`; a missing or unreadable address never does.
pub fn client_in(cidrs: &[Cidr], client: Option<&str>) -> bool {
    client
        .and_then(parse_client_addr)
        .is_some_and(|ip| cidrs.iter().any(|c| c.contains(ip)))
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    /// The mount's default.
    #[default]
    Default,
    Service,
    Batch,
}

impl TokenType {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Default => "default",
            TokenType::Service => "service",
            TokenType::Batch => "batch",
        }
    }
}

/// Values written under the legacy names; Vault shows each on read only while it is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Legacy {
    pub policies: Vec<String>,
    pub ttl: u64,
    pub max_ttl: u64,
    pub period: u64,
    pub bound_cidrs: Vec<Cidr>,
}

/// The legacy names a method accepts (each maps to its `token_` twin).
pub const LEGACY_NAMES: &[&str] = &["policies", "ttl", "max_ttl", "period", "bound_cidrs"];

/// The token parameters of one user or role. Durations are whole seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenParams {
    pub ttl: u64,
    pub max_ttl: u64,
    pub explicit_max_ttl: u64,
    pub period: u64,
    pub policies: Vec<String>,
    pub bound_cidrs: Vec<Cidr>,
    pub no_default_policy: bool,
    pub num_uses: u64,
    pub token_type: TokenType,
    pub legacy: Legacy,
}

fn secs(data: &Data, key: &str) -> Result<Option<u64>, Error> {
    Ok(duration_field(data, key)?.map(|d| d.as_secs()))
}

/// `token_policies`: trimmed, empty names dropped, duplicates dropped (case kept).
fn token_policies(data: &Data, key: &str) -> Result<Option<Vec<String>>, Error> {
    Ok(string_list_field(data, key)?.map(|list| {
        let mut out: Vec<String> = Vec::new();
        for p in list.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
            if !out.iter().any(|o| o == p) {
                out.push(p.to_owned());
            }
        }
        out
    }))
}

/// Vault's `policyutil.ParsePolicies` for the legacy `policies`: lower-cased, sorted,
/// deduplicated; `root` stands alone.
fn legacy_policies(data: &Data, key: &str) -> Result<Option<Vec<String>>, Error> {
    let Some(mut list) = token_policies(data, key)? else {
        return Ok(None);
    };
    for p in list.iter_mut() {
        *p = p.to_lowercase();
    }
    if list.iter().any(|p| p == "root") {
        return Ok(Some(vec!["root".to_owned()]));
    }
    list.sort();
    list.dedup();
    Ok(Some(list))
}

fn cidrs(data: &Data, key: &str) -> Result<Option<Vec<Cidr>>, Error> {
    string_list_field(data, key)?
        .map(|list| {
            list.iter()
                .filter(|s| !s.trim().is_empty())
                .map(|s| Cidr::parse_addr(s))
                .collect()
        })
        .transpose()
}

/// Vault's `tokenutil.UpgradeValue`: the new name wins; the legacy value is kept (and
/// shown) only when the request set it.
fn upgrade<T: Clone + Default>(old: Option<T>, new_set: bool, legacy: &mut T, current: &mut T) {
    match (new_set, old) {
        (true, Some(_)) => *legacy = current.clone(),
        (true, None) => *legacy = T::default(),
        (false, Some(v)) => {
            *legacy = v.clone();
            *current = v;
        }
        (false, None) => {}
    }
}

impl TokenParams {
    /// Applies the token fields a write sets (every legacy name accepted).
    pub fn parse_update(&mut self, data: &Data) -> Result<(), Error> {
        self.parse_update_with(data, LEGACY_NAMES)
    }

    /// Applies the token fields a write sets; `legacy` lists the legacy names this
    /// endpoint takes (others are left to the caller's "ignored" warning).
    pub fn parse_update_with(&mut self, data: &Data, legacy: &[&str]) -> Result<(), Error> {
        let mut next = self.clone();
        let policies = token_policies(data, "token_policies")?;
        let ttl = secs(data, "token_ttl")?;
        let max_ttl = secs(data, "token_max_ttl")?;
        let period = secs(data, "token_period")?;
        let bound = cidrs(data, "token_bound_cidrs")?;
        if let Some(v) = secs(data, "token_explicit_max_ttl")? {
            next.explicit_max_ttl = v;
        }
        if let Some(v) = bool_field(data, "token_no_default_policy")? {
            next.no_default_policy = v;
        }
        if let Some(n) = num_uses(data)? {
            next.num_uses = n;
        }
        if let Some(t) = string_field(data, "token_type")? {
            next.token_type = match t.as_str() {
                "" | "default" => TokenType::Default,
                "service" => TokenType::Service,
                "batch" => TokenType::Batch,
                other => {
                    return Err(Error::bad_request(format!(
                        "invalid 'token_type' value {:?}",
                        clip(other)
                    )))
                }
            };
        }
        if bool_field(data, "token_strictly_bind_ip")? == Some(true) {
            return Err(Error::bad_request(
                "'token_strictly_bind_ip' is not supported; use 'token_bound_cidrs'",
            ));
        }
        let (policies_set, ttl_set, max_set, period_set, bound_set) = (
            policies.is_some(),
            ttl.is_some(),
            max_ttl.is_some(),
            period.is_some(),
            bound.is_some(),
        );
        next.policies = policies.unwrap_or(next.policies);
        next.ttl = ttl.unwrap_or(next.ttl);
        next.max_ttl = max_ttl.unwrap_or(next.max_ttl);
        next.period = period.unwrap_or(next.period);
        next.bound_cidrs = bound.unwrap_or(next.bound_cidrs);
        let on = |name: &str| legacy.contains(&name);
        let (p, t, m, pe, b) = (
            on("policies")
                .then(|| legacy_policies(data, "policies"))
                .transpose()?
                .flatten(),
            on("ttl").then(|| secs(data, "ttl")).transpose()?.flatten(),
            on("max_ttl")
                .then(|| secs(data, "max_ttl"))
                .transpose()?
                .flatten(),
            on("period")
                .then(|| secs(data, "period"))
                .transpose()?
                .flatten(),
            on("bound_cidrs")
                .then(|| cidrs(data, "bound_cidrs"))
                .transpose()?
                .flatten(),
        );
        let l = &mut next.legacy;
        upgrade(p, policies_set, &mut l.policies, &mut next.policies);
        upgrade(t, ttl_set, &mut l.ttl, &mut next.ttl);
        upgrade(m, max_set, &mut l.max_ttl, &mut next.max_ttl);
        upgrade(pe, period_set, &mut l.period, &mut next.period);
        upgrade(b, bound_set, &mut l.bound_cidrs, &mut next.bound_cidrs);
        next.validate()?;
        *self = next;
        Ok(())
    }

    fn validate(&self) -> Result<(), Error> {
        if self.token_type == TokenType::Batch {
            if self.period != 0 {
                return Err(Error::bad_request("'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens"));
            }
            if self.num_uses != 0 {
                return Err(Error::bad_request("'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count"));
            }
        }
        if self.ttl > 0 && self.max_ttl > 0 && self.ttl > self.max_ttl {
            return Err(Error::bad_request(
                "'token_ttl' cannot be greater than 'token_max_ttl'",
            ));
        }
        Ok(())
    }

    /// Vault's read output: every `token_` field, and the legacy ones while set.
    pub fn to_data(&self, d: &mut Data) {
        let cidrs = |c: &[Cidr]| Value::from(c.iter().map(Cidr::to_string).collect::<Vec<_>>());
        d.insert("token_bound_cidrs".into(), cidrs(&self.bound_cidrs));
        d.insert(
            "token_explicit_max_ttl".into(),
            self.explicit_max_ttl.into(),
        );
        d.insert("token_max_ttl".into(), self.max_ttl.into());
        d.insert(
            "token_no_default_policy".into(),
            self.no_default_policy.into(),
        );
        d.insert("token_num_uses".into(), self.num_uses.into());
        d.insert("token_period".into(), self.period.into());
        d.insert("token_policies".into(), self.policies.clone().into());
        d.insert("token_strictly_bind_ip".into(), false.into());
        d.insert("token_ttl".into(), self.ttl.into());
        d.insert("token_type".into(), self.token_type.as_str().into());
        let l = &self.legacy;
        if l.ttl > 0 {
            d.insert("ttl".into(), l.ttl.into());
        }
        if l.max_ttl > 0 {
            d.insert("max_ttl".into(), l.max_ttl.into());
        }
        if l.period > 0 {
            d.insert("period".into(), l.period.into());
        }
        if !l.policies.is_empty() {
            d.insert("policies".into(), self.policies.clone().into());
        }
        if !l.bound_cidrs.is_empty() {
            d.insert("bound_cidrs".into(), cidrs(&l.bound_cidrs));
        }
    }

    /// The token a successful login asks for.
    pub fn login(
        &self,
        display_name: &str,
        alias_name: &str,
        metadata: BTreeMap<String, String>,
    ) -> Login {
        Login {
            policies: normalize_policies(&self.policies),
            metadata,
            display_name: display_name.to_owned(),
            ttl: Duration::from_secs(self.ttl),
            max_ttl: Duration::from_secs(self.max_ttl),
            period: Duration::from_secs(self.period),
            explicit_max_ttl: Duration::from_secs(self.explicit_max_ttl),
            num_uses: self.num_uses,
            token_type: match self.token_type {
                TokenType::Default => String::new(),
                other => other.as_str().to_owned(),
            },
            renewable: true,
            no_default_policy: self.no_default_policy,
            alias_name: alias_name.to_owned(),
            alias_metadata: BTreeMap::new(),
            bound_cidrs: self.bound_cidrs.clone(),
            internal_data: BTreeMap::new(),
            group_aliases: Vec::new(),
        }
    }

    /// The terms a token issued from these parameters is renewed under.
    pub fn renew_terms(&self) -> crate::RenewTerms {
        crate::RenewTerms {
            ttl: Duration::from_secs(self.ttl),
            max_ttl: Duration::from_secs(self.max_ttl),
            period: Duration::from_secs(self.period),
        }
    }

    /// Refuses a login from outside `token_bound_cidrs` with 403, as Vault does.
    pub fn check_bound_cidrs(&self, client_addr: Option<&str>) -> Result<(), Error> {
        if self.bound_cidrs.is_empty() || client_in(&self.bound_cidrs, client_addr) {
            Ok(())
        } else {
            Err(Error::PermissionDenied)
        }
    }
}

fn num_uses(data: &Data) -> Result<Option<u64>, Error> {
    let negative = || Error::bad_request("'token_num_uses' cannot be negative");
    match data.get("token_num_uses") {
        Some(Value::Number(n)) if n.as_i64().is_some_and(|i| i < 0) => Err(negative()),
        Some(Value::String(s)) if s.trim().starts_with('-') => Err(negative()),
        _ => crate::fields::u64_field(data, "token_num_uses"),
    }
}

/// Policy names as tokens carry them: trimmed, lower-cased, without empties or repeats.
pub fn normalize_policies(policies: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in policies.iter().map(|p| p.trim().to_lowercase()) {
        if !p.is_empty() && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data(v: Value) -> Data {
        v.as_object().cloned().unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_parsing_and_display() {
        assert_eq!(
            Cidr::parse_addr("127.0.0.1/32").unwrap().to_string(),
            "127.0.0.1"
        );
        assert_eq!(
            Cidr::parse_addr(" 10.0.0.5/8 ").unwrap().to_string(),
            "10.0.0.5/8"
        );
        assert_eq!(Cidr::parse_addr("::1").unwrap().to_string(), "::1");
        assert_eq!(
            Cidr::parse_addr("2001:db8::1/64").unwrap().to_string(),
            "2001:db8::1/64"
        );
        for bad in [
            "nope",
            "10.0.0.1/33",
            "::1/129",
            "10.0.0.1/",
            "10.0.0.1/-1",
            "1.2.3/8",
            "",
        ] {
            let e = Cidr::parse_addr(bad).unwrap_err();
            assert!(
                e.to_string().starts_with("error parsing address"),
                "{bad}: {e}"
            );
        }
        assert!(Cidr::parse_block("10.0.0.1").is_err());
        assert_eq!(
            Cidr::parse_block("bad").unwrap_err().to_string(),
            "invalid CIDR address: bad"
        );
        let c: Cidr = serde_json::from_str("\"10.0.0.0/8\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"10.0.0.0/8\"");
        assert!(serde_json::from_str::<Cidr>("\"x\"").is_err());
    }

    #[test]
    fn cidr_membership() {
        let c = Cidr::parse_addr("10.0.0.5/8").unwrap();
        assert!(c.contains(ip("10.255.1.2")));
        assert!(!c.contains(ip("11.0.0.1")));
        assert!(
            c.contains(ip("::ffff:10.1.2.3")),
            "IPv4-mapped IPv6 counts as IPv4"
        );
        assert!(!c.contains(ip("::1")));
        let all = Cidr::parse_addr("0.0.0.0/0").unwrap();
        assert!(all.contains(ip("1.2.3.4")) && !all.contains(ip("::1")));
        let v6 = Cidr::parse_addr("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        assert!(Cidr::parse_addr("::/0").unwrap().contains(ip("::1")));
        let host = Cidr::parse_addr("127.0.0.1").unwrap();
        assert!(host.contains(ip("127.0.0.1")) && !host.contains(ip("127.0.0.2")));
        assert!(c.covers(&Cidr::parse_block("10.1.0.0/16").unwrap()));
        assert!(!c.covers(&Cidr::parse_block("11.0.0.0/16").unwrap()));
        assert!(!Cidr::parse_block("10.1.0.0/16").unwrap().covers(&c));
    }

    #[test]
    fn client_addresses() {
        let cidrs = vec![Cidr::parse_addr("127.0.0.0/8").unwrap()];
        assert!(client_in(&cidrs, Some("127.0.0.1")));
        assert!(client_in(&cidrs, Some("127.0.0.1:5555")));
        assert!(!client_in(&cidrs, Some("[::1]:5555")));
        assert!(!client_in(&cidrs, Some("garbage")));
        assert!(!client_in(&cidrs, None));
    }

    #[test]
    fn parse_update_sets_only_present_fields() {
        let mut t = TokenParams::default();
        t.parse_update(&data(
            json!({"token_policies": "A, b ,,b", "token_ttl": "1h",
            "token_bound_cidrs": "127.0.0.1/32", "token_num_uses": "3", "token_type": "service"}),
        ))
        .unwrap();
        assert_eq!(t.policies, vec!["A", "b"]);
        assert_eq!(
            (t.ttl, t.num_uses, t.token_type),
            (3600, 3, TokenType::Service)
        );
        t.parse_update(&data(json!({"token_max_ttl": 7200})))
            .unwrap();
        assert_eq!((t.ttl, t.max_ttl, t.policies.len()), (3600, 7200, 2));
        let mut d = Data::new();
        t.to_data(&mut d);
        assert_eq!(d["token_bound_cidrs"], json!(["127.0.0.1"]));
        assert_eq!(d["token_type"], "service");
        assert_eq!(d["token_strictly_bind_ip"], false);
        assert!(!d.contains_key("policies") && !d.contains_key("ttl"));
    }

    #[test]
    fn legacy_names_upgrade_like_vault() {
        let mut t = TokenParams::default();
        t.parse_update(&data(
            json!({"policies": "B,a, ,b", "ttl": 60, "max_ttl": "2m",
            "bound_cidrs": "10.0.0.5/8"}),
        ))
        .unwrap();
        assert_eq!(
            (t.policies.clone(), t.ttl, t.max_ttl),
            (vec!["a".into(), "b".into()], 60, 120)
        );
        let mut d = Data::new();
        t.to_data(&mut d);
        assert_eq!(d["policies"], json!(["a", "b"]));
        assert_eq!(
            (d["ttl"].clone(), d["max_ttl"].clone()),
            (json!(60), json!(120))
        );
        assert_eq!(d["bound_cidrs"], json!(["10.0.0.5/8"]));
        // The new name clears the legacy one; both given: the new value wins.
        t.parse_update(&data(json!({"token_policies": "x"})))
            .unwrap();
        t.parse_update(&data(json!({"ttl": 5, "token_ttl": 30})))
            .unwrap();
        let mut d = Data::new();
        t.to_data(&mut d);
        assert!(!d.contains_key("policies"));
        assert_eq!(
            (d["token_ttl"].clone(), d["ttl"].clone()),
            (json!(30), json!(30))
        );
        assert_eq!(
            TokenParams::default()
                .parse_update_with(&data(json!({"period": 5})), &[])
                .ok(),
            Some(())
        );
        assert_eq!(
            legacy_policies(&data(json!({"p": "a,Root"})), "p")
                .unwrap()
                .unwrap(),
            vec!["root"]
        );
    }

    #[test]
    fn invalid_combinations_are_400_and_change_nothing() {
        let mut t = TokenParams::default();
        for (bad, msg) in [
            (
                json!({"token_type": "batch", "token_num_uses": 3}),
                "limited use count",
            ),
            (
                json!({"token_type": "batch", "token_period": 3}),
                "periodic tokens",
            ),
            (
                json!({"token_type": "weird"}),
                "invalid 'token_type' value \"weird\"",
            ),
            (
                json!({"token_ttl": "2h", "token_max_ttl": "1h"}),
                "cannot be greater than",
            ),
            (
                json!({"token_num_uses": -1}),
                "'token_num_uses' cannot be negative",
            ),
            (
                json!({"token_bound_cidrs": "nope"}),
                "error parsing address \"nope\"",
            ),
            (json!({"token_ttl": -1}), "token_ttl"),
            (json!({"token_strictly_bind_ip": true}), "not supported"),
        ] {
            let e = t.parse_update(&data(bad)).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::BadRequest);
            assert!(e.to_string().contains(msg), "{e}");
        }
        assert_eq!(t, TokenParams::default());
    }

    #[test]
    fn login_and_cidr_bounds() {
        let mut t = TokenParams::default();
        t.parse_update(&data(
            json!({"token_policies": [" Dev", "dev", "OPS"], "token_ttl": 60,
            "token_bound_cidrs": ["10.0.0.0/8", "::1"], "token_no_default_policy": true}),
        ))
        .unwrap();
        let l = t.login("alice", "alice", BTreeMap::new());
        assert_eq!(l.policies, vec!["dev", "ops"]);
        assert_eq!(
            (l.ttl, l.renewable, l.no_default_policy),
            (Duration::from_secs(60), true, true)
        );
        assert_eq!(
            (l.token_type.as_str(), l.display_name.as_str()),
            ("", "alice")
        );
        assert!(t.check_bound_cidrs(Some("10.1.1.1")).is_ok());
        assert!(t.check_bound_cidrs(Some("::1")).is_ok());
        for outside in [Some("11.0.0.1"), Some("::2"), None] {
            let e = t.check_bound_cidrs(outside).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::PermissionDenied);
        }
        assert!(TokenParams::default().check_bound_cidrs(None).is_ok());
    }
}
