//! Which scoring path [`super::predict::CompactForest`] takes.
//!
//! By default the fastest one this CPU has, detected at run time: AVX-512
//! (F, BW and VBMI: Intel Ice Lake and later, AMD Zen 4 and later), else AVX2
//! on x86_64; NEON on aarch64 (every aarch64 CPU has it); else the scalar
//! path. Every path gives the same margins bit for bit.
//!
//! The environment variable `FIRN_PREDICT_PATH` (`scalar`, `avx2`, `avx512`,
//! `neon` or `auto`), read once per process, forces one, e.g. to compare them
//! (`benches/predict_paths.sh`). A path this CPU cannot run falls back to the
//! default, with one warning on stderr.

use std::sync::OnceLock;

/// A scoring path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PredictPath {
    /// Row-major `f64` values and trees walked eight rows at a time: every CPU,
    /// and every batch too small for a vector block.
    Scalar,
    /// Binned values, 32 rows per 256-bit step (x86_64 with AVX2).
    Avx2,
    /// Binned values, 64 rows per 512-bit step (x86_64 with AVX-512 F, BW, VBMI).
    Avx512,
    /// Binned values, 16 rows per 128-bit step (aarch64).
    Neon,
}

impl PredictPath {
    /// Every path, in the order of the names accepted by `FIRN_PREDICT_PATH`.
    pub const ALL: [PredictPath; 4] = [
        PredictPath::Scalar,
        PredictPath::Avx2,
        PredictPath::Avx512,
        PredictPath::Neon,
    ];

    /// The name `FIRN_PREDICT_PATH` takes.
    pub fn name(self) -> &'static str {
        match self {
            PredictPath::Scalar => "scalar",
            PredictPath::Avx2 => "avx2",
            PredictPath::Avx512 => "avx512",
            PredictPath::Neon => "neon",
        }
    }

    /// Whether this CPU can run the path.
    pub fn available(self) -> bool {
        match self {
            PredictPath::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            PredictPath::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            PredictPath::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512vbmi")
            }
            #[cfg(target_arch = "aarch64")]
            PredictPath::Neon => std::arch::is_aarch64_feature_detected!("neon"),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// The fastest path this CPU can run.
    pub fn detect() -> Self {
        [PredictPath::Avx512, PredictPath::Avx2, PredictPath::Neon]
            .into_iter()
            .find(|path| path.available())
            .unwrap_or(PredictPath::Scalar)
    }

    /// The path named by `FIRN_PREDICT_PATH` if set and runnable here, else
    /// the fastest one; decided once per process.
    pub fn default_path() -> Self {
        static PATH: OnceLock<PredictPath> = OnceLock::new();
        *PATH.get_or_init(|| {
            let requested = std::env::var("FIRN_PREDICT_PATH").ok();
            match Self::parse(requested.as_deref()) {
                Ok(path) => path,
                Err(message) => {
                    eprintln!("firn: {message}");
                    Self::detect()
                }
            }
        })
    }

    /// The path a value of `FIRN_PREDICT_PATH` names (unset, empty or `auto`:
    /// the fastest); an error message for an unknown name or a path this CPU
    /// cannot run.
    pub fn parse(requested: Option<&str>) -> Result<Self, String> {
        let name = requested.map(str::trim).unwrap_or("");
        if name.is_empty() || name.eq_ignore_ascii_case("auto") {
            return Ok(Self::detect());
        }
        let Some(path) = Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
        else {
            return Err(format!(
                "FIRN_PREDICT_PATH={name} is not one of auto, scalar, avx2, avx512, neon; using {}",
                Self::detect().name()
            ));
        };
        if !path.available() {
            return Err(format!(
                "FIRN_PREDICT_PATH={name}: this CPU cannot run it; using {}",
                Self::detect().name()
            ));
        }
        Ok(path)
    }
}

impl std::fmt::Display for PredictPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
