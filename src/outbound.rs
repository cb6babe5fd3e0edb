//! Where Aegis sends what operators point it at through the API — users' channel URLs, a
//! center's PositiveResponse API (contract §13). Unless `outbound.allow_private_networks` says
//! otherwise, such a target must not reach loopback, private, link-local, unique-local or
//! unspecified addresses: checked when it is set, and again at connect time on the address a
//! name resolves to then (a name that resolved elsewhere yesterday gains nothing). The SMTP
//! relay comes from the configuration and is trusted.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Whether Aegis refuses to send to `ip` (when private networks are not allowed).
pub fn forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => forbidden_v4(v4),
            None => forbidden_v6(v6),
        },
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        // "This network" and carrier-grade NAT: not the public internet either.
        || a == 0
        || (a == 100 && (64..128).contains(&b))
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local (fc00::/7) and link-local (fe80::/10).
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
}

/// The outbound policy: what a target may be, and the HTTP client that keeps to it.
#[derive(Debug, Clone, Copy)]
pub struct Outbound {
    allow_private: bool,
}

impl Outbound {
    pub fn new(allow_private_networks: bool) -> Self {
        Self {
            allow_private: allow_private_networks,
        }
    }

    /// A URL operators set, checked before it is stored: http(s) with a host, no user info,
    /// query or fragment (the path is Aegis's to append to), and — unless private networks are
    /// allowed — no address Aegis does not send to, as given or as its name resolves now. A name
    /// that does not resolve now is accepted: the connect-time check still stands.
    pub async fn check_target(&self, url: &str) -> Result<(), String> {
        let u = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err("must be an http or https URL".into());
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err("must not carry a user name or password".into());
        }
        if u.query().is_some() || u.fragment().is_some() || url.contains('#') {
            return Err("must not carry a query or a fragment".into());
        }
        let host = u.host_str().ok_or("must name a host")?.to_owned();
        if self.allow_private {
            return Ok(());
        }
        self.check_literal(&u)?;
        let port = u.port_or_known_default().unwrap_or(80);
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if let Ok(found) = tokio::net::lookup_host((host.as_str(), port)).await {
            let addrs: Vec<SocketAddr> = found.collect();
            if addrs.iter().any(|a| forbidden(a.ip())) {
                return Err(format!(
                    "{host} resolves to an address Aegis does not send to (loopback, private, link-local, unique-local or unspecified); set outbound.allow_private_networks to allow it"
                ));
            }
        }
        Ok(())
    }

    /// Refuses a URL whose host is an address Aegis does not send to, written as an address
    /// (names are checked by the client's resolver, at connect time).
    pub fn check_literal(&self, u: &reqwest::Url) -> Result<(), String> {
        if self.allow_private {
            return Ok(());
        }
        let ip = match u.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            _ => return Ok(()),
        };
        if forbidden(ip) {
            return Err(format!(
                "{ip} is an address Aegis does not send to (loopback, private, link-local, unique-local or unspecified); set outbound.allow_private_networks to allow it"
            ));
        }
        Ok(())
    }

    /// An HTTP client for operators' targets: no redirects followed (a signed body is for the
    /// URL set, and a redirect could lead anywhere), `timeout` for everything, and — unless
    /// private networks are allowed — names resolved by Aegis itself, keeping only addresses it
    /// sends to.
    pub fn client(&self, timeout: Duration) -> reqwest::Result<reqwest::Client> {
        let builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("aegis/", env!("CARGO_PKG_VERSION")));
        if self.allow_private {
            builder.build()
        } else {
            builder.dns_resolver(Arc::new(PublicOnly)).build()
        }
    }
}

/// Resolves names and keeps only the addresses Aegis sends to.
#[derive(Debug)]
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> =
                found.into_iter().filter(|a| !forbidden(a.ip())).collect();
            if public.is_empty() {
                return Err(format!(
                    "{host} resolves only to addresses Aegis does not send to (loopback, private, link-local, unique-local or unspecified)"
                )
                .into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_forbidden_and_public_ones_are_not() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "100.128.0.1"] {
            assert!(!forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn targets_are_checked_when_set() {
        let strict = Outbound::new(false);
        for url in [
            "http://169.254.169.254/latest/meta-data",
            "http://127.0.0.1:6379/",
            "http://10.0.0.1/hook",
            "http://[::1]:8080/",
            "http://localhost:9/x",
        ] {
            assert!(strict.check_target(url).await.is_err(), "{url}");
        }
        for url in [
            "https://center.example/api#",
            "https://center.example/api?x=1",
            "https://user:pw@center.example/api",
            "ftp://center.example/",
        ] {
            assert!(strict.check_target(url).await.is_err(), "{url}");
            assert!(
                Outbound::new(true).check_target(url).await.is_err(),
                "{url}"
            );
        }
        assert!(
            strict
                .check_target("https://93.184.216.34/hook")
                .await
                .is_ok()
        );
        assert!(
            Outbound::new(true)
                .check_target("http://127.0.0.1:6379/")
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn the_client_refuses_a_name_that_resolves_inside() {
        let client = Outbound::new(false).client(Duration::from_secs(2)).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let err = client
            .get(format!("http://localhost:{port}/"))
            .send()
            .await
            .unwrap_err();
        let chain = format!("{err:?}");
        assert!(chain.contains("does not send to"), "{chain}");
    }
}
