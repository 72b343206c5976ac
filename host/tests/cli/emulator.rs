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
    /// Holds the call log.
    dir: tempfile::TempDir,
}

impl Emulator {
    /// Starts an emulator in which `disabled` regions are not enabled.
    pub fn start(disabled: &[&str]) -> Emulator {
        Emulator::start_with(disabled, &[])
    }

    /// Starts an emulator with extra settings from `tests/emulator/server.py`.
    pub fn start_with(disabled: &[&str], settings: &[(&str, &str)]) -> Emulator {
        let python = root().join(".venv/bin/python");
        assert!(
            python.is_file(),
            "missing {}; scripts/test sets up the emulator's Python environment",
            python.display()
        );
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new(python)
            .arg(root().join("tests/emulator/server.py"))
            .arg(port.to_string())
            .env("HOST_EMULATOR_DISABLED_REGIONS", disabled.join(","))
            .env("HOST_EMULATOR_CALL_LOG", dir.path().join("calls.jsonl"))
            .env("HOST_EMULATOR_HIDDEN_ZONES_FILE", dir.path().join("hidden-zones"))
            .env("HOST_EMULATOR_FAULTS_FILE", dir.path().join("faults.json"))
            .envs(settings.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the emulator starts");
        let emulator = Emulator { child, endpoint: format!("http://127.0.0.1:{port}"), dir };
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

impl Emulator {
    /// Every region's network resources, read with boto3 rather than by host.
    pub fn inspect(&self, regions: &[&str]) -> serde_json::Value {
        let mut args = vec![self.endpoint.as_str(), "dump"];
        args.extend_from_slice(regions);
        self.python_json(&args)
    }

    /// Creates a VPC, a subnet and a security group that host does not own.
    pub fn foreign(&self, region: &str) -> serde_json::Value {
        self.python_json(&[self.endpoint.as_str(), "foreign", region])
    }

    /// Creates, inside managed VPC `vpc`, a security group and a subnet host
    /// does not own, and a network interface in the managed `subnet`.
    pub fn intrude(&self, region: &str, vpc: &str, subnet: &str) -> serde_json::Value {
        self.python_json(&[self.endpoint.as_str(), "intrude", region, vpc, subnet])
    }

    /// Deletes network interfaces, subnets and security groups by id.
    pub fn remove(&self, region: &str, ids: &[&str]) {
        let mut args = vec![self.endpoint.as_str(), "remove", region];
        args.extend_from_slice(ids);
        self.python_json(&args);
    }

    /// Creates IAM user `name` whose only policy is `policy`; returns its
    /// access key ID and secret.
    pub fn iam_user(&self, name: &str, policy: &serde_json::Value) -> (String, String) {
        let file = self.dir.path().join(format!("{name}.json"));
        std::fs::write(&file, policy.to_string()).unwrap();
        let key = self.python_json(&[&self.endpoint, "iam-user", name, file.to_str().unwrap()]);
        let field = |name: &str| key[name].as_str().unwrap().to_string();
        (field("access_key_id"), field("secret_access_key"))
    }

    fn python_json(&self, args: &[&str]) -> serde_json::Value {
        let output = Command::new(root().join(".venv/bin/python"))
            .arg(root().join("tests/emulator/probe.py"))
            .args(args)
            .output()
            .expect("the inspector runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// The EC2 calls made so far: action, region, time and HTTP status each.
    pub fn calls(&self) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(self.dir.path().join("calls.jsonl")).unwrap_or_default();
        text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
    }

    /// Switches on the faults `tests/emulator/server.py` describes (throttling,
    /// latency, lag after a create or a delete); `{}` switches them off.
    pub fn faults(&self, faults: serde_json::Value) {
        // Written beside the file and renamed over it, so that no request
        // reads it half written.
        let next = self.dir.path().join("faults.json.next");
        std::fs::write(&next, faults.to_string()).unwrap();
        std::fs::rename(next, self.dir.path().join("faults.json")).unwrap();
    }

    /// Hides zones from DescribeAvailabilityZones, as if the account had not
    /// been given them yet.
    pub fn hide_zones(&self, zones: &[&str]) {
        std::fs::write(self.dir.path().join("hidden-zones"), zones.join("\n")).unwrap();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
