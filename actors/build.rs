//! Rebuilds the node when the built dashboard (`frontend/dist`, embedded by `src/ui.rs`)
//! appears, changes or goes away.

fn main() {
    println!("cargo:rerun-if-changed=../frontend/dist");
    println!("cargo:rerun-if-changed=build.rs");
}
