//! Field algorithms over the model: drawing the sample with its reserves
//! (stratified, reproducible from a seed) and the demo generator.
//!
//! Pure: the caller hands in who may be drawn and keeps who was; imports
//! only the model.

pub mod demo;
pub mod households;
pub mod sampling;
