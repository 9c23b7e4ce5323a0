//! libFuzzer target: `firnml::fuzz::table_commit` must return on any input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    firnml::fuzz::table_commit(data);
});
