//! Single-thread hash timings of the core kernels, for quick comparisons:
//! `cargo run --release -p offthread-core --example hash_speed [bcrypt|argon2|scrypt]`.

use offthread_core::password::{self, argon2, scrypt, HashOptions, Params};
use offthread_core::pool::TaskState;
use std::time::Instant;

fn time(name: &str, n: u32, params: Params) {
    let options = HashOptions {
        params,
        ..HashOptions::default()
    };
    let pw = b"correct horse battery staple";
    password::hash(pw, &options, &TaskState::new()).expect("warm-up");
    let t0 = Instant::now();
    for _ in 0..n {
        std::hint::black_box(password::hash(pw, &options, &TaskState::new()).expect("hash"));
    }
    println!(
        "{name:<28} {:8.2} ms/hash",
        t0.elapsed().as_secs_f64() * 1e3 / f64::from(n)
    );
}

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    if which.is_empty() || which == "bcrypt" {
        time("bcrypt cost 10", 20, Params::Bcrypt { cost: 10 });
    }
    if which.is_empty() || which == "argon2" {
        time(
            "argon2id m=19456 t=2 p=1",
            40,
            Params::Argon2(argon2::Params::DEFAULT),
        );
        let p4 = argon2::Params {
            memory_cost: 65536,
            time_cost: 3,
            parallelism: 4,
            ..argon2::Params::DEFAULT
        };
        time("argon2id m=65536 t=3 p=4", 10, Params::Argon2(p4));
    }
    if which.is_empty() || which == "scrypt" {
        time(
            "scrypt N=2^17 r=8 p=1",
            5,
            Params::Scrypt(scrypt::Params::DEFAULT),
        );
    }
}
