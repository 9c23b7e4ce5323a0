//! libFuzzer target: `firnml::fuzz::model_file_unguarded` must return on any input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    firnml::fuzz::model_file_unguarded(data);
});
