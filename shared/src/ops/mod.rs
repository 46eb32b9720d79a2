//! What a command or a staff page does end to end, over several rooms: read
//! with `files`, decide with `field`, keep with `store` (importing a frame,
//! running a draw under its lease).
//!
//! May import every room; no room imports it.

pub mod frame;
pub mod households;
pub mod lease;
pub mod sampling;
