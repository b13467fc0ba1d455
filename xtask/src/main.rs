//! Project automation: `cargo xtask <job>`.

fn main() {
    eprintln!("usage: cargo xtask <job>");
    std::process::exit(2);
}
