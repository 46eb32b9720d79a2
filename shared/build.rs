//! `sqlx::migrate!` embeds `migrations/` at compile time: rebuild when a
//! migration is added or edited, or the binary would carry the old ones.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
