//! The `pending-certificate-server` binary: the command line, the logs,
//! and [`pending_certificate_server::start`].

use clap::Parser as _;
use pending_certificate_server::config::{Config, LogFormat};

fn main() {
    let config = Config::parse();
    let (writer, _flush) =
        tracing_appender::non_blocking::NonBlockingBuilder::default().lossy(true).finish(std::io::stderr());
    let subscriber = tracing_subscriber::fmt().with_writer(writer).with_ansi(false);
    match config.log_format {
        LogFormat::Text => subscriber.init(),
        LogFormat::Json => subscriber.json().init(),
    }
    let code = match pending_certificate_server::start(config) {
        Ok(()) => 0,
        Err(error) => {
            tracing::error!(%error, "could not start");
            eprintln!("pending-certificate-server: {error}");
            2
        }
    };
    drop(_flush);
    std::process::exit(code);
}
