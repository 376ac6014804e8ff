//! Measured figures, run by hand:
//! `cargo test -p fs --release --test figures -- --ignored --nocapture`.

mod common;

use std::time::Instant;

use common::World;

#[test]
#[ignore = "timing figure, run by hand"]
fn six_component_lookups_per_second_in_tmpfs() {
    let w = World::new();
    let mut path = String::new();
    for name in ["usr", "share", "doc", "courage", "examples", "hello"] {
        path.push('/');
        path.push_str(name);
        w.vfs.mkdir(&w.su(), &path, 0o755).unwrap();
        // Some siblings so lookups search real maps.
        for sibling in 0..16 {
            w.write_file(&format!("{path}/sibling{sibling}"), b"");
        }
    }
    let ctx = w.su();
    let user = fs::Credentials::user(1000, 1000);
    let user_ctx = fs::PathContext {
        base: &w.root,
        root: &w.root,
        creds: &user,
    };
    for (label, ctx) in [("root", ctx), ("uid 1000", user_ctx)] {
        let iterations = 1_000_000;
        let start = Instant::now();
        for _ in 0..iterations {
            let custody = w.vfs.resolve(&ctx, &path, true).unwrap();
            std::hint::black_box(custody);
        }
        let elapsed = start.elapsed();
        println!(
            "{label}: {iterations} lookups of {path} in {elapsed:?}: {:.0} lookups/s, {:.0} ns each",
            iterations as f64 / elapsed.as_secs_f64(),
            elapsed.as_nanos() as f64 / iterations as f64
        );
    }
}
