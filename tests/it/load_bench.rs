//! Load benchmarks for the closing note of issue 7. Ignored by default (they take minutes and
//! measure the machine, not correctness); run them in release mode:
//!
//! ```text
//! cargo test --release --test it load_bench -- --ignored --nocapture --test-threads 1
//! ```
//!
//! They write `reports/load-driver-vs-wrk.{md,json}` and `reports/load-bench.{md,json}`.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const EXE: &str = env!("CARGO_BIN_EXE_scim-harness");

fn reports() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports");
    std::fs::create_dir_all(&dir).expect("reports dir");
    dir
}

struct Hello {
    child: Child,
    url: String,
}

impl Drop for Hello {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hello_server() -> Hello {
    use std::io::BufRead;
    let mut child = Command::new(EXE)
        .args(["hello-server", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start hello-server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("hello-server address");
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .expect("address on the line")
        .to_string();
    Hello { child, url }
}

/// `wrk` requests per second, or None when wrk is not installed.
fn wrk(url: &str, connections: usize, seconds: u64) -> Option<f64> {
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            url,
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Runs `scim-harness load` and returns its JSON report.
fn load(args: &[&str], dir: &Path) -> Value {
    let out = Command::new(EXE)
        .arg("load")
        .args(args)
        .args(["--quiet", "--report"])
        .arg(dir)
        .env("CI", "1")
        .output()
        .expect("run load");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scenario = args
        .iter()
        .skip_while(|a| **a != "--scenario")
        .nth(1)
        .expect("scenario");
    let text = std::fs::read_to_string(dir.join(format!("load-{scenario}.json"))).expect("json");
    serde_json::from_str(&text).expect("json report")
}

fn ok_rate(r: &Value) -> f64 {
    let m = &r["metrics"];
    let ok = m["completed"].as_f64().unwrap_or(0.0) - m["errors"].as_f64().unwrap_or(0.0);
    ok / r["drive"]["elapsed_s"].as_f64().unwrap_or(1.0)
}

#[test]
#[ignore = "benchmark: run in release with --ignored"]
fn driver_vs_wrk_on_a_trivial_endpoint() {
    let server = hello_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let (connections, seconds) = (50usize, 5u64);
    std::thread::sleep(Duration::from_millis(300));
    let mut rows = Vec::new();
    for round in 0..3 {
        let wrk_rps = wrk(&server.url, connections, seconds);
        let r = load(
            &[
                "--scenario",
                "hello",
                "--target",
                &server.url,
                "--rate",
                "1000000",
                "--duration",
                &format!("{seconds}s"),
                "--drain",
                "0s",
                "--connections",
                &connections.to_string(),
            ],
            dir.path(),
        );
        let driver = ok_rate(&r);
        let ratio = wrk_rps.map(|w| driver / w);
        let pooled = ok_rate(&load(
            &[
                "--scenario",
                "hello",
                "--target",
                &server.url,
                "--rate",
                "1000000",
                "--duration",
                &format!("{seconds}s"),
                "--drain",
                "0s",
                "--connections",
                &connections.to_string(),
                "--http-engine",
                "reqwest",
            ],
            dir.path(),
        ));
        println!(
            "round {round}: wrk {wrk_rps:?}/s, driver {driver:.0}/s, ratio {ratio:?}, reqwest pool {pooled:.0}/s"
        );
        rows.push(
            json!({"round": round, "wrk_per_s": wrk_rps, "driver_per_s": driver,
            "ratio": ratio, "driver_reqwest_pool_per_s": pooled,
            "driver_p99_us": r["metrics"]["kinds"][0]["raw"]["p99_us"]}),
        );
    }
    let best = |key: &str| {
        rows.iter()
            .filter_map(|r| r[key].as_f64())
            .fold(0.0, f64::max)
    };
    let (w, d) = (best("wrk_per_s"), best("driver_per_s"));
    let mut ratios: Vec<f64> = rows.iter().filter_map(|r| r["ratio"].as_f64()).collect();
    ratios.sort_by(f64::total_cmp);
    let median = ratios.get(ratios.len() / 2).copied().unwrap_or(0.0);
    let md = format!(
        "# Load driver vs wrk\n\nTrivial endpoint (`scim-harness hello-server`, a separate process), {connections} connections, {seconds} s per run, \
         both generators on the same {}-core machine as the server. wrk: `wrk -t2 -c{connections} -d{seconds}s URL`; driver: \
         `scim-harness load --scenario hello --target URL --rate 1000000 --duration {seconds}s --drain 0s --connections {connections}` \
         (open loop at an unreachable rate, so it runs flat out with {connections} in flight).\n\n\
         | round | wrk req/s | driver req/s | ratio | driver, --http-engine reqwest |\n| --- | ---: | ---: | ---: | ---: |\n{}\n\nThe machine was shared with other work, so rounds vary; wrk and the driver alternate within a round. Best of each: wrk {w:.0}/s, driver {d:.0}/s, **ratio {:.2}** (target >= 0.8); median of the per-round ratios {median:.2}.\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        rows.iter()
            .map(|r| format!(
                "| {} | {:.0} | {:.0} | {:.2} | {:.0} |",
                r["round"],
                r["wrk_per_s"].as_f64().unwrap_or(0.0),
                r["driver_per_s"].as_f64().unwrap_or(0.0),
                r["ratio"].as_f64().unwrap_or(0.0),
                r["driver_reqwest_pool_per_s"].as_f64().unwrap_or(0.0)
            ))
            .collect::<Vec<_>>()
            .join("\n"),
        if w > 0.0 { d / w } else { 0.0 }
    );
    std::fs::write(reports().join("load-driver-vs-wrk.md"), &md).expect("write md");
    std::fs::write(
        reports().join("load-driver-vs-wrk.json"),
        serde_json::to_string_pretty(&json!({"rounds": rows})).expect("json"),
    )
    .expect("write json");
    print!("{md}");
}

/// Finds the highest rate (from `rates`) each scenario sustains against the embedded reference:
/// every scheduled operation sent, no errors, achieved >= 97 % of the target.
#[test]
#[ignore = "benchmark: run in release with --ignored"]
fn entitlements_against_the_embedded_reference() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rows = Vec::new();
    let rates = [2000u32, 4000, 6000, 8000, 10000, 12000, 14000, 16000];
    // (scenario, entitlements per change): one product per change, then a rule-sized batch of
    // ten products per change (one PATCH carrying ten entitlements).
    for (scenario, per_op) in [
        ("entitlements-api", 1),
        ("entitlements-e2e", 1),
        ("entitlements-e2e", 10),
    ] {
        for rate in rates {
            let users = (rate * 2).to_string();
            let per_op_arg = per_op.to_string();
            let r = load(
                &[
                    "--scenario",
                    scenario,
                    "--rate",
                    &rate.to_string(),
                    "--duration",
                    "5s",
                    "--users",
                    &users,
                    "--connections",
                    "256",
                    "--entitlements-per-op",
                    &per_op_arg,
                ],
                dir.path(),
            );
            let m = &r["metrics"];
            let k = &m["kinds"][0]["corrected"];
            let sustained = r["drive"]["not_sent"].as_u64() == Some(0)
                && m["errors"].as_u64() == Some(0)
                && ok_rate(&r) >= 0.97 * rate as f64;
            let row = json!({
                "scenario": scenario, "per_op": per_op, "rate": rate, "achieved": ok_rate(&r),
                "entitlements_per_minute": r["entitlements_per_minute"],
                "p50_us": k["p50_us"], "p99_us": k["p99_us"], "max_us": k["max_us"],
                "lag_p99_us": m["lag"]["p99_us"], "errors": m["errors"], "sustained": sustained
            });
            println!("{row}");
            rows.push(row);
            if !sustained {
                break;
            }
        }
    }
    let mut md = String::from(
        "# Entitlements load against the embedded reference\n\nRelease build; driver and reference in one process on this machine; 5 s per rate, \
         256 in flight at most, users = 2 x rate. Corrected latency (from the intended send time). entitlements-e2e = PATCH entitlements, \
         then bounded polling of GET /Users/{id}?attributes=entitlements until visible (the reference has no User Sync rule engine yet).\n\n\
         | scenario | entitlements per change | target changes/s | achieved/s | entitlements/min | p50 ms | p99 ms | max ms | driver lag p99 ms | errors | sustained |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n",
    );
    for r in &rows {
        let ms = |v: &Value| v.as_f64().unwrap_or(0.0) / 1000.0;
        md.push_str(&format!(
            "| {} | {} | {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} |\n",
            r["scenario"].as_str().unwrap_or(""),
            r["per_op"],
            r["rate"],
            r["achieved"].as_f64().unwrap_or(0.0),
            r["entitlements_per_minute"].as_f64().unwrap_or(0.0),
            ms(&r["p50_us"]),
            ms(&r["p99_us"]),
            ms(&r["max_us"]),
            ms(&r["lag_p99_us"]),
            r["errors"],
            r["sustained"]
        ));
    }
    std::fs::write(reports().join("load-bench.md"), &md).expect("write md");
    std::fs::write(
        reports().join("load-bench.json"),
        serde_json::to_string_pretty(&rows).expect("json"),
    )
    .expect("write json");
    print!("{md}");
}
