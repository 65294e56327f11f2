//! The official Azure SDK for Python (`azure-keyvault-certificates` 4.12 from
//! PyPI, in a virtualenv this test creates) drives the server over HTTPS,
//! unmodified. The script is `tests/sdk/sdk_e2e.py`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const SDK: &str = "azure-keyvault-certificates==4.12.0";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the server on a free port; returns it, its URL and its certificate.
fn start(data_dir: &Path) -> (Server, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pending-certificate-server"))
        .args(["--listen", "127.0.0.1:0", "--admin", "--provider-delay", "1", "--data-dir"])
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

/// A virtualenv with the SDK, made once per target directory.
fn python() -> PathBuf {
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sdk-venv");
    let python = venv.join("bin/python");
    let marker = venv.join(".installed-4.12.0");
    if !marker.exists() {
        let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().unwrap();
        assert!(made.success(), "python3 -m venv failed");
        let installed = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", SDK])
            .status()
            .unwrap();
        assert!(installed.success(), "pip install {SDK} failed");
        std::fs::write(&marker, b"").unwrap();
    }
    python
}

#[test]
fn the_official_python_sdk_drives_the_server() {
    let python = python();
    let data_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("sdk-data-{}", std::process::id()));
    let (_server, url, cert) = start(&data_dir);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/sdk_e2e.py");
    let output = Command::new(&python).arg(&script).arg(&url).arg(&cert).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "the SDK run failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("SDK calls exercised:"), "{stdout}");
    let _ = std::fs::remove_dir_all(&data_dir);
}
