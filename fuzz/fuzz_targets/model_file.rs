//! libFuzzer target: `firnml::fuzz::model_file` must return on any input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    firnml::fuzz::model_file(data);
});
