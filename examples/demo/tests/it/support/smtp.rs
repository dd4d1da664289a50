//! A real SMTP server for the tests: `aiosmtpd` from PyPI, run with Python on
//! a free loopback port, keeping every message it receives in a maildir.
#![allow(clippy::print_stdout)] // the tests report whether the sink ran

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running SMTP sink; dropped, it stops.
pub struct SmtpSink {
    pub addr: SocketAddr,
    maildir: tempfile::TempDir,
    child: Child,
}

impl SmtpSink {
    /// Starts a sink, or `None` (printing `skipped on smtp`) when Python has
    /// no `aiosmtpd`; CI installs it and fails on a skip.
    pub fn start() -> Option<Self> {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let has_aiosmtpd = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !has_aiosmtpd {
            println!("skipped on smtp (run `pip install aiosmtpd`)");
            return None;
        }
        let maildir = tempfile::tempdir().unwrap();
        // A free port: taken from the OS, then handed to the sink (which
        // cannot report a port it picked itself).
        let addr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l", &addr.to_string(), "-c", "aiosmtpd.handlers.Mailbox"])
            // A path that does not exist yet: the Mailbox handler creates its
            // maildir (tmp/, new/, cur/) only then.
            .arg(maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs aiosmtpd");
        let started = Instant::now();
        while TcpStream::connect(addr).is_err() {
            assert!(started.elapsed() < Duration::from_secs(15), "aiosmtpd did not listen on {addr}");
            std::thread::sleep(Duration::from_millis(50));
        }
        println!("ran on smtp");
        Some(Self { addr, maildir, child })
    }

    /// The demo's `smtp://` URL for this sink.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    fn messages(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.maildir.path().join("mail/new"))
            .map(|dir| dir.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect())
            .unwrap_or_default();
        files.sort_by_key(|path| arrival(path));
        files
    }

    /// How many messages arrived so far.
    pub fn count(&self) -> usize {
        self.messages().len()
    }

    /// Waits for the message number `index` (from 0) and returns it, its
    /// quoted-printable soft breaks and escapes undone.
    pub async fn wait_for(&self, index: usize) -> String {
        let started = Instant::now();
        loop {
            let mut files = self.messages();
            if files.len() > index {
                let raw = std::fs::read_to_string(files.swap_remove(index)).unwrap();
                return raw.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
            }
            assert!(started.elapsed() < Duration::from_secs(15), "no message number {index} arrived");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first `http://…` link in a message.
pub fn link_in(message: &str) -> String {
    let start = message.find("http://").expect("a link in the message");
    let end = message[start..].find(|c: char| c.is_whitespace()).map_or(message.len(), |end| end + start);
    message[start..end].to_owned()
}

/// When a maildir message arrived, from its file name
/// (`{seconds}.M{microseconds}P{pid}Q{count}.{host}`, Python's `mailbox`): the
/// numbers compared as numbers. As text, `M99999` sorts after `M100000` of
/// the same second, and a test would read a message before the one it waits
/// for.
fn arrival(path: &std::path::Path) -> (u64, u64, u64) {
    let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
    let number = |after: char| -> u64 {
        let rest = name.split_once(after).map_or("", |(_, rest)| rest);
        rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0)
    };
    let seconds = name.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0);
    (seconds, number('M'), number('Q'))
}
