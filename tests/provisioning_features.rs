//! Runs `features/provisioning` (harness = false): the mock provider's scenarios, each on its
//! own simulated clock and target. Reports go to `target/tmp/provisioning/`.

#[path = "support/runner.rs"]
mod runner;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    runner::run_folder("provisioning", "provisioning", None, Default::default()).await;
}
