//! libFuzzer target: `firnml::fuzz::model_file` must return on any input.
//!
//! libfuzzer-sys installs a panic hook that aborts before unwinding, which
//! would report the panics the reader's guard turns into errors as crashes;
//! the init block puts back a quiet hook. A panic the guard does not catch
//! still reaches libfuzzer-sys's own `catch_unwind`, which aborts: a crash.
#![no_main]

libfuzzer_sys::fuzz_target!(
    init: {
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| {
        firnml::fuzz::model_file(data);
    }
);
