//! The behavioural model of one customer: who they are and what they ordered.
//!
//! Each customer has a latent engagement `e` (≈ standard normal). Whether they
//! churn (no order in H2 2024 after ordering in H1 2024) depends on `e` plus
//! independent noise against a per-segment threshold, which gives the seed's
//! segment churn rates. Their order frequency, basket size and return rate
//! depend on `e` and, more weakly, on the churn outcome itself, always with
//! noise, so RFM features predict churn well but not perfectly.

use super::calendar::days_from_civil;
use firnml::ml::rng::Rng;

/// First possible registration date.
pub(crate) const REG_START: i32 = days_from_civil(2021, 7, 1);
/// Last possible registration date.
pub(crate) const REG_END: i32 = days_from_civil(2023, 6, 30);
/// First order date (as in the seed data).
pub(crate) const ORDER_START: i32 = days_from_civil(2022, 12, 29);
/// Last day before 2024.
const PRE_END: i32 = days_from_civil(2023, 12, 31);
/// Start of the feature-window half year that defines the labelled population.
pub(crate) const H1_START: i32 = days_from_civil(2024, 1, 1);
/// The observation (cutoff) date.
pub(crate) const CUTOFF: i32 = days_from_civil(2024, 6, 30);
/// Start of the label window.
pub(crate) const H2_START: i32 = days_from_civil(2024, 7, 1);
/// Last order date.
pub(crate) const ORDER_END: i32 = days_from_civil(2024, 12, 31);

/// Largest order count of one period.
const MAX_PER_PERIOD: u32 = 30;
/// Share of customers who stopped buying before 2024 (no label).
const LAPSED_SHARE: f64 = 0.01;
/// Weight of the churn noise relative to engagement.
const CHURN_NOISE: f64 = 0.7;
/// Pre-2024 orders expected over the whole 2023 window at engagement 0.
const PRE_RATE: f64 = 3.3;
/// Probability that an order is cancelled.
const CANCEL_RATE: f64 = 0.038;

/// Customer segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Segment {
    Basic,
    Standard,
    Premium,
}

/// Per-segment parameters.
struct SegmentModel {
    segment: Segment,
    /// Cumulative share of customers up to and including this segment.
    cumulative_share: f64,
    /// Churned iff `e + CHURN_NOISE·z < threshold`: Φ⁻¹(churn rate)·√(1 + 0.7²),
    /// for churn rates 50 %, 35 % and 17 %.
    churn_threshold: f64,
    /// Typical basket in currency units.
    basket: f64,
    /// Order frequency multiplier.
    frequency: f64,
}

const SEGMENTS: [SegmentModel; 3] = [
    SegmentModel {
        segment: Segment::Basic,
        cumulative_share: 0.30,
        churn_threshold: 0.0,
        basket: 185.0,
        frequency: 0.95,
    },
    SegmentModel {
        segment: Segment::Standard,
        cumulative_share: 0.79,
        churn_threshold: -0.470,
        basket: 215.0,
        frequency: 1.0,
    },
    SegmentModel {
        segment: Segment::Premium,
        cumulative_share: 1.0,
        churn_threshold: -1.165,
        basket: 250.0,
        frequency: 1.05,
    },
];

impl Segment {
    pub(crate) fn name(self) -> &'static [u8] {
        match self {
            Segment::Basic => b"Basic",
            Segment::Standard => b"Standard",
            Segment::Premium => b"Premium",
        }
    }
}

/// Region names, drawn uniformly.
pub(crate) const REGIONS: [&[u8]; 4] = [b"North", b"South", b"East", b"West"];

/// Order status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Status {
    Fulfilled,
    Returned,
    Cancelled,
}

impl Status {
    pub(crate) fn name(self) -> &'static [u8] {
        match self {
            Status::Fulfilled => b"FULFILLED",
            Status::Returned => b"RETURNED",
            Status::Cancelled => b"CANCELLED",
        }
    }
}

/// One customer's attributes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Customer {
    pub(crate) segment: Segment,
    pub(crate) region: usize,
    pub(crate) registered: i32,
}

/// One order. Fields are ordered so the derived `Ord` sorts by date; since it
/// compares every field, equal orders are indistinguishable and any sort
/// algorithm yields the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Order {
    pub(crate) day: i32,
    pub(crate) cents: u32,
    pub(crate) status: Status,
}

/// Generates customer `index` of the run `seed`, replacing `orders` with the
/// customer's orders sorted by date (never empty).
pub(crate) fn customer(seed: u64, index: u64, orders: &mut Vec<Order>) -> Customer {
    orders.clear();
    let mut rng = Rng::stream(seed, index);

    let pick = rng.uniform();
    let seg = SEGMENTS
        .iter()
        .find(|s| pick < s.cumulative_share)
        .unwrap_or(&SEGMENTS[2]);
    let region = rng.below(REGIONS.len() as u64) as usize;
    let registered = REG_START + rng.below((REG_END - REG_START + 1) as u64) as i32;

    let e = rng.normal();
    let churned = e + CHURN_NOISE * rng.normal() < seg.churn_threshold;
    let lapsed = rng.chance(LAPSED_SHARE);
    let churn = if churned { 1.0 } else { 0.0 };

    // Frequency: engagement and segment, with a per-customer wobble.
    let freq = (seg.frequency * (1.0 + 0.2 * e + 0.2 * rng.normal())).clamp(0.25, 2.5);
    // Basket: segment, engagement, churn, noise; orders scatter around it.
    let basket = seg.basket + 20.0 * e - 15.0 * churn + 28.0 * rng.normal();
    // Return propensity: dissatisfied customers return more and churn more.
    let returns = (0.075 + 0.06 * churn - 0.015 * e + 0.035 * rng.normal()).clamp(0.005, 0.45);

    // Before 2024: from registration (or the first order date) to year end.
    let start = registered.max(ORDER_START);
    let window = PRE_END - start + 1;
    let pre_lambda = PRE_RATE * freq * f64::from(window) / f64::from(PRE_END - ORDER_START + 1);
    let pre = if lapsed {
        1 + rng.poisson(pre_lambda * 0.6, MAX_PER_PERIOD)
    } else {
        rng.poisson(pre_lambda, MAX_PER_PERIOD)
    };
    for _ in 0..pre {
        let day = start + rng.below(window as u64) as i32;
        orders.push(order(&mut rng, day, basket, returns));
    }
    if lapsed {
        return finish(orders, seg.segment, region, registered);
    }

    // H1 2024: everyone orders at least once; churners less often and earlier.
    let h1_len = CUTOFF - H1_START + 1;
    let h1 = if churned {
        1 + rng.poisson(0.3 * freq, MAX_PER_PERIOD)
    } else {
        1 + rng.poisson(1.4 * freq, MAX_PER_PERIOD)
    };
    for _ in 0..h1 {
        let u = rng.uniform();
        let pos = if churned { u * (0.6 + 0.4 * u) } else { u };
        let day = H1_START + ((f64::from(h1_len) * pos) as i32).min(h1_len - 1);
        orders.push(order(&mut rng, day, basket, returns));
    }

    // H2 2024: active customers keep ordering; churners do not.
    if !churned {
        let h2_len = ORDER_END - H2_START + 1;
        let h2 = 1 + rng.poisson(1.4 * freq, MAX_PER_PERIOD);
        for _ in 0..h2 {
            let day = H2_START + rng.below(h2_len as u64) as i32;
            orders.push(order(&mut rng, day, basket, returns));
        }
    }
    finish(orders, seg.segment, region, registered)
}

fn finish(orders: &mut [Order], segment: Segment, region: usize, registered: i32) -> Customer {
    orders.sort_unstable();
    Customer {
        segment,
        region,
        registered,
    }
}

/// One order on `day` around the customer's basket, with their return propensity.
fn order(rng: &mut Rng, day: i32, basket: f64, returns: f64) -> Order {
    let mut amount = basket + 85.0 * rng.normal();
    let mut tries = 0;
    while !(50.0..449.995).contains(&amount) && tries < 8 {
        amount = basket + 85.0 * rng.normal();
        tries += 1;
    }
    let cents = ((amount * 100.0 + 0.5) as u32).clamp(5_000, 44_999);
    let u = rng.uniform();
    let status = if u < returns {
        Status::Returned
    } else if u < returns + CANCEL_RATE {
        Status::Cancelled
    } else {
        Status::Fulfilled
    };
    Order { day, cents, status }
}
