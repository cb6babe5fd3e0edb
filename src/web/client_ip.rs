//! The address a request comes from. Behind a reverse proxy every request arrives from the
//! proxy; `X-Forwarded-For` names the client, but anyone can write that header, so it counts
//! only when the peer is one of `http.trusted_proxies`. The list is read from the right: each
//! trusted hop is skipped, and the first untrusted address is the client.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// Parses `http.trusted_proxies` entries: CIDRs (`10.0.0.0/8`) or single addresses.
pub fn parse_proxies(entries: &[String]) -> Result<Vec<IpNet>, String> {
    entries
        .iter()
        .map(|e| {
            let e = e.trim();
            e.parse::<IpNet>()
                .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("'{e}' is neither an address nor a CIDR"))
        })
        .collect()
}

fn trusted(ip: IpAddr, proxies: &[IpNet]) -> bool {
    proxies.iter().any(|n| n.contains(&ip))
}

/// The client's address given the peer and the `X-Forwarded-For` values (in header order).
pub fn resolve<'a>(
    peer: Option<IpAddr>,
    forwarded: impl Iterator<Item = &'a str>,
    proxies: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted(peer, proxies) {
        return Some(peer);
    }
    let hops: Vec<&str> = forwarded.flat_map(|v| v.split(',')).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // A hop that is not an address is a forgery or garbage; the last good one stands.
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !trusted(ip, proxies) {
            break;
        }
    }
    Some(client)
}

/// The host a request was sent to: the `Host` header, or — only when the peer is a trusted
/// proxy — what the proxy says it was sent to (`X-Forwarded-Host`, `Forwarded`). Anyone else
/// writing those headers is ignored.
pub fn host(req: &HttpRequest, proxies: &[IpNet]) -> Option<String> {
    let from_proxy = req.peer_addr().is_some_and(|a| trusted(a.ip(), proxies));
    if from_proxy {
        return Some(req.connection_info().host().to_owned());
    }
    req.headers()
        .get(actix_web::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
}

/// The client address of `req` under `proxies`.
pub fn of(req: &HttpRequest, proxies: &[IpNet]) -> Option<IpAddr> {
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok());
    resolve(req.peer_addr().map(|a| a.ip()), forwarded, proxies)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_peers() {
        let proxies = parse_proxies(&["10.0.0.0/8".into(), "127.0.0.1".into()]).unwrap();
        let xff = ["203.0.113.9, 10.1.2.3"];
        assert_eq!(
            resolve(Some(ip("127.0.0.1")), xff.into_iter(), &proxies),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            resolve(Some(ip("198.51.100.7")), xff.into_iter(), &proxies),
            Some(ip("198.51.100.7")),
            "an untrusted peer's header is ignored"
        );
        // The client cannot hide behind a forged leftmost entry: the rightmost untrusted wins.
        assert_eq!(
            resolve(
                Some(ip("127.0.0.1")),
                ["1.1.1.1, 203.0.113.9"].into_iter(),
                &proxies
            ),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            resolve(Some(ip("127.0.0.1")), ["garbage"].into_iter(), &proxies),
            Some(ip("127.0.0.1"))
        );
        assert!(parse_proxies(&["10.0.0.0/33".into()]).is_err());
    }
}
