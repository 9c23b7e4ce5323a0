//! libFuzzer target: `firnml::fuzz::pointer_entry` must return on any input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    firnml::fuzz::pointer_entry(data);
});
