//! The official Azure SDKs drive the server over HTTPS, unmodified.
//!
//! - Python (`azure-keyvault-certificates` 4.12, `-secrets`, `-keys` from
//!   PyPI, in a virtualenv this test creates from `tests/sdk/requirements.txt`):
//!   `tests/sdk/sdk_e2e.py` for the operations, `tests/sdk/lifecycle_e2e.py`
//!   for a certificate's whole life, `tests/sdk/chains_e2e.py` for chains as
//!   the `openssl` command line and the `cryptography` package make them, at
//!   the `service` and the `verified` levels.
//! - JavaScript (`@azure/keyvault-certificates`, `-secrets` from npm, installed
//!   with `npm ci` from the committed lock file of `tests/sdk/js`, on the
//!   machine's Node.js): `tests/sdk/js/lifecycle.mjs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the server on a free port with `args` besides; returns it, its URL
/// and its certificate. Requests are answered within a second and polled
/// every second, so the SDK's pollers finish quickly.
fn start(data_dir: &Path, args: &[&str]) -> (Server, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pending-certificate-server"))
        .args(["--listen", "127.0.0.1:0", "--admin", "--provider-delay", "1", "--self-signed-delay", "1"])
        .args(["--retry-after", "1"])
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let mut url = None;
    let mut cert = None;
    while url.is_none() || cert.is_none() {
        let line = lines.next().expect("the server stopped before printing its URL").unwrap();
        if let Some(rest) = line.strip_prefix("pending-certificate-server listening on ") {
            url = Some(rest.to_owned());
        } else if let Some(rest) = line.strip_prefix("TLS certificate: ") {
            cert = Some(rest.to_owned());
        }
    }
    (server, url.unwrap(), cert.unwrap())
}

fn sdk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk")
}

/// A virtualenv with the SDK, made once per target directory and again when
/// the requirements change.
fn python() -> PathBuf {
    static VENV: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    VENV.get_or_init(|| {
        let requirements = sdk_dir().join("requirements.txt");
        let wanted = std::fs::read_to_string(&requirements).unwrap();
        let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sdk-venv");
        let python = venv.join("bin/python");
        let marker = venv.join(".installed");
        if std::fs::read_to_string(&marker).ok().as_deref() != Some(wanted.as_str()) {
            let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().unwrap();
            assert!(made.success(), "python3 -m venv failed");
            let installed = Command::new(&python)
                .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
                .arg(&requirements)
                .status()
                .unwrap();
            assert!(installed.success(), "pip install -r {} failed", requirements.display());
            std::fs::write(&marker, &wanted).unwrap();
        }
        python
    })
    .clone()
}

fn scratch(label: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs a script of `tests/sdk` with `args`; its standard output.
fn run(script: &str, args: &[&str]) -> String {
    let output = Command::new(python()).arg(sdk_dir().join(script)).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "{script} {args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

#[test]
fn the_official_python_sdk_drives_the_server() {
    let data_dir = scratch("sdk-data");
    let (_server, url, cert) = start(&data_dir, &[]);
    let stdout = run("sdk_e2e.py", &[&url, &cert]);
    assert!(stdout.contains("SDK calls exercised:"), "{stdout}");
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[test]
fn the_official_python_sdks_drive_a_certificates_whole_life() {
    let data_dir = scratch("lifecycle-data");
    let (_server, url, cert) = start(&data_dir, &[]);
    let stdout = run("lifecycle_e2e.py", &[&url, &cert]);
    assert!(stdout.contains("lifecycle calls exercised:"), "{stdout}");
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// `tests/sdk/js` with its packages installed (`npm ci`, once per target
/// directory and again when the lock file changes), outside the source tree.
fn node_project() -> PathBuf {
    static PROJECT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PROJECT
        .get_or_init(|| {
            let source = sdk_dir().join("js");
            let project = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sdk-js");
            std::fs::create_dir_all(&project).unwrap();
            for file in ["package.json", "package-lock.json", "lifecycle.mjs"] {
                std::fs::copy(source.join(file), project.join(file)).unwrap();
            }
            let lock = std::fs::read_to_string(source.join("package-lock.json")).unwrap();
            let marker = project.join(".installed");
            if std::fs::read_to_string(&marker).ok().as_deref() != Some(lock.as_str()) {
                let installed = Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                    .current_dir(&project)
                    .status()
                    .expect("npm is not on the PATH");
                assert!(installed.success(), "npm ci failed in {}", project.display());
                std::fs::write(&marker, &lock).unwrap();
            }
            project
        })
        .clone()
}

#[test]
fn the_official_javascript_sdk_drives_a_certificates_whole_life() {
    let project = node_project();
    let data_dir = scratch("js-data");
    let (_server, url, cert) = start(&data_dir, &[]);
    let output = Command::new("node")
        .arg(project.join("lifecycle.mjs"))
        .arg(&url)
        .env("NODE_EXTRA_CA_CERTS", &cert)
        .current_dir(&project)
        .output()
        .expect("node is not on the PATH");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "lifecycle.mjs failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("JavaScript SDK calls exercised:"), "{stdout}");
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[test]
fn chains_made_by_real_tools_merge_as_the_service_merges_them() {
    let roots = scratch("chain-roots");
    run("chains_e2e.py", &["roots", roots.to_str().unwrap()]);
    let anchors = roots.join("anchors.pem");
    for (level, extra) in [
        ("service", vec![]),
        ("verified", vec!["--chain-validation", "verified", "--trust-anchors", anchors.to_str().unwrap()]),
    ] {
        let data_dir = scratch(&format!("chains-{level}"));
        let (_server, url, cert) = start(&data_dir, &extra);
        let stdout = run("chains_e2e.py", &["merge", &url, &cert, roots.to_str().unwrap(), level]);
        assert!(stdout.contains(&format!("chains merged at {level}:")), "{stdout}");
        let _ = std::fs::remove_dir_all(&data_dir);
    }
    let _ = std::fs::remove_dir_all(&roots);
}
