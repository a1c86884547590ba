//! Speed of the HTTP API: a whole request to a `tokenfit serve` on loopback (connect, send,
//! answer, read), for `fit` of one model on every device and on one device. Run with
//! `cargo bench --bench serve`; the server is the bench build of the binary.

#[path = "../tests/common/server.rs"]
mod server;

use server::Server;
use std::sync::OnceLock;

fn main() {
    divan::main();
}

fn server() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| Server::start(&[]))
}

fn get(target: &str) -> usize {
    let a = server().get(target);
    assert_eq!(a.status, 200, "{}", a.text());
    a.body.len()
}

/// `fit` of one model on all devices: `/api/fit?model=llama-3.3-70b&quant=q8_0&ctx=32k`.
#[divan::bench]
fn fit_one_model_all_devices() -> usize {
    get("/api/fit?model=llama-3.3-70b&quant=q8_0&ctx=32k")
}

/// `fit` of one model on one device.
#[divan::bench]
fn fit_one_model_one_device() -> usize {
    get("/api/fit?model=llama-3.3-70b&quant=q8_0&ctx=32k&devices=rtx-4090")
}

/// `predict`: one scenario with its breakdown.
#[divan::bench]
fn predict_one_scenario() -> usize {
    get("/api/predict?device=rtx-4090&model=llama-3.1-8b&quant=q4_k_m&ctx=32k")
}
