//! The node binary, built inside the tests package so its tests can start it by path
//! (`CARGO_BIN_EXE_test_node`); it runs exactly the code of `bitcoin_rust`.

fn main() {
    std::process::exit(bitcoin_rust_node::main_entry());
}
