//! The `leadq` binary: everything lives in the library; see `leadq::cli`.

fn main() {
    std::process::exit(leadq::cli::main());
}
