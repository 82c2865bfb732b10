//! The packaged bundle (`scripts/package-lambda`) in a clean environment: the zip is
//! unpacked at `/var/task` of an otherwise empty root, `bootstrap` runs chrooted there
//! with an empty environment (plus what Lambda sets), and the same round trip as
//! `lambda_runtime.rs` (`lambda_support/round_trip.rs`) goes through the Runtime API emulator. In that root there is no
//! /usr, /lib or /etc, so the machine's libvips and glibc cannot be what answers: the
//! bundled loader, libc and libraries are. AL2023 has glibc 2.34 and Debian's libraries
//! need newer symbols, which is why the loader and libc are bundled (checked below too).
//!
//! Needs root (chroot) and the zip, so it is ignored by default; `scripts/test` builds the
//! zips and runs it: `TESSERA_LAMBDA_ZIP=var/lambda/tessera-lambda-x86_64.zip cargo
//! nextest run --run-ignored only --test lambda_package`, and for arm64 with
//! `TESSERA_LAMBDA_RUNNER=/usr/bin/qemu-aarch64-static` too.

mod common;
mod lambda_support;

use lambda_support::emulator::{Emulator, Function};
use std::path::Path;
use std::process::Command;

fn unzip(zip: &Path, into: &Path) {
    std::fs::create_dir_all(into).unwrap();
    let status = Command::new("unzip")
        .arg("-q")
        .arg(zip)
        .arg("-d")
        .arg(into)
        .status()
        .expect("unzip (Debian package unzip)");
    assert!(status.success());
}

fn interpreter(elf: &Path) -> String {
    let out = Command::new("readelf")
        .arg("-lW")
        .arg(elf)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = text
        .lines()
        .find(|l| l.contains("Requesting program interpreter"))
        .expect("bootstrap has an interpreter");
    line.split(": ")
        .nth(1)
        .unwrap()
        .trim_end_matches(']')
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the packaged zip (scripts/package-lambda) and root for chroot"]
async fn packaged_bootstrap_serves_from_an_empty_root() {
    let zip = std::env::var("TESSERA_LAMBDA_ZIP").expect("TESSERA_LAMBDA_ZIP names the zip");
    let root = tempfile::tempdir().unwrap();
    let task = root.path().join("var/task");
    unzip(Path::new(&zip), &task);

    // The bundle brings its own loader and libc, and bootstrap starts through them.
    let libs: Vec<String> = std::fs::read_dir(task.join("lib"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    for must in ["libc.so.6", "libvips.so.42", "libglib-2.0.so.0"] {
        assert!(libs.iter().any(|l| l == must), "{must} missing: {libs:?}");
    }
    let interp = interpreter(&task.join("bootstrap"));
    assert!(interp.starts_with("/var/task/lib/ld-linux"), "{interp}");
    assert!(task.join(&interp["/var/task/".len()..]).exists());

    // Images and /tmp, nothing else: no /usr, /lib, /etc, /bin in the root.
    let images = root.path().join("images");
    let fixtures = lambda_support::event_fixtures();
    std::fs::create_dir_all(images.join("sub")).unwrap();
    for name in ["quad.tif", "quad.jpg", "noise.png", "sub/nested.png"] {
        std::fs::copy(fixtures.path().join(name), images.join(name)).unwrap();
    }
    std::fs::create_dir(root.path().join("tmp")).unwrap();
    for system in ["usr", "lib", "lib64", "etc", "bin"] {
        assert!(!root.path().join(system).exists());
    }

    // A bundle for another architecture (arm64) runs under a static user-mode emulator
    // copied into the root (qemu-aarch64-static), which loads the bundled loader itself.
    let runner = std::env::var_os("TESSERA_LAMBDA_RUNNER").map(|path| {
        std::fs::copy(&path, root.path().join("runner")).unwrap();
        "/runner"
    });

    let emulator = Emulator::start().await;
    // env_clear() below also clears the PATH the program is looked up in.
    let mut command = Command::new("/usr/sbin/chroot");
    command.arg(root.path());
    command.args(runner);
    command
        .arg("/var/task/bootstrap")
        .env_clear()
        .env("LAMBDA_TASK_ROOT", "/var/task")
        // What Lambda sets on provided.al2023; the bundle's DT_RPATH must win over it.
        .env(
            "LD_LIBRARY_PATH",
            "/lib64:/usr/lib64:/var/task:/var/task/lib",
        )
        .env("TESSERA_ROOT", "/images")
        .env("RUST_LOG", "info");
    let log = fixtures.path().join("bootstrap.log");
    let function = Function::start(command, &emulator, log);
    lambda_support::round_trip::round_trip(&emulator, &function).await;
}
