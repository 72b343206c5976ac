//! The EC2 emulator (`tests/emulator/server.py`: moto's server with host's
//! layer on top), started on loopback for one test and stopped when dropped.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::*;

/// A running emulator.
pub struct Emulator {
    child: Child,
    endpoint: String,
}

impl Emulator {
    /// Starts an emulator in which `disabled` regions are not enabled.
    pub fn start(disabled: &[&str]) -> Emulator {
        let python = root().join(".venv/bin/python");
        assert!(
            python.is_file(),
            "missing {}; scripts/test sets up the emulator's Python environment",
            python.display()
        );
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(python)
            .arg(root().join("tests/emulator/server.py"))
            .arg(port.to_string())
            .env("HOST_EMULATOR_DISABLED_REGIONS", disabled.join(","))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the emulator starts");
        let emulator = Emulator { child, endpoint: format!("http://127.0.0.1:{port}") };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(60), "the emulator did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        emulator
    }

    /// Runs the host binary against the emulator with test credentials.
    pub fn host(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("the host binary runs")
    }

    /// The host command, pointed at the emulator, for tests that change more.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_host"));
        command
            .args(args)
            .current_dir(root())
            .env("HOST_CACHE_DIR", root().join("target/test-plugin-cache"))
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "AKIAEMULATOREXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "emulator-secret-never-printed")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("RUST_LOG");
        command
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
