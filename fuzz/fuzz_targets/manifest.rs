//! libFuzzer target: `firnml::fuzz::manifest` must return on any input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    firnml::fuzz::manifest(data);
});
