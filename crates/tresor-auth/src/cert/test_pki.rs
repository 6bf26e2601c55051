//! Test PKI minted with rcgen (CAs, intermediates, client leaves, CRLs), and requests
//! that carry a client certificate chain.

use crate::testkit::Harness;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer,
    CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod,
    KeyPair, KeyUsagePurpose, RevokedCertParams, SanType, SerialNumber,
};
use serde_json::Value;
use std::sync::Arc;
use tresor_sdk::{BackendRequest, Data, Error, LogicalBackend, MountContext, Operation, Response};

pub type Ca = CertifiedIssuer<'static, KeyPair>;

/// A client certificate and its key.
pub struct Leaf {
    pub der: Vec<u8>,
    pub pem: String,
    pub key: KeyPair,
}

fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.use_authority_key_identifier_extension = true;
    p
}

/// A self-signed root CA.
pub fn root(cn: &str) -> Ca {
    CertifiedIssuer::self_signed(ca_params(cn), KeyPair::generate().unwrap()).unwrap()
}

/// An intermediate CA signed by `parent`, with serial `serial`.
pub fn intermediate(cn: &str, serial: u64, parent: &Issuer<'_, KeyPair>) -> Ca {
    let mut p = ca_params(cn);
    p.serial_number = Some(SerialNumber::from(serial));
    CertifiedIssuer::signed_by(p, KeyPair::generate().unwrap(), parent).unwrap()
}

/// A copy of `key` (rcgen keys do not clone).
pub fn same_key(key: &KeyPair) -> KeyPair {
    KeyPair::from_pem(&key.serialize_pem()).unwrap()
}

/// Client-leaf parameters: CN, `CA:FALSE` (which also brings a subject key ID), the
/// clientAuth EKU, and a serial.
pub fn leaf_params(cn: &str, serial: u64) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(cn);
    p.is_ca = IsCa::ExplicitNoCa;
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    p.serial_number = Some(SerialNumber::from(serial));
    p.use_authority_key_identifier_extension = true;
    p
}

/// `web.example.com` (OU eng) with DNS, email and URI SANs and extension 1.2.3.4 =
/// UTF8String "hello".
pub fn rich_params(serial: u64) -> CertificateParams {
    let mut p = leaf_params("web.example.com", serial);
    p.distinguished_name
        .push(DnType::OrganizationalUnitName, "eng");
    p.subject_alt_names = vec![
        SanType::DnsName("web.example.com".try_into().unwrap()),
        SanType::Rfc822Name("ops@example.com".try_into().unwrap()),
        SanType::URI("spiffe://example.com/web".try_into().unwrap()),
    ];
    let hello = vec![0x0c, 5, b'h', b'e', b'l', b'l', b'o'];
    p.custom_extensions = vec![CustomExtension::from_oid_content(&[1, 2, 3, 4], hello)];
    p
}

/// A leaf from `params`, signed by `issuer` with a new key (or `key`).
pub fn sign(
    params: &CertificateParams,
    issuer: &Issuer<'_, KeyPair>,
    key: Option<KeyPair>,
) -> Leaf {
    let key = key.unwrap_or_else(|| KeyPair::generate().unwrap());
    let cert = params.signed_by(&key, issuer).unwrap();
    Leaf {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        key,
    }
}

/// A self-signed leaf from `params` (non-CA unless the params say otherwise).
pub fn self_signed(params: &CertificateParams, key: Option<KeyPair>) -> Leaf {
    let key = key.unwrap_or_else(|| KeyPair::generate().unwrap());
    let cert = params.self_signed(&key).unwrap();
    Leaf {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        key,
    }
}

/// A PEM CRL by `issuer` revoking `serials`.
pub fn crl(issuer: &Issuer<'_, KeyPair>, serials: &[u64]) -> String {
    let params = CertificateRevocationListParams {
        this_update: rcgen::date_time_ymd(2026, 1, 1),
        next_update: rcgen::date_time_ymd(2030, 1, 1),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: serials
            .iter()
            .map(|s| RevokedCertParams {
                serial_number: SerialNumber::from(*s),
                revocation_time: rcgen::date_time_ymd(2026, 6, 1),
                reason_code: None,
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    };
    params.signed_by(issuer).unwrap().pem().unwrap()
}

/// A cert mount.
pub async fn mount() -> Harness {
    Harness::new(crate::cert::factory, "cert").await
}

/// A second backend over the harness's storage, as after a restart (`initialize`:
/// whether the core ran its start-up hook before the first request).
pub async fn restarted(h: &Harness, initialize: bool) -> Arc<dyn LogicalBackend> {
    let backend = crate::cert::factory(MountContext {
        system: Arc::new(tresor_sdk::NoSystemView),
        storage: h.storage.clone(),
        info: h.mount.clone(),
        clock: h.clock.clone(),
    })
    .unwrap();
    if initialize {
        backend.initialize().await.unwrap();
    }
    backend
}

/// `POST login` on `backend` with the TLS client chain `chain`, from `client_addr`.
pub async fn login_on(
    backend: &dyn LogicalBackend,
    h: &Harness,
    chain: &[Vec<u8>],
    body: Value,
    client_addr: Option<&str>,
) -> Result<Response, Error> {
    let data: Data = body.as_object().cloned().unwrap_or_default();
    let req = BackendRequest {
        id: "test-login",
        operation: Operation::Update,
        path: "login",
        data: &data,
        mount: &h.mount,
        token_hash: None,
        client_addr,
        display_name: "",
        peer_certificates: chain,
    };
    backend.handle(&req).await
}

/// `POST login` with `chain` (and `name` when given).
pub async fn login(h: &Harness, chain: &[Vec<u8>], name: Option<&str>) -> Result<Response, Error> {
    let body = match name {
        Some(n) => serde_json::json!({ "name": n }),
        None => serde_json::json!({}),
    };
    login_on(
        h.backend.as_ref(),
        h,
        chain,
        body,
        Some(crate::testkit::CLIENT),
    )
    .await
}

/// Trusts `pem` as `certs/<name>` with `extra` fields.
pub async fn trust(h: &Harness, name: &str, pem: &str, extra: Value) {
    let mut body = serde_json::json!({ "certificate": pem });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    h.call(Operation::Update, &format!("certs/{name}"), body)
        .await
        .unwrap();
}

/// The chain of just `leaf`.
pub fn one(leaf: &Leaf) -> &[Vec<u8>] {
    std::slice::from_ref(&leaf.der)
}
