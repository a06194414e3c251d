//! The fake authoritative DNS server the verification scenarios control.
//!
//! It is a real DNS server (hickory-server's [`Server`] over UDP and TCP sockets on loopback),
//! so the verifier is exercised exactly as it would be against a domain host's name server:
//! wire format, UDP truncation and the fall back to TCP, response codes, timeouts. Only the
//! zone is fake: one in-memory zone for the root (`.`), so a scenario can publish records
//! for any name it likes (`acme.example`, `sales.acme.example`) without declaring zones.
//!
//! Scenarios change the zone while the server runs through [`DnsZone`], and inject faults per
//! name with [`Fault`]: a fault set on `acme.example` applies to it and every name below it, so
//! concurrent scenarios using different domains do not disturb each other.

use hickory_server::Server;
use hickory_server::net::runtime::Time;
use hickory_server::net::xfer::Protocol;
use hickory_server::proto::op::{Header, HeaderCounts, Metadata, ResponseCode};
use hickory_server::proto::rr::rdata::{CNAME, NS, SOA, TXT};
use hickory_server::proto::rr::{LowerName, Name, RData, Record, RecordType, RrKey};
use hickory_server::proto::serialize::txt::Parser;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, MessageResponseBuilder, ZoneType};
use parking_lot::RwLock;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// TTL of every record the scenarios publish. Short, although the verifier never caches.
const TTL: u32 = 60;
/// The largest character-string a TXT record can carry (RFC 1035 §3.3): longer values are
/// split into several strings, as zone-file tools do.
const MAX_CHARACTER_STRING: usize = 255;

/// What went wrong setting up or changing the fake DNS server.
#[derive(Debug, thiserror::Error)]
pub enum DnsServerError {
    #[error("cannot bind the fake DNS server: {0}")]
    Bind(#[from] std::io::Error),
    #[error("'{name}' is not a valid domain name: {reason}")]
    InvalidName { name: String, reason: String },
    #[error("zone file {path}: {reason}")]
    ZoneFile { path: String, reason: String },
    #[error("the zone refused the record: {0}")]
    Refused(String),
}

/// A misbehaviour of the name server for a name and everything below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer SERVFAIL (the domain host's server is broken).
    ServFail,
    /// Answer NXDOMAIN even if records exist (the name is not delegated or was deleted).
    NxDomain,
    /// Answer REFUSED (the server does not serve this name).
    Refused,
    /// Never answer (a firewall drops the packets): the resolver times out.
    Timeout,
    /// Over UDP answer with the TC bit and no records, so the resolver must retry over TCP;
    /// over TCP answer normally. Large real-world TXT sets produce the same effect.
    Truncate,
}

/// Queries the server has seen, by transport (to show that a TCP fallback happened).
#[derive(Debug, Default)]
pub struct QueryCounts {
    pub udp: AtomicU64,
    pub tcp: AtomicU64,
}

/// A handle on the zone of a running (or not yet started) fake DNS server. Cheap to clone;
/// every clone edits the same zone.
#[derive(Clone)]
pub struct DnsZone {
    zone: Arc<InMemoryZoneHandler>,
    faults: Arc<RwLock<Vec<(LowerName, Fault)>>>,
    serial: Arc<AtomicU32>,
    counts: Arc<QueryCounts>,
}

impl std::fmt::Debug for DnsZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DnsZone")
            .field("faults", &*self.faults.read())
            .field("counts", &self.counts)
            .finish()
    }
}

/// Parses a domain name as a scenario or a zone file writes it, making it fully qualified.
pub fn parse_name(name: &str) -> Result<Name, DnsServerError> {
    let invalid = |reason: String| DnsServerError::InvalidName {
        name: name.chars().take(300).collect(),
        reason,
    };
    if name.trim().is_empty() {
        return Err(invalid("the name is empty".into()));
    }
    let mut n = Name::from_utf8(name.trim()).map_err(|e| invalid(e.to_string()))?;
    n.set_fqdn(true);
    Ok(n)
}

impl DnsZone {
    /// An empty root zone (only its SOA and NS records).
    pub fn new() -> DnsZone {
        let origin = Name::root();
        let mut zone =
            InMemoryZoneHandler::empty(origin.clone(), ZoneType::Primary, AxfrPolicy::Deny);
        let ns = Name::from_ascii("ns.fake-dns.test.").unwrap_or_default();
        let soa = SOA::new(
            ns.clone(),
            Name::from_ascii("hostmaster.fake-dns.test.").unwrap_or_default(),
            1,
            3600,
            600,
            86400,
            TTL,
        );
        zone.upsert_mut(Record::from_rdata(origin.clone(), TTL, RData::SOA(soa)), 1);
        zone.upsert_mut(Record::from_rdata(origin, TTL, RData::NS(NS(ns))), 1);
        DnsZone {
            zone: Arc::new(zone),
            faults: Arc::default(),
            serial: Arc::new(AtomicU32::new(1)),
            counts: Arc::default(),
        }
    }

    fn next_serial(&self) -> u32 {
        self.serial.fetch_add(1, Ordering::SeqCst) + 1
    }

    async fn upsert(&self, record: Record) -> Result<(), DnsServerError> {
        let what = format!("{} {}", record.name, record.record_type());
        if self.zone.upsert(record, self.next_serial()).await {
            Ok(())
        } else {
            Err(DnsServerError::Refused(format!(
                "{what} conflicts with a record at that name (a CNAME must stand alone)"
            )))
        }
    }

    /// Adds one TXT record holding these character-strings (several strings in one record is
    /// what `"a" "b"` means in a zone file). Strings longer than 255 bytes are split.
    pub async fn add_txt(&self, name: &str, strings: &[&str]) -> Result<(), DnsServerError> {
        let owner = parse_name(name)?;
        let mut parts: Vec<&[u8]> = Vec::new();
        for s in strings {
            if s.is_empty() {
                parts.push(b"");
            }
            parts.extend(s.as_bytes().chunks(MAX_CHARACTER_STRING));
        }
        if parts.is_empty() {
            parts.push(b"");
        }
        let record = Record::from_rdata(owner, TTL, RData::TXT(TXT::from_bytes(parts)));
        self.upsert(record).await
    }

    /// Replaces every TXT record at `name` with one record holding `strings`.
    pub async fn set_txt(&self, name: &str, strings: &[&str]) -> Result<(), DnsServerError> {
        self.remove(name, RecordType::TXT).await?;
        self.add_txt(name, strings).await
    }

    /// Removes every record of this type at `name` (a no-op when there is none).
    pub async fn remove(&self, name: &str, record_type: RecordType) -> Result<(), DnsServerError> {
        let key = RrKey::new(LowerName::new(&parse_name(name)?), record_type);
        self.zone.records_mut().await.remove(&key);
        self.next_serial();
        Ok(())
    }

    /// Makes `name` an alias of `target` (removing what else was at `name`, since a CNAME must
    /// stand alone).
    pub async fn set_cname(&self, name: &str, target: &str) -> Result<(), DnsServerError> {
        let owner = parse_name(name)?;
        let target = parse_name(target)?;
        let lower = LowerName::new(&owner);
        self.zone
            .records_mut()
            .await
            .retain(|k, _| k.name() != &lower);
        self.upsert(Record::from_rdata(owner, TTL, RData::CNAME(CNAME(target))))
            .await
    }

    /// The TXT records at `name`, each as its list of strings (lossy UTF-8).
    pub async fn txt(&self, name: &str) -> Result<Vec<Vec<String>>, DnsServerError> {
        let key = RrKey::new(LowerName::new(&parse_name(name)?), RecordType::TXT);
        let records = self.zone.records().await;
        Ok(records
            .get(&key)
            .map(|set| {
                set.records_without_rrsigs()
                    .filter_map(|r| match &r.data {
                        RData::TXT(t) => Some(
                            t.txt_data
                                .iter()
                                .map(|s| String::from_utf8_lossy(s).into_owned())
                                .collect(),
                        ),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Makes the server misbehave for `name` and every name below it (replacing an earlier
    /// fault for exactly that name).
    pub fn set_fault(&self, name: &str, fault: Fault) -> Result<(), DnsServerError> {
        let lower = LowerName::new(&parse_name(name)?);
        let mut faults = self.faults.write();
        faults.retain(|(n, _)| n != &lower);
        faults.push((lower, fault));
        Ok(())
    }

    /// Lets the server answer normally again for `name`.
    pub fn clear_fault(&self, name: &str) -> Result<(), DnsServerError> {
        let lower = LowerName::new(&parse_name(name)?);
        self.faults.write().retain(|(n, _)| n != &lower);
        Ok(())
    }

    /// The fault for a queried name: the one set on the closest enclosing name.
    fn fault_for(&self, name: &LowerName) -> Option<Fault> {
        self.faults
            .read()
            .iter()
            .filter(|(n, _)| n.zone_of(name))
            .max_by_key(|(n, _)| n.num_labels())
            .map(|(_, f)| *f)
    }

    /// Loads a zone file (RFC 1035 §5 master format) into the zone. `origin` is the name `@`
    /// stands for when the file has no `$ORIGIN`; E-DV-02 says `@ IN TXT ...` and
    /// `main.com. IN TXT ...` are the same record, and both load to the same owner here.
    pub async fn load_zone_str(
        &self,
        text: &str,
        origin: Option<&str>,
        path_for_messages: &str,
    ) -> Result<usize, DnsServerError> {
        let origin = origin.map(parse_name).transpose()?;
        let err = |reason: String| DnsServerError::ZoneFile {
            path: path_for_messages.to_string(),
            reason,
        };
        let (_origin, sets) = Parser::new(text, None, origin)
            .parse()
            .map_err(|e| err(e.to_string()))?;
        let mut loaded = 0;
        for set in sets.into_values() {
            for record in set.records_without_rrsigs() {
                // The file's own SOA and NS would shadow nothing here (the zone is the root);
                // they are kept so `dig SOA main.com` answers as the file says.
                self.upsert(record.clone())
                    .await
                    .map_err(|e| err(e.to_string()))?;
                loaded += 1;
            }
        }
        Ok(loaded)
    }

    /// Loads a zone file from disk; see [`DnsZone::load_zone_str`].
    pub async fn load_zone_file(
        &self,
        path: &Path,
        origin: Option<&str>,
    ) -> Result<usize, DnsServerError> {
        let shown = path.display().to_string();
        let text = tokio::fs::read_to_string(path)
            .await
            .map_err(|e| DnsServerError::ZoneFile {
                path: shown.clone(),
                reason: e.to_string(),
            })?;
        self.load_zone_str(&text, origin, &shown).await
    }

    /// Queries received so far, by transport.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.counts.udp.load(Ordering::Relaxed),
            self.counts.tcp.load(Ordering::Relaxed),
        )
    }
}

impl Default for DnsZone {
    fn default() -> Self {
        DnsZone::new()
    }
}

/// Answers from the zone, unless a fault is set for the queried name.
struct FaultyHandler {
    catalog: Catalog,
    zone: DnsZone,
}

/// A response header for a request that was not answered (the `Timeout` fault) or failed.
fn info(request: &Request, code: ResponseCode) -> ResponseInfo {
    let mut metadata = Metadata::response_from_request(&request.metadata);
    metadata.response_code = code;
    ResponseInfo::from(Header {
        metadata,
        counts: HeaderCounts::default(),
    })
}

#[async_trait::async_trait]
impl RequestHandler for FaultyHandler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let protocol = request.protocol();
        match protocol {
            Protocol::Udp => self.zone.counts.udp.fetch_add(1, Ordering::Relaxed),
            _ => self.zone.counts.tcp.fetch_add(1, Ordering::Relaxed),
        };
        let fault = request
            .queries
            .queries()
            .first()
            .and_then(|q| self.zone.fault_for(q.name()));
        let code = match fault {
            None => {
                return self
                    .catalog
                    .handle_request::<R, T>(request, response_handle)
                    .await;
            }
            Some(Fault::Truncate) if protocol != Protocol::Udp => {
                return self
                    .catalog
                    .handle_request::<R, T>(request, response_handle)
                    .await;
            }
            Some(Fault::Timeout) => return info(request, ResponseCode::NoError),
            Some(Fault::Truncate) => ResponseCode::NoError,
            Some(Fault::ServFail) => ResponseCode::ServFail,
            Some(Fault::NxDomain) => ResponseCode::NXDomain,
            Some(Fault::Refused) => ResponseCode::Refused,
        };
        let mut metadata = Metadata::response_from_request(&request.metadata);
        metadata.response_code = code;
        metadata.authoritative = code != ResponseCode::Refused;
        metadata.truncation = fault == Some(Fault::Truncate);
        let response =
            MessageResponseBuilder::from_message_request(request).build_no_records(metadata);
        match response_handle.send_response(response).await {
            Ok(sent) => sent,
            Err(e) => {
                tracing::debug!(error = %e, "fake DNS: could not send a response");
                info(request, ResponseCode::ServFail)
            }
        }
    }
}

/// Serves `zone` on the given sockets until `shutdown` completes (so tests bind port 0 and
/// stop the server cleanly).
pub async fn serve(
    udp: UdpSocket,
    tcp: TcpListener,
    zone: DnsZone,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), DnsServerError> {
    let mut catalog = Catalog::new();
    catalog.upsert(LowerName::new(&Name::root()), vec![zone.zone.clone()]);
    let mut server = Server::new(FaultyHandler { catalog, zone });
    server.register_socket(udp);
    server.register_listener(tcp, Duration::from_secs(5), 64);
    shutdown.await;
    server
        .shutdown_gracefully()
        .await
        .map_err(|e| DnsServerError::Bind(std::io::Error::other(e.to_string())))
}

/// Binds UDP and TCP on the same loopback port (so `dig @127.0.0.1 -p PORT` reaches both),
/// retrying a few ephemeral ports when the TCP side is taken.
pub async fn bind_loopback(port: u16) -> Result<(UdpSocket, TcpListener), DnsServerError> {
    let mut last = None;
    for _ in 0..20 {
        let udp = UdpSocket::bind(("127.0.0.1", port)).await?;
        let addr = udp.local_addr()?;
        match TcpListener::bind(addr).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) if port == 0 => last = Some(e),
            Err(e) => return Err(e.into()),
        }
    }
    Err(last
        .unwrap_or_else(|| std::io::Error::other("no free port"))
        .into())
}

/// A fake DNS server running on this process's runtime. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeDns {
    /// The address of both the UDP and the TCP listener.
    pub addr: SocketAddr,
    pub zone: DnsZone,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<Result<(), DnsServerError>>>,
}

impl FakeDns {
    /// Starts a server with an empty zone on an ephemeral loopback port.
    pub async fn start() -> Result<FakeDns, DnsServerError> {
        Self::start_on(0, DnsZone::new()).await
    }

    /// Starts a server for `zone` on `port` of 127.0.0.1 (0 picks one).
    pub async fn start_on(port: u16, zone: DnsZone) -> Result<FakeDns, DnsServerError> {
        let (udp, tcp) = bind_loopback(port).await?;
        let addr = udp.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(serve(udp, tcp, zone.clone(), async {
            let _ = rx.await;
        }));
        Ok(FakeDns {
            addr,
            zone,
            shutdown: Some(tx),
            handle: Some(handle),
        })
    }

    /// Whether the server task is still serving (it dies with the runtime that spawned it).
    pub fn is_running(&self) -> bool {
        self.handle.as_ref().is_some_and(|h| !h.is_finished())
    }

    /// Stops the server and waits for its sockets to close.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
    }
}

impl Drop for FakeDns {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
