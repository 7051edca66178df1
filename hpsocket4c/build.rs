//! Gives the shared library the original's SONAME, so programs linked against either one
//! record the same dependency name.
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libhpsocket4c.so");
}
