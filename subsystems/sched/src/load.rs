//! Load averages: the exponentially damped mean of the number of runnable
//! threads over 1, 5 and 15 minutes, sampled every 5 seconds, in Linux's
//! fixed-point arithmetic (`calc_load`) so `/proc/loadavg` reads alike.

/// Seconds between samples (Linux's `LOAD_FREQ`).
pub const LOAD_SAMPLE_SECONDS: u64 = 5;

const FSHIFT: u32 = 11;
const FIXED_1: u64 = 1 << FSHIFT;
/// `1 / exp(5 s / 1 min)`, `.../5 min`, `.../15 min` in fixed point.
const EXP: [u64; 3] = [1884, 2014, 2037];

/// The three averages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadAverage {
    averages: [u64; 3],
}

impl LoadAverage {
    /// No load yet.
    pub const fn new() -> LoadAverage {
        LoadAverage { averages: [0; 3] }
    }

    /// Folds in one sample: `runnable` threads now.
    pub fn sample(&mut self, runnable: u64) {
        let active = runnable.saturating_mul(FIXED_1);
        for (load, exp) in self.averages.iter_mut().zip(EXP) {
            let mut next = *load * exp + active * (FIXED_1 - exp);
            if active >= *load {
                next += FIXED_1 - 1;
            }
            *load = next / FIXED_1;
        }
    }

    /// The averages in hundredths (`1.50` is 150), as `/proc/loadavg`
    /// prints them.
    pub fn centis(&self) -> [u64; 3] {
        self.averages
            .map(|load| (load >> FSHIFT) * 100 + (((load & (FIXED_1 - 1)) * 100) >> FSHIFT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_load_is_approached_fastest_by_the_one_minute_average() {
        let mut load = LoadAverage::default();
        assert_eq!(load.centis(), [0, 0, 0]);
        // One busy thread for a minute (12 samples).
        for _ in 0..12 {
            load.sample(1);
        }
        let [one, five, fifteen] = load.centis();
        assert!((60..=66).contains(&one), "{one}");
        assert!(one > five && five > fifteen && fifteen > 0);
        // Long enough and it reads 1.00; idle again and it decays.
        for _ in 0..1000 {
            load.sample(1);
        }
        assert_eq!(load.centis(), [100, 100, 100]);
        for _ in 0..12 {
            load.sample(0);
        }
        let [one, five, _] = load.centis();
        assert!(one < five && one < 40, "{one}");
    }
}
