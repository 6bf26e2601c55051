//! Token TTL arithmetic, in one place, written so that no combination of inputs can
//! yield "never expires" by accident: only a root-policy token created without any TTL
//! setting is non-expiring, and every other result is at least one second.

/// What decides a token's TTL at creation. All values are seconds; 0 means "not set".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Inputs {
    pub requested: u64,
    pub explicit_max: u64,
    pub period: u64,
    /// The token mount's (or the system's) default and maximum; both non-zero.
    pub default: u64,
    pub max: u64,
    /// A root-policy token asking for no TTL at all may live forever, as in Vault.
    pub root_without_ttl: bool,
}

/// The TTL a new token gets, and whether a limit cut the request short.
pub fn initial(i: &Inputs) -> (u64, bool) {
    if i.root_without_ttl && i.requested == 0 && i.explicit_max == 0 && i.period == 0 {
        return (0, false);
    }
    let wanted = if i.period > 0 {
        i.period
    } else if i.requested > 0 {
        i.requested
    } else {
        i.default
    };
    // A periodic token is not bound by the mount maximum (it renews by its period); an
    // explicit maximum binds every token.
    let mut limit = if i.period > 0 { u64::MAX } else { i.max.max(1) };
    if i.explicit_max > 0 {
        limit = limit.min(i.explicit_max);
    }
    let ttl = wanted.min(limit).max(1);
    (ttl, wanted > limit)
}

/// The TTL after a renewal at `now`: `increment` (or the period, for periodic tokens, or
/// the creation TTL when 0), never past `creation + explicit_max` nor, for non-periodic
/// tokens, `creation + max`. Returns `None` when no time is left to grant.
pub fn renewed(
    creation: i64,
    now: i64,
    increment: u64,
    creation_ttl: u64,
    period: u64,
    explicit_max: u64,
    max: u64,
) -> Option<(u64, bool)> {
    let wanted = if period > 0 {
        period
    } else if increment > 0 {
        increment
    } else {
        creation_ttl.max(1)
    };
    let elapsed = u64::try_from(now.saturating_sub(creation)).unwrap_or(0);
    let mut limit = u64::MAX;
    if explicit_max > 0 {
        limit = limit.min(explicit_max.saturating_sub(elapsed));
    }
    if period == 0 {
        limit = limit.min(max.max(1).saturating_sub(elapsed));
    }
    if limit == 0 {
        return None;
    }
    Some((wanted.min(limit), wanted > limit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOUR: u64 = 3600;

    #[test]
    fn typical_cases() {
        let base = Inputs {
            default: 768 * HOUR,
            max: 768 * HOUR,
            ..Inputs::default()
        };
        assert_eq!(initial(&base), (768 * HOUR, false));
        assert_eq!(
            initial(&Inputs {
                requested: HOUR,
                ..base
            }),
            (HOUR, false)
        );
        assert_eq!(
            initial(&Inputs {
                requested: 1000 * HOUR,
                ..base
            }),
            (768 * HOUR, true)
        );
        assert_eq!(
            initial(&Inputs {
                requested: 3 * HOUR,
                explicit_max: 2 * HOUR,
                ..base
            }),
            (2 * HOUR, true)
        );
        assert_eq!(
            initial(&Inputs {
                period: 24 * HOUR,
                ..base
            }),
            (24 * HOUR, false)
        );
        assert_eq!(
            initial(&Inputs {
                root_without_ttl: true,
                ..base
            }),
            (0, false)
        );
        assert_eq!(
            initial(&Inputs {
                root_without_ttl: true,
                requested: HOUR,
                ..base
            }),
            (HOUR, false)
        );
        assert_eq!(
            renewed(0, 10, 3 * HOUR, HOUR, 0, 2 * HOUR, 768 * HOUR),
            Some((2 * HOUR - 10, true))
        );
        assert_eq!(
            renewed(0, (2 * HOUR) as i64, HOUR, HOUR, 0, 2 * HOUR, 768 * HOUR),
            None
        );
        assert_eq!(renewed(0, 5, 0, 0, 60, 0, 768 * HOUR), Some((60, false)));
    }

    proptest! {
        /// No inputs but a root token asking for nothing make a non-expiring token, and no
        /// token may outlive its explicit maximum.
        #[test]
        fn never_infinite_by_accident(
            requested in 0u64..10_000_000, explicit_max in 0u64..10_000_000, period in 0u64..10_000_000,
            default in 1u64..10_000_000, max in 1u64..10_000_000, root in any::<bool>(),
        ) {
            let i = Inputs { requested, explicit_max, period, default: default.min(max), max, root_without_ttl: root };
            let (ttl, _) = initial(&i);
            if ttl == 0 {
                prop_assert!(root && requested == 0 && explicit_max == 0 && period == 0);
            }
            if explicit_max > 0 {
                prop_assert!(ttl <= explicit_max);
            }
            if period == 0 && ttl > 0 {
                prop_assert!(ttl <= max);
            }
        }

        #[test]
        fn renewal_never_passes_the_limits(
            elapsed in 0i64..20_000_000, increment in 0u64..10_000_000, creation_ttl in 0u64..10_000_000,
            period in 0u64..100_000, explicit_max in 0u64..10_000_000, max in 1u64..10_000_000,
        ) {
            if let Some((ttl, _)) = renewed(1_000, 1_000 + elapsed, increment, creation_ttl, period, explicit_max, max) {
                prop_assert!(ttl > 0, "a renewal never yields an infinite (0) TTL");
                let expiry = elapsed as u64 + ttl;
                if explicit_max > 0 {
                    prop_assert!(expiry <= explicit_max);
                }
                if period == 0 {
                    prop_assert!(expiry <= max);
                }
            }
        }
    }
}
