//! The `bitcoin_rust` binary: everything is in the library; see `bitcoin_rust --help`.

fn main() {
    std::process::exit(bitcoin_rust_node::main_entry());
}
