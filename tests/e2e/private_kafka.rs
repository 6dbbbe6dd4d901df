//! A private Apache Kafka broker for the tests that stop, kill and restart the broker: the same
//! jars and configuration template as the shared one (infra/local), on free ports, with its data
//! in a temporary folder, so a fault never disturbs the other tests.
//!
//! Needs `HIRELEDGER_TEST_KAFKA_LIBS` (the folder of Kafka's jars) and `HIRELEDGER_TEST_JAVA`, as
//! `infra/local/test.sh` sets them; without them it looks in `~/.cache/hireledger/tools`.

#![allow(unreachable_pub)]

use std::path::PathBuf;
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::time::Instant;

const TEMPLATE: &str = include_str!("../../infra/local/kafka/server.properties.in");
const LOG4J: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../infra/local/kafka/log4j2.yaml"
);

pub struct PrivateKafka {
    pub port: u16,
    dir: PathBuf,
    libs: PathBuf,
    java: String,
    child: Option<Child>,
}

/// A KRaft cluster id: a random UUID in URL-safe base64, never starting with `-` (the storage
/// tool would take it for an option; Kafka's own `random-uuid` avoids those too).
fn cluster_id() -> String {
    use base64::Engine as _;
    loop {
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(uuid::Uuid::new_v4().as_bytes());
        if !id.starts_with('-') {
            return id;
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn kafka_libs() -> PathBuf {
    if let Ok(dir) = std::env::var("HIRELEDGER_TEST_KAFKA_LIBS") {
        return PathBuf::from(dir);
    }
    let tools = PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into()))
        .join(".cache/hireledger/tools");
    std::fs::read_dir(&tools)
        .ok()
        .and_then(|entries| {
            entries
                .flatten()
                .map(|e| e.path().join("libs"))
                .find(|p| p.join(".complete").exists())
        })
        .unwrap_or_else(|| {
            panic!(
                "no Apache Kafka jars: run infra/local/test.sh (it fetches them), or set \
                 HIRELEDGER_TEST_KAFKA_LIBS"
            )
        })
}

impl PrivateKafka {
    /// Formats a fresh single-node store and starts the broker; returns once it accepts
    /// connections.
    pub async fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("hl-kafka-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let (port, controller) = (free_port(), free_port());
        let config = TEMPLATE
            .replace("@PORT@", &port.to_string())
            .replace("@CONTROLLER_PORT@", &controller.to_string())
            .replace("@LOG_DIR@", &dir.join("data").display().to_string());
        std::fs::write(dir.join("server.properties"), config).unwrap();
        let mut kafka = Self {
            port,
            libs: kafka_libs(),
            java: std::env::var("HIRELEDGER_TEST_JAVA").unwrap_or_else(|_| "java".into()),
            dir,
            child: None,
        };
        let format = kafka
            .java()
            .args(["kafka.tools.StorageTool", "format", "--standalone", "-t"])
            .arg(cluster_id())
            .arg("-c")
            .arg(kafka.dir.join("server.properties"))
            .output()
            .await
            .expect("run kafka-storage format");
        assert!(
            format.status.success(),
            "formatting the private Kafka store failed: {}{}",
            String::from_utf8_lossy(&format.stdout),
            String::from_utf8_lossy(&format.stderr)
        );
        kafka.launch().await;
        kafka
    }

    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn java(&self) -> Command {
        let mut cmd = Command::new(&self.java);
        cmd.arg("-Xms128m")
            .arg("-Xmx512m")
            .arg(format!("-Dlog4j2.configurationFile={LOG4J}"))
            .arg("-cp")
            .arg(format!("{}/*", self.libs.display()));
        cmd
    }

    /// Starts the broker on the existing data and waits until it accepts connections.
    pub async fn launch(&mut self) {
        assert!(self.child.is_none(), "the private broker already runs");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("kafka.log"))
            .unwrap();
        let child = self
            .java()
            .arg("kafka.Kafka")
            .arg(self.dir.join("server.properties"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("start the private Kafka");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(90);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "the private Kafka did not open port {} (log: {})",
                self.port,
                self.dir.join("kafka.log").display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A clean shutdown (SIGTERM), waiting until the process is gone.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Some(pid) = child.id() {
                let _ = Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status()
                    .await;
            }
            if tokio::time::timeout(Duration::from_secs(60), child.wait())
                .await
                .is_err()
            {
                let _ = child.kill().await;
            }
        }
    }

    /// SIGKILL: the broker dies mid-flight, as on a power cut of the process.
    pub async fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
            let _ = child.wait().await;
        }
    }
}

impl Drop for PrivateKafka {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
