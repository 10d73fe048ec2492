//! The wrapper's tests, one binary (one link of matrix-sdk-crypto instead of one per file): the C
//! ABI's error handling, the crypto store, and two devices exchanging keys and messages.

mod common;

mod abi;
mod attachment;
mod recovery;
mod round_trip;
mod store;
