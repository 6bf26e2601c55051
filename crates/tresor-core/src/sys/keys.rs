use crate::core::Core;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tresor_crypto::keyring::KeyStatus;
use tresor_sdk::{Data, Error, Response};

pub async fn rotate(core: &Core) -> Result<Response, Error> {
    core.rotate().await?;
    Ok(Response::empty())
}

pub fn status(core: &Core) -> Result<Response, Error> {
    let KeyStatus {
        term,
        installed_at,
        encryptions,
    } = core.key_status()?;
    let install_time = OffsetDateTime::from_unix_timestamp(installed_at)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    let mut data = Data::new();
    data.insert("term".into(), term.into());
    data.insert("install_time".into(), install_time.into());
    data.insert("encryptions".into(), encryptions.into());
    Ok(Response {
        data_at_top_level: true,
        ..Response::data(data)
    })
}
