//! Copies curl's headers, which curl-sys announces as DEP_CURL_INCLUDE, to a fixed place beside
//! the library in the cargo target folder (<target>/<profile>/reflexbot-curl/include), where
//! CMake looks for them.
use std::path::{Path, PathBuf};

fn main() {
    let include = PathBuf::from(std::env::var_os("DEP_CURL_INCLUDE").expect("curl-sys names its headers"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    // OUT_DIR is <target>/<profile>/build/reflexbot-curl-<hash>/out.
    let profile = out.ancestors().nth(3).expect("OUT_DIR lies three folders below the profile's");
    let to = profile.join("reflexbot-curl").join("include").join("curl");
    std::fs::create_dir_all(&to).expect("create the header folder");
    copy_headers(&include.join("curl"), &to);
    println!("cargo:rerun-if-changed=build.rs");
}

fn copy_headers(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read curl's header folder") {
        let path = entry.expect("a header").path();
        if path.extension().is_some_and(|e| e == "h") {
            let target = to.join(path.file_name().expect("a file name"));
            let same = std::fs::read(&path).ok() == std::fs::read(&target).ok();
            if !same {
                std::fs::copy(&path, &target).expect("copy a header");
            }
        }
    }
}
