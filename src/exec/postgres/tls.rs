//! TLS for Postgres connections, with libpq's meaning of the dbt-postgres profile keys
//! `sslmode`, `sslrootcert`, `sslcert` and `sslkey` (and, as libpq, the environment
//! variables PGSSLMODE, PGSSLROOTCERT, PGSSLCERT and PGSSLKEY when the profile has none):
//!
//! - `disable`: no TLS.
//! - `allow`: plain first; TLS when the server refuses the plain connection (pg_hba.conf).
//! - `prefer` (the default): TLS when the server offers it, plain when it does not, when the
//!   handshake fails or when the server refuses the TLS connection.
//! - `require`: TLS only. The server's certificate is not checked, unless a root certificate
//!   file is there (`sslrootcert`, or libpq's default `~/.postgresql/root.crt`): then its
//!   chain is verified, as libpq does (the same holds for `allow` and `prefer`).
//! - `verify-ca`: TLS, the chain verified against the root certificate file, which must exist.
//! - `verify-full`: as `verify-ca`, and the certificate must name the host.
//!
//! A client certificate (`sslcert`, default `~/.postgresql/postgresql.crt` when it exists)
//! is sent with its key (`sslkey`, default `~/.postgresql/postgresql.key`). TLS is never
//! used over a Unix socket (libpq ignores `sslmode` there). Differences from libpq: a file
//! named explicitly that does not exist is an error in every TLS mode (libpq skips a missing
//! root or client certificate outside `verify-*`); `sslrootcert=system` and `sslcrl` are not
//! supported; the host name check does not fall back to the certificate's common name.
//!
//! rustls with its `ring` provider does the TLS (Cargo.toml says why).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use postgres::config::SslMode as WireMode;
use postgres::error::SqlState;
use postgres::{Client, Config, NoTls};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore,
    SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

/// libpq's `sslmode` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn parse(s: &str) -> Result<SslMode, String> {
        Ok(match s.trim() {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "`sslmode` must be one of disable, allow, prefer, require, verify-ca, \
                     verify-full; got `{other}`"
                ));
            }
        })
    }

    fn verifies(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyFull)
    }
}

/// The TLS part of a connection: the mode, the files it reads, and the connector built
/// from them (none for `disable` and Unix sockets).
pub struct Tls {
    pub mode: SslMode,
    /// The root certificate file the server's chain is verified against, if any.
    pub rootcert: Option<PathBuf>,
    connector: Option<MakeRustlsConnect>,
    /// The host name the server's certificate must name (`verify-full`).
    host: String,
}

/// The profile's TLS keys, each already resolved from the profile or the environment.
#[derive(Default)]
pub struct TlsKeys {
    pub sslmode: Option<String>,
    pub sslrootcert: Option<String>,
    pub sslcert: Option<String>,
    pub sslkey: Option<String>,
}

impl TlsKeys {
    /// The profile's value of each key, else libpq's environment variable.
    pub fn with_env(mut self) -> TlsKeys {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        self.sslmode = self.sslmode.or_else(|| env("PGSSLMODE"));
        self.sslrootcert = self.sslrootcert.or_else(|| env("PGSSLROOTCERT"));
        self.sslcert = self.sslcert.or_else(|| env("PGSSLCERT"));
        self.sslkey = self.sslkey.or_else(|| env("PGSSLKEY"));
        self
    }
}

/// A file named by `key`, or libpq's default under `~/.postgresql/` when that exists.
/// `Err` when the named file does not exist.
fn file(given: &Option<String>, key: &str, default: &str) -> Result<Option<PathBuf>, String> {
    match given {
        Some(path) => {
            let path = PathBuf::from(path);
            if path.is_file() {
                Ok(Some(path))
            } else {
                Err(format!("`{key}` file `{}` does not exist", path.display()))
            }
        }
        None => Ok(std::env::var_os("HOME")
            .map(|home| Path::new(&home).join(".postgresql").join(default))
            .filter(|p| p.is_file())),
    }
}

fn certificates(path: &Path, key: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let bad = |e: String| format!("cannot read `{key}` file `{}`: {e}", path.display());
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no PEM certificate in it".into()));
    }
    Ok(certs)
}

impl Tls {
    /// `host` is the profile's host: a folder (a Unix socket) never uses TLS.
    pub fn new(keys: &TlsKeys, host: &str) -> Result<Tls, String> {
        let mode = SslMode::parse(keys.sslmode.as_deref().unwrap_or("prefer"))?;
        if mode == SslMode::Disable || host.starts_with('/') {
            return Ok(Tls {
                mode,
                rootcert: None,
                connector: None,
                host: host.into(),
            });
        }
        if keys.sslrootcert.as_deref() == Some("system") {
            return Err(
                "`sslrootcert: system` (the system's trusted roots) is not supported \
                        by dbtc; give the path of the CA certificate file"
                    .into(),
            );
        }
        let rootcert = file(&keys.sslrootcert, "sslrootcert", "root.crt")?;
        if mode.verifies() && rootcert.is_none() {
            return Err(format!(
                "sslmode `{}` verifies the server's certificate, but there is no root \
                 certificate file (`sslrootcert`, default ~/.postgresql/root.crt); give \
                 `sslrootcert`, or use sslmode: require to skip the verification",
                keys.sslmode.as_deref().unwrap_or_default().trim()
            ));
        }
        let provider = Arc::new(ring::default_provider());
        let verifier: Arc<dyn ServerCertVerifier> = match &rootcert {
            None => Arc::new(AnyCertificate(provider.clone())),
            Some(path) => {
                let mut roots = RootCertStore::empty();
                for cert in certificates(path, "sslrootcert")? {
                    roots
                        .add(cert)
                        .map_err(|e| format!("`sslrootcert` file `{}`: {e}", path.display()))?;
                }
                let webpki =
                    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                        .build()
                        .map_err(|e| format!("`sslrootcert` file `{}`: {e}", path.display()))?;
                if mode == SslMode::VerifyFull {
                    webpki
                } else {
                    Arc::new(ChainOnly(webpki))
                }
            }
        };
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let config = match file(&keys.sslcert, "sslcert", "postgresql.crt")? {
            None => builder.with_no_client_auth(),
            Some(cert) => {
                let key = file(&keys.sslkey, "sslkey", "postgresql.key")?.ok_or_else(|| {
                    format!(
                        "client certificate `{}` (sslcert) has no private key: give `sslkey`",
                        cert.display()
                    )
                })?;
                let chain = certificates(&cert, "sslcert")?;
                let private = PrivateKeyDer::from_pem_file(&key)
                    .map_err(|e| format!("cannot read `sslkey` file `{}`: {e}", key.display()))?;
                builder
                    .with_client_auth_cert(chain, private)
                    .map_err(|e| format!("client certificate `{}`: {e}", cert.display()))?
            }
        };
        Ok(Tls {
            mode,
            rootcert,
            connector: Some(MakeRustlsConnect::new(config)),
            host: host.into(),
        })
    }

    /// Connects as libpq does for the mode (see the module's comment). The error is the
    /// client's or the server's message, with a hint when TLS failed; when a second try
    /// (`allow`, `prefer`) fails too, both attempts' errors.
    pub fn connect(&self, config: &mut Config) -> Result<Client, String> {
        let Some(tls) = &self.connector else {
            config.ssl_mode(WireMode::Disable);
            return config.connect(NoTls).map_err(|e| self.describe(e));
        };
        let second_try = |first: postgres::Error, over: &str, result| match result {
            Ok(client) => Ok(client),
            Err(e) => Err(format!(
                "{}
(the first try, {over}, failed too: {})",
                self.describe(e),
                self.describe(first)
            )),
        };
        match self.mode {
            SslMode::Allow => {
                config.ssl_mode(WireMode::Disable);
                match config.connect(NoTls) {
                    Err(e) if refused(&e) => {
                        config.ssl_mode(WireMode::Require);
                        second_try(e, "without TLS", config.connect(tls.clone()))
                    }
                    other => other.map_err(|e| self.describe(e)),
                }
            }
            SslMode::Prefer => {
                config.ssl_mode(WireMode::Prefer);
                match config.connect(tls.clone()) {
                    Err(e) if refused(&e) || is_tls_failure(&e) => {
                        config.ssl_mode(WireMode::Disable);
                        second_try(e, "over TLS", config.connect(NoTls))
                    }
                    other => other.map_err(|e| self.describe(e)),
                }
            }
            SslMode::Disable | SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                config.ssl_mode(if self.mode == SslMode::Disable {
                    WireMode::Disable
                } else {
                    WireMode::Require
                });
                config.connect(tls.clone()).map_err(|e| self.describe(e))
            }
        }
    }

    /// A connection error as the user should read it, with a HINT line when TLS failed.
    fn describe(&self, e: postgres::Error) -> String {
        let hint = self
            .explain(&e)
            .map(|h| format!("\nHINT: {h}"))
            .unwrap_or_default();
        format!("{}{hint}", super::err(e))
    }

    /// What a failed connection's TLS error means for the user, when it is one.
    fn explain(&self, e: &postgres::Error) -> Option<String> {
        let host = &self.host;
        let root = self.rootcert.as_ref().map_or_else(
            || "the root certificate file".into(),
            |p| format!("`{}`", p.display()),
        );
        if let Some(r) = rustls_error(e) {
            return Some(match r {
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => format!(
                    "the server's certificate is not signed by a certificate authority in \
                     {root} (sslrootcert): give the CA that issued it (to skip the \
                     verification: sslmode require, without a root certificate file)"
                ),
                rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                ) => format!(
                    "the server's certificate does not name the host `{host}` (sslmode: \
                     verify-full checks it): connect with a host name the certificate lists, \
                     or use sslmode: verify-ca"
                ),
                rustls::Error::InvalidCertificate(
                    CertificateError::Expired
                    | CertificateError::ExpiredContext { .. }
                    | CertificateError::NotValidYet
                    | CertificateError::NotValidYetContext { .. },
                ) => "the server's certificate is expired or not valid yet".into(),
                rustls::Error::InvalidCertificate(other) => {
                    format!(
                        "the server's certificate was rejected ({other:?}), checked against {root}"
                    )
                }
                rustls::Error::AlertReceived(
                    AlertDescription::CertificateRequired
                    | AlertDescription::BadCertificate
                    | AlertDescription::UnknownCA
                    | AlertDescription::CertificateUnknown,
                ) => "the server rejected the client certificate (sslcert, sslkey)".into(),
                other => format!("the TLS handshake with the server failed ({other})"),
            });
        }
        if e.to_string().contains("server does not support TLS") {
            return Some(
                "the server does not accept TLS connections (its `ssl` setting is off): use \
                 sslmode: prefer or disable, or turn TLS on in the server"
                    .into(),
            );
        }
        None
    }
}

/// The server refused the connection in pg_hba.conf (which may depend on TLS).
fn refused(e: &postgres::Error) -> bool {
    e.code() == Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION)
}

fn is_tls_failure(e: &postgres::Error) -> bool {
    rustls_error(e).is_some() || e.to_string().contains("TLS")
}

/// The rustls error behind a connection error, if any (tokio-rustls wraps it in an
/// `io::Error`, whose `source` skips it).
fn rustls_error(e: &postgres::Error) -> Option<&rustls::Error> {
    let mut next = std::error::Error::source(e);
    while let Some(s) = next {
        if let Some(r) = s.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(r) = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(r);
        }
        next = s.source();
    }
    None
}

/// `require` without a root certificate: any certificate is accepted (the handshake's
/// signatures are still checked, so the session is encrypted, but not authenticated).
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca` (and `require` with a root certificate): the chain is verified, the host
/// name is not.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // webpki checks the name last, after the chain: a name error means a good chain.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
