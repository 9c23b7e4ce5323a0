//! libFuzzer target: `firnml::fuzz::xgboost_json` must return on any input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    firnml::fuzz::xgboost_json(data);
});
