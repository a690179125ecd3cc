//! Differential test: offthread's argon2 engine (SIMD kernels driven lane by lane on the pool)
//! against RustCrypto's `argon2` as the reference, over variants, versions, lanes and secrets.

use offthread_core::password::argon2::{raw, Variant};
use offthread_core::password::Secrets;
use offthread_core::pool::TaskState;

#[allow(clippy::too_many_arguments)]
fn reference(
    variant: Variant,
    version: u32,
    m: u32,
    t: u32,
    p: u32,
    pwd: &[u8],
    salt: &[u8],
    s: &Secrets,
    len: usize,
) -> Vec<u8> {
    let alg = match variant {
        Variant::Argon2d => argon2::Algorithm::Argon2d,
        Variant::Argon2i => argon2::Algorithm::Argon2i,
        Variant::Argon2id => argon2::Algorithm::Argon2id,
    };
    let ver = if version == 0x10 {
        argon2::Version::V0x10
    } else {
        argon2::Version::V0x13
    };
    let mut b = argon2::ParamsBuilder::new();
    b.m_cost(m).t_cost(t).p_cost(p).output_len(len);
    if let Some(ad) = &s.associated_data {
        b.data(argon2::AssociatedData::new(ad).expect("ad <= 32 bytes"));
    }
    let params = b.build().expect("valid params");
    let ctx = match &s.secret {
        Some(k) => argon2::Argon2::new_with_secret(k, alg, ver, params).expect("secret"),
        None => argon2::Argon2::new(alg, ver, params),
    };
    let mut out = vec![0u8; len];
    ctx.hash_password_into(pwd, salt, &mut out)
        .expect("reference hash");
    out
}

#[test]
fn engine_matches_reference() {
    let variants = [Variant::Argon2d, Variant::Argon2i, Variant::Argon2id];
    let mut case = 0u32;
    for &variant in &variants {
        for version in [0x10, 0x13] {
            for (m, t, p) in [
                (8, 1, 1),
                (64, 2, 1),
                (256, 3, 2),
                (1024, 1, 4),
                (2048, 2, 3),
                (515, 2, 5),
            ] {
                case += 1;
                let secrets = if case.is_multiple_of(3) {
                    Secrets {
                        secret: Some(vec![3u8; 8]),
                        associated_data: Some(vec![4u8; 12]),
                    }
                } else {
                    Secrets::default()
                };
                let pwd = format!("password {case}");
                let salt = [u8::try_from(case).expect("fewer than 256 cases"); 16];
                let len = if case.is_multiple_of(2) { 32 } else { 64 };
                let want = reference(
                    variant,
                    version,
                    m,
                    t,
                    p,
                    pwd.as_bytes(),
                    &salt,
                    &secrets,
                    len,
                );
                let mut got = vec![0u8; len];
                raw(
                    variant,
                    version,
                    m,
                    t,
                    p,
                    pwd.as_bytes(),
                    &salt,
                    &secrets,
                    &mut got,
                    &TaskState::new(),
                )
                .expect("engine hash");
                assert_eq!(got, want, "{variant:?} v{version:#x} m={m} t={t} p={p}");
            }
        }
    }
}

#[test]
fn cancellation_stops_between_slices() {
    let task = TaskState::new();
    assert!(task.start());
    task.cancel();
    let mut out = [0u8; 32];
    let r = raw(
        Variant::Argon2id,
        0x13,
        4096,
        3,
        1,
        b"pw",
        b"saltsaltsalt",
        &Secrets::default(),
        &mut out,
        &task,
    );
    assert_eq!(r.map_err(|e| e.code()), Err("ABORT_ERR"));
}
