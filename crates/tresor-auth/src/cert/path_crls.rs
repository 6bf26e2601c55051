//! `crls/<name>` (write a CRL, read its revoked serials, delete it) and `LIST crls`.

use super::crl::{self, CRL_PREFIX};
use super::path_certs::list_page;
use super::CertAuth;
use crate::names::path_name;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Data, Error, Response};
use tresor_storage::Backend;

fn no_such(name: &str) -> Error {
    Error::bad_request(format!("no such CRL {name}"))
}

pub async fn write(ca: &CertAuth, name: &str, f: &Fields) -> Result<Response, Error> {
    let name = path_name(name)?;
    let info = match (f.str("crl"), f.str("url")) {
        (Some(text), _) => crl::parse(text)?,
        (None, Some(_)) => {
            return Err(Error::bad_request(
                "fetching CRLs from a URL is not supported; write the CRL itself as 'crl'",
            ))
        }
        (None, None) => return Err(Error::bad_request("one of 'crl' or 'url' must be provided")),
    };
    ca.crls.put(&ca.storage, &name, info).await?;
    Ok(Response::empty())
}

pub async fn read(ca: &CertAuth, name: &str) -> Result<Response, Error> {
    let name = path_name(name)?;
    let set = ca.crls.current(&ca.storage).await?;
    let info = set.get(&name).ok_or_else(|| no_such(&name))?;
    let mut data = Data::new();
    if !info.serials.is_empty() {
        data.insert("serials".into(), serde_json::json!(info.serials));
    }
    Ok(Response::data(data))
}

pub async fn delete(ca: &CertAuth, name: &str) -> Result<Response, Error> {
    let name = path_name(name)?;
    match ca.crls.remove(&ca.storage, &name).await? {
        true => Ok(Response::empty()),
        false => Err(no_such(&name)),
    }
}

pub async fn list(ca: &CertAuth, rest: &str, f: &Fields) -> Result<Response, Error> {
    if !rest.is_empty() {
        return Err(Error::UnsupportedPath);
    }
    list_page(ca.storage.list(CRL_PREFIX).await?, f)
}
