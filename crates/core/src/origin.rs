//! Where credentials may go: the configured origins only, over HTTPS or loopback HTTP.

use reqwest::Url;

use crate::{Error, Result};

/// Whether `url` is served by `base`'s origin (scheme, host and port).
pub(crate) fn same_origin(url: &Url, base: &Url) -> bool {
    url.scheme() == base.scheme()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default()
}

/// Whether a host is this machine.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

/// Checks a configured base: HTTPS, or HTTP on loopback.
pub(crate) fn check_base(name: &str, url: &Url) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        _ => Err(Error::Config(format!(
            "{name} must be https (or http on loopback), not {}",
            crate::error::strip_query(url.as_str())
        ))),
    }
}

/// Parses `href` and refuses it unless it is on `base`'s origin.
pub(crate) fn on_origin(href: &str, base: &Url) -> Result<Url> {
    let url = Url::parse(href).map_err(|_| Error::ForeignOrigin {
        url: crate::error::strip_query(href),
    })?;
    if same_origin(&url, base) {
        Ok(url)
    } else {
        Err(Error::ForeignOrigin {
            url: crate::error::strip_query(href),
        })
    }
}
