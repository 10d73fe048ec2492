//! Only a carrier: the static library this crate builds holds libcurl's objects (curl-sys links
//! them as a bundled native library), which the C++ code calls through curl's own headers.
pub use curl_sys::curl_easy_init;
