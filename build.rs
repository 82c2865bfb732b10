//! Links libvips (and glib/gobject, which its API exposes) and OpenJPEG through pkg-config,
//! so the hand-written FFI in `src/render/` finds the system libraries. Debian:
//! `libvips-dev`, which brings `libopenjp2-7-dev`.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if let Err(err) = pkg_config::Config::new()
        .atleast_version("8.12")
        .probe("vips")
    {
        panic!("libvips >= 8.12 not found via pkg-config ({err}); install libvips-dev");
    }
    // OpenJPEG, which libvips already loads JPEG 2000 with, for decoding regions directly
    // (src/render/openjpeg/). libvips-dev depends on libopenjp2-7-dev.
    if let Err(err) = pkg_config::Config::new()
        .atleast_version("2.3")
        .probe("libopenjp2")
    {
        panic!("libopenjp2 >= 2.3 not found via pkg-config ({err}); install libopenjp2-7-dev");
    }
}
