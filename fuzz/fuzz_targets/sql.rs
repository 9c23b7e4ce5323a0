//! libFuzzer target: `firnml::fuzz::sql` must return on any input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    firnml::fuzz::sql(data);
});
