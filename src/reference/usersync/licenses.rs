//! Product licenses: a seat limit per product and the seats in use. A user holds one seat per
//! product it is entitled to; a product without a configured limit has unlimited seats (the
//! default, since the product documentation publishes no limit). Lowering a limit below the
//! seats in use takes nothing away: only new grants fail ("out of licenses", BEHAVIOUR S-US-13).

use parking_lot::Mutex;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Clone, Copy)]
struct Seats {
    limit: Option<u64>,
    used: u64,
}

/// One product's license usage, as the admin API shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LicenseUsage {
    pub product: String,
    /// `None`: unlimited.
    pub seats: Option<u64>,
    pub used: u64,
}

/// Seat accounting for every product. One short lock per grant or release.
#[derive(Debug, Default)]
pub struct Licenses {
    products: Mutex<BTreeMap<String, Seats>>,
}

impl Licenses {
    /// Takes a seat of `product`, or returns the limit that is exhausted.
    pub fn try_acquire(&self, product: &str) -> Result<(), u64> {
        let mut p = self.products.lock();
        let s = p.entry(product.to_string()).or_default();
        match s.limit {
            Some(limit) if s.used >= limit => Err(limit),
            _ => {
                s.used += 1;
                Ok(())
            }
        }
    }

    /// Gives a seat back.
    pub fn release(&self, product: &str) {
        if let Some(s) = self.products.lock().get_mut(product) {
            s.used = s.used.saturating_sub(1);
        }
    }

    /// Sets (or with `None` removes) the seat limit of a product.
    pub fn set_limit(&self, product: &str, seats: Option<u64>) -> LicenseUsage {
        let mut p = self.products.lock();
        let s = p.entry(product.to_string()).or_default();
        s.limit = seats;
        LicenseUsage {
            product: product.to_string(),
            seats: s.limit,
            used: s.used,
        }
    }

    /// Every product seen so far (configured or granted), by name.
    pub fn usage(&self) -> Vec<LicenseUsage> {
        self.products
            .lock()
            .iter()
            .map(|(k, s)| LicenseUsage {
                product: k.clone(),
                seats: s.limit,
                used: s.used,
            })
            .collect()
    }

    /// One product's usage.
    pub fn of(&self, product: &str) -> LicenseUsage {
        let s = self
            .products
            .lock()
            .get(product)
            .copied()
            .unwrap_or_default();
        LicenseUsage {
            product: product.to_string(),
            seats: s.limit,
            used: s.used,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seats_run_out_and_come_back() {
        let l = Licenses::default();
        l.set_limit("Webinar", Some(1));
        assert!(l.try_acquire("Webinar").is_ok());
        assert_eq!(l.try_acquire("Webinar"), Err(1));
        l.release("Webinar");
        assert!(l.try_acquire("Webinar").is_ok());
        assert!(l.try_acquire("Meeting").is_ok());
        assert_eq!(l.of("Meeting").used, 1);
    }
}
