//! A real OpenLDAP `slapd` for the tests (Debian packages `slapd` and `ldap-utils`):
//! a config and a small directory written to a temporary directory, loaded with
//! `slapadd`, served on free loopback ports over `ldap://` (StartTLS on offer) and
//! `ldaps://`, with a certificate from a CA minted here. Killed when dropped.
//!
//! Without `/usr/sbin/slapd` the tests that need it print why and pass, unless
//! `TRESOR_REQUIRE_SLAPD` is set (CI sets it).

use base64::Engine;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, SanType};
use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SLAPD: &str = "/usr/sbin/slapd";
const SLAPADD: &str = "/usr/sbin/slapadd";

pub const BASE: &str = "dc=example,dc=org";
pub const PEOPLE: &str = "ou=people,dc=example,dc=org";
pub const GROUPS: &str = "ou=groups,dc=example,dc=org";
pub const SERVICE_DN: &str = "cn=tresor,ou=services,dc=example,dc=org";
pub const SERVICE_PW: &str = "service-pw";

/// Attributes slapd's stock schemas lack: Active Directory's `userPrincipalName`
/// and `memberOf` (normally the memberof overlay's), on an auxiliary class.
const TEST_SCHEMA: &str = "
attributetype ( 1.3.6.1.4.1.55555.1.1 NAME 'userPrincipalName' EQUALITY caseIgnoreMatch
  SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.1.2 NAME 'memberOf' EQUALITY distinguishedNameMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )
objectclass ( 1.3.6.1.4.1.55555.2.1 NAME 'tresorTestUser' SUP top AUXILIARY
  MAY ( userPrincipalName $ memberOf ) )
";

pub struct Slapd {
    child: Child,
    dir: tempfile::TempDir,
    pub port: u16,
    pub tls_port: u16,
    /// The CA that issued the server's certificate, and one that did not.
    pub ca_pem: String,
    pub other_ca_pem: String,
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `{SSHA}` of a password, as slappasswd makes it.
fn ssha(password: &str) -> String {
    let salt = b"tresalt1";
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(password.as_bytes());
    ctx.update(salt);
    let mut raw = ctx.finish().as_ref().to_vec();
    raw.extend_from_slice(salt);
    format!(
        "{{SSHA}}{}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

fn person(uid: &str, cn: &str, password: &str, extra: &str) -> String {
    format!(
        "dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nobjectClass: tresorTestUser\n\
         uid: {uid}\ncn: {cn}\nsn: {cn}\nuserPassword: {}\n{extra}\n",
        ssha(password)
    )
}

fn directory() -> String {
    let mut ldif = format!(
        "dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n\
         dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n\n\
         dn: ou=services,{BASE}\nobjectClass: organizationalUnit\nou: services\n\n\
         dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n\
         cn: tresor\nuserPassword: {}\n\n",
        ssha(SERVICE_PW)
    );
    let devs = format!("cn=devs,{GROUPS}");
    ldif += &person(
        "alice",
        "Alice Liddell",
        "alice-pw",
        &format!("userPrincipalName: alice@corp.example\nmemberOf: {devs}\nmemberOf: cn=Readers,{GROUPS}\n"),
    );
    ldif += &person("bob", "Bob", "bob-pw", "");
    ldif += &person("twin", "Twin", "twin-pw", "");
    ldif += &person("twin2", "Twin", "twin2-pw", "");
    ldif += &format!(
        "dn: {devs}\nobjectClass: groupOfNames\ncn: devs\nmember: uid=alice,{PEOPLE}\n\n\
         dn: cn=Ops,{GROUPS}\nobjectClass: groupOfNames\ncn: Ops\nmember: uid=alice,{PEOPLE}\n\
         member: uid=bob,{PEOPLE}\n\n\
         dn: cn=auditors,{GROUPS}\nobjectClass: groupOfUniqueNames\ncn: auditors\n\
         uniqueMember: uid=alice,{PEOPLE}\n\n\
         dn: cn=admins,{GROUPS}\nobjectClass: posixGroup\ncn: admins\ngidNumber: 500\nmemberUid: bob\n\n"
    );
    ldif
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn ca(cn: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut p = CertificateParams::default();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
}

/// Writes the server's certificate and key; answers the two CAs' PEM.
fn certificates(dir: &Path) -> (String, String) {
    let issuer = ca("tresor test LDAP CA");
    let mut p = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    p.subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    p.distinguished_name.push(DnType::CommonName, "localhost");
    let key = KeyPair::generate().unwrap();
    let cert = p.signed_by(&key, &issuer).unwrap();
    std::fs::write(dir.join("server.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
    (issuer.pem(), ca("some other CA").pem())
}

fn config(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n\
         include /etc/ldap/schema/nis.schema\ninclude /etc/ldap/schema/inetorgperson.schema\n\
         include {d}/test.schema\npidfile {d}/slapd.pid\nmodulepath /usr/lib/ldap\n\
         moduleload back_mdb\nTLSCertificateFile {d}/server.pem\n\
         TLSCertificateKeyFile {d}/server.key\ndatabase mdb\nsuffix \"{BASE}\"\n\
         rootdn \"cn=admin,{BASE}\"\nrootpw admin-pw\ndirectory {d}/db\nmaxsize 16777216\n"
    )
}

/// Starts slapd, or says why not and answers `None` when it is not installed.
pub fn start() -> Option<Slapd> {
    if !Path::new(SLAPD).exists() {
        assert!(
            std::env::var_os("TRESOR_REQUIRE_SLAPD").is_none(),
            "TRESOR_REQUIRE_SLAPD is set but {SLAPD} is missing"
        );
        eprintln!("SKIPPED: {SLAPD} is not installed (apt-get install slapd ldap-utils)");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    std::fs::create_dir(path.join("db")).unwrap();
    std::fs::write(path.join("test.schema"), TEST_SCHEMA).unwrap();
    let (ca_pem, other_ca_pem) = certificates(path);
    let conf = path.join("slapd.conf");
    std::fs::write(&conf, config(path)).unwrap();
    std::fs::write(path.join("data.ldif"), directory()).unwrap();
    let added = Command::new(SLAPADD)
        .arg("-f")
        .arg(&conf)
        .arg("-l")
        .arg(path.join("data.ldif"))
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "slapadd: {}",
        String::from_utf8_lossy(&added.stderr)
    );
    // A free port can be taken between our probe and slapd's bind: try again then.
    for _ in 0..3 {
        let (port, tls_port) = (free_port(), free_port());
        let mut child = spawn(path, port, tls_port);
        if listening(&mut child, [port, tls_port]) {
            return Some(Slapd {
                child,
                dir,
                port,
                tls_port,
                ca_pem,
                other_ca_pem,
            });
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    let log = std::fs::read_to_string(path.join("slapd.log")).unwrap_or_default();
    panic!("slapd did not start: {log}");
}

fn spawn(dir: &Path, port: u16, tls_port: u16) -> Child {
    let log = std::fs::File::create(dir.join("slapd.log")).unwrap();
    Command::new(SLAPD)
        .arg("-h")
        .arg(format!(
            "ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{tls_port}/"
        ))
        .arg("-f")
        .arg(dir.join("slapd.conf"))
        .args(["-d", "256"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// Whether slapd accepts connections on both ports (false once it has exited).
fn listening(child: &mut Child, ports: [u16; 2]) -> bool {
    let deadline = Instant::now() + Duration::from_secs(15);
    for port in ports {
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    true
}

impl Slapd {
    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    pub fn ldaps_url(&self) -> String {
        format!("ldaps://127.0.0.1:{}", self.tls_port)
    }

    /// What slapd logged so far (connections and operations, `-d 256`).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("slapd.log")).unwrap_or_default()
    }
}
