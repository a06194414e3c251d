//! Runs `features/verification` against the embedded reference (harness = false), over real
//! UDP and TCP sockets on loopback: the reference's verifier asks the fake name server and
//! web server the steps start (E-DV-01..05). Reports go to `target/tmp/verification/`.

#[path = "support/runner.rs"]
mod runner;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    runner::run_folder("verification", "verification", None, Default::default()).await;
}
