//! The SHAP values one leaf adds, for every pattern of the features on its path
//! a row can satisfy: the precomputation of FastTreeSHAP v2 (Yang 2022, "Fast
//! TreeSHAP: Accelerating SHAP Value Computation for Trees").
//!
//! A leaf of value `v` whose path splits on `u` distinct features ("slots", in
//! the order the path first meets them) is, for path-dependent TreeSHAP, the
//! `u`-player game `v(S) = v · Π_{k∈S} o_k · Π_{k∉S} z_k`: `z_k` is the product
//! of the cover fractions of the path's edges on slot `k`'s feature, and
//! `o_k` is 1 when the row follows all of them (0 otherwise). So a row's SHAP
//! values from this leaf depend on the row only through the pattern `p` of
//! satisfied slots, one of `2^u`. With `c` the slots not satisfied,
//! `Z(c) = Π_{k∈c} z_k` and, for a set `q` of slots,
//! `F(q) = Σ_{S⊆q} w(|S|) · Π_{k∈q∖S} z_k` with the Shapley weights
//! `w(s) = s!·(u−1−s)!/u!`:
//!
//! - a satisfied slot `j` gets `v · (1 − z_j) · Z(c) · F(p ∖ {j})`;
//! - a slot not satisfied gets `−v · Z(c) · F(p)`, the same for all of them.
//!
//! `F` comes from the coefficients `G(q, s) = Σ_{S⊆q, |S|=s} Π_{k∈q∖S} z_k`,
//! built subset by subset (`G(q ∪ {k}, s) = G(q, s − 1) + z_k · G(q, s)`), and
//! `Z` the same way, so a leaf costs O(u · 2^u) to tabulate: no division, and
//! only sums of non-negative products until the last step.

/// The most slots (distinct features on one path) a leaf may have to be tabulated:
/// its table holds `u · 2^u` values (49,152 for 12).
pub(super) const MAX_SLOTS: usize = 12;

/// Buffers reused from leaf to leaf.
#[derive(Debug, Default)]
pub(super) struct PatternWorkspace {
    /// `G(q, s)`, `u` coefficients per subset `q`.
    coefficients: Vec<f64>,
    /// `F(q)` per subset.
    sums: Vec<f64>,
    /// `Z(q)` per subset.
    products: Vec<f64>,
    /// `v · Z(all ∖ p)` per pattern `p`.
    reach: Vec<f64>,
    /// `w(s)` for `s < u`.
    weights: Vec<f64>,
}

/// Values of a leaf's expanded table ([`expanded_values`]) with `slots` slots.
pub(super) fn expanded_len(slots: usize) -> usize {
    slots << slots
}

/// Fills `work.reach` (`v · Z(all ∖ p)` per pattern `p`) and
/// `work.sums` (`F(p)`, 0 for the pattern of all slots) for a leaf of value
/// `value` whose slots have the zero fractions `zeros` (1 to [`MAX_SLOTS`] of them).
fn prepare(value: f64, zeros: &[f64], work: &mut PatternWorkspace) {
    let u = zeros.len();
    let n = 1usize << u;
    let all = n - 1;
    work.weights.clear();
    let mut w = 1.0 / u as f64;
    for s in 0..u {
        work.weights.push(w);
        if s + 1 < u {
            w = w * (s + 1) as f64 / (u - 1 - s) as f64;
        }
    }
    // G(q, s) for s < u: only q = all slots has a term with s = u, and F(all) is never used.
    let g = &mut work.coefficients;
    g.clear();
    g.resize(n * u, 0.0);
    g[0] = 1.0;
    let z_of = &mut work.products;
    z_of.clear();
    z_of.resize(n, 1.0);
    for q in 1..n {
        let k = q.trailing_zeros() as usize;
        let rest = q & (q - 1);
        let z = zeros[k];
        z_of[q] = z_of[rest] * z;
        let (done, row) = g.split_at_mut(q * u);
        let from = &done[rest * u..rest * u + u];
        let row = &mut row[..u];
        row[0] = z * from[0];
        for s in 1..u {
            row[s] = from[s - 1] + z * from[s];
        }
    }
    work.sums.clear();
    work.sums.extend(g.chunks_exact(u).map(|row| {
        row.iter()
            .zip(&work.weights)
            .map(|(coefficient, weight)| coefficient * weight)
            .sum::<f64>()
    }));
    work.sums[all] = 0.0;
    work.reach.clear();
    work.reach
        .extend((0..n).map(|p| value * work.products[all ^ p]));
}

/// Writes the SHAP values of a leaf of value `value` whose slots have the zero
/// fractions `zeros` (`u = zeros.len()`, 1 to [`MAX_SLOTS`]): `out[p·u + j]` is
/// slot `j`'s value for the pattern `p` (bit `k` set: the row satisfies slot `k`).
/// `out` holds [`expanded_len`]`(u)` values.
pub(super) fn expanded_values(
    value: f64,
    zeros: &[f64],
    out: &mut [f64],
    work: &mut PatternWorkspace,
) {
    let u = zeros.len();
    if u == 0 {
        return;
    }
    prepare(value, zeros, work);
    let (sums, reach) = (&work.sums, &work.reach);
    for (p, entry) in out[..expanded_len(u)].chunks_exact_mut(u).enumerate() {
        for (j, slot) in entry.iter_mut().enumerate() {
            let bit = 1 << j;
            *slot = if p & bit != 0 {
                reach[p] * (1.0 - zeros[j]) * sums[p ^ bit]
            } else {
                -reach[p] * sums[p]
            };
        }
    }
}
