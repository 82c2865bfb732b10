//! Links libvips (and glib/gobject, which its API exposes) through pkg-config, so the
//! hand-written FFI in `src/render/` finds the system library. Debian: `libvips-dev`.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if let Err(err) = pkg_config::Config::new().atleast_version("8.12").probe("vips") {
        panic!("libvips >= 8.12 not found via pkg-config ({err}); install libvips-dev");
    }
}
