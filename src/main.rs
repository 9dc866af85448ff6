//! The `leadq` binary: everything lives in the library; see `leadq::cli`.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(leadq::cli::main());
}
