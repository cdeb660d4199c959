//! The packet-signing key and certificate.

use std::fs;
use std::io::Write;
use std::path::Path;

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::stack::Stack;
use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use openssl::x509::{X509, X509NameBuilder};

use crate::platform::pdf::error::PacketError;

/// Name of the file holding the generated private key and its certificate (PEM, mode 0600).
pub const KEY_FILE: &str = "packet-signing-key.pem";
/// Name of the public copy of the certificate, for people who verify packets.
pub const CERT_FILE: &str = "packet-signing-cert.pem";
/// Validity of a generated certificate, in days (five years).
pub const GENERATED_VALIDITY_DAYS: u32 = 5 * 365 + 1;

/// A private key with its certificate (and, from PKCS#12, the chain above it).
pub struct Signer {
    pub(crate) key: PKey<Private>,
    pub(crate) cert: X509,
    pub(crate) chain: Vec<X509>,
    /// Where the key came from, for log lines.
    origin: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("subject", &self.subject())
            .field("fingerprint_sha256", &self.fingerprint_sha256())
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PacketError + '_ {
    move |source| PacketError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Signer {
    /// The signing key for packets, with `frdesk` as the service name in a generated
    /// certificate. See [`Signer::load_or_generate_named`].
    pub fn load_or_generate(
        data_dir: &Path,
        pkcs12: Option<(&Path, &str)>,
    ) -> Result<Signer, PacketError> {
        Self::load_or_generate_named(data_dir, pkcs12, "frdesk")
    }

    /// The signing key for packets.
    ///
    /// With `pkcs12 = Some((path, password))` the key, certificate and any chain come from that
    /// PKCS#12 file (production: a certificate issued by the county's CA); `data_dir` is not
    /// used. Otherwise the key lives in `<data_dir>/signing/`: [`KEY_FILE`] (private key and
    /// certificate, PEM, mode 0600, directory 0700) and [`CERT_FILE`] (the certificate alone).
    /// On first use a self-signed certificate is generated: RSA 3072, SHA-256,
    /// CN "`<service_name>` packet signing", valid [`GENERATED_VALIDITY_DAYS`] days. Later calls
    /// load the same key, so the fingerprint stays the same. Two processes starting at once
    /// cannot both create a key: the file is published with a no-clobber rename and the loser
    /// loads the winner's.
    ///
    /// Errors: [`PacketError::Io`] for file-system failures, [`PacketError::Key`] when the key
    /// file is readable by group or others, does not hold a key and a matching certificate,
    /// or the PKCS#12 file cannot be opened with the password / lacks a key or certificate;
    /// [`PacketError::Crypto`] when OpenSSL fails.
    pub fn load_or_generate_named(
        data_dir: &Path,
        pkcs12: Option<(&Path, &str)>,
        service_name: &str,
    ) -> Result<Signer, PacketError> {
        if let Some((path, password)) = pkcs12 {
            return Self::from_pkcs12(path, password);
        }
        let dir = data_dir.join("signing");
        let key_path = dir.join(KEY_FILE);
        if !key_path.exists() {
            create_private_dir(&dir)?;
            let generated = Self::generate(service_name)?;
            let pem = generated.to_pem()?;
            let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(io(&dir))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                tmp.as_file()
                    .set_permissions(fs::Permissions::from_mode(0o600))
                    .map_err(io(tmp.path()))?;
            }
            tmp.write_all(&pem).map_err(io(&key_path))?;
            tmp.as_file().sync_all().map_err(io(&key_path))?;
            match tmp.persist_noclobber(&key_path) {
                Ok(_) => {
                    if let Ok(d) = fs::File::open(&dir) {
                        let _ = d.sync_all();
                    }
                    tracing::info!(
                        path = %key_path.display(),
                        fingerprint = %generated.fingerprint_sha256(),
                        "generated a self-signed packet-signing certificate"
                    );
                }
                // Someone else created it first: use theirs.
                Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io(&key_path)(e.error)),
            }
        }
        let signer = Self::from_key_file(&key_path)?;
        signer.write_public_certificate(&dir.join(CERT_FILE))?;
        Ok(signer)
    }

    fn from_pkcs12(path: &Path, password: &str) -> Result<Signer, PacketError> {
        let der = fs::read(path).map_err(io(path))?;
        let parsed = Pkcs12::from_der(&der)
            .map_err(|e| {
                PacketError::Key(format!("{} is not a PKCS#12 file: {e}", path.display()))
            })?
            .parse2(password)
            .map_err(|_| {
                PacketError::Key(format!(
                    "{} could not be opened with the configured password",
                    path.display()
                ))
            })?;
        let key = parsed
            .pkey
            .ok_or_else(|| PacketError::Key(format!("{} holds no private key", path.display())))?;
        let cert = parsed
            .cert
            .ok_or_else(|| PacketError::Key(format!("{} holds no certificate", path.display())))?;
        let chain: Vec<X509> = parsed
            .ca
            .map(|s| s.into_iter().collect())
            .unwrap_or_default();
        let signer = Signer {
            key,
            cert,
            chain,
            origin: path.display().to_string(),
        };
        signer.check_pair()?;
        Ok(signer)
    }

    fn from_key_file(path: &Path) -> Result<Signer, PacketError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(path).map_err(io(path))?.permissions().mode();
            if mode & 0o077 != 0 {
                return Err(PacketError::Key(format!(
                    "{} is readable by others (mode {:o}); run chmod 600 on it",
                    path.display(),
                    mode & 0o777
                )));
            }
        }
        let pem = fs::read(path).map_err(io(path))?;
        let key = PKey::private_key_from_pem(&pem).map_err(|e| {
            PacketError::Key(format!(
                "{} holds no readable private key: {e}",
                path.display()
            ))
        })?;
        let mut certs = X509::stack_from_pem(&pem).map_err(|e| {
            PacketError::Key(format!(
                "{} holds no readable certificate: {e}",
                path.display()
            ))
        })?;
        if certs.is_empty() {
            return Err(PacketError::Key(format!(
                "{} holds no certificate",
                path.display()
            )));
        }
        let cert = certs.remove(0);
        let signer = Signer {
            key,
            cert,
            chain: certs,
            origin: path.display().to_string(),
        };
        signer.check_pair()?;
        Ok(signer)
    }

    fn check_pair(&self) -> Result<(), PacketError> {
        if !self.cert.public_key()?.public_eq(&self.key) {
            return Err(PacketError::Key(format!(
                "{}: the certificate does not belong to the private key",
                self.origin
            )));
        }
        Ok(())
    }

    fn generate(service_name: &str) -> Result<Signer, PacketError> {
        let key = PKey::from_rsa(Rsa::generate(3072)?)?;
        let mut name = X509NameBuilder::new()?;
        let (cn, ou) = subject_names(service_name);
        name.append_entry_by_nid(Nid::COMMONNAME, &cn)?;
        if let Some(ou) = ou {
            name.append_entry_by_nid(Nid::ORGANIZATIONALUNITNAME, ou)?;
        }
        name.append_entry_by_nid(
            Nid::ORGANIZATIONNAME,
            &clip_words(service_name.trim(), X520_MAX),
        )?;
        let name = name.build();

        let mut serial = BigNum::new()?;
        serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
        let serial = Asn1Integer::from_bn(&serial)?;

        let mut b = X509::builder()?;
        b.set_version(2)?;
        b.set_serial_number(&serial)?;
        b.set_subject_name(&name)?;
        b.set_issuer_name(&name)?;
        b.set_pubkey(&key)?;
        b.set_not_before(Asn1Time::days_from_now(0)?.as_ref())?;
        b.set_not_after(Asn1Time::days_from_now(GENERATED_VALIDITY_DAYS)?.as_ref())?;
        b.append_extension(BasicConstraints::new().critical().build()?)?;
        b.append_extension(
            KeyUsage::new()
                .critical()
                .digital_signature()
                .non_repudiation()
                .build()?,
        )?;
        let ski = SubjectKeyIdentifier::new().build(&b.x509v3_context(None, None))?;
        b.append_extension(ski)?;
        b.sign(&key, MessageDigest::sha256())?;
        Ok(Signer {
            key,
            cert: b.build(),
            chain: Vec::new(),
            origin: "generated".to_string(),
        })
    }

    fn to_pem(&self) -> Result<Vec<u8>, PacketError> {
        let mut pem = self.key.private_key_to_pem_pkcs8()?;
        pem.extend(self.cert.to_pem()?);
        Ok(pem)
    }

    fn write_public_certificate(&self, path: &Path) -> Result<(), PacketError> {
        let pem = self.cert.to_pem()?;
        if fs::read(path).is_ok_and(|old| old == pem) {
            return Ok(());
        }
        let (dir, name) =
            crate::platform::files::split(path).map_err(|e| PacketError::Key(format!("{e:#}")))?;
        crate::platform::files::write_atomic_with(
            dir,
            name,
            crate::platform::files::Access::Public,
            |f| f.write_all(&pem),
        )
        .map_err(io(path))?;
        Ok(())
    }

    /// The certificate in PEM (`-----BEGIN CERTIFICATE-----` …), to publish for verifiers.
    pub fn certificate_pem(&self) -> String {
        self.cert
            .to_pem()
            .map(|p| String::from_utf8_lossy(&p).into_owned())
            .unwrap_or_default()
    }

    /// SHA-256 of the certificate's DER encoding: 64 lowercase hex digits, no colons.
    /// Compare with [`crate::platform::pdf::Verification::signer_fingerprint`].
    pub fn fingerprint_sha256(&self) -> String {
        fingerprint(&self.cert)
    }

    /// The certificate's subject, e.g. `CN=LACRIS packet signing, O=LACRIS`.
    pub fn subject(&self) -> String {
        subject_line(&self.cert)
    }

    /// The certificate's expiry as OpenSSL prints it (e.g. `Nov 21 03:20:00 2031 GMT`).
    pub fn not_after(&self) -> String {
        self.cert.not_after().to_string()
    }

    pub(crate) fn chain_stack(&self) -> Result<Stack<X509>, PacketError> {
        let mut s = Stack::new()?;
        for c in &self.chain {
            s.push(c.clone())?;
        }
        Ok(s)
    }
}

/// SHA-256 of a certificate's DER: lowercase hex, no colons ("" if OpenSSL fails).
pub(crate) fn fingerprint(cert: &openssl::x509::X509Ref) -> String {
    cert.digest(MessageDigest::sha256())
        .map(|d| hex::encode(&*d))
        .unwrap_or_default()
}

/// X.520's upper bound for a common name or an organisation name (characters).
const X520_MAX: usize = 64;

/// The generated certificate's common name and organisational unit: `"<service> packet
/// signing"` when that fits [`X520_MAX`]; otherwise the service's own name as the common name
/// (cut at a word boundary, never mid-word) with the purpose as the organisational unit — what
/// every PDF reader's signature panel shows.
fn subject_names(service_name: &str) -> (String, Option<&'static str>) {
    let service = service_name.trim();
    let full = format!("{service} packet signing");
    if full.chars().count() <= X520_MAX {
        (full, None)
    } else {
        (
            clip_words(service, X520_MAX),
            Some("Investigative lead packet signing"),
        )
    }
}

/// `s` cut to at most `max` characters at a word boundary (a single word longer than `max` is
/// cut at `max`).
fn clip_words(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out = String::new();
    for word in s.split_whitespace() {
        let len = out.chars().count() + usize::from(!out.is_empty()) + word.chars().count();
        if len > max {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        out = s.chars().take(max).collect();
    }
    out.trim_end_matches([' ', '—', '-', ','])
        .trim_end()
        .to_string()
}

/// "CN=…, O=…" for a certificate's subject.
pub(crate) fn subject_line(cert: &openssl::x509::X509Ref) -> String {
    cert.subject_name()
        .entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?");
            let val = e.data().to_string().unwrap_or_default();
            format!("{key}={val}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn create_private_dir(dir: &Path) -> Result<(), PacketError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io(dir))
    }
    #[cfg(not(unix))]
    {
        fs::create_dir_all(dir).map_err(io(dir))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_service_name_is_never_cut_mid_word() {
        // The default service name fits whole with the purpose (64 characters exactly; the
        // em dash is one character): it used to be cut at 48 ("…Face Search Des packet signing").
        let (cn, ou) = subject_names("Regional Identification System — Face Search Desk");
        assert_eq!(
            cn,
            "Regional Identification System — Face Search Desk packet signing"
        );
        assert_eq!(ou, None);
        let (cn, ou) = subject_names("Regional Identification System — Face Search Desk East");
        assert_eq!(cn, "Regional Identification System — Face Search Desk East");
        assert_eq!(ou, Some("Investigative lead packet signing"));
        let (cn, ou) = subject_names("LACRIS");
        assert_eq!((cn.as_str(), ou), ("LACRIS packet signing", None));
        let long = "Los Angeles County Regional Identification System Facial Recognition Desk";
        let cn = subject_names(long).0;
        assert!(cn.chars().count() <= X520_MAX, "{cn}");
        assert!(
            long.starts_with(&cn) && long[cn.len()..].starts_with(' '),
            "{cn}"
        );
        assert_eq!(clip_words(&"x".repeat(80), 64).len(), 64);
    }
}
